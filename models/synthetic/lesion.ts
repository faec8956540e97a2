/**
 * Synthetic lesions of known size, texture and margin, and their insertion into real CT: the ground
 * truth the synthetic stress suite and the lesion model's training are built on. Pure functions over
 * a HuGrid with an explicit seeded RNG, so every trial and dataset is reproducible.
 */
import { feretAxes } from '../../server/rerank/analysis/measure';
import type { HuGrid } from '../../server/runtime/lesion-cnn/patches';

export type Texture = 'solid' | 'part-solid' | 'ground-glass';
export type Margin = 'smooth' | 'lobulated' | 'spiculated';
export const TEXTURES: Texture[] = ['solid', 'part-solid', 'ground-glass'];
export const MARGIN_IRREGULARITY: Record<Margin, number> = { smooth: 0, lobulated: 0.5, spiculated: 1 };

/** A seed from a trial's name (FNV-1a): a run of some trials repeats those trials of a full run. */
export function seedOf(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** mulberry32: small, fast, good enough for sampling. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gauss(r: () => number): number {
  const u = Math.max(1e-12, r());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

export interface LesionParams {
  /** Centre in voxel coordinates (fractional). */
  slice: number;
  row: number;
  column: number;
  diameterMm: number;
  texture: Texture;
  margin: Margin;
  /** Ellipsoid axis factors and in-plane rotation. */
  axes: [number, number, number];
  angle: number;
  /** Lobules: directions (unit, mm space x,y,z) and amplitudes. */
  lobes: Array<{ d: [number, number, number]; a: number }>;
  /** Spicules: direction, length (mm) and base thickness (mm). */
  spicules: Array<{ d: [number, number, number]; len: number; thick: number }>;
  /** Solid core for part-solid: offset (mm) and radius (mm). */
  core?: { o: [number, number, number]; r: number };
  solidHu: number;
  ggoHu: number;
  /** Graded ground glass: the density falls from `ggoHu` at the centre to this at the rim (a faint halo). */
  rimHu?: number;
  noiseHu: number;
  seed: number;
}

function unit(r: () => number): [number, number, number] {
  const z = r() * 2 - 1;
  const t = r() * 2 * Math.PI;
  const q = Math.sqrt(1 - z * z);
  return [q * Math.cos(t), q * Math.sin(t), z];
}

export function randomLesion(
  r: () => number,
  at: { slice: number; row: number; column: number },
  diameterMm: number,
  texture: Texture,
  margin: Margin,
): LesionParams {
  const rad = diameterMm / 2;
  const lobes = margin === 'lobulated' ? Array.from({ length: 3 + Math.floor(r() * 4) }, () => ({ d: unit(r), a: 0.25 + r() * 0.3 })) : [];
  const spicules =
    margin === 'spiculated'
      ? Array.from({ length: 8 + Math.floor(r() * 10) }, () => {
          const d = unit(r);
          d[2] *= 0.4; // mostly in-plane, as seen on axial slices
          const n = Math.hypot(...d);
          return { d: [d[0] / n, d[1] / n, d[2] / n] as [number, number, number], len: rad * (0.5 + r() * 0.9) + 2, thick: 1 + r() * 1 };
        })
      : [];
  const roughLobes = margin === 'spiculated' ? Array.from({ length: 2 + Math.floor(r() * 3) }, () => ({ d: unit(r), a: 0.1 + r() * 0.15 })) : [];
  return {
    ...at,
    diameterMm,
    texture,
    margin,
    axes: [0.8 + r() * 0.4, 0.8 + r() * 0.4, 0.8 + r() * 0.4],
    angle: r() * Math.PI,
    lobes: [...lobes, ...roughLobes],
    spicules,
    core:
      texture === 'part-solid'
        ? { o: [(r() - 0.5) * rad * 0.5, (r() - 0.5) * rad * 0.5, (r() - 0.5) * rad * 0.3], r: rad * (0.3 + r() * 0.3) }
        : undefined,
    solidHu: 10 + r() * 50,
    ggoHu: -720 + r() * 270,
    noiseHu: 15 + r() * 20,
    seed: Math.floor(r() * 2 ** 31),
  };
}

/** Lesion occupancy (0..1) at an offset in mm (x = column direction, y = row, z = slice normal) from its centre. */
export function occupancy(p: LesionParams, x: number, y: number, z: number): { occ: number; core: number; body: number; depth: number } {
  const rad = p.diameterMm / 2;
  const ca = Math.cos(p.angle);
  const sa = Math.sin(p.angle);
  const u = (ca * x + sa * y) / p.axes[0];
  const v = (-sa * x + ca * y) / p.axes[1];
  const w = z / p.axes[2];
  const n = Math.hypot(u, v, w);
  let radius = rad;
  if (n > 1e-6) {
    let bump = 0;
    for (const l of p.lobes) {
      const dot = (u * l.d[0] + v * l.d[1] + w * l.d[2]) / n;
      if (dot > 0) bump += l.a * dot ** 4;
    }
    radius = rad * (1 + bump);
  }
  const edge = 0.45; // mm: partial-volume softness
  const body = 1 / (1 + Math.exp((n - radius) / edge));
  let occ = body;
  for (const s of p.spicules) {
    // Distance to the segment from the surface point (rad * d) out to (rad + len) * d, tapering.
    const t = x * s.d[0] + y * s.d[1] + z * s.d[2] - rad * 0.8;
    if (t < 0 || t > s.len) continue;
    const px = x - s.d[0] * (t + rad * 0.8);
    const py = y - s.d[1] * (t + rad * 0.8);
    const pz = z - s.d[2] * (t + rad * 0.8);
    const dist = Math.hypot(px, py, pz);
    const thick = s.thick * (1 - 0.6 * (t / s.len)) + 0.2;
    const o = 1 / (1 + Math.exp((dist - thick) / 0.3));
    if (o > occ) occ = o;
  }
  let core = 0;
  if (p.core) {
    const d = Math.hypot(x - p.core.o[0], y - p.core.o[1], z - p.core.o[2]);
    core = 1 / (1 + Math.exp((d - p.core.r) / edge));
  }
  return { occ, core: Math.min(core, occ), body, depth: Math.min(1, n / radius) };
}

/** Extent of the lesion from its centre in mm (for bounding loops). */
export function lesionReachMm(p: LesionParams): number {
  const rad = p.diameterMm / 2;
  const lobe = 1 + p.lobes.reduce((a, l) => a + l.a, 0);
  const spic = p.spicules.reduce((a, s) => Math.max(a, s.len + rad * 0.8 + s.thick), 0);
  return Math.max(rad * lobe * 1.25, spic) + 2;
}

/** HU of a voxel after inserting the lesion, from the background HU and the occupancy. */
export function blendHu(p: LesionParams, bg: number, occ: number, core: number, noise: number, depth = 0): number {
  if (occ < 1e-3) return bg;
  const solid = p.solidHu + noise * p.noiseHu;
  if (p.texture === 'solid') return bg * (1 - occ) + solid * occ;
  // Ground glass raises the parenchyma but keeps vessels visible through it.
  const centre = p.rimHu === undefined ? p.ggoHu : p.ggoHu + (p.rimHu - p.ggoHu) * depth * depth;
  const ggo = centre + noise * p.noiseHu * 0.8;
  let v = bg + occ * Math.max(0, ggo - bg);
  if (core > 1e-3) v = v * (1 - core) + solid * core;
  return v;
}

/** Where an inserted lesion is, as a reader would mark it: its box on each slice and its axial axes. */
export interface LesionTruth {
  /** Slice index → [x0, y0, x1, y1] (column, row, inclusive) of the lesion body (occupancy ≥ 0.5). */
  boxes: Map<number, [number, number, number, number]>;
  /** Longest axial diameter (mm) on the slice where the body is largest, and the longest perpendicular to it. */
  longAxisMm: number;
  shortAxisMm: number;
}

/** Bone keeps its density: a lesion against a rib or vertebra is drawn around it, not through it. */
const BONE_HU = 250;

/**
 * Inserts the lesion into `g.hu` in place (callers pass a copy/crop) and returns where it went.
 * Slice-thickness partial volume: occupancy averaged over sub-samples across each slice's thickness.
 */
export function insertLesion(g: HuGrid, p: LesionParams): LesionTruth {
  const { rows, columns, slices, hu } = g;
  const [rowSp, colSp] = [g.pixelSpacing[0], g.pixelSpacing[1]];
  const reach = lesionReachMm(p);
  const r = rng(p.seed);
  const s0 = Math.max(0, Math.floor(p.slice - reach / g.sliceSpacing - 1));
  const s1 = Math.min(slices - 1, Math.ceil(p.slice + reach / g.sliceSpacing + 1));
  const r0 = Math.max(0, Math.floor(p.row - reach / rowSp));
  const r1 = Math.min(rows - 1, Math.ceil(p.row + reach / rowSp));
  const c0 = Math.max(0, Math.floor(p.column - reach / colSp));
  const c1 = Math.min(columns - 1, Math.ceil(p.column + reach / colSp));
  const sub = [-1 / 3, 0, 1 / 3];
  const reach2 = (reach + g.sliceSpacing) ** 2;
  const boxes = new Map<number, [number, number, number, number]>();
  const bodyPixels = new Map<number, number[]>();
  for (let s = s0; s <= s1; s++) {
    const zc = (s - p.slice) * g.sliceSpacing;
    const inBody: number[] = [];
    for (let row = r0; row <= r1; row++) {
      for (let c = c0; c <= c1; c++) {
        const x = (c - p.column) * colSp;
        const y = (row - p.row) * rowSp;
        // Outside the lesion's reach (a sphere, not the box): nothing to blend.
        if (x * x + y * y + zc * zc > reach2) continue;
        let occ = 0, core = 0, body = 0, depth = 0;
        for (const f of sub) {
          const o = occupancy(p, x, y, (s + f - p.slice) * g.sliceSpacing);
          occ += o.occ / sub.length;
          core += o.core / sub.length;
          body += o.body / sub.length;
          depth += o.depth / sub.length;
        }
        if (occ < 1e-3) continue;
        const i = (s * rows + row) * columns + c;
        if (hu[i] > BONE_HU) continue;
        hu[i] = blendHu(p, hu[i], occ, core, gauss(r), depth);
        if (body >= 0.5) inBody.push(c, row);
      }
    }
    if (!inBody.length) continue;
    bodyPixels.set(s, inBody);
    const box: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
    for (let k = 0; k < inBody.length; k += 2) {
      box[0] = Math.min(box[0], inBody[k]); box[1] = Math.min(box[1], inBody[k + 1]);
      box[2] = Math.max(box[2], inBody[k]); box[3] = Math.max(box[3], inBody[k + 1]);
    }
    boxes.set(s, box);
  }
  let largest: number[] = [];
  for (const px of bodyPixels.values()) if (px.length > largest.length) largest = px;
  const { longMm, shortMm } = feretAxes(largest, colSp, rowSp);
  return { boxes, longAxisMm: longMm, shortAxisMm: shortMm };
}

/**
 * Rescales a lesion so that its body's longest axial diameter (on its central plane, lobules
 * included, spicules not) is `targetMm`: the axes and lobules drawn at random otherwise make a
 * "40 mm" lesion anything from 35 to 60 mm.
 */
export function scaleToLongAxis(p: LesionParams, targetMm: number): void {
  const radiusAlong = (theta: number): number => {
    const cx = Math.cos(theta), cy = Math.sin(theta);
    let lo = 0, hi = p.diameterMm * 2;
    for (let i = 0; i < 30; i++) {
      const mid = (lo + hi) / 2;
      if (occupancy(p, cx * mid, cy * mid, 0).body >= 0.5) lo = mid;
      else hi = mid;
    }
    return lo;
  };
  let long = 0;
  for (let k = 0; k < 90; k++) {
    const theta = (k * Math.PI) / 90;
    long = Math.max(long, radiusAlong(theta) + radiusAlong(theta + Math.PI));
  }
  if (long > 0) p.diameterMm *= targetMm / long;
}
