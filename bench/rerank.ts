/**
 * `npm run -s bench:rerank [-- --dicom-dir <dir>] [--runs N]`: cold time per stage (decode, analysis
 * and its sub-stages, first scoring) and warm query time (same analysis, new text) for a series,
 * by default the bundled LIDC case. Wall-clock and this thread's CPU time are both printed, since the
 * machine may be shared. Bars (issue 4): cold analysis + scoring < 1500 ms, warm query < 50 ms.
 */
import { parseQuery } from '../server/query/parse';
import { analyseVolume, rerankSlices } from '../server/rerank/pipeline';
import { loadSeriesFromDir } from '../server/series/load';
import { SAMPLE_DICOM_DIR } from '../server/series/sample';
import { exitWithError, numberArg, parseArgs, single } from '../scripts/rerank-cli';

const WARM_QUERIES = [
  'spiculated solid nodule in the left lung',
  '8 mm ground-glass nodule, right upper lobe',
  '3 cm mass at the level of the carina, posterior',
  '右肺下叶实性结节，边缘光滑',
  'part-solid nodule in the lingula, no calcification',
];

interface Sample { wall: number; cpu: number }

function clock(): () => Sample {
  const w = performance.now();
  const c = process.cpuUsage();
  return () => {
    const d = process.cpuUsage(c);
    return { wall: performance.now() - w, cpu: (d.user + d.system) / 1000 };
  };
}

const fmt = (s: Sample): string => `${s.wall.toFixed(1).padStart(8)} ms wall ${s.cpu.toFixed(1).padStart(8)} ms cpu`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['dicom-dir', 'runs'], []);
  const dir = single(args, 'dicom-dir') ?? SAMPLE_DICOM_DIR;
  const runs = numberArg(args, 'runs', 1, 50) ?? 3;
  const cold: Record<string, Sample[]> = { decode: [], analysis: [], scoring: [], 'analysis+scoring': [] };
  const stages: Record<string, number[]> = {};
  const warm: Sample[] = [];
  let slices = 0, candidates = 0;
  for (let run = 0; run < runs; run++) {
    let stop = clock();
    const { volume } = await loadSeriesFromDir(dir);
    cold.decode.push(stop());
    slices = volume.slices;
    const both = clock();
    stop = clock();
    const analysis = analyseVolume(volume);
    cold.analysis.push(stop());
    candidates = analysis.candidates.length;
    for (const [k, v] of Object.entries(analysis.timings)) (stages[k] ??= []).push(v);
    stop = clock();
    await rerankSlices(analysis, parseQuery(WARM_QUERIES[0]), { topK: 10 });
    cold.scoring.push(stop());
    cold['analysis+scoring'].push(both());
    for (const q of WARM_QUERIES.slice(1)) {
      stop = clock();
      await rerankSlices(analysis, parseQuery(q), { topK: 10 });
      warm.push(stop());
    }
  }
  const out: string[] = [`series ${dir}: ${slices} slices, ${candidates} candidates, ${runs} cold runs (medians)`];
  for (const [k, v] of Object.entries(cold)) {
    out.push(`cold ${k.padEnd(17)} ${fmt({ wall: median(v.map((s) => s.wall)), cpu: median(v.map((s) => s.cpu)) })}`);
  }
  out.push('analysis stages (wall ms): ' + Object.entries(stages).map(([k, v]) => `${k} ${median(v).toFixed(1)}`).join(', '));
  out.push(`warm query (parse + rerank, ${warm.length} queries)  ${fmt({ wall: median(warm.map((s) => s.wall)), cpu: median(warm.map((s) => s.cpu)) })}`);
  out.push('bars: cold analysis+scoring < 1500 ms, warm query < 50 ms');
  process.stdout.write(out.join('\n') + '\n');
}

main().catch((err) => exitWithError('bench:rerank', err));
