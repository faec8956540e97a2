/**
 * Builds the lesion-CNN training and held-out sets from the three development scans.
 *
 *   npx tsx models/train/make-dataset.ts [--out .cache/lesion-cnn] [--train 48000] [--test 7200] [--cases <dir>...]
 *
 * Every scan is loaded by the product loader and analysed by the product analysis (models/train/scans.ts).
 * Its lung height is cut into the bands of models/synthetic/split.ts: the training set is drawn from the
 * training bands only, the held-out set from the evaluation bands only (the bands the synthetic stress
 * suite inserts its lesions in): every slice a patch reads lies in its split's bands. Nothing within 15 mm
 * in-plane / 3 slices of a real lesion (ground truth of kind nodule, mass or lymph node, and LIDC reader
 * marks). The same counts are drawn from each scan.
 *
 * Positives: synthetic lesions (models/synthetic/lesion.ts) at every site class of models/synthetic/sites.ts
 * (lung, fissure, pleura, mediastinum, hilum, diaphragm, pressed into the wall as trials.ts does) and
 * beside a real lung vessel (juxta-vascular); 4–70 mm, solid / part-solid / ground-glass (some graded,
 * with a faint rim), smooth / lobulated / spiculated, some stretched into plates or cigars; inserted
 * into a crop of the scan, the patch centred where a candidate's centroid would be.
 * Negatives: the analysis' own candidates of each scan (those against a wall counted apart), and anatomy
 * from its compartments and masks: great vessels (mediastinum) and heart edge within 10 mm of the lung,
 * the hila (30 mm around each), the diaphragm / liver dome (abdomen within 10 mm of the lung), chest wall
 * within 8 mm of the lung, the central airway, vessels in the lung and parenchyma.
 *
 * Output per split (.cache is git-ignored): x.u8 (windowed patches ×255, server/runtime/lesion-cnn/patches.ts,
 * the same code inference uses), y.f32 ([lesion, texture, margin, diameter] per sample; -1 where undefined),
 * heat.f32 (heatmap targets) and meta.json (written last) with a category, case and flags per sample.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_PATCH_SPEC, channelCount, patchLength, writeWindowedPatch, type HuGrid, type PatchCentre, type PatchSpec } from '../../server/runtime/lesion-cnn/patches';
import { squaredDistanceToBackground } from '../../server/rerank/analysis/morphology';
import { gridToPatient } from '../../server/rerank/analysis/grid';
import { SAMPLE_DATA_DIR } from '../../server/series/sample';
import { discoverCases } from '../../scripts/eval-cases';
import { MARGIN_IRREGULARITY, TEXTURES, gauss, insertLesion, occupancy, pick, randomLesion, rng, type LesionParams, type Margin, type Texture } from '../synthetic/lesion';
import { findSites, type Site, type SiteClass } from '../synthetic/sites';
import { centreFor, MARGINS } from '../synthetic/trials';
import { Compartment, gridToVolume, loadDevScan, nearRealLesion, splitOf, type DevScan, type Split } from './scans';

export const HEAT_SIZE = 10;

export const POSITIVE_CATEGORIES = ['pos-lung', 'pos-fissure', 'pos-pleura', 'pos-mediastinum', 'pos-hilum', 'pos-diaphragm', 'pos-juxta-vascular'] as const;
export const NEGATIVE_CATEGORIES = [
  'neg-candidate',
  'neg-candidate-wall',
  'neg-mediastinum',
  'neg-heart',
  'neg-hilum',
  'neg-diaphragm',
  'neg-chest-wall',
  'neg-airway',
  'neg-vessel',
  'neg-parenchyma',
] as const;
/** Sample categories, kept for per-category metrics: positives by site class, negatives by source. */
export const CATEGORIES = [...POSITIVE_CATEGORIES, ...NEGATIVE_CATEGORIES] as const;
export type Category = (typeof CATEGORIES)[number];
type PositiveCategory = (typeof POSITIVE_CATEGORIES)[number];
type NegativeCategory = (typeof NEGATIVE_CATEGORIES)[number];

