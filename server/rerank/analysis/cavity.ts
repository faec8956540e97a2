/**
 * Air inside a focal lesion: a cavity, or vacuoles (the small air bubbles of a part-solid adenocarcinoma).
 *
 * On each slice of a lesion, at full resolution in its box: the lesion's tissue (above a threshold
 * between the lung and the lesion's bulk: its solid core, or the ground glass of a mostly ground-glass
 * lesion) as the tissue component with the most pixels in the box, its in-plane holes filled; a hole that holds air (its darkest third below the lung parenchyma, so lung
 * trapped between lobules does not count) is an air pocket. The largest pocket's diameter over the
 * lesion's slices is `cavityMm` (a cavity from about 4 mm); the small pockets (1–4 mm) on the slice with
 * the most are `vacuoles`; `airInsideShare` is the pockets' area over the lesion's. Air that runs on
 * through the slices beyond the lesion is an airway passing through it (a bronchus at a hilum, seen in
 * cross-section as a hole), not air inside it. Calcification stays the lesion stage's (its densities).
 */
import type { LesionContext } from './finding-region';
import { fillHoles2D, labelComponents } from './morphology';
import type { Candidate } from './types';

/** Air pockets from this diameter (mm) are counted; from CAVITY_MM on they are a cavity. */
const MIN_POCKET_MM = 1;
export const CAVITY_MM = 4;
/** Air is this much darker than the lung around it. */
const AIR_BELOW_PARENCHYMA_HU = 60;

/** Pieces this likely to be lesion are the lesion's own when they touch: a cavity may lie between them. */
const PIECE_LIKELIHOOD = 0.5;

/**
 * Per lesion id, the air inside it (only lesions with some). A cavitary lesion can come apart at its cavity
 * (its wall is narrow there) into pieces that each hold the cavity at their edge, not inside: a lesion-like
 * piece without a cavity of its own is also judged with the lesion-like pieces it touches, as one.
 */
export function lesionCavities(ctx: LesionContext): Map<number, Record<string, number>> {
  const out = new Map<number, Record<string, number>>();
  for (const c of ctx.lesions) {
    if (c.diameterMm < 5 || c.lesionLikelihood < 0.01) continue;
    const m = airInside(ctx, c);
    if (m) out.set(c.id, m);
  }
  const byId = new Map(ctx.lesions.map((c) => [c.id, c]));
  for (const c of ctx.lesions) {
    if (c.lesionLikelihood < PIECE_LIKELIHOOD || (out.get(c.id)?.cavityMm ?? 0) >= CAVITY_MM) continue;
    const pieces = [c, ...c.touching.map((id) => byId.get(id)).filter((o): o is Candidate => !!o && o.lesionLikelihood >= PIECE_LIKELIHOOD)];
    if (pieces.length < 2) continue;
    const m = airInside(ctx, { ...c, slices: unitedSlices(pieces, ctx.v.columns, ctx.v.rows) });
    if (m && (m.cavityMm ?? 0) >= CAVITY_MM) out.set(c.id, m);
  }
  return out;
}

/** The slices of touching pieces as one lesion's: on each slice, the box around theirs (within the image). */
function unitedSlices(pieces: readonly Candidate[], columns: number, rows: number): Candidate['slices'] {
  const bySlice = new Map<number, Candidate['slices'][number]>();
  for (const p of pieces)
    for (const sl of p.slices) {
      const o = bySlice.get(sl.index);
      bySlice.set(sl.index, o ? { ...o, box: [Math.min(o.box[0], sl.box[0]), Math.min(o.box[1], sl.box[1]), Math.max(o.box[2], sl.box[2]), Math.max(o.box[3], sl.box[3])], area: o.area + sl.area } : { ...sl });
    }
  // and a quarter of it around: the wall closing the cavity may lie beyond the pieces (in fluid or against a wall)
  return [...bySlice.values()].sort((a, b) => a.index - b.index).map((sl) => {
    const [x0, y0, x1, y1] = sl.box, mx = Math.round((x1 - x0) / 4), my = Math.round((y1 - y0) / 4);
    return { ...sl, box: [Math.max(0, x0 - mx), Math.max(0, y0 - my), Math.min(columns - 1, x1 + mx), Math.min(rows - 1, y1 + my)] };
  });
}

