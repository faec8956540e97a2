/**
 * `npm run -s calibrate -- [--no-model] [--trials N]`: chooses the weight of "not in this series"
 * (NOT_IN_SERIES in server/rerank/fuse.ts), the one constant that turns the lesions' evidence into a
 * calibrated score, and shows that the choice holds on a scan it was not chosen on.
 *
 * Queries: the development cases' own (positives and negatives), descriptions of what those scans do
 * not have (ground-glass nodules and right-sided masses: negatives), and synthetic lesions inserted in
 * the training bands (positives; the synthetic suite's evaluation bands are left alone). For each value
 * on a grid, with one scan held out at a time: the value that keeps most right answers confident while
 * at least 90 % of confident answers are right on the other scans, and what it gives on the held-out one.
 */
import pino from 'pino';
import { parseQuery } from '../server/query/parse';
import { lesionEvidence, supportOf } from '../server/rerank/fuse';
import type { CandidateScore, LearnedScorer } from '../server/rerank/learned';
import { analyseVolume, type VolumeAnalysis } from '../server/rerank/pipeline';
import { openScorer } from '../server/runtime/registry';
import { loadSeriesFromDir } from '../server/series/load';
import { SAMPLE_DATA_DIR } from '../server/series/sample';
import { rng } from '../models/synthetic/lesion';
import { findSites } from '../models/synthetic/sites';
import { isTrainingBand } from '../models/synthetic/split';
import { fits, MARGINS, queriesFor, runTrial, textureFor } from '../models/synthetic/trials';
import { discoverCases, readCase, regionHits, type GroundTruthLesion } from './eval-cases';
import { exitWithError, parseArgs, single } from './rerank-cli';

/** One query's lesions: their evidence, and which of them is the described one (none for a negative). */
interface Sample { case: string; evidence: number[]; right: boolean[] }

const GRID = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 12, 20];

async function samplesOf(caseName: string, a: VolumeAnalysis, texts: string[], lesion: GroundTruthLesion | null, scorer?: LearnedScorer): Promise<Sample[]> {
  const learned: CandidateScore[] | undefined = scorer && a.candidates.length ? await scorer.scoreCandidates(a.volume, a.candidates) : undefined;
  const out: Sample[] = [];
  for (const text of texts) {
    const q = parseQuery(text);
    q.findings.forEach((f, i) => {
      if (!supportOf(f, i).rankable) return;
      const groups = lesionEvidence(a, f, i, { learned });
      out.push({
        case: caseName,
        evidence: groups.map((g) => g.evidence),
        right: groups.map((g) => {
          if (!lesion) return false;
          const c = g.pieces[0].candidate;
          const central = c.slices.reduce((b, s) => (s.weight > b.weight ? s : b), c.slices[0]);
          const box = lesion.boxes?.[a.sopInstanceUIDs[central.index]];
          const [x0, y0, x1, y1] = central.box;
          return !!box && regionHits({ x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 }, box);
        }),
      });
    });
  }
  return out;
}

interface Rates { confident: number; confidentRight: number; right: number; rightConfident: number; negatives: number; negativesConfident: number }

function rates(samples: Sample[], notInSeries: number): Rates {
  const r: Rates = { confident: 0, confidentRight: 0, right: 0, rightConfident: 0, negatives: 0, negativesConfident: 0 };
  for (const s of samples) {
    const total = s.evidence.reduce((a, b) => a + b, notInSeries);
    let top = -1;
    s.evidence.forEach((e, k) => { if (top < 0 || e > s.evidence[top]) top = k; });
    const p = top >= 0 ? s.evidence[top] / total : 0;
    const confident = p >= 0.5;
    const isRight = top >= 0 && s.right[top];
    const positive = s.right.some((x) => x);
    if (confident) r.confident++;
    if (confident && isRight) r.confidentRight++;
    if (isRight) r.right++;
    if (isRight && confident) r.rightConfident++;
    if (!positive) { r.negatives++; if (confident) r.negativesConfident++; }
  }
  return r;
}

