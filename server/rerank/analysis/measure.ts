/**
 * Measuring a lesion as a radiologist does: on the axial slice where it is largest, the longest
 * diameter and the longest diameter perpendicular to it, on the lesion grown at full resolution
 * against its own local background (so a faint ground-glass rim counts, and partial volume at a
 * solid edge neither shrinks nor swells it), with thin attached vessels trimmed off. The outline's
 * solidity and compactness give the margin irregularity.
 */
import type { Volume } from '../../series/volume';
import { convexHull } from './morphology';

/** Typical aerated lung (HU), used when too little of it surrounds a lesion to measure its own background. */
const LUNG_BACKGROUND_HU = -850;
/** What is trimmed off a small lesion: parts thinner than this share of its own inner radius (a disc opening keeps a round lesion whole)... */
const TRIM_OF_INNER_RADIUS = 0.7;
/** ...on a lesion no thicker than this inner radius (mm), a nodule up to about 9 mm, as thick as the vessels it lies on. A larger one's vessels are far thinner than it, and its lobules and solid parts must stay. */
const SMALL_LESION_INNER_MM = 4.5;

export interface AxialMeasure {
  /** Longest axial diameter and the longest perpendicular to it (mm). */
  longMm: number;
  shortMm: number;
  /** Box of the grown lesion on the slice measured: [x0, y0, x1, y1] (column, row, inclusive). */
  box: [number, number, number, number];
  /** 0 smooth .. 1 very irregular, from the outline's solidity and compactness. */
  irregularity: number;
  /** Local background (HU) and the edge threshold used. */
  backgroundHU: number;
  thresholdHU: number;
}

/**
 * Longest diameter (Feret, in 2° steps) of a set of pixels [column, row, ...] and the width perpendicular
 * to it, in mm. Each pixel counts with its own extent.
 */
export function feretAxes(px: ArrayLike<number>, colSp: number, rowSp: number): { longMm: number; shortMm: number } {
  if (!px.length) return { longMm: 0, shortMm: 0 };
  const extent = (a: number): number => {
    const ca = Math.cos(a), sa = Math.sin(a);
    let lo = Infinity, hi = -Infinity;
    for (let k = 0; k < px.length; k += 2) {
      const t = px[k] * colSp * ca + px[k + 1] * rowSp * sa;
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
    return hi - lo + Math.abs(ca) * colSp + Math.abs(sa) * rowSp;
  };
  let best = 0, bestA = 0;
  for (let deg = 0; deg < 180; deg += 2) {
    const e = extent((deg * Math.PI) / 180);
    if (e > best) { best = e; bestA = (deg * Math.PI) / 180; }
  }
  return { longMm: best, shortMm: extent(bestA + Math.PI / 2) };
}

/** Edge threshold between a lesion's dense part and its background: half way for solid lesions, lower for ground glass so its faint rim is included. */
export function edgeThreshold(coreHU: number, backgroundHU: number): number {
  const rise = Math.max(0, coreHU - backgroundHU);
  const groundGlass = coreHU < -250;
  return backgroundHU + (groundGlass ? Math.max(90, 0.35 * rise) : Math.min(450, Math.max(100, 0.5 * rise)));
}

export interface MeasureInput {
  /** Full-resolution slice to measure on. */
  slice: number;
  /** Pixels (row * columns + column) where the lesion was found on that slice (its coarse footprint). */
  footprint: Int32Array | number[];
  /** Allowed pixels: the lesion may not grow beyond them (the lung field). */
  allowed: (row: number, column: number) => boolean;
  /** Its equivalent diameter (mm), for the search margin and the vessel trimming. */
  sizeMm: number;
}

/** The lesion grown on one slice, before it is trimmed and measured. */
export interface AxialGrowth {
  /** Window on the slice: its first row and column, width and height (pixels). */
  R0: number; C0: number; w: number; h: number;
  /** Spacing (mm) of the slice's rows and columns. */
  rowSp: number; colSp: number;
  sizeMm: number;
  /** The footprint and the grown lesion in the window, and each pixel's distance (mm) to the lesion's outside. */
  foot: Uint8Array;
  inMask: Uint8Array;
  toOut: Float32Array;
  /** Its inner radius on this slice (mm): the largest distance from its edge. */
  innerMm: number;
  backgroundHU: number;
  thresholdHU: number;
}

/** Grows the lesion on one slice against its own local background; null when it has no footprint there. */
export function growAxial(v: Volume, m: MeasureInput): AxialGrowth | null {
  const { rows, columns } = v;
  const [rowSp, colSp] = v.pixelSpacing;
  const off = m.slice * rows * columns;
  let r0 = rows, r1 = -1, c0 = columns, c1 = -1;
  for (const q of m.footprint) {
    const r = (q / columns) | 0, c = q - r * columns;
    if (r < r0) r0 = r;
    if (r > r1) r1 = r;
    if (c < c0) c0 = c;
    if (c > c1) c1 = c;
  }
  if (r1 < 0) return null;
  // the search window: the footprint's box grown by a margin (the rim the coarse search did not reach) and a ring of background
  const marginMm = Math.max(2, 0.25 * m.sizeMm);
  const ringMm = marginMm + 6;
  const R0 = Math.max(0, r0 - Math.ceil(ringMm / rowSp)), R1 = Math.min(rows - 1, r1 + Math.ceil(ringMm / rowSp));
  const C0 = Math.max(0, c0 - Math.ceil(ringMm / colSp)), C1 = Math.min(columns - 1, c1 + Math.ceil(ringMm / colSp));
  const w = C1 - C0 + 1, h = R1 - R0 + 1;
  const foot = new Uint8Array(w * h);
  for (const q of m.footprint) {
    const r = (q / columns) | 0, c = q - r * columns;
    foot[(r - R0) * w + c - C0] = 1;
  }
  // distance (mm, chamfer) from the footprint: inside the margin the lesion may grow, the ring beyond is background
  const dist = chamfer(foot, w, h, colSp, rowSp);
  // the HU of the footprint's pixels and of the ring's lung pixels (as they are: HU are float32), sorted
  const core = new Float32Array(w * h), ring = new Float32Array(w * h);
  let nCore = 0, nRing = 0;
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) {
      const hu = v.hu[off + (r + R0) * columns + c + C0];
      const d = dist[r * w + c];
      if (d === 0) core[nCore++] = hu;
      else if (d > marginMm && d <= ringMm && hu < -500) ring[nRing++] = hu;
    }
  const coreSorted = core.subarray(0, nCore).sort(), ringSorted = ring.subarray(0, nRing).sort();
  const coreHU = nCore ? coreSorted[Math.floor(nCore * 0.9)] : LUNG_BACKGROUND_HU;
  const backgroundHU = nRing >= 8 ? ringSorted[nRing >> 1] : LUNG_BACKGROUND_HU;
  const thresholdHU = edgeThreshold(coreHU, backgroundHU);
  // grow from the footprint's own dense pixels within the margin and the allowed region
  const inMask = new Uint8Array(w * h);
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) {
      const k = r * w + c;
      if (dist[k] > marginMm || !m.allowed(r + R0, c + C0)) continue;
      if (v.hu[off + (r + R0) * columns + c + C0] > thresholdHU) inMask[k] = 1;
    }
  const toOut = chamfer(complement(inMask), w, h, colSp, rowSp);
  let innerMm = 0;
  for (let k = 0; k < toOut.length; k++) if (foot[k] && inMask[k] && toOut[k] > innerMm) innerMm = toOut[k];
  return { R0, C0, w, h, rowSp, colSp, sizeMm: m.sizeMm, foot, inMask, toOut, innerMm, backgroundHU, thresholdHU };
}