/** Share of all samples per category (positives sum to 0.5, negatives to 0.5). */
const SHARES: Record<Category, number> = {
  'pos-lung': 0.085,
  'pos-fissure': 0.06,
  'pos-pleura': 0.08,
  'pos-mediastinum': 0.08,
  'pos-hilum': 0.065,
  'pos-diaphragm': 0.07,
  'pos-juxta-vascular': 0.06,
  'neg-candidate': 0.08,
  'neg-candidate-wall': 0.1,
  'neg-mediastinum': 0.055,
  'neg-heart': 0.04,
  'neg-hilum': 0.05,
  'neg-diaphragm': 0.05,
  'neg-chest-wall': 0.05,
  'neg-airway': 0.02,
  'neg-vessel': 0.04,
  'neg-parenchyma': 0.015,
};

/** Flags per sample (bit set): graded ground glass with a faint rim, stretched shape. */
export const FLAG_RIM = 1;
export const FLAG_STRETCHED = 2;

/** Diameter range (mm) per positive category: juxta-vascular lesions are small, wall lesions reach 70 mm. */
const SIZE_RANGE: Record<PositiveCategory, [number, number]> = {
  'pos-lung': [4, 50],
  'pos-fissure': [4, 40],
  'pos-pleura': [4, 70],
  'pos-mediastinum': [4, 70],
  'pos-hilum': [4, 60],
  'pos-diaphragm': [4, 70],
  'pos-juxta-vascular': [4, 24],
};
const SITE_OF: Record<Exclude<PositiveCategory, 'pos-juxta-vascular'>, SiteClass> = {
  'pos-lung': 'lung',
  'pos-fissure': 'fissure',
  'pos-pleura': 'pleura',
  'pos-mediastinum': 'mediastinum',
  'pos-hilum': 'hilum',
  'pos-diaphragm': 'diaphragm',
};

/** The distances (mm) that define the anatomy negatives. */
const NEAR_LUNG_MM = 10;
const CHEST_WALL_MM = 8;
const HILUM_MM = 30;

interface Sample {
  x: Float32Array;
  y: [number, number, number, number];
  heat: Float32Array;
  category: Category;
  flags: number;
  /** Patch centre (volume slice, row, column). */
  at: PatchCentre;
}

function args(): { out: string; train: number; test: number; cases?: string[] } {
  const a = process.argv.slice(2);
  const get = (k: string, d: string): string => {
    const i = a.indexOf(k);
    return i >= 0 && a[i + 1] ? a[i + 1] : d;
  };
  const cases: string[] = [];
  for (let i = a.indexOf('--cases') + 1; i > 0 && i < a.length && !a[i].startsWith('--'); i++) cases.push(path.resolve(a[i]));
  return {
    out: path.resolve(get('--out', path.resolve(__dirname, '..', '..', '.cache', 'lesion-cnn'))),
    train: Number(get('--train', '48000')),
    test: Number(get('--test', '7200')),
    cases: cases.length ? cases : undefined,
  };
}

const logUniform = (r: () => number, lo: number, hi: number): number => Math.exp(Math.log(lo) + r() * (Math.log(hi) - Math.log(lo)));

function textureOf(r: () => number, sizeMm: number): Texture {
  const u = r();
  if (sizeMm > 50) return u < 0.9 ? 'solid' : 'part-solid';
  if (sizeMm > 30) return u < 0.7 ? 'solid' : u < 0.9 ? 'part-solid' : 'ground-glass';
  return u < 0.4 ? 'solid' : u < 0.65 ? 'part-solid' : 'ground-glass';
}

/** Stretch factors (in-plane u, v and z) for plate- and cigar-shaped lesions. */
function stretchOf(r: () => number): [number, number, number] {
  const k = Math.floor(r() * 4);
  const a = 1.4 + r() * 0.5;
  const b = 0.45 + r() * 0.2;
  return k === 0 ? [a, b, 1] : k === 1 ? [a, a * 0.8, b] : k === 2 ? [a, b, b] : [b * 1.4, b * 1.4, a];
}

// ---------------------------------------------------------------- patches

