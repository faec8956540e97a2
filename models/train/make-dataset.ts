/**
 * Builds the lesion-CNN training and held-out sets from real CT plus synthetic lesions.
 *
 *   npx tsx models/train/make-dataset.ts [--dicom-dir DIR] [--out .cache/lesion-cnn] [--train N] [--test N]
 *
 * Positives: synthetic lesions (known diameter, texture, margin) inserted into real lung, including the
 * hard cases (small ground glass, juxta-vascular, juxta-pleural). Negatives: real vessels, airways,
 * pleura/chest wall and parenchyma. The evaluation lesion's slices (LIDC-IDRI-0001 files 1-039..1-047)
 * and a margin of 6 slices on each side are cut out of the volume before anything is sampled; the
 * training set comes from the slices below that gap and the held-out set from the slices above it, with
 * other seeds. Patches come from server/runtime/lesion-cnn/patches.ts, the same code inference uses.
 *
 * Output per split (.cache is git-ignored): meta.json, x.u8 (windowed patches ×255), y.f32
 * ([lesion, texture, margin, diameter] per sample; -1 where undefined), heat.f32 (heatmap targets).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_PATCH_SPEC, channelCount, patchLength, writeWindowedPatch, type HuGrid, type PatchSpec } from '../../server/runtime/lesion-cnn/patches';
import { SAMPLE_DICOM_DIR } from '../../server/series/sample';
import { readCtFolder, sliceRange } from './read-ct';
import {
  MARGIN_IRREGULARITY,
  TEXTURES,
  centreOnMaximum,
  cropAround,
  findSites,
  gauss,
  insertLesion,
  isDeepLung,
  lungAnatomy,
  occupancy,
  pick,
  randomLesion,
  rng,
  type LesionParams,
  type Margin,
  type Site,
  type SiteTable,
  type Texture,
} from './synth';

export const HEAT_SIZE = 10;

/** Sample categories, kept for per-category metrics. */
export const CATEGORIES = [
  'lesion-ordinary',
  'lesion-small-ggo',
  'lesion-juxta-vascular',
  'lesion-juxta-pleural',
  'neg-vessel',
  'neg-airway',
  'neg-pleura',
  'neg-parenchyma',
  'neg-wall',
  'neg-candidate',
] as const;
export type Category = (typeof CATEGORIES)[number];

interface Sample {
  x: Float32Array;
  y: [number, number, number, number];
  heat: Float32Array;
  category: Category;
}

function args(): { dicomDir: string; out: string; train: number; test: number } {
  const a = process.argv.slice(2);
  const get = (k: string, d: string): string => {
    const i = a.indexOf(k);
    return i >= 0 && a[i + 1] ? a[i + 1] : d;
  };
  return {
    dicomDir: get('--dicom-dir', SAMPLE_DICOM_DIR),
    out: get('--out', path.resolve(__dirname, '..', '..', '.cache', 'lesion-cnn')),
    train: Number(get('--train', '20000')),
    test: Number(get('--test', '3000')),
  };
}

const textureOf = (r: () => number): Texture => {
  const u = r();
  return u < 0.45 ? 'solid' : u < 0.7 ? 'part-solid' : 'ground-glass';
};
const marginOf = (r: () => number): Margin => pick(r, ['smooth', 'lobulated', 'spiculated'] as Margin[]);
const logUniform = (r: () => number, lo: number, hi: number): number => Math.exp(Math.log(lo) + r() * (Math.log(hi) - Math.log(lo)));

/** Heatmap target: lesion occupancy on the centre slice, averaged per cell of the patch. */
function heatTarget(p: LesionParams, jitterMm: { x: number; y: number; z: number }, spec: PatchSpec): Float32Array {
  const heat = new Float32Array(HEAT_SIZE * HEAT_SIZE);
  const per = spec.size / HEAT_SIZE;
  const half = (spec.size - 1) / 2;
  for (let y = 0; y < spec.size; y++) {
    for (let x = 0; x < spec.size; x++) {
      const mx = (x - half) * spec.mmPerPixel + jitterMm.x;
      const my = (y - half) * spec.mmPerPixel + jitterMm.y;
      heat[Math.floor(y / per) * HEAT_SIZE + Math.floor(x / per)] += occupancy(p, mx, my, jitterMm.z).occ / (per * per);
    }
  }
  return heat;
}

function patchOf(g: HuGrid, at: { slice: number; row: number; column: number }, spec: PatchSpec): Float32Array {
  const x = new Float32Array(patchLength(spec));
  writeWindowedPatch(g, at, spec, x, 0);
  return x;
}

