/**
 * `npm run -s calibrate -- [--no-model] [--trials N] [--reuse]`: fits how the lesions' evidence becomes a
 * score (CALIBRATION in server/rerank/fuse.ts: the sharpness and the weight of "not in this series", that
 * weight fitted apart for descriptions of a small lesion), and shows that the fit holds on a scan it was
 * not fitted on.
 *
 * Queries: the development cases' own (positives and negatives), descriptions of what those scans do
 * not have (ground-glass nodules and right-sided masses: negatives), and synthetic lesions inserted in
 * the training bands (positives; the synthetic suite's evaluation bands are left alone). The fit maximises
 * the likelihood of the truth (the described lesion, or "not in the series" for a negative and for a
 * lesion no candidate covers) over a grid; with one scan held out at a time it prints what the fit on
 * the others gives on it: its log loss, how often confident answers are right and right answers
 * confident, and a reliability table (top scores in bins against how often they were right).
 * Each scan's candidates are scored with the likelihood fitted without that scan (--folds, written by
 * `models/train/fit-likelihood.ts --folds-only` or `--write`), so that the fit sees the competition an unseen scan brings.
 * Analyses are kept under --cache-dir (.cache/calibrate); `--reuse` skips them after a change to the
 * likelihood or the fusion only.
 */
import pino from 'pino';
import { parseQuery } from '../server/query/parse';
import path from 'node:path';
import type { LikelihoodWeights } from '../server/rerank/analysis/likelihood';
import { CALIBRATION, CONFIDENT_SCORE, describesSmallLesion, lesionEvidence, scoresOf, supportOf } from '../server/rerank/fuse';
import type { CandidateScore, LearnedScorer } from '../server/rerank/learned';
import { analyseVolume, type VolumeAnalysis } from '../server/rerank/pipeline';
import { openScorer } from '../server/runtime/registry';
import { loadSeriesFromDir } from '../server/series/load';
import { SAMPLE_DATA_DIR } from '../server/series/sample';
import { rng } from '../models/synthetic/lesion';
import { findSites } from '../models/synthetic/sites';
import { isTrainingBand } from '../models/synthetic/split';
import { fits, MARGINS, queriesFor, runTrial, textureFor } from '../models/synthetic/trials';
import { analysed } from './analysis-cache';
import { discoverCases, readCase, regionHits, type GroundTruthLesion } from './eval-cases';
import { foldWeights, withLikelihood } from './fold-weights';
import { exitWithError, parseArgs, single } from './rerank-cli';

/** One query's lesions: their evidence, and which of them is the described one (none for a negative); whether it describes a small lesion. */
interface Sample { case: string; evidence: number[]; right: boolean[]; small: boolean }