/** A crop of the volume (a copy) around a centre: enough for a patch and its ±3 mm slices, plus a margin. */
function cropAround(g: HuGrid, at: PatchCentre, halfMm: number, halfSlicesMm: number): { grid: HuGrid; origin: PatchCentre } {
  const [rowSp, colSp] = [g.pixelSpacing[0], g.pixelSpacing[1]];
  const s0 = Math.max(0, Math.floor(at.slice - halfSlicesMm / g.sliceSpacing) - 1);
  const s1 = Math.min(g.slices - 1, Math.ceil(at.slice + halfSlicesMm / g.sliceSpacing) + 1);
  const r0 = Math.max(0, Math.floor(at.row - halfMm / rowSp) - 1);
  const r1 = Math.min(g.rows - 1, Math.ceil(at.row + halfMm / rowSp) + 1);
  const c0 = Math.max(0, Math.floor(at.column - halfMm / colSp) - 1);
  const c1 = Math.min(g.columns - 1, Math.ceil(at.column + halfMm / colSp) + 1);
  const S = s1 - s0 + 1, R = r1 - r0 + 1, C = c1 - c0 + 1;
  const hu = new Float32Array(S * R * C);
  for (let s = 0; s < S; s++)
    for (let r = 0; r < R; r++) {
      const src = ((s0 + s) * g.rows + r0 + r) * g.columns + c0;
      hu.set(g.hu.subarray(src, src + C), (s * R + r) * C);
    }
  return { grid: { slices: S, rows: R, columns: C, pixelSpacing: g.pixelSpacing, sliceSpacing: g.sliceSpacing, hu }, origin: { slice: s0, row: r0, column: c0 } };
}

function patchOf(g: HuGrid, at: PatchCentre, spec: PatchSpec): Float32Array {
  const x = new Float32Array(patchLength(spec));
  writeWindowedPatch(g, at, spec, x, 0);
  return x;
}

/** Heatmap target: the lesion's occupancy on the patch's centre plane, averaged per cell. `off` is the patch centre minus the lesion centre (mm). */
function heatTarget(p: LesionParams, off: { x: number; y: number; z: number }, spec: PatchSpec): Float32Array {
  const heat = new Float32Array(HEAT_SIZE * HEAT_SIZE);
  const per = spec.size / HEAT_SIZE;
  const half = (spec.size - 1) / 2;
  for (let y = 0; y < spec.size; y++)
    for (let x = 0; x < spec.size; x++) {
      const mx = (x - half) * spec.mmPerPixel + off.x;
      const my = (y - half) * spec.mmPerPixel + off.y;
      heat[Math.floor(y / per) * HEAT_SIZE + Math.floor(x / per)] += occupancy(p, mx, my, off.z).occ / (per * per);
    }
  return heat;
}

// ---------------------------------------------------------------- per-scan places

interface Places {
  /** Lesion sites per class and split, sorted by free depth (deepest first). */
  sites: Record<Split, Record<SiteClass, Site[]>>;
  /** Grid voxels per negative source and split; vessels also serve the juxta-vascular lesions. */
  anatomy: Record<Split, Record<'mediastinum' | 'heart' | 'hilum' | 'diaphragm' | 'chestWall' | 'airway' | 'vessel' | 'parenchyma', Int32Array>>;
  /** The analysis' candidates per split: free-standing and against a wall. */
  candidates: Record<Split, { free: PatchCentre[]; wall: PatchCentre[] }>;
  /** Free aerated depth (mm²) per grid voxel. */
  depth2: Float32Array;
}