export type LesionCategory = 'lesion-ordinary' | 'lesion-small-ggo' | 'lesion-juxta-vascular' | 'lesion-juxta-pleural';

/** Site predicates the placement needs, over one grid's anatomy. */
export interface Placement {
  sites: SiteTable;
  /** In the lung envelope at least m pixels deep (box test). */
  isLung: (s: Site, m: number) => boolean;
  /** Lung air at that voxel. */
  isAir: (s: Site) => boolean;
}

export function placementFor(g: HuGrid): Placement {
  const anatomy = lungAnatomy(g);
  const all = findSites(g, anatomy);
  // Keep centres away from the grid's top and bottom so every patch has its full context.
  const margin = Math.ceil(6 / g.sliceSpacing) + 1;
  const keep = <T extends Site>(xs: T[]): T[] => xs.filter((s) => s.slice >= margin && s.slice < g.slices - margin);
  return {
    sites: { lungAir: keep(all.lungAir), vessel: keep(all.vessel), pleura: keep(all.pleura), airway: keep(all.airway), wall: keep(all.wall) },
    isLung: (s, m) => isDeepLung(g, anatomy, s, m),
    isAir: (s) => anatomy.lung[(s.slice * g.rows + s.row) * g.columns + s.column] === 1,
  };
}

/**
 * Draws a lesion (category, diameter, texture, margin, place) into real lung: ordinary, small ground
 * glass, beside a real vessel, or against the pleura. Null when the drawn place does not fit.
 */
export function placeLesion(g: HuGrid, pl: Placement, r: () => number, want?: LesionCategory): { category: LesionCategory; lesion: LesionParams } | null {
  const [rowSp, colSp] = [g.pixelSpacing[0], g.pixelSpacing[1]];
  const { sites, isLung, isAir } = pl;
  const u = r();
  const category: LesionCategory =
    want ?? (u < 0.4 ? 'lesion-ordinary' : u < 0.6 ? 'lesion-small-ggo' : u < 0.8 ? 'lesion-juxta-vascular' : 'lesion-juxta-pleural');
  let diameter: number;
  let texture: Texture;
  let centre: { slice: number; row: number; column: number };
  if (category === 'lesion-ordinary') {
    diameter = logUniform(r, 5, 34);
    texture = textureOf(r);
    const s = pick(r, sites.lungAir);
    if (!isLung(s, Math.ceil(diameter / 2 / colSp))) return null;
    centre = s;
  } else if (category === 'lesion-small-ggo') {
    diameter = 4 + r() * 6;
    texture = r() < 0.8 ? 'ground-glass' : 'part-solid';
    const s = pick(r, sites.lungAir);
    if (!isLung(s, Math.ceil(diameter / 2 / colSp))) return null;
    centre = s;
  } else if (category === 'lesion-juxta-vascular') {
    diameter = logUniform(r, 4, 22);
    texture = textureOf(r);
    const v = centreOnMaximum(g, pick(r, sites.vessel));
    const t = r() * 2 * Math.PI;
    const distMm = diameter / 2 + 1 + r() * 1.5;
    centre = { slice: v.slice, row: v.row + (Math.sin(t) * distMm) / rowSp, column: v.column + (Math.cos(t) * distMm) / colSp };
    // The lesion must sit in lung beside the vessel, not in the mediastinum.
    const c = { slice: centre.slice, row: Math.round(centre.row), column: Math.round(centre.column) };
    if (!isLung(c, Math.ceil(diameter / 2 / colSp)) || !isAir(c)) return null;
  } else {
    diameter = logUniform(r, 5, 34);
    texture = textureOf(r);
    const p = pick(r, sites.pleura);
    // Centre inside the lung, the lesion overlapping the wall by 10-50% of its radius.
    const inset = (diameter / 2) * (0.5 + r() * 0.4);
    centre = { slice: p.slice, row: p.row - (p.dr * inset) / rowSp, column: p.column - (p.dc * inset) / colSp };
  }
  const lesion = randomLesion(r, { slice: centre.slice + (r() - 0.5) * 0.6, row: centre.row, column: centre.column }, diameter, texture, marginOf(r));
  return { category, lesion };
}