async function samplesOf(caseName: string, a: VolumeAnalysis, texts: string[], lesion: GroundTruthLesion | null, scorer?: LearnedScorer, fold?: LikelihoodWeights): Promise<Sample[]> {
  // the likelihood a scan's candidates get from weights fitted without that scan: its competitors are
  // then as unfamiliar to the likelihood as an unseen scan's are
  if (fold) a = withLikelihood(a, fold);
  const learned: CandidateScore[] | undefined = scorer && a.candidates.length ? await scorer.scoreCandidates(a.volume, a.candidates) : undefined;
  const out: Sample[] = [];
  for (const text of texts) {
    const q = parseQuery(text);
    q.findings.forEach((f, i) => {
      if (!supportOf(f, i).rankable) return;
      const groups = lesionEvidence(a, f, i, { learned });
      out.push({
        case: caseName,
        small: describesSmallLesion(f),
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

type Calibration = typeof CALIBRATION;

const SHARPNESS = [0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4];
const NOT_IN_SERIES = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 12, 20, 35, 60, 100, 170, 300];

/** What a calibration makes of one query: the top lesion's score, whether it is right, and the truth's probability. */
function judge(s: Sample, cal: Calibration): { top: number; topRight: boolean; truth: number } {
  const scores = scoresOf(s.evidence, { sharpness: cal.sharpness, notInSeries: s.small ? cal.notInSeriesSmall : cal.notInSeries });
  let top = -1;
  scores.forEach((p, k) => { if (top < 0 || p > scores[top]) top = k; });
  const none = 1 - scores.reduce((a, b) => a + b, 0);
  const right = scores.reduce((a, p, k) => a + (s.right[k] ? p : 0), 0);
  // a lesion no candidate covers cannot be found: "not in the series" is then the right answer
  const truth = s.right.some((x) => x) ? right : none;
  return { top: top >= 0 ? scores[top] : 0, topRight: top >= 0 && s.right[top], truth };
}

const logLoss = (samples: Sample[], cal: Calibration): number =>
  samples.reduce((a, s) => a - Math.log(Math.max(1e-6, judge(s, cal).truth)), 0) / Math.max(1, samples.length);

/**
 * The grid point with the least log loss. The weight of "not in the series" is fitted on the descriptions
 * of small lesions apart from the others' (for a sharpness, each on its own queries).
 */
function fit(samples: Sample[]): Calibration {
  const small = samples.filter((s) => s.small), other = samples.filter((s) => !s.small);
  let best: Calibration = { sharpness: 1, notInSeries: 1, notInSeriesSmall: 1 }, loss = Infinity;
  for (const sharpness of SHARPNESS) {
    const bestOf = (set: Sample[]): { weight: number; sum: number } => {
      let b = { weight: 1, sum: Infinity };
      for (const w of NOT_IN_SERIES) {
        const sum = logLoss(set, { sharpness, notInSeries: w, notInSeriesSmall: w }) * set.length;
        if (sum < b.sum) b = { weight: w, sum };
      }
      return b;
    };
    const o = bestOf(other), sm = small.length ? bestOf(small) : { weight: o.weight, sum: 0 };
    if (o.sum + sm.sum < loss) { loss = o.sum + sm.sum; best = { sharpness, notInSeries: o.weight, notInSeriesSmall: sm.weight }; }
  }
  return best;
}

const pct = (a: number, b: number): string => (b ? `${Math.round((100 * a) / b)} %` : '–');

function report(samples: Sample[], cal: Calibration): string {
  let confident = 0, confidentRight = 0, right = 0, rightConfident = 0, negatives = 0, negativesConfident = 0;
  const bins = [0, 0.2, 0.4, 0.6, 0.8, 1.01].slice(1).map(() => ({ n: 0, right: 0, sum: 0 }));
  for (const s of samples) {
    const j = judge(s, cal);
    const isConfident = j.top >= CONFIDENT_SCORE;
    if (isConfident) { confident++; if (j.topRight) confidentRight++; }
    if (j.topRight) { right++; if (isConfident) rightConfident++; }
    if (!s.right.some((x) => x)) { negatives++; if (isConfident) negativesConfident++; }
    const bin = bins[Math.min(bins.length - 1, Math.floor(j.top / 0.2))];
    bin.n++; bin.sum += j.top; if (j.topRight) bin.right++;
  }
  const table = bins.map((b, k) => `${(0.2 * k).toFixed(1)}–${(0.2 * k + 0.2).toFixed(1)}: ${b.n ? `${b.right}/${b.n} right (mean score ${(b.sum / b.n).toFixed(2)})` : '–'}`).join('; ');
  return `log loss ${logLoss(samples, cal).toFixed(3)}; confident right ${confidentRight}/${confident} (${pct(confidentRight, confident)}), right confident ${rightConfident}/${right} (${pct(rightConfident, right)}), negatives confident ${negativesConfident}/${negatives}\n      top score ${table}`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['trials', 'model', 'cache-dir', 'folds'], ['no-model', 'reuse']);
  const trials = Number(single(args, 'trials') ?? 24);
  const cacheDir = single(args, 'cache-dir') ?? path.join('.cache', 'calibrate');
  const reuse = args.flags.has('reuse');
  const foldsDir = single(args, 'folds') ?? path.join('.cache', 'likelihood', 'folds');
  const learned = args.flags.has('no-model') ? undefined : await openScorer({ id: single(args, 'model'), log: pino({ level: 'warn' }, pino.destination(2)) });
  const samples: Sample[] = [];
  const absent = ['6 mm ground-glass nodule in the right upper lung', '8 mm ground-glass nodule in the left lower lung', '右肺下叶磨玻璃结节',
    '50 mm mass in the right lower lung', 'large right upper lobe mass', '右肺上叶肿块'];
  for (const dir of await discoverCases(SAMPLE_DATA_DIR)) {
    const c = await readCase(dir);
    const { volume } = await loadSeriesFromDir(c.seriesDir);
    const base = analyseVolume(volume);
    const fold = await foldWeights(foldsDir, c.name);
    for (const q of c.queries) {
      const lesion = q.lesion ? c.lesions.get(q.lesion)! : null;
      if (lesion && !['nodule', 'mass'].includes(lesion.kind)) continue;
      samples.push(...(await samplesOf(c.name, base, [q.text], lesion, learned?.scorer, fold)));
    }
    samples.push(...(await samplesOf(c.name, base, absent, null, learned?.scorer, fold)));
    const sites = findSites(base.anatomy.grid, base.anatomy.lungs).filter((s) => isTrainingBand(base.anatomy.lungs, base.anatomy.grid.origin[s.grid[0]][2]));
    const random = rng(0xca1 + c.name.length);
    for (let k = 0; k < trials; k++) {
      // two sizes under 8 mm of eight: the small lesions' weight of "not in the series" is fitted on their own queries
      const sizeMm = [6, 7, 9, 14, 20, 30, 45, 60][k % 8];
      const fitting = sites.filter((s) => fits(s, sizeMm / 2));
      if (!fitting.length) continue;
      const site = fitting[Math.floor(random() * fitting.length)];
      const texture = textureFor(sizeMm, k);
      const t = runTrial(base, site, sizeMm, random, { texture, margin: MARGINS[k % 3], rim: k % 2 === 0 });
      const a = await analysed(t.volume, path.join(cacheDir, c.name, `trial-${k}.json`), reuse);
      const gt: GroundTruthLesion = { id: 's', kind: 'nodule', sop_instance_uids: t.sopInstanceUIDs, boxes: t.boxes };
      const zone = site.zoneFraction > 2 / 3 ? 'upper' : site.zoneFraction < 1 / 3 ? 'lower' : 'middle';
      const texts = queriesFor(site.side, zone, Math.max(5, Math.round(t.truth.longAxisMm)), texture).map((x) => x.text);
      samples.push(...(await samplesOf(c.name, a, texts, gt, learned?.scorer, fold)));
    }
    process.stdout.write(`${c.name}: ${samples.filter((s) => s.case === c.name).length} queries\n`);
  }
  await learned?.close();
  const cases = [...new Set(samples.map((s) => s.case))];
  process.stdout.write('each scan held out, the calibration fitted on the others:\n');
  for (const held of cases) {
    const cal = fit(samples.filter((s) => s.case !== held));
    const test = samples.filter((s) => s.case === held);
    process.stdout.write(`  ${held.padEnd(16)} sharpness ${cal.sharpness}, not in series ${cal.notInSeries} (small lesions ${cal.notInSeriesSmall}): held out ${report(test, cal)}\n`);
    process.stdout.write(`      small lesions alone: ${report(test.filter((s) => s.small), cal)}\n`);
  }
  const cal = fit(samples);
  const small = samples.filter((s) => s.small);
  for (const at of [cal, CALIBRATION])
    process.stdout.write(`small lesions' weight of "not in the series" against their log loss (sharpness ${at.sharpness}): ${NOT_IN_SERIES.map((w) => `${w} ${logLoss(small, { ...at, notInSeriesSmall: w }).toFixed(3)}`).join(', ')}\n`);
  process.stdout.write(`over all scans, as fitted: ${report(samples, cal)}\n`);
  process.stdout.write(`over all scans, as in fuse.ts now (${JSON.stringify(CALIBRATION)}): ${report(samples, CALIBRATION)}\n`);
  process.stdout.write(`  small lesions alone, as fitted: ${report(small, cal)}\n`);
  process.stdout.write(`  small lesions alone, as in fuse.ts now: ${report(small, CALIBRATION)}\n`);
  process.stdout.write(`fitted on all scans: CALIBRATION = { sharpness: ${cal.sharpness}, notInSeries: ${cal.notInSeries}, notInSeriesSmall: ${cal.notInSeriesSmall} }\n`);
}

main().catch((err) => exitWithError('calibrate', err));