function placesOf(scan: DevScan): Places {
  const a = scan.analysis;
  const g = a.anatomy.grid;
  const lungs = a.anatomy.lungs;
  const plane = g.rows * g.columns;
  const splitOfSlice: Array<Split | null> = g.origin.map((_, s) => splitOf(scan, gridToVolume(scan, s, 0, 0)));
  const aerated = new Uint8Array(lungs.aerated.length);
  const outside = new Uint8Array(lungs.aerated.length);
  for (let i = 0; i < aerated.length; i++) {
    aerated[i] = lungs.aerated[i] ? 1 : 0;
    outside[i] = 1 - aerated[i];
  }
  const depth2 = squaredDistanceToBackground(aerated, g, g.spacing);
  const toLung2 = squaredDistanceToBackground(outside, g, g.spacing);
  const hila = Object.values(lungs.airway.hila).filter((h): h is [number, number, number] => !!h);
  const nearHilum = (s: number, r: number, c: number): boolean => {
    if (!hila.length) return false;
    const p = gridToPatient(g, s, r, c);
    return hila.some((h) => Math.hypot(p[0] - h[0], p[1] - h[1], p[2] - h[2]) <= HILUM_MM);
  };
  const lists = { train: newAnatomyLists(), test: newAnatomyLists() };
  const near2 = NEAR_LUNG_MM ** 2, wall2 = CHEST_WALL_MM ** 2;
  for (let s = 1; s < g.slices - 1; s++) {
    const split = splitOfSlice[s];
    if (!split) continue;
    const L = lists[split];
    for (let r = 1; r < g.rows - 1; r++)
      for (let c = 1; c < g.columns - 1; c++) {
        const q = s * plane + r * g.columns + c;
        if (!lungs.body[q]) continue;
        const comp = scan.walls[q];
        const hu = g.hu[q];
        const d2 = toLung2[q];
        if (comp === Compartment.Airway) { L.airway.push(q); continue; }
        if (d2 <= near2 && hu > -500 && (aerated[q] || comp === Compartment.Mediastinum || comp === Compartment.Heart || comp === Compartment.Lung) && nearHilum(s, r, c)) {
          L.hilum.push(q);
          continue;
        }
        if (aerated[q]) {
          const depth = Math.sqrt(depth2[q]);
          if (hu > -300 && depth >= 3 && isLocalMax(g.hu, q, g.columns)) L.vessel.push(q);
          else if (hu < -650 && depth >= 6) L.parenchyma.push(q);
          continue;
        }
        if (comp === Compartment.Mediastinum && d2 <= near2) L.mediastinum.push(q);
        else if (comp === Compartment.Heart && d2 <= near2) L.heart.push(q);
        else if (comp === Compartment.Abdomen && d2 <= near2) L.diaphragm.push(q);
        else if (comp === Compartment.ChestWall && d2 <= wall2) L.chestWall.push(q);
      }
  }
  const sites = { train: newSiteLists(), test: newSiteLists() };
  for (const site of findSites(g, lungs, 3)) {
    const split = splitOfSlice[site.grid[0]];
    if (split) sites[split][site.siteClass].push(site);
  }
  for (const split of ['train', 'test'] as const) for (const k of Object.keys(sites[split]) as SiteClass[]) sites[split][k].sort((x, y) => y.depthMm - x.depthMm);
  const candidates = { train: { free: [] as PatchCentre[], wall: [] as PatchCentre[] }, test: { free: [] as PatchCentre[], wall: [] as PatchCentre[] } };
  for (const c of a.candidates) {
    const split = splitOf(scan, c.centroidPx);
    if (!split || nearRealLesion(scan, c.centroidPx)) continue;
    candidates[split][c.wall || c.bulgeFraction > 0.1 ? 'wall' : 'free'].push(c.centroidPx);
  }
  const freeze = (L: ReturnType<typeof newAnatomyLists>): Places['anatomy']['train'] =>
    Object.fromEntries(Object.entries(L).map(([k, v]) => [k, Int32Array.from(v)])) as Places['anatomy']['train'];
  return { sites, anatomy: { train: freeze(lists.train), test: freeze(lists.test) }, candidates, depth2 };
}

function newAnatomyLists(): Record<keyof Places['anatomy']['train'], number[]> {
  return { mediastinum: [], heart: [], hilum: [], diaphragm: [], chestWall: [], airway: [], vessel: [], parenchyma: [] };
}
function newSiteLists(): Record<SiteClass, Site[]> {
  return { lung: [], fissure: [], pleura: [], mediastinum: [], hilum: [], diaphragm: [] };
}

