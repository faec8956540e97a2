/**
 * The candidate set the lesion likelihood is fitted on (models/train/fit-likelihood.ts):
 *
 *   npx tsx models/train/make-candidates.ts [--trials N] [--out .cache/likelihood]
 *
 * For each development scan (../shared/data), in the slice bands training may use
 * (models/synthetic/split.ts) and away from the heights of its real lesions:
 * - negatives: every candidate the analysis finds in the unmodified scan, and in other looks of it
 *   (mirrored, other noise and calibration, slices twice as thick: models/synthetic/augment.ts);
 * - positives: synthetic lesions (5–70 mm, solid (some small ones calcified), part-solid, ground-glass with or without a faint rim,
 *   smooth, lobulated or spiculated, round, plate- or cigar-shaped) inserted at every site class
 *   (models/synthetic/sites.ts), up to three far apart per full analysis; the candidate that covers most
 *   of a lesion is its positive, other pieces of it are left out.
 * Writes records.json: one record per candidate with what the likelihood reads of it (likelihood.ts) and
 * where it came from (infinite protrusion, no wall touched, is written as -1).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { LikelihoodInput } from '../../server/rerank/analysis/likelihood';
import type { Candidate } from '../../server/rerank/analysis/types';
import { analyseVolume, type VolumeAnalysis } from '../../server/rerank/pipeline';
import type { Volume } from '../../server/series/volume';
import { loadSeriesFromDir } from '../../server/series/load';
import { SAMPLE_DATA_DIR } from '../../server/series/sample';
import { discoverCases, readCase, type EvalCase } from '../../scripts/eval-cases';
import { augment, AUGMENTATIONS } from '../synthetic/augment';
import { rng, type Texture } from '../synthetic/lesion';
import { findSites, SITE_CLASSES } from '../synthetic/sites';
import { isTrainingBand } from '../synthetic/split';
import { fits, MARGINS, runTrial } from '../synthetic/trials';

export interface CandidateRecord {
  case: string;
  label: 0 | 1;
  /** negative: which wall it touches ('lung' when none); positive: the site class it was inserted at. */
  group: string;
  sizeMm: number;
  texture?: Texture;
  /** What the likelihood reads of the candidate (its features are computed from this when fitting). */
  c: LikelihoodInput;
}

/** The fields of a candidate the likelihood reads, and nothing else (no pixels, no positions in the scan). */
function inputOf(c: Candidate): LikelihoodInput {
  const {
    equivalentDiameterMm, diameterMm, shortAxisMm, sphericity, fill, shellOccupancy, contextExcess, thicknessRatio, attachment, meanHU, coreHU,
    solidFraction, groundGlassFraction, calcifiedFraction, bulgeFraction, wallContact, protrusionMm, wall, marginIrregularity, hilumDistanceMm, lateralFraction, scale,
  } = c;
  return {
    equivalentDiameterMm, diameterMm, shortAxisMm, sphericity, fill, shellOccupancy, contextExcess, thicknessRatio, attachment, meanHU, coreHU,
    solidFraction, groundGlassFraction, calcifiedFraction, bulgeFraction, wallContact, protrusionMm: Number.isFinite(protrusionMm) ? protrusionMm : -1, wall, marginIrregularity,
    hilumDistanceMm, lateralFraction, scale,
  };
}

const arg = (k: string, d: string): string => {
  const i = process.argv.indexOf(k);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : d;
};

/** Grid voxels (as boxes per slice) a candidate and a truth share, over the truth's area. */
function coverage(c: Candidate, boxes: Map<number, [number, number, number, number]>): number {
  let inter = 0, total = 0;
  for (const b of boxes.values()) total += (b[2] - b[0] + 1) * (b[3] - b[1] + 1);
  for (const sl of c.slices) {
    const b = boxes.get(sl.index);
    if (!b) continue;
    const w = Math.min(b[2], sl.box[2]) - Math.max(b[0], sl.box[0]) + 1;
    const h = Math.min(b[3], sl.box[3]) - Math.max(b[1], sl.box[1]) + 1;
    if (w > 0 && h > 0) inter += w * h;
  }
  return total ? inter / total : 0;
}

/** Heights (mm) the real lesions of a case span, from its ground truth on the original series. */
function lesionHeights(c: EvalCase, v: Volume): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const l of c.lesions.values()) {
    const zs = l.sop_instance_uids.map((u) => v.sopInstanceUIDs.indexOf(u)).filter((i) => i >= 0).map((i) => v.positions[i][2]);
    if (zs.length) out.push([Math.min(...zs), Math.max(...zs)]);
  }
  return out;
}

/** Within 20 mm of a real lesion's heights: left out, whatever its place in the slice (augmented copies move it). */
const nearRealLesion = (heights: Array<[number, number]>, cand: Candidate): boolean =>
  heights.some(([lo, hi]) => cand.centroidMm[2] >= lo - 20 && cand.centroidMm[2] <= hi + 20);