const pct = (a: number, b: number): string => (b ? `${Math.round((100 * a) / b)} %` : '–');
const line = (r: Rates): string =>
  `confident right ${r.confidentRight}/${r.confident} (${pct(r.confidentRight, r.confident)}), right confident ${r.rightConfident}/${r.right} (${pct(r.rightConfident, r.right)}), negatives confident ${r.negativesConfident}/${r.negatives}`;

/** The grid value keeping most right answers confident while ≥ 90 % of confident answers are right. */
function choose(samples: Sample[]): number {
  let best = GRID[GRID.length - 1], bestScore = -1;
  for (const v of GRID) {
    const r = rates(samples, v);
    if (r.confident && r.confidentRight / r.confident < 0.9) continue;
    const score = r.right ? r.rightConfident / r.right : 0;
    if (score > bestScore) { bestScore = score; best = v; }
  }
  return best;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['trials', 'model'], ['no-model']);
  const trials = Number(single(args, 'trials') ?? 24);
  const learned = args.flags.has('no-model') ? undefined : await openScorer({ id: single(args, 'model'), log: pino({ level: 'warn' }, pino.destination(2)) });
  const samples: Sample[] = [];
  const absent = ['6 mm ground-glass nodule in the right upper lung', '8 mm ground-glass nodule in the left lower lung', '右肺下叶磨玻璃结节',
    '50 mm mass in the right lower lung', 'large right upper lobe mass', '右肺上叶肿块'];
  for (const dir of await discoverCases(SAMPLE_DATA_DIR)) {
    const c = await readCase(dir);
    const { volume } = await loadSeriesFromDir(c.seriesDir);
    const base = analyseVolume(volume);
    for (const q of c.queries) {
      const lesion = q.lesion ? c.lesions.get(q.lesion)! : null;
      if (lesion && !['nodule', 'mass'].includes(lesion.kind)) continue;
      samples.push(...(await samplesOf(c.name, base, [q.text], lesion, learned?.scorer)));
    }
    samples.push(...(await samplesOf(c.name, base, absent, null, learned?.scorer)));
    const sites = findSites(base.anatomy.grid, base.anatomy.lungs).filter((s) => isTrainingBand(base.anatomy.lungs, base.anatomy.grid.origin[s.grid[0]][2]));
    const random = rng(0xca1 + c.name.length);
    for (let k = 0; k < trials; k++) {
      const sizeMm = [6, 9, 14, 20, 30, 45, 60][k % 7];
      const fitting = sites.filter((s) => fits(s, sizeMm / 2));
      if (!fitting.length) continue;
      const site = fitting[Math.floor(random() * fitting.length)];
      const texture = textureFor(sizeMm, k);
      const t = runTrial(base, site, sizeMm, random, { texture, margin: MARGINS[k % 3], rim: k % 2 === 0 });
      const a = analyseVolume(t.volume);
      const gt: GroundTruthLesion = { id: 's', kind: 'nodule', sop_instance_uids: t.sopInstanceUIDs, boxes: t.boxes };
      const zone = site.zoneFraction > 2 / 3 ? 'upper' : site.zoneFraction < 1 / 3 ? 'lower' : 'middle';
      const texts = queriesFor(site.side, zone, Math.max(5, Math.round(t.truth.longAxisMm)), texture).map((x) => x.text);
      samples.push(...(await samplesOf(c.name, a, texts, gt, learned?.scorer)));
    }
    process.stdout.write(`${c.name}: ${samples.filter((s) => s.case === c.name).length} queries\n`);
  }
  await learned?.close();
  const cases = [...new Set(samples.map((s) => s.case))];
  process.stdout.write('each scan held out, the weight chosen on the others:\n');
  for (const held of cases) {
    const v = choose(samples.filter((s) => s.case !== held));
    process.stdout.write(`  ${held.padEnd(16)} chosen ${v}: held out ${line(rates(samples.filter((s) => s.case === held), v))}\n`);
  }
  process.stdout.write('over all scans:\n');
  for (const v of GRID) process.stdout.write(`  ${String(v).padStart(5)}  ${line(rates(samples, v))}\n`);
  process.stdout.write(`chosen on all scans: NOT_IN_SERIES = ${choose(samples)}\n`);
}

main().catch((err) => exitWithError('calibrate', err));