/** A vessel's centre line: the voxel is the densest of its in-plane 3×3 neighbourhood. */
function isLocalMax(hu: Float32Array, q: number, columns: number): boolean {
  const v = hu[q];
  for (const d of [-columns - 1, -columns, -columns + 1, -1, 1, columns - 1, columns, columns + 1]) if (hu[q + d] > v) return false;
  return true;
}

// ---------------------------------------------------------------- samples

function gridVoxel(scan: DevScan, q: number): [number, number, number] {
  const g = scan.analysis.anatomy.grid;
  const plane = g.rows * g.columns;
  const s = Math.floor(q / plane);
  const r = Math.floor((q - s * plane) / g.columns);
  return [s, r, q - s * plane - r * g.columns];
}

/** A place for a lesion of `category` and the given size, or null when none fits. */
function placeFor(scan: DevScan, P: Places, split: Split, category: PositiveCategory, sizeMm: number, r: () => number): { centre: PatchCentre; site?: Site } | null {
  const v = scan.volume;
  const rad = sizeMm / 2;
  for (let k = 0; k < 25; k++) {
    let centre: PatchCentre;
    let site: Site | undefined;
    if (category === 'pos-juxta-vascular') {
      const vessels = P.anatomy[split].vessel;
      if (!vessels.length) return null;
      const [s, gr, gc] = gridVoxel(scan, vessels[Math.floor(r() * vessels.length)]);
      const at = gridToVolume(scan, s, gr, gc);
      const t = r() * 2 * Math.PI;
      const dist = rad + 0.5 + r() * 1.5; // touching the vessel
      centre = { slice: at.slice + (r() - 0.5) * 0.6, row: at.row + (Math.sin(t) * dist) / v.pixelSpacing[0], column: at.column + (Math.cos(t) * dist) / v.pixelSpacing[1] };
      // the lesion sits in lung beside the vessel, at least its radius from any wall
      const g = scan.analysis.anatomy.grid;
      const q = (Math.round((centre.slice + 0.5) / g.fz - 0.5) * g.rows + Math.round((centre.row + 0.5) / g.fy - 0.5)) * g.columns + Math.round((centre.column + 0.5) / g.fx - 0.5);
      if (!(P.depth2[q] >= (rad + 2) ** 2)) continue;
    } else {
      const list = P.sites[split][SITE_OF[category]];
      const wall = category !== 'pos-lung' && category !== 'pos-fissure';
      const need = wall ? 0.9 * rad : rad + 3;
      // deepest first: the sites that fit are a prefix
      let lo = 0, hi = list.length;
      while (lo < hi) { const m = (lo + hi) >> 1; if (list[m].depthMm >= need) lo = m + 1; else hi = m; }
      if (!lo) return null;
      site = list[Math.floor(r() * lo)];
      centre = centreFor(scan.analysis, site, rad);
    }
    if (splitOf(scan, centre) !== split || nearRealLesion(scan, centre, rad)) continue;
    if (centre.slice < 0 || centre.slice > v.slices - 1) continue;
    return { centre, site };
  }
  return null;
}

