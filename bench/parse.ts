/**
 * `npm run -s bench:parse [iterations]`: µs per parseQuery on ~300-character reports (goal: well under 1 ms).
 * Prints one line per report: characters, findings, median and mean wall-clock µs over 20 timed batches after a
 * warm-up, and CPU µs (process.cpuUsage, which a busy shared machine disturbs less than wall-clock time).
 */
import { parseQuery } from '../server/query/parse';

const REPORTS: Record<string, string> = {
  en:
    'Solid nodule in the superior segment of the left lower lobe, 8 mm in diameter, with shallow lobulation and short ' +
    'spiculation. A mixed ground-glass nodule in the lateral segment of the right middle lobe measures about 12 x 9 mm, ' +
    'with air bronchogram and vascular convergence. Enlarged mediastinal lymph nodes, no pleural effusion.',
  zh:
    '左肺下叶背段见一实性结节，直径约8mm，边缘见浅分叶及短毛刺，邻近胸膜牵拉；右肺中叶外侧段见一混合磨玻璃结节，大小约12×9mm，' +
    '内见空气支气管征，周围见血管集束征；右肺上叶尖段纯磨玻璃结节，直径约6mm，边界清；双肺散在多发微小结节，部分钙化；纵隔及双肺门' +
    '多发淋巴结肿大，较大者短径约15mm；右侧少量胸腔积液，左侧胸膜局限性增厚，未见气胸。双肺下叶背段见斑片状实变影，其内见空气支气管征，' +
    '双肺上叶见多发小叶中心型肺气肿及肺大泡，左肺下叶后基底段见条索影，右肺下叶基底段支气管扩张，管壁增厚。右肺门未见明确肿块影。' +
    '左肺上叶舌段见片状磨玻璃影，边界模糊，呈铺路石征，右肺下叶外基底段见树芽征。',
};

const iterations = Number(process.argv[2] ?? 2000);

function measure(text: string, iterations: number): { mean: number; median: number; cpu: number; findings: number } {
  let findings = 0;
  for (let i = 0; i < Math.min(200, iterations); i++) findings = parseQuery(text).findings.length; // warm-up (JIT)
  const batches: number[] = [];
  const perBatch = Math.max(1, Math.floor(iterations / 20));
  const cpu0 = process.cpuUsage();
  for (let b = 0; b < 20; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) parseQuery(text);
    batches.push(Number(process.hrtime.bigint() - t0) / 1000 / perBatch);
  }
  const used = process.cpuUsage(cpu0);
  const cpu = (used.user + used.system) / (perBatch * 20);
  batches.sort((a, b) => a - b);
  const mean = batches.reduce((s, x) => s + x, 0) / batches.length;
  return { mean, median: batches[Math.floor(batches.length / 2)], cpu, findings };
}

// The slowest input found: the longest accepted text as one list of places, each its own finding (no goal; it must
// only stay bounded).
const WORST = '右肺上叶及左肺下叶及'.repeat(199) + '结节';

for (const [lang, text] of [...Object.entries(REPORTS), ['worst case', WORST] as const]) {
  const n = text === WORST ? Math.max(20, Math.floor(iterations / 50)) : iterations;
  const { mean, median, cpu, findings } = measure(text, n);
  console.log(
    `parse ${lang}: ${text.length} chars, ${findings} findings, ${n} parses: ` +
      `median ${median.toFixed(1)} µs, mean ${mean.toFixed(1)} µs wall, ${cpu.toFixed(1)} µs CPU per parse` +
      (text === WORST ? ' (bounded, no goal)' : ' (goal < 1000 µs)'),
  );
}