/**
 * Whether the air of a pocket (its pixels on slice `s`, plane indices) continues slice by slice, through
 * overlapping air within the lesion's footprint, out of the lesion: to a slice beyond the lesion's own, or
 * outside the lesion's box on a slice of it (an airway turning away in the plane). A tube, not a pocket.
 */
function runsOut(v: LesionContext['v'], c: Candidate, s: number, pocket: number[], airHU: number, box: [number, number, number, number]): boolean {
  const plane = v.rows * v.columns;
  const [x0, y0, x1, y1] = box;
  let s0 = Infinity, s1 = -Infinity;
  const boxOf = new Map<number, [number, number, number, number]>();
  for (const sl of c.slices) { s0 = Math.min(s0, sl.index); s1 = Math.max(s1, sl.index); boxOf.set(sl.index, sl.box); }
  // an oblique airway moves in the plane from slice to slice: up to about one slice spacing
  const reach = Math.max(1, Math.ceil(v.sliceSpacing / Math.min(v.pixelSpacing[0], v.pixelSpacing[1])));
  const offsets: Array<[number, number]> = [];
  for (let dr = -reach; dr <= reach; dr++) for (let dq = -reach; dq <= reach; dq++) if (dr * dr + dq * dq <= reach * reach) offsets.push([dr, dq]);
  for (const dir of [-1, 1]) {
    let cur = pocket;
    for (let t = s + dir; t >= 0 && t < v.slices; t += dir) {
      const next = new Set<number>();
      for (const p of cur) {
        if (next.size > 4 * pocket.length + 400) break; // plenty: the air is not a small enclosed pocket
        const r = Math.floor(p / v.columns), q = p - r * v.columns;
        for (const [dr, dq] of offsets) {
          const rr = r + dr, qq = q + dq;
          if (rr < y0 || rr > y1 || qq < x0 || qq > x1) continue;
          const i = rr * v.columns + qq;
          if (v.hu[t * plane + i] < airHU) next.add(i);
        }
      }
      if (!next.size) break;
      if (t < s0 || t > s1) return true;
      const b = boxOf.get(t);
      if (b && [...next].some((i) => { const r = Math.floor(i / v.columns), q = i - r * v.columns; return q < b[0] || q > b[2] || r < b[1] || r > b[3]; })) return true;
      cur = [...next];
    }
  }
  return false;
}