function samplePositive(g: HuGrid, pl: Placement, r: () => number, spec: PatchSpec): Sample | null {
  const [rowSp, colSp] = [g.pixelSpacing[0], g.pixelSpacing[1]];
  const placed = placeLesion(g, pl, r);
  if (!placed) return null;
  const { category, lesion } = placed;
  const { diameterMm: diameter, texture } = lesion;
  const halfMm = (spec.size * spec.mmPerPixel) / 2;
  const crop = cropAround(g, lesion, halfMm * 1.5 + 4, Math.max(...spec.sliceOffsetsMm.map(Math.abs)) + diameter);
  const local: LesionParams = { ...lesion, slice: lesion.slice - crop.origin.slice, row: lesion.row - crop.origin.row, column: lesion.column - crop.origin.column };
  insertLesion(crop.grid, local);
  // A candidate's centroid is rarely the exact centre: jitter by up to ~20% of the radius in-plane.
  const rad = diameter / 2;
  const jit = { x: gauss(r) * rad * 0.15, y: gauss(r) * rad * 0.15, z: gauss(r) * Math.min(rad * 0.2, g.sliceSpacing * 0.5) };
  const at = { slice: local.slice + jit.z / g.sliceSpacing, row: local.row + jit.y / rowSp, column: local.column + jit.x / colSp };
  return {
    x: patchOf(crop.grid, at, spec),
    y: [1, TEXTURES.indexOf(texture), MARGIN_IRREGULARITY[lesion.margin], diameter],
    heat: heatTarget(lesion, jit, spec),
    category,
  };
}

function sampleNegative(g: HuGrid, sites: SiteTable, candidates: Site[], r: () => number, spec: PatchSpec): Sample | null {
  const u = r();
  let category: Category;
  let at: Site;
  // A third of the negatives: the classical stage's own candidates (what the model must re-rank).
  if (candidates.length && r() < 0.35) {
    category = 'neg-candidate';
    at = pick(r, candidates);
  } else if (u < 0.45) {
    category = 'neg-vessel';
    at = centreOnMaximum(g, pick(r, sites.vessel));
  } else if (u < 0.55) {
    if (!sites.airway.length) return null;
    category = 'neg-airway';
    at = pick(r, sites.airway);
  } else if (u < 0.75) {
    category = 'neg-pleura';
    at = pick(r, sites.pleura);
  } else if (u < 0.87) {
    category = 'neg-parenchyma';
    at = pick(r, sites.lungAir);
  } else {
    category = 'neg-wall';
    at = pick(r, sites.wall);
  }
  const jit = { row: gauss(r) * 0.7, column: gauss(r) * 0.7 };
  return {
    x: patchOf(g, { slice: at.slice, row: at.row + jit.row, column: at.column + jit.column }, spec),
    y: [0, -1, -1, 0],
    heat: new Float32Array(HEAT_SIZE * HEAT_SIZE),
    category,
  };
}

export function buildSplit(g: HuGrid, count: number, seed: number, spec: PatchSpec, candidates: Site[] = []): Sample[] {
  const pl = placementFor(g);
  const { sites } = pl;
  console.error(
    `sites: lungAir ${sites.lungAir.length} vessel ${sites.vessel.length} pleura ${sites.pleura.length} airway ${sites.airway.length} wall ${sites.wall.length} candidates ${candidates.length}`,
  );
  const r = rng(seed);
  const out: Sample[] = [];
  let tries = 0;
  while (out.length < count && tries < count * 20) {
    tries++;
    const s = out.length % 2 === 0 ? samplePositive(g, pl, r, spec) : sampleNegative(g, sites, candidates, r, spec);
    if (s) out.push(s);
    if (out.length % 2000 === 0 && s) console.error(`  ${out.length}/${count}`);
  }
  return out;
}

export function writeSplit(dir: string, samples: Sample[], spec: PatchSpec, info: Record<string, unknown>): void {
  fs.mkdirSync(dir, { recursive: true });
  const len = patchLength(spec);
  const x = new Uint8Array(samples.length * len);
  const y = new Float32Array(samples.length * 4);
  const heat = new Float32Array(samples.length * HEAT_SIZE * HEAT_SIZE);
  samples.forEach((s, n) => {
    for (let i = 0; i < len; i++) x[n * len + i] = Math.round(s.x[i] * 255);
    y.set(s.y, n * 4);
    heat.set(s.heat, n * HEAT_SIZE * HEAT_SIZE);
  });
  fs.writeFileSync(path.join(dir, 'x.u8'), x);
  fs.writeFileSync(path.join(dir, 'y.f32'), new Uint8Array(y.buffer));
  fs.writeFileSync(path.join(dir, 'heat.f32'), new Uint8Array(heat.buffer));
  const meta = {
    count: samples.length,
    channels: channelCount(spec),
    size: spec.size,
    heatSize: HEAT_SIZE,
    spec,
    categories: CATEGORIES,
    category: samples.map((s) => CATEGORIES.indexOf(s.category)),
    ...info,
  };
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta));
}

/**
 * Centres of the classical stage's candidates (server/rerank/analysis) on the real series, as hard
 * negatives. Candidates within 15 mm in-plane and 7.5 mm in z of any nodule a reader marked
 * (annotations/*.xml beside the series, when present; any size) are left out, so no real nodule
 * is labelled negative.
 */
