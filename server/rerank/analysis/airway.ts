/**
 * The central airway on the analysis grid: the trachea, tracked from the top of the scan down, its
 * split into the two main bronchi (the carina), and each main bronchus followed to where it divides
 * into lobar bronchi. That end is the hilum of its side: hila are found from the bronchi of this
 * patient, never from fixed offsets to the carina.
 */
import type { Vec3 } from '../../series/volume';
import { gridToPatient, type Grid } from './grid';
import { labelComponents } from './morphology';

/** Airway lumen is near -1000 HU; a stricter threshold than the lung's keeps the tracker out of parenchyma. */
const LUMEN_HU = -800;
/** Tracheal lumen area (mm²) and its distance from the body midline when seeding. */
const TRACHEA_AREA_MM2: [number, number] = [70, 650];
const TRACHEA_OFF_MIDLINE_MM = 25;
/** How far a lumen may move between slices (mm), and how far below the carina a main bronchus is followed. */
const REACH_MM = 4;
const MAX_BRONCHUS_MM = 60;
/** A main bronchus is at most about 20 mm across: a lumen that grows past this has opened into lung. */
const MAX_BRONCHUS_AREA_MM2 = 350;

export type Side = 'right' | 'left';

export interface Airway {
  /** 1 on the lumen of the trachea and main bronchi that were tracked. */
  mask: Uint8Array;
  /** Patient z (mm) of the tracheal split, when the scan covers it. */
  carinaZ?: number;
  /** Patient position (mm) of the split. */
  carina?: Vec3;
  /** Where each main bronchus divides (or where it was last followed): the centre of that hilum. */
  hila: Partial<Record<Side, Vec3>>;
}

interface Lumen { pixels: number[]; cx: number; cy: number }

/** Centroid of grid pixels (indices within one slice), in pixel coordinates. */
function centroidOf(pixels: number[], columns: number): { cx: number; cy: number } {
  let sx = 0, sy = 0;
  for (const q of pixels) { const r = (q / columns) | 0; sy += r; sx += q - r * columns; }
  return { cx: sx / pixels.length, cy: sy / pixels.length };
}

/**
 * Components of lumen (< LUMEN_HU) on slice `s` that overlap `prev` (pixels of the previous slice's lumen)
 * grown by the reach, each at least `minPixels` large.
 */
function lumensBelow(g: Grid, s: number, prev: number[], minPixels: number, win: Uint8Array, lab: Int32Array): Lumen[] {
  const { rows, columns } = g;
  const off = s * rows * columns;
  const reach = Math.max(1, Math.round(REACH_MM / g.spacing[1]));
  const touched: number[] = [];
  for (const q of prev) {
    const r = (q / columns) | 0, c = q - r * columns;
    for (let rr = Math.max(0, r - reach); rr <= Math.min(rows - 1, r + reach); rr++)
      for (let cc = Math.max(0, c - reach); cc <= Math.min(columns - 1, c + reach); cc++) {
        const p = rr * columns + cc;
        if (win[p] || g.hu[off + p] >= LUMEN_HU) continue;
        win[p] = 1;
        touched.push(p);
      }
  }
  const out: Lumen[] = [];
  const prevSet = new Set(prev);
  let next = 0;
  for (const seed of touched) {
    if (lab[seed] || !prevSet.has(seed)) continue;
    next++;
    const pixels = [seed];
    lab[seed] = next;
    for (let k = 0; k < pixels.length; k++) {
      const p = pixels[k];
      const r = (p / columns) | 0, c = p - r * columns;
      if (c > 0 && win[p - 1] && !lab[p - 1]) { lab[p - 1] = next; pixels.push(p - 1); }
      if (c < columns - 1 && win[p + 1] && !lab[p + 1]) { lab[p + 1] = next; pixels.push(p + 1); }
      if (r > 0 && win[p - columns] && !lab[p - columns]) { lab[p - columns] = next; pixels.push(p - columns); }
      if (r < rows - 1 && win[p + columns] && !lab[p + columns]) { lab[p + columns] = next; pixels.push(p + columns); }
    }
    if (pixels.length >= minPixels) out.push({ pixels, ...centroidOf(pixels, columns) });
  }
  for (const p of touched) { win[p] = 0; lab[p] = 0; }
  return out;
}