function positive(scan: DevScan, P: Places, split: Split, category: PositiveCategory, r: () => number, spec: PatchSpec): Sample | null {
  const v = scan.volume;
  const [lo, hi] = SIZE_RANGE[category];
  // wall lesions: a share of large masses too (what the real development lesions are), else log-uniform
  const wallSite = category !== 'pos-lung' && category !== 'pos-fissure' && category !== 'pos-juxta-vascular';
  let size = wallSite && hi > 30 && r() < 0.3 ? 30 + r() * (hi - 30) : logUniform(r, lo, hi);
  let placed = placeFor(scan, P, split, category, size, r);
  for (let k = 0; !placed && k < 4 && size > lo; k++) {
    size = Math.max(lo, size * 0.7);
    placed = placeFor(scan, P, split, category, size, r);
  }
  if (!placed) return null;
  const texture = textureOf(r, size);
  const margin: Margin = pick(r, MARGINS);
  const lesion = randomLesion(r, placed.centre, size, texture, margin);
  let flags = 0;
  if ((texture === 'ground-glass' && r() < 0.5) || (texture === 'part-solid' && r() < 0.25)) {
    lesion.ggoHu = -700 + r() * 200;
    lesion.rimHu = -820 + r() * 80;
    flags |= FLAG_RIM;
  }
  if (size >= 10 && r() < 0.2) {
    const k = stretchOf(r);
    lesion.axes = [lesion.axes[0] * k[0], lesion.axes[1] * k[1], lesion.axes[2] * k[2]];
    flags |= FLAG_STRETCHED;
  }
  // Where a candidate's centroid would be: near the centre, and for a lesion pressed into a wall, moved
  // along the wall's normal, up to a quarter of the radius into the lung (when the part inside the wall is
  // not part of the candidate) or a third of it into the wall (when the candidate is mostly the bulge).
  const rad = size / 2;
  const [rowSp, colSp] = v.pixelSpacing;
  const inward = placed.site && placed.site.siteClass !== 'lung' && placed.site.siteClass !== 'fissure' ? (r() * 0.6 - 0.35) * rad : 0;
  const n = placed.site?.normal ?? [0, 0, 0];
  const clamp = (x: number): number => Math.max(-0.4 * rad, Math.min(0.4 * rad, x));
  const off = {
    x: clamp(gauss(r) * rad * 0.15) - n[2] * inward,
    y: clamp(gauss(r) * rad * 0.15) - n[1] * inward,
    z: gauss(r) * Math.min(rad * 0.2, v.sliceSpacing * 0.5) - n[0] * inward,
  };
  const at = { slice: lesion.slice + off.z / v.sliceSpacing, row: lesion.row + off.y / rowSp, column: lesion.column + off.x / colSp };
  if (splitOf(scan, at) !== split) return null;
  const halfMm = (spec.size * spec.mmPerPixel) / 2;
  const crop = cropAround(v, at, halfMm + 2, Math.max(...spec.sliceOffsetsMm.map(Math.abs)) + v.sliceSpacing);
  const local: LesionParams = { ...lesion, slice: lesion.slice - crop.origin.slice, row: lesion.row - crop.origin.row, column: lesion.column - crop.origin.column };
  insertLesion(crop.grid, local);
  const localAt = { slice: at.slice - crop.origin.slice, row: at.row - crop.origin.row, column: at.column - crop.origin.column };
  return {
    x: patchOf(crop.grid, localAt, spec),
    y: [1, TEXTURES.indexOf(texture), MARGIN_IRREGULARITY[margin], size],
    heat: heatTarget(lesion, off, spec),
    category,
    flags,
    at,
  };
}

const ANATOMY_OF: Record<Exclude<NegativeCategory, 'neg-candidate' | 'neg-candidate-wall'>, keyof Places['anatomy']['train']> = {
  'neg-mediastinum': 'mediastinum',
  'neg-heart': 'heart',
  'neg-hilum': 'hilum',
  'neg-diaphragm': 'diaphragm',
  'neg-chest-wall': 'chestWall',
  'neg-airway': 'airway',
  'neg-vessel': 'vessel',
  'neg-parenchyma': 'parenchyma',
};

function negative(scan: DevScan, P: Places, split: Split, category: NegativeCategory, r: () => number, spec: PatchSpec, cursor: Map<string, number>): Sample | null {
  const v = scan.volume;
  const [rowSp, colSp] = v.pixelSpacing;
  let at: PatchCentre;
  if (category === 'neg-candidate' || category === 'neg-candidate-wall') {
    // every candidate in turn (a fixed shuffled order), jittered a little each time it comes round
    const list = P.candidates[split][category === 'neg-candidate' ? 'free' : 'wall'];
    if (!list.length) return null;
    const k = cursor.get(category) ?? 0;
    cursor.set(category, k + 1);
    const c = list[k % list.length];
    at = { slice: c.slice + gauss(r) * Math.min(0.4, 1 / v.sliceSpacing), row: c.row + (gauss(r) * 1) / rowSp, column: c.column + (gauss(r) * 1) / colSp };
  } else {
    const pool = P.anatomy[split][ANATOMY_OF[category]];
    if (!pool.length) return null;
    const [s, gr, gc] = gridVoxel(scan, pool[Math.floor(r() * pool.length)]);
    const g = scan.analysis.anatomy.grid;
    const c = gridToVolume(scan, s, gr, gc);
    at = { slice: c.slice + (r() - 0.5) * (g.fz - 1), row: c.row + (r() - 0.5) * g.fy, column: c.column + (r() - 0.5) * g.fx };
  }
  if (splitOf(scan, at) !== split || nearRealLesion(scan, at)) return null;
  return { x: patchOf(v, at, spec), y: [0, -1, -1, 0], heat: new Float32Array(HEAT_SIZE * HEAT_SIZE), category, flags: 0, at };
}