async function classicalCandidates(dicomDir: string, slices: number): Promise<Site[]> {
  const { loadSeriesFromDir } = await import('../../server/series/load');
  const { analyseVolume } = await import('../../server/rerank/pipeline');
  const { volume } = await loadSeriesFromDir(dicomDir);
  if (volume.slices !== slices) throw new Error('loader and training reader disagree on the slice count');
  const marks = readerNoduleMarks(path.join(path.dirname(dicomDir), 'annotations'));
  const z = (s: number): number => volume.positions[Math.round(s)][2];
  const [rowSp, colSp] = volume.pixelSpacing;
  return analyseVolume(volume)
    .candidates.map((c) => c.centroidPx)
    .filter((c) => !marks.some((m) => Math.abs(m.z - z(c.slice)) <= 7.5 && Math.hypot((m.x - c.column) * colSp, (m.y - c.row) * rowSp) <= 15))
    .map((c) => ({ slice: Math.round(c.slice), row: Math.round(c.row), column: Math.round(c.column) }));
}

/** Every ROI of every reader-marked nodule in LIDC XML files: z (mm) and the mean contour point (pixels). */
function readerNoduleMarks(dir: string): Array<{ z: number; x: number; y: number }> {
  if (!fs.existsSync(dir)) return [];
  const out: Array<{ z: number; x: number; y: number }> = [];
  for (const f of fs.readdirSync(dir).filter((n) => n.toLowerCase().endsWith('.xml'))) {
    const xml = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const nodule of xml.match(/<unblindedReadNodule>[\s\S]*?<\/unblindedReadNodule>/g) ?? []) {
      for (const roi of nodule.match(/<roi>[\s\S]*?<\/roi>/g) ?? []) {
        const z = Number(/<imageZposition>\s*([-\d.]+)/.exec(roi)?.[1]);
        const xs = [...roi.matchAll(/<xCoord>(\d+)<\/xCoord>/g)].map((m) => Number(m[1]));
        const ys = [...roi.matchAll(/<yCoord>(\d+)<\/yCoord>/g)].map((m) => Number(m[1]));
        if (!Number.isFinite(z) || !xs.length) continue;
        out.push({ z, x: xs.reduce((a, b) => a + b, 0) / xs.length, y: ys.reduce((a, b) => a + b, 0) / ys.length });
      }
    }
  }
  return out;
}

/** The evaluation lesion's slices by file number, widened by a margin (see ground-truth.json). */
export const EXCLUDED_FILES = { first: 39 - 6, last: 47 + 6 };

function fileNumber(name: string): number {
  const m = /-(\d+)\.dcm$/i.exec(name);
  return m ? Number(m[1]) : NaN;
}

async function main(): Promise<void> {
  const a = args();
  const t0 = Date.now();
  const ct = readCtFolder(a.dicomDir);
  // Volume order is ascending z; file numbers grow downwards (towards lower z). Split around the gap.
  const nums = ct.files.map(fileNumber);
  const inGap = nums.map((n) => n >= EXCLUDED_FILES.first && n <= EXCLUDED_FILES.last);
  const gapStart = inGap.indexOf(true);
  const gapEnd = inGap.lastIndexOf(true) + 1;
  if (gapStart < 0) throw new Error('excluded slices not found: is this the LIDC-IDRI-0001 series?');
  const below = sliceRange(ct.grid, 0, gapStart); // lower z: files 1-054..1-133
  const above = sliceRange(ct.grid, gapEnd, ct.grid.slices); // higher z: files 1-001..1-032
  const spec = DEFAULT_PATCH_SPEC;
  const cands = await classicalCandidates(a.dicomDir, ct.grid.slices);
  const inRange = (from: number, to: number): Site[] =>
    cands.filter((c) => c.slice >= from + 2 && c.slice < to - 2).map((c) => ({ ...c, slice: c.slice - from }));
  const info = (files: string[]): Record<string, unknown> => ({ source: path.basename(path.dirname(a.dicomDir)), files: [files[0], files[files.length - 1]] });
  const train = buildSplit(below, a.train, 20260101, spec, inRange(0, gapStart));
  writeSplit(path.join(a.out, 'train'), train, spec, info(ct.files.slice(0, gapStart)));
  console.error(`train: ${train.length} samples (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  const test = buildSplit(above, a.test, 777001, spec, inRange(gapEnd, ct.grid.slices));
  writeSplit(path.join(a.out, 'test'), test, spec, info(ct.files.slice(gapEnd)));
  console.error(`test: ${test.length} samples (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`make-dataset: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