/**
 * Trims the grown lesion and measures it; null when nothing of it is left. `thickestMm`: its inner radius
 * where it is thickest, on this slice or another of it.
 */
export function measureGrown(a: AxialGrowth, thickestMm: number): AxialMeasure | null {
  const { R0, C0, w, h, rowSp, colSp, foot, inMask, toOut, innerMm } = a;
  // trim attachments thinner than about a quarter of it (vessels running off it, spicules), and on a
  // small lesion what is markedly thinner than its thickest part: a vessel fused with a nodule inflates
  // its volume, not its inner radius. An opening by a disc.
  const thickest = Math.max(innerMm, thickestMm);
  const ownTrimMm = thickest <= SMALL_LESION_INNER_MM ? TRIM_OF_INNER_RADIUS * thickest : 0;
  const trimMm = Math.min(6, Math.max(1, 0.13 * a.sizeMm, ownTrimMm));
  const opened = openDisc(inMask, toOut, w, h, trimMm, colSp, rowSp);
  // a lesion smaller than the disc would vanish: measured whole then, unless the disc is its thickest
  // part's elsewhere, and this slice holds only what runs off it
  const vanished = !opened.includes(1);
  if (vanished && thickest > innerMm) return null;
  const region = grow(vanished ? inMask : opened, foot, w, h);
  if (region.length < 3) return null;
  const px: number[] = [];
  let bx0 = Infinity, by0 = Infinity, bx1 = -Infinity, by1 = -Infinity;
  for (const k of region) {
    const r = (k / w) | 0, c = k - r * w;
    px.push(c + C0, r + R0);
    bx0 = Math.min(bx0, c + C0); bx1 = Math.max(bx1, c + C0);
    by0 = Math.min(by0, r + R0); by1 = Math.max(by1, r + R0);
  }
  const { longMm, shortMm } = feretAxes(px, colSp, rowSp);
  // the margin is judged on the untrimmed outline: spicules are exactly what the trimming removes
  return { longMm, shortMm, box: [bx0, by0, bx1, by1], irregularity: irregularityOf(grow(inMask, foot, w, h), w, h), backgroundHU: a.backgroundHU, thresholdHU: a.thresholdHU };
}