/** A round air column of tracheal calibre near the midline on three consecutive slices (top down). */
function seedTrachea(g: Grid, air: Uint8Array, body: Uint8Array, midlineX: Float64Array, order: number[]): { k: number; lumen: Lumen } | null {
  const { rows, columns } = g;
  const plane = rows * columns;
  const pxArea = g.spacing[1] * g.spacing[2];
  const limit = Math.max(3, Math.floor(order.length / 2));
  let run = 0;
  let first: { k: number; lumen: Lumen } | null = null;
  let prev: Vec3 | null = null;
  for (let k = 0; k < limit; k++) {
    const s = order[k];
    const comps = labelComponents(air.subarray(s * plane, (s + 1) * plane), { slices: 1, rows, columns }, true);
    const members = new Map<number, number[]>();
    let bodyY = 0, bodyN = 0;
    for (let q = 0; q < plane; q++) {
      if (body[s * plane + q]) { bodyY += (q / columns) | 0; bodyN++; }
      const id = comps.labels[q];
      if (!id) continue;
      const areaMm2 = comps.sizes[id] * pxArea;
      if (areaMm2 < TRACHEA_AREA_MM2[0] || areaMm2 > TRACHEA_AREA_MM2[1]) continue;
      let m = members.get(id);
      if (!m) { m = []; members.set(id, m); }
      m.push(q);
    }
    const midRowMm = gridToPatient(g, s, bodyN ? bodyY / bodyN : rows / 2, columns / 2)[1];
    let found: { lumen: Lumen; at: Vec3 } | null = null;
    for (const pixels of members.values()) {
      const lumen = { pixels, ...centroidOf(pixels, columns) };
      const at = gridToPatient(g, s, lumen.cy, lumen.cx);
      if (Math.abs(at[0] - midlineX[s]) > TRACHEA_OFF_MIDLINE_MM || Math.abs(at[1] - midRowMm) > 60) continue;
      if (prev && Math.hypot(at[0] - prev[0], at[1] - prev[1]) > 10) continue;
      if (!found || Math.abs(at[0] - midlineX[s]) < Math.abs(found.at[0] - midlineX[s])) found = { lumen, at };
    }
    if (!found) { run = 0; prev = null; first = null; continue; }
    run++;
    if (run === 1) first = { k, lumen: found.lumen };
    prev = found.at;
    if (run >= 3) return first;
  }
  return null;
}

/**
 * Tracks the trachea down to the carina and each main bronchus down to its first division.
 * `order` lists grid slices from head to feet; `air` is interior air; `midlineX` the body midline per slice.
 */
export function trackAirway(g: Grid, air: Uint8Array, body: Uint8Array, midlineX: Float64Array, order: number[]): Airway {
  const { rows, columns } = g;
  const plane = rows * columns;
  const mask = new Uint8Array(g.hu.length);
  const hila: Airway['hila'] = {};
  const seed = seedTrachea(g, air, body, midlineX, order);
  if (!seed) return { mask, hila };
  const pxArea = g.spacing[1] * g.spacing[2];
  const minLumen = Math.max(2, Math.round(15 / pxArea));
  const win = new Uint8Array(plane);
  const lab = new Int32Array(plane);
  const paint = (s: number, l: Lumen): void => { for (const q of l.pixels) mask[s * plane + q] = 1; };
  paint(order[seed.k], seed.lumen);

  // trachea: one lumen per slice until it splits in two (the carina) or opens into lung
  let prev = seed.lumen;
  let k = seed.k + 1;
  let bronchi: Lumen[] | null = null;
  for (; k < order.length; k++) {
    const lumens = lumensBelow(g, order[k], prev.pixels, minLumen, win, lab);
    if (!lumens.length) return { mask, hila };
    const area = lumens.reduce((a, l) => a + l.pixels.length, 0);
    if (area > prev.pixels.length * 2.5 && area * pxArea > 600) return { mask, hila }; // opened into the lung
    lumens.forEach((l) => paint(order[k], l));
    if (lumens.length >= 2) { bronchi = lumens.sort((a, b) => b.pixels.length - a.pixels.length).slice(0, 2); break; }
    prev = lumens[0];
  }
  if (!bronchi) return { mask, hila };
  const carinaZ = (g.origin[order[k - 1]][2] + g.origin[order[k]][2]) / 2;
  const carina = gridToPatient(g, order[k - 1], prev.cy, prev.cx);
  carina[2] = carinaZ;

  // each main bronchus on its own, until it divides, fades or has run its length
  const limitSlices = Math.max(1, Math.round(MAX_BRONCHUS_MM / g.spacing[0]));
  const splitAt = k;
  for (const start of bronchi) {
    const startAt = gridToPatient(g, order[splitAt], start.cy, start.cx);
    const side: Side = startAt[0] > carina[0] ? 'left' : 'right'; // +x is the patient's left
    let cur = start;
    let end = startAt;
    for (let j = splitAt + 1; j < order.length && j <= splitAt + limitSlices; j++) {
      const lumens = lumensBelow(g, order[j], cur.pixels, minLumen, win, lab);
      if (!lumens.length) break;
      const area = lumens.reduce((a, l) => a + l.pixels.length, 0);
      if (area * pxArea > MAX_BRONCHUS_AREA_MM2 || area > start.pixels.length * 2) break;
      if (lumens.length >= 2) { end = gridToPatient(g, order[j - 1], cur.cy, cur.cx); break; }
      cur = lumens[0];
      paint(order[j], cur);
      end = gridToPatient(g, order[j], cur.cy, cur.cx);
    }
    if (!hila[side]) hila[side] = end;
  }
  return { mask, carinaZ, carina, hila };
}