function airInside(ctx: LesionContext, c: Candidate): Record<string, number> | null {
  const { v, m } = ctx;
  // the lesion's footprint over all its slices: where air may continue from slice to slice
  const footprint: [number, number, number, number] = [v.columns, v.rows, -1, -1];
  for (const sl of c.slices) {
    footprint[0] = Math.min(footprint[0], Math.max(0, sl.box[0] - 2)); footprint[1] = Math.min(footprint[1], Math.max(0, sl.box[1] - 2));
    footprint[2] = Math.max(footprint[2], Math.min(v.columns - 1, sl.box[2] + 2)); footprint[3] = Math.max(footprint[3], Math.min(v.rows - 1, sl.box[3] + 2));
  }
  const lung = m.parenchymaHU;
  // the tissue: between the lung and the bulk of the lesion, which is its solid core, or, in a mostly
  // ground-glass (part-solid) lesion, its ground glass: above the core's midpoint the ground glass that holds
  // the vacuoles falls apart and they are no longer enclosed
  const bulk = c.groundGlassFraction > c.solidFraction ? Math.min(c.coreHU, c.meanHU) : c.coreHU;
  const threshold = Math.min(-350, lung + 0.45 * (bulk - lung));
  const airHU = lung - AIR_BELOW_PARENCHYMA_HU;
  const pxArea = v.pixelSpacing[0] * v.pixelSpacing[1];
  let cavity = 0, vacuoles = 0, airArea = 0, lesionArea = 0;
  for (const sl of c.slices) {
    const [bx0, by0, bx1, by1] = sl.box;
    const x0 = Math.max(0, bx0 - 2), y0 = Math.max(0, by0 - 2), x1 = Math.min(v.columns - 1, bx1 + 2), y1 = Math.min(v.rows - 1, by1 + 2);
    const w = x1 - x0 + 1, h = y1 - y0 + 1;
    if (w < 3 || h < 3) continue;
    const base = sl.index * v.rows * v.columns;
    const hu = new Float32Array(w * h);
    const tissue = new Uint8Array(w * h);
    for (let r = 0; r < h; r++)
      for (let q = 0; q < w; q++) {
        const x = v.hu[base + (r + y0) * v.columns + q + x0];
        hu[r * w + q] = x;
        tissue[r * w + q] = x > threshold ? 1 : 0;
      }
    // the lesion: the tissue component with the most pixels inside its box
    const comps = labelComponents(tissue, { slices: 1, rows: h, columns: w }, true);
    const inBox = new Int32Array(comps.count + 1);
    for (let r = by0 - y0; r <= by1 - y0; r++) for (let q = bx0 - x0; q <= bx1 - x0; q++) inBox[comps.labels[r * w + q]]++;
    // among the tissue components only: on a slice through a large cavity the air in the box (the cavity
    // and the lung in the box's corners) outnumbers the wall, and the background must not win
    let best = 0;
    for (let k = 1; k <= comps.count; k++) if (inBox[k] > (best ? inBox[best] : 0)) best = k;
    if (!best) continue;
    const filled = new Uint8Array(w * h);
    for (let i = 0; i < filled.length; i++) filled[i] = comps.labels[i] === best ? 1 : 0;
    const body = filled.slice();
    fillHoles2D(filled, 0, h, w, new Uint8Array(w * h));
    const holes = new Uint8Array(w * h);
    let area = 0;
    for (let i = 0; i < holes.length; i++) { holes[i] = filled[i] && !body[i] ? 1 : 0; area += filled[i]; }
    lesionArea += area;
    const hc = labelComponents(holes, { slices: 1, rows: h, columns: w }, true);
    const values: number[][] = Array.from({ length: hc.count + 1 }, () => []);
    const pixels: number[][] = Array.from({ length: hc.count + 1 }, () => []);
    for (let i = 0; i < holes.length; i++) {
      if (!hc.labels[i]) continue;
      values[hc.labels[i]].push(hu[i]);
      pixels[hc.labels[i]].push((Math.floor(i / w) + y0) * v.columns + (i % w) + x0);
    }
    let small = 0;
    for (let k = 1; k <= hc.count; k++) {
      const vals = values[k].sort((a, b) => a - b);
      const dark = vals.slice(0, Math.max(1, Math.ceil(vals.length / 3)));
      if (dark.reduce((a, x) => a + x, 0) / dark.length > airHU) continue;
      const d = 2 * Math.sqrt((vals.length * pxArea) / Math.PI);
      if (d < MIN_POCKET_MM) continue;
      if (runsOut(v, c, sl.index, pixels[k], airHU, footprint)) continue;
      airArea += vals.length;
      if (d >= CAVITY_MM) cavity = Math.max(cavity, d);
      else small++;
    }
    vacuoles = Math.max(vacuoles, small);
  }
  if (!airArea) return null;
  const round1 = (x: number): number => Math.round(x * 10) / 10;
  return { cavityMm: round1(cavity), vacuoles, airInsideShare: Math.round((1000 * airArea) / Math.max(1, lesionArea)) / 1000 };
}