/** Two-pass chamfer distance (mm) to the nearest set pixel of `mask`. */
function chamfer(mask: Uint8Array, w: number, h: number, sx: number, sy: number): Float32Array {
  const d = new Float32Array(w * h);
  for (let i = 0; i < d.length; i++) d[i] = mask[i] ? 0 : 1e9;
  const sd = Math.hypot(sx, sy);
  let t: number;
  // comparisons, not Math.min: this is the measurement's inner loop
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) {
      const k = r * w + c;
      let v = d[k];
      if (c > 0 && (t = d[k - 1] + sx) < v) v = t;
      if (r > 0) {
        if ((t = d[k - w] + sy) < v) v = t;
        if (c > 0 && (t = d[k - w - 1] + sd) < v) v = t;
        if (c < w - 1 && (t = d[k - w + 1] + sd) < v) v = t;
      }
      d[k] = v;
    }
  for (let r = h - 1; r >= 0; r--)
    for (let c = w - 1; c >= 0; c--) {
      const k = r * w + c;
      let v = d[k];
      if (c < w - 1 && (t = d[k + 1] + sx) < v) v = t;
      if (r < h - 1) {
        if ((t = d[k + w] + sy) < v) v = t;
        if (c < w - 1 && (t = d[k + w + 1] + sd) < v) v = t;
        if (c > 0 && (t = d[k + w - 1] + sd) < v) v = t;
      }
      d[k] = v;
    }
  return d;
}

function complement(mask: Uint8Array): Uint8Array {
  const inv = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) inv[i] = mask[i] ? 0 : 1;
  return inv;
}

/** Opening by a disc of `radiusMm`: erosion and dilation through chamfer distances (`toOut`: the mask's distance to its outside). */
function openDisc(mask: Uint8Array, toOut: Float32Array, w: number, h: number, radiusMm: number, sx: number, sy: number): Uint8Array {
  const eroded = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) eroded[i] = toOut[i] >= radiusMm ? 1 : 0;
  const toEroded = chamfer(eroded, w, h, sx, sy);
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) out[i] = mask[i] && toEroded[i] < radiusMm ? 1 : 0;
  return out;
}

/** The 4-connected pixels of `mask` reachable from the seed pixels that are themselves in the mask. */
function grow(mask: Uint8Array, seed: Uint8Array, w: number, h: number): number[] {
  const seen = new Uint8Array(mask.length);
  const out: number[] = [];
  for (let k = 0; k < mask.length; k++) if (seed[k] && mask[k]) { seen[k] = 1; out.push(k); }
  for (let i = 0; i < out.length; i++) {
    const k = out[i];
    const r = (k / w) | 0, c = k - r * w;
    if (c > 0 && mask[k - 1] && !seen[k - 1]) { seen[k - 1] = 1; out.push(k - 1); }
    if (c < w - 1 && mask[k + 1] && !seen[k + 1]) { seen[k + 1] = 1; out.push(k + 1); }
    if (r > 0 && mask[k - w] && !seen[k - w]) { seen[k - w] = 1; out.push(k - w); }
    if (r < h - 1 && mask[k + w] && !seen[k + w]) { seen[k + w] = 1; out.push(k + w); }
  }
  return out;
}

/** Irregular (spiculated, lobulated) outlines have low solidity (area / convex hull) and low compactness. */
function irregularityOf(region: number[], w: number, h: number): number {
  if (region.length < 6) return 0;
  const inside = new Uint8Array(w * h);
  for (const k of region) inside[k] = 1;
  let perim = 0;
  const pts: number[] = [];
  for (const k of region) {
    const r = (k / w) | 0, c = k - r * w;
    let edge = 0;
    if (c === 0 || !inside[k - 1]) edge++;
    if (c === w - 1 || !inside[k + 1]) edge++;
    if (r === 0 || !inside[k - w]) edge++;
    if (r === h - 1 || !inside[k + w]) edge++;
    if (edge) { perim += edge; pts.push(c, r, c + 1, r, c, r + 1, c + 1, r + 1); }
  }
  const hull = convexHull(pts);
  let hullArea = 0;
  for (let i = 0; i < hull.length / 2; i++) {
    const j = (i + 1) % (hull.length / 2);
    hullArea += hull[2 * i] * hull[2 * j + 1] - hull[2 * j] * hull[2 * i + 1];
  }
  hullArea = Math.abs(hullArea) / 2;
  const area = region.length;
  const solidity = Math.min(1, area / Math.max(hullArea, 1));
  // a digital disc has edge-count compactness ≈ π²/16
  const compact = Math.min(1, (4 * Math.PI * area) / (perim * perim) / ((Math.PI * Math.PI) / 16));
  const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
  return clamp01(0.6 * clamp01((0.95 - solidity) / 0.3) + 0.4 * clamp01((0.9 - compact) / 0.6));
}