function shuffle<T>(xs: T[], r: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

/** Quotas per category for `count` samples (largest remainder, so they add up). */
function quotas(count: number): Record<Category, number> {
  const raw = CATEGORIES.map((c) => SHARES[c] * count);
  const q = raw.map(Math.floor);
  const order = raw.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; q.reduce((a, b) => a + b, 0) < count; k++) q[order[k % order.length][1]]++;
  return Object.fromEntries(CATEGORIES.map((c, i) => [c, q[i]])) as Record<Category, number>;
}

function* samplesOf(scan: DevScan, P: Places, split: Split, count: number, seed: number, spec: PatchSpec): Generator<Sample> {
  const r = rng(seed);
  shuffle(P.candidates[split].free, r);
  shuffle(P.candidates[split].wall, r);
  const cursor = new Map<string, number>();
  const want = quotas(count);
  for (const category of CATEGORIES) {
    let made = 0;
    for (let tries = 0; made < want[category] && tries < want[category] * 20 + 50; tries++) {
      const s = (POSITIVE_CATEGORIES as readonly string[]).includes(category)
        ? positive(scan, P, split, category as PositiveCategory, r, spec)
        : negative(scan, P, split, category as NegativeCategory, r, spec, cursor);
      if (!s) continue;
      made++;
      yield s;
    }
    if (made < want[category]) console.error(`  ${scan.name} ${split}: ${category} ${made}/${want[category]} (not enough places)`);
  }
}

// ---------------------------------------------------------------- output

class SplitWriter {
  private fx: number;
  private fy: number;
  private fh: number;
  readonly category: number[] = [];
  readonly caseIndex: number[] = [];
  readonly flags: number[] = [];
  readonly at: number[][] = [];
  private readonly len: number;

  constructor(readonly dir: string, private readonly spec: PatchSpec) {
    fs.mkdirSync(dir, { recursive: true });
    fs.rmSync(path.join(dir, 'meta.json'), { force: true });
    this.fx = fs.openSync(path.join(dir, 'x.u8'), 'w');
    this.fy = fs.openSync(path.join(dir, 'y.f32'), 'w');
    this.fh = fs.openSync(path.join(dir, 'heat.f32'), 'w');
    this.len = patchLength(spec);
  }

  write(s: Sample, caseIndex: number): void {
    const x = new Uint8Array(this.len);
    for (let i = 0; i < this.len; i++) x[i] = Math.round(s.x[i] * 255);
    fs.writeSync(this.fx, x);
    fs.writeSync(this.fy, new Uint8Array(new Float32Array(s.y).buffer));
    fs.writeSync(this.fh, new Uint8Array(s.heat.buffer, s.heat.byteOffset, s.heat.byteLength));
    this.category.push(CATEGORIES.indexOf(s.category));
    this.caseIndex.push(caseIndex);
    this.flags.push(s.flags);
    this.at.push([s.at.slice, s.at.row, s.at.column].map((u) => Math.round(u * 10) / 10));
  }

