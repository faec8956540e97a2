/**
 * The thoracic compartments around the lungs, one label per grid voxel: lung field, airway,
 * mediastinum, heart, abdomen (below the diaphragm) and chest wall. Judged from the lungs, the airway
 * and the diaphragm surface of this patient, never from absolute heights:
 * - the thoracic cavity on a slice is the convex hull of the two lung fields;
 * - the diaphragm is the smooth surface under the lungs (lungs.ts), carried under the heart from the
 *   columns around it; below it is abdomen;
 * - inside the cavity and outside the lungs is mediastinum, and its part more than HEART_BELOW_CARINA_MM
 *   below the carina is taken as heart;
 * - the rest of the body is chest wall (and neck above the lungs).
 */
import type { Grid } from './grid';
import { emptySide } from './empty-side';
import type { LungMasks } from './lungs';
import { convexHull, fillConvexPolygon, lastSet, nextSet, wordsOf } from './morphology';

export const enum Compartment {
  Outside = 0,
  Lung = 1,
  Airway = 2,
  Mediastinum = 3,
  Heart = 4,
  Abdomen = 5,
  ChestWall = 6,
}

export const COMPARTMENT_NAMES = ['outside', 'lung', 'airway', 'mediastinum', 'heart', 'abdomen', 'chest wall'] as const;
export type CompartmentName = (typeof COMPARTMENT_NAMES)[number];

/** The heart lies below the pulmonary trunk, which sits about this far below the carina. */
const HEART_BELOW_CARINA_MM = 30;

/**
 * The smooth diaphragm height per column (from the lungs), carried under the heart and spine from the
 * columns around them. It depends on the masks alone: a caller labelling twice from them computes it once.
 */
export function diaphragmHeight(g: Grid, m: LungMasks): Float64Array {
  const plane = g.rows * g.columns;
  const h = m.diaphragmZ.slice();
  // a side without its lung takes the other side's heights, mirrored
  const empty = emptySide(g, m);
  if (empty) {
    const s = g.slices >> 1;
    for (let q = 0; q < plane; q++) {
      if (!Number.isNaN(h[q])) continue;
      const r = (q / g.columns) | 0, cm = empty.mirrorColumn(s, r, q - r * g.columns);
      if (cm >= 0 && cm < g.columns) h[q] = m.diaphragmZ[r * g.columns + cm];
    }
  }
  const body = m.body;
  // inside the body outline only: columns of the heart and spine take the height of the nearest lung columns
  const inBody = new Uint8Array(plane);
  const words = wordsOf(body);
  for (let s = 0; s < g.slices; s++) {
    const end = (s + 1) * plane;
    for (let p = nextSet(body, words, s * plane, end); p < end; p = nextSet(body, words, p, end)) for (; p < end && body[p]; p++) inBody[p - s * plane] = 1;
  }
  let frontier = new Int32Array(plane);
  let nf = 0;
  for (let q = 0; q < plane; q++) if (!Number.isNaN(h[q])) frontier[nf++] = q;
  const sum = new Float64Array(plane), count = new Uint8Array(plane);
  let next = new Int32Array(plane);
  while (nf) {
    let nn = 0;
    for (let i = 0; i < nf; i++) {
      const q = frontier[i];
      const r = (q / g.columns) | 0, c = q - r * g.columns;
      for (let k = 0; k < 4; k++) {
        if ((k === 0 && c === 0) || (k === 1 && c === g.columns - 1) || (k === 2 && r === 0) || (k === 3 && r === g.rows - 1)) continue;
        const p = k === 0 ? q - 1 : k === 1 ? q + 1 : k === 2 ? q - g.columns : q + g.columns;
        if (!inBody[p] || !Number.isNaN(h[p])) continue;
        if (!count[p]) next[nn++] = p;
        sum[p] += h[q]; count[p]++;
      }
    }
    for (let i = 0; i < nn; i++) { const p = next[i]; h[p] = sum[p] / count[p]; }
    [frontier, next] = [next, frontier];
    nf = nn;
  }
  // with one lung, what is carried comes from its medial edge alone, whose columns rest on the aortic arch and the
  // heart: the domes lie below the heart's top
  const carinaZ = m.levels.carinaZ;
  if (empty && carinaZ !== undefined) for (let q = 0; q < plane; q++) if (h[q] > carinaZ - HEART_BELOW_CARINA_MM) h[q] = carinaZ - HEART_BELOW_CARINA_MM;
  return h;
}

/**
 * Labels every grid voxel. `field` is the lung field by default; passing the aerated lung instead
 * labels what bulges into the lungs by the compartment it bulges from (how false candidates are counted).
 * The space of a lung that is not there (empty-side.ts) is labelled lung.
 */
export function thoracicCompartments(g: Grid, m: LungMasks, field: Uint8Array = m.lung, dia: Float64Array = diaphragmHeight(g, m)): Uint8Array {
  const plane = g.rows * g.columns;
  // a lung that is not there leaves its space (the other's mirrored), without which nothing bounds the mediastinum on that side
  const empty = emptySide(g, m);
  const lung = empty ? field.map((x, i) => x || empty.space[i]) : field;
  const out = new Uint8Array(g.hu.length);
  const hull = new Uint8Array(plane);
  const carinaZ = m.levels.carinaZ;
  const lungWords = wordsOf(lung), bodyWords = wordsOf(m.body);
  for (let s = 0; s < g.slices; s++) {
    const off = s * plane;
    const z = g.origin[s][2];
    // the cavity: convex hull of the lung fields on this slice
    const pts: number[] = [];
    for (let r = 0; r < g.rows; r++) {
      const ro = off + r * g.columns;
      const a = nextSet(lung, lungWords, ro, ro + g.columns) - ro;
      if (a < g.columns) pts.push(a, r, lastSet(lung, lungWords, ro + a, ro + g.columns) - ro, r);
    }
    hull.fill(0);
    if (pts.length >= 6) fillConvexPolygon(convexHull(pts), hull, 0, g.rows, g.columns);
    // each run of body voxels (nextSet finds the next one)
    for (let p = nextSet(m.body, bodyWords, off, off + plane); p < off + plane; p = nextSet(m.body, bodyWords, p, off + plane)) for (; p < off + plane && m.body[p]; p++) {
      const q = p - off;
      if (lung[p]) out[p] = Compartment.Lung;
      else if (m.airway.mask[p]) out[p] = Compartment.Airway;
      else if (z < dia[q]) out[p] = Compartment.Abdomen;
      else if (hull[q]) out[p] = carinaZ !== undefined && z < carinaZ - HEART_BELOW_CARINA_MM ? Compartment.Heart : Compartment.Mediastinum;
      else out[p] = Compartment.ChestWall;
    }
  }
  return out;
}
