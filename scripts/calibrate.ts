/**
 * `npm run -s calibrate -- [--no-model] [--trials N] [--reuse]`: fits how the lesions' evidence becomes a
 * score (CALIBRATION in server/rerank/fuse.ts: the sharpness, the specificity and the weight of "not in this
 * series", that weight fitted apart for descriptions of a small lesion), and shows that the fit holds on a scan it was
 * not fitted on.
 *
 * Queries: the development cases' own (positives and negatives), descriptions of what those scans do
 * not have (eval:absent's ground-glass nodules and right-sided masses: negatives), and synthetic lesions inserted in
 * the training bands at each site class in turn (positives; the synthetic suite's evaluation bands are left alone), each lesion also
 * asked for in a word or two ("nodule", "磨玻璃结节": what a reader types to find it, with no place or
 * size). The fit maximises the likelihood of the truth (the described lesion, or "not in the series" for
 * a negative and for a lesion no candidate covers) over a grid, among the calibrations whose confident
 * answers are right at least 90 % of the time, the sharpness and specificity chosen by that likelihood on
 * each scan held out in turn; with one scan held out at a time it prints what the fit on
 * the others gives on it: its log loss, how often confident answers are right and right answers
 * confident, and a reliability table (top scores in bins against how often they were right).
 * Each scan's candidates are scored with the likelihood fitted without that scan (--folds, written by
 * `models/train/fit-likelihood.ts --folds-only` or `--write`), so that the fit sees the competition an unseen scan brings.
 * Analyses are kept under --cache-dir (.cache/calibrate); `--reuse` skips them after a change to the
 * likelihood or the fusion only.
 */
import pino from 'pino';
import type { Finding } from '../server/query/finding';
import { parseQuery } from '../server/query/parse';
import path from 'node:path';
import type { LikelihoodWeights } from '../server/rerank/analysis/likelihood';
import { attainableOf, CALIBRATION, CONFIDENT_SCORE, describesSmallLesion, lesionEvidence, scoresOf, supportOf } from '../server/rerank/fuse';
import type { CandidateScore, LearnedScorer } from '../server/rerank/learned';
import { analyseVolume, type VolumeAnalysis } from '../server/rerank/pipeline';
import { openScorer } from '../server/runtime/registry';
import { loadSeriesFromDir } from '../server/series/load';
import { SAMPLE_DATA_DIR } from '../server/series/sample';
import { rng } from '../models/synthetic/lesion';
import { findSites, SITE_CLASSES } from '../models/synthetic/sites';
import { isTrainingBand } from '../models/synthetic/split';
import { fits, MARGINS, queriesFor, runTrial, shortQueriesFor, textureFor } from '../models/synthetic/trials';
import { ABSENT } from './absent-descriptions';
import { analysed } from './analysis-cache';
import { discoverCases, readCase, regionHits, SHORT_WORDS, type GroundTruthLesion } from './eval-cases';
import { foldWeights, withLikelihood } from './fold-weights';
import { exitWithError, parseArgs, single } from './rerank-cli';

/**
 * One query's lesions: their evidence, and which of them is the described one (none for a negative); the most
 * evidence its words could give; whether it describes a small lesion, and whether it says no more than what
 * the lesion is (no place, no size).
 */
interface Sample { case: string; evidence: number[]; attainable: number; right: boolean[]; small: boolean; short: boolean }


/** A description that says what, but not where or how large ("nodule", "ground-glass nodule", "肿块"). */
const isShort = (f: Finding): boolean =>
  !f.anatomy.side && !f.anatomy.lobe && !f.anatomy.segment && !f.anatomy.level && !(f.anatomy.position ?? []).length && !f.size && !f.sizeWord;

/** The samples of some descriptions of one scan; a lesion answered is right when it is on any of `lesions` (none for a negative). */
async function samplesOf(caseName: string, a: VolumeAnalysis, texts: string[], lesions: GroundTruthLesion[], scorer?: LearnedScorer, fold?: LikelihoodWeights): Promise<Sample[]> {
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
        short: isShort(f),
        evidence: groups.map((g) => g.evidence),
        attainable: attainableOf(groups),
        right: groups.map((g) => {
          const c = g.pieces[0].candidate;
          const central = c.slices.reduce((b, s) => (s.weight > b.weight ? s : b), c.slices[0]);
          const [x0, y0, x1, y1] = central.box;
          return lesions.some((lesion) => {
            const box = lesion.boxes?.[a.sopInstanceUIDs[central.index]];
            return !!box && regionHits({ x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 }, box);
          });
        }),
      });
    });
  }
  return out;
}

type Calibration = typeof CALIBRATION;

const SHARPNESS = [0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4];
const SPECIFICITY = [0, 0.25, 0.5, 0.75, 1, 1.25];
const NOT_IN_SERIES = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 12, 20, 35, 60, 100, 170, 300];