const inTraining = (a: VolumeAnalysis, cand: Candidate): boolean => isTrainingBand(a.anatomy.lungs, cand.centroidMm[2]);

async function main(): Promise<void> {
  const trialsPerCase = Number(arg('--trials', '40'));
  const out = arg('--out', path.resolve(__dirname, '..', '..', '.cache', 'likelihood'));
  const records: CandidateRecord[] = [];
  let missed = 0, tried = 0;
  for (const dir of await discoverCases(SAMPLE_DATA_DIR)) {
    const c = await readCase(dir);
    const { volume } = await loadSeriesFromDir(c.seriesDir);
    const base = analyseVolume(volume);
    const heights = lesionHeights(c, volume);
    // negatives from the scan and from other looks of it (mirrored, other noise, thicker slices)
    for (const a of [base, ...AUGMENTATIONS.map((k) => analyseVolume(augment(volume, k)))]) {
      for (const cand of a.candidates) {
        if (!inTraining(a, cand) || nearRealLesion(heights, cand)) continue;
        records.push({ case: c.name, label: 0, group: cand.wall ?? 'lung', sizeMm: cand.diameterMm, c: inputOf(cand) });
      }
    }
    const sites = findSites(base.anatomy.grid, base.anatomy.lungs).filter((s) => isTrainingBand(base.anatomy.lungs, base.anatomy.grid.origin[s.grid[0]][2]));
    const random = rng(0x7a1 + c.name.length * 104729);
    for (let k = 0; k < trialsPerCase; k++) {
      // up to three lesions per analysis, far enough apart not to touch or share a context
      const placed: Array<{ site: (typeof sites)[number]; sizeMm: number; texture: Texture; siteClass: string }> = [];
      for (let j = 0; j < 3; j++) {
        const siteClass = SITE_CLASSES[(3 * k + j) % SITE_CLASSES.length];
        // half small (5–15 mm), half 15–70 mm, log-uniform within each
        const [lo, hi] = random() < 0.5 ? [5, 15] : [15, 70];
        const sizeMm = Math.exp(Math.log(lo) + random() * (Math.log(hi) - Math.log(lo)));
        const apart = (s: (typeof sites)[number]): boolean => placed.every((p) => {
          const a = base.anatomy.grid, ds = (s.grid[0] - p.site.grid[0]) * a.spacing[0], dr = (s.grid[1] - p.site.grid[1]) * a.spacing[1], dc = (s.grid[2] - p.site.grid[2]) * a.spacing[2];
          return Math.hypot(ds, dr, dc) > (sizeMm + p.sizeMm) / 2 + 50;
        });
        const fitting = sites.filter((s) => s.siteClass === siteClass && fits(s, sizeMm / 2) && apart(s));
        if (!fitting.length) continue;
        const u = random();
        const texture: Texture = sizeMm > 30 ? 'solid' : u < 0.45 ? 'solid' : u < 0.7 ? 'part-solid' : 'ground-glass';
        placed.push({ site: fitting[Math.floor(random() * fitting.length)], sizeMm, texture, siteClass });
      }
      if (!placed.length) continue;
      let volume = base.volume;
      const truths: Array<Map<number, [number, number, number, number]>> = [];
      for (const p of placed) {
        const stretchU = random();
        const stretch: [number, number, number] | undefined = stretchU < 0.15 ? [1, 1, 1.6] : stretchU < 0.3 ? [1.4, 0.7, 1.2] : undefined;
        const calcified = p.texture === 'solid' && p.sizeMm < 20 && random() < 0.2;
        const trial = runTrial({ ...base, volume }, p.site, p.sizeMm, random, { texture: p.texture, margin: MARGINS[Math.floor(random() * 3)], rim: random() < 0.5, stretch, calcified });
        volume = trial.volume;
        truths.push(trial.truth.boxes);
      }
      const a = analyseVolume(volume);
      placed.forEach((p, j) => {
        tried++;
        let best: Candidate | undefined, bestCov = 0.3;
        for (const cand of a.candidates) {
          const cov = coverage(cand, truths[j]);
          if (cov > bestCov) { bestCov = cov; best = cand; }
        }
        if (!best) { missed++; return; }
        records.push({ case: c.name, label: 1, group: p.siteClass, sizeMm: best.diameterMm, texture: p.texture, c: inputOf(best) });
      });
      if (k % 10 === 9) process.stdout.write(`  ${c.name}: ${k + 1} analyses\n`);
    }
  }
  await fs.mkdir(out, { recursive: true });
  await fs.writeFile(path.join(out, 'records.json'), JSON.stringify({ records }));
  const pos = records.filter((r) => r.label === 1).length;
  process.stdout.write(`${records.length} records (${pos} positives, ${records.length - pos} negatives); ${missed} of ${tried} inserted lesions had no candidate\n`);
}

main().catch((err) => { process.stderr.write(`make-candidates: ${(err as Error).message}\n`); process.exit(1); });