  close(info: Record<string, unknown>): void {
    for (const f of [this.fx, this.fy, this.fh]) fs.closeSync(f);
    const counts = Object.fromEntries(CATEGORIES.map((c, i) => [c, this.category.filter((k) => k === i).length]));
    const meta = {
      count: this.category.length,
      channels: channelCount(this.spec),
      size: this.spec.size,
      heatSize: HEAT_SIZE,
      spec: this.spec,
      categories: CATEGORIES,
      counts,
      category: this.category,
      case: this.caseIndex,
      flags: this.flags,
      flagBits: { rim: FLAG_RIM, stretched: FLAG_STRETCHED },
      at: this.at,
      ...info,
    };
    fs.writeFileSync(path.join(this.dir, 'meta.json'), JSON.stringify(meta));
  }
}

export const SEEDS = { train: 20260301, test: 777001 };

/**
 * Which analysis made the candidates and anatomy: the commit, and a hash of the analysis sources as they
 * were (they may be uncommitted), so a dataset can be matched to the code it came from.
 */
function analysisFingerprint(): { commit: string | null; sourcesSha256: string; files: number } {
  const root = path.resolve(__dirname, '..', '..');
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (/\.(ts|json)$/.test(e.name)) files.push(f);
    }
  };
  walk(path.join(root, 'server', 'rerank', 'analysis'));
  files.push(path.join(root, 'server', 'rerank', 'pipeline.ts'));
  const h = createHash('sha256');
  for (const f of files.sort()) h.update(path.relative(root, f)).update('\0').update(fs.readFileSync(f)).update('\0');
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a git checkout
  }
  return { commit, sourcesSha256: h.digest('hex'), files: files.length };
}

async function main(): Promise<void> {
  const a = args();
  const t0 = Date.now();
  const dirs = a.cases ?? (await discoverCases(SAMPLE_DATA_DIR));
  if (!dirs.length) throw new Error(`no development cases under ${SAMPLE_DATA_DIR}`);
  const spec = DEFAULT_PATCH_SPEC;
  const writers = { train: new SplitWriter(path.join(a.out, 'train'), spec), test: new SplitWriter(path.join(a.out, 'test'), spec) };
  const cases: Array<Record<string, unknown>> = [];
  for (const [ci, dir] of dirs.entries()) {
    const scan = await loadDevScan(dir);
    const P = placesOf(scan);
    const describe = (split: Split): Record<string, number> => ({
      ...Object.fromEntries(Object.entries(P.sites[split]).map(([k, v]) => [`sites.${k}`, v.length])),
      ...Object.fromEntries(Object.entries(P.anatomy[split]).map(([k, v]) => [`voxels.${k}`, v.length])),
      'candidates.free': P.candidates[split].free.length,
      'candidates.wall': P.candidates[split].wall.length,
    });
    const v = scan.volume;
    const slices = (split: Split): number[] => v.positions.map((_, s) => s).filter((s) => splitOf(scan, { slice: s, row: 0, column: 0 }) === split);
    const info = { name: scan.name, slices: v.slices, sliceSpacing: v.sliceSpacing, candidates: scan.analysis.candidates.length, train: describe('train'), test: describe('test'), trainSlices: slices('train'), testSlices: slices('test') };
    cases.push(info);
    console.error(`${scan.name}: ${v.slices} slices, ${scan.analysis.candidates.length} candidates (load ${scan.loadSeconds} s, analysis ${scan.analysisSeconds} s)`);
    console.error(`  train places ${JSON.stringify(info.train)}\n  test places ${JSON.stringify(info.test)}`);
    for (const split of ['train', 'test'] as const) {
      const total = split === 'train' ? a.train : a.test;
      const count = Math.floor(total / dirs.length) + (ci < total % dirs.length ? 1 : 0);
      let n = 0;
      for (const s of samplesOf(scan, P, split, count, SEEDS[split] + ci * 1009, spec)) {
        writers[split].write(s, ci);
        if (++n % 2000 === 0) console.error(`  ${split} ${n}/${count} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      }
      console.error(`  ${split}: ${n} samples (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
  }
  const common = { cases, seeds: SEEDS, shares: SHARES, analysis: analysisFingerprint() };
  writers.train.close({ split: 'train (training bands)', ...common });
  writers.test.close({ split: 'held-out (evaluation bands)', ...common });
  console.error(`done: train ${writers.train.category.length}, test ${writers.test.category.length} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`make-dataset: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