/** What a calibration makes of one query: the top lesion's score, whether it is right, and the truth's probability. */
function judge(s: Sample, cal: Calibration): { top: number; topRight: boolean; truth: number } {
  const scores = scoresOf(s.evidence, { sharpness: cal.sharpness, specificity: cal.specificity, notInSeries: s.small ? cal.notInSeriesSmall : cal.notInSeries }, s.attainable);
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

/** What a confident answer promises: right at least this often (issue 11), on the queries a calibration is fitted on. */
const CONFIDENT_PRECISION = 0.9;

const precisionOf = (samples: Sample[], cal: Calibration): number => {
  let confident = 0, right = 0;
  for (const s of samples) {
    const j = judge(s, cal);
    if (j.top >= CONFIDENT_SCORE) { confident++; if (j.topRight) right++; }
  }
  return confident ? right / confident : 1;
};

/**
 * For a sharpness and specificity, the weights of "not in the series" with the least log loss among those whose
 * confident answers are right at least CONFIDENT_PRECISION of the time. The small lesions' weight is fitted on
 * their own descriptions, and never below the others' (the search misses small lesions more often, never less);
 * undefined where no weight keeps that promise.
 */
function fitWeights(samples: Sample[], sharpness: number, specificity: number): { cal: Calibration; loss: number } | undefined {
  const small = samples.filter((s) => s.small), other = samples.filter((s) => !s.small);
  const smallLoss = NOT_IN_SERIES.map((w) => (small.length ? logLoss(small, { sharpness, specificity, notInSeries: w, notInSeriesSmall: w }) * small.length : 0));
  let best: { cal: Calibration; loss: number } | undefined;
  NOT_IN_SERIES.forEach((w, i) => {
    let k = i;
    for (let j = i; j < NOT_IN_SERIES.length; j++) if (smallLoss[j] < smallLoss[k]) k = j;
    const cal = { sharpness, specificity, notInSeries: w, notInSeriesSmall: NOT_IN_SERIES[k] };
    if (precisionOf(samples, cal) < CONFIDENT_PRECISION) return;
    const loss = logLoss(other, cal) * other.length + smallLoss[k];
    if (!best || loss < best.loss) best = { cal, loss };
  });
  return best;
}

/** The log loss on each scan held out in turn under the weights fitted on the others (with one scan, on it). */
function heldOutLoss(samples: Sample[], sharpness: number, specificity: number): number {
  const cases = [...new Set(samples.map((s) => s.case))];
  if (cases.length < 2) return fitWeights(samples, sharpness, specificity)?.loss ?? Infinity;
  let loss = 0;
  for (const held of cases) {
    const fitted = fitWeights(samples.filter((s) => s.case !== held), sharpness, specificity);
    if (!fitted) return Infinity;
    const test = samples.filter((s) => s.case === held);
    loss += logLoss(test, fitted.cal) * test.length;
  }
  return loss;
}

/**
 * The calibration: the sharpness and specificity with the least held-out log loss (what decides how evidence
 * is shaped should hold on a scan it never saw), then their weights fitted on all scans.
 */
function fit(samples: Sample[], specificities: readonly number[] = SPECIFICITY): Calibration {
  let best: { sharpness: number; specificity: number; loss: number } | undefined;
  for (const sharpness of SHARPNESS)
    for (const specificity of specificities) {
      const loss = heldOutLoss(samples, sharpness, specificity);
      if (!best || loss < best.loss) best = { sharpness, specificity, loss };
    }
  const cal = best && fitWeights(samples, best.sharpness, best.specificity)?.cal;
  return cal ?? { ...CALIBRATION };
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
  const absent = [...ABSENT['right-sided masses'], ...ABSENT['ground-glass nodules'], 'ground-glass nodule'];
  for (const dir of await discoverCases(SAMPLE_DATA_DIR)) {
    const c = await readCase(dir);
    const { volume } = await loadSeriesFromDir(c.seriesDir);
    const base = analyseVolume(volume);
    const fold = await foldWeights(foldsDir, c.name);
    for (const q of c.queries) {
      const lesion = q.lesion ? c.lesions.get(q.lesion)! : null;
      if (lesion && !['nodule', 'mass'].includes(lesion.kind)) continue;
      samples.push(...(await samplesOf(c.name, base, [q.text], lesion ? [lesion] : [], learned?.scorer, fold)));
    }
    samples.push(...(await samplesOf(c.name, base, absent, [], learned?.scorer, fold)));
    // the scan's own lesions asked for in a word: any of that kind is the answer
    const own = (kind: string): GroundTruthLesion[] => [...c.lesions.values()].filter((l) => l.kind === kind);
    for (const [kind, words] of Object.entries(SHORT_WORDS))
      if (own(kind).length) samples.push(...(await samplesOf(c.name, base, words, own(kind), learned?.scorer, fold)));
    const sites = findSites(base.anatomy.grid, base.anatomy.lungs).filter((s) => isTrainingBand(base.anatomy.lungs, base.anatomy.grid.origin[s.grid[0]][2]));
    const random = rng(0xca1 + c.name.length);
    for (let k = 0; k < trials; k++) {
      // two sizes under 8 mm of eight: the small lesions' weight of "not in the series" is fitted on their own queries
      const sizeMm = [6, 7, 9, 14, 20, 30, 45, 60][k % 8];
      // each site class in turn (the hard sites, where answers are less sure, as often as open lung)
      const siteClass = SITE_CLASSES[k % SITE_CLASSES.length];
      const anywhere = sites.filter((s) => fits(s, sizeMm / 2));
      const ofClass = anywhere.filter((s) => s.siteClass === siteClass);
      const fitting = ofClass.length ? ofClass : anywhere;
      if (!fitting.length) continue;
      const site = fitting[Math.floor(random() * fitting.length)];
      const texture = textureFor(sizeMm, k);
      const t = runTrial(base, site, sizeMm, random, { texture, margin: MARGINS[k % 3], rim: k % 2 === 0 });
      const a = await analysed(t.volume, path.join(cacheDir, c.name, `trial-${k}.json`), reuse);
      const gt: GroundTruthLesion = { id: 's', kind: 'nodule', sop_instance_uids: t.sopInstanceUIDs, boxes: t.boxes };
      const zone = site.zoneFraction > 2 / 3 ? 'upper' : site.zoneFraction < 1 / 3 ? 'lower' : 'middle';
      const sizeWords = Math.max(5, Math.round(t.truth.longAxisMm));
      const texts = queriesFor(site.side, zone, sizeWords, texture).map((x) => x.text);
      samples.push(...(await samplesOf(c.name, a, texts, [gt], learned?.scorer, fold)));
      // said in a word or two, the scan's own solid lesions of the kind answer it as well as the drawn one
      const ofKind = own(sizeWords > 30 ? 'mass' : 'nodule');
      const natives = texture === 'solid' ? ofKind : [];
      const [plain, textured] = shortQueriesFor(sizeWords, texture);
      samples.push(...(await samplesOf(c.name, a, [plain.text], [gt, ...ofKind], learned?.scorer, fold)));
      samples.push(...(await samplesOf(c.name, a, [textured.text], [gt, ...natives], learned?.scorer, fold)));
      if (texture === 'solid') samples.push(...(await samplesOf(c.name, a, ['ground-glass nodule'], [], learned?.scorer, fold)));
    }
    process.stdout.write(`${c.name}: ${samples.filter((s) => s.case === c.name).length} queries\n`);
  }
  await learned?.close();
  const cases = [...new Set(samples.map((s) => s.case))];
  process.stdout.write('each scan held out, the calibration fitted on the others:\n');
  for (const held of cases) {
    const cal = fit(samples.filter((s) => s.case !== held));
    const test = samples.filter((s) => s.case === held);
    process.stdout.write(`  ${held.padEnd(16)} sharpness ${cal.sharpness}, specificity ${cal.specificity}, not in series ${cal.notInSeries} (small lesions ${cal.notInSeriesSmall}): held out ${report(test, cal)}\n`);
    process.stdout.write(`      small lesions alone: ${report(test.filter((s) => s.small), cal)}\n`);
    process.stdout.write(`      said in a word or two: ${report(test.filter((s) => s.short), cal)}\n`);
    process.stdout.write(`      described with place or size: ${report(test.filter((s) => !s.short), cal)}\n`);
  }
  const cal = fit(samples);
  const small = samples.filter((s) => s.small);
  for (const at of [cal, CALIBRATION])
    process.stdout.write(`small lesions' weight of "not in the series" against their log loss (sharpness ${at.sharpness}): ${NOT_IN_SERIES.map((w) => `${w} ${logLoss(small, { ...at, notInSeriesSmall: w }).toFixed(3)}`).join(', ')}\n`);
  process.stdout.write(`over all scans, as fitted: ${report(samples, cal)}\n`);
  process.stdout.write(`over all scans, as in fuse.ts now (${JSON.stringify(CALIBRATION)}): ${report(samples, CALIBRATION)}\n`);
  process.stdout.write(`  small lesions alone, as fitted: ${report(small, cal)}\n`);
  process.stdout.write(`  small lesions alone, as in fuse.ts now: ${report(small, CALIBRATION)}\n`);
  for (const short of [true, false])
    for (const at of [cal, CALIBRATION])
      process.stdout.write(`  ${short ? 'said in a word or two' : 'described with place or size'}, ${at === cal ? 'as fitted' : 'as in fuse.ts now'}: ${report(samples.filter((s) => s.short === short), at)}\n`);
  const flat = fit(samples, [0]);
  process.stdout.write(`with no specificity (fitted so): ${report(samples, flat)}; in a word or two ${report(samples.filter((s) => s.short), flat)}\n`);
  process.stdout.write(`fitted on all scans: CALIBRATION = { sharpness: ${cal.sharpness}, notInSeries: ${cal.notInSeries}, notInSeriesSmall: ${cal.notInSeriesSmall}, specificity: ${cal.specificity} }\n`);
}

main().catch((err) => exitWithError('calibrate', err));
