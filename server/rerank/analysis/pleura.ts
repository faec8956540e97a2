/**
 * The pleural space, on the analysis grid: fluid (an effusion), air (a pneumothorax) and thickened pleura.
 *
 * - Effusion: fluid density (about -20..+35 HU) outside the aerated lung and inside the body, against the
 *   lung, at least a few millimetres deep (a ball opens it: partial volume at the lung's edge is not
 *   fluid), mostly below or behind the lung it touches (it layers where gravity takes it) and touching it
 *   across the plane rather than only from below (a liver or spleen dome lies under the lung). Its depth is
 *   the largest thickness of the layer; its amount compares that with the depth of the hemithorax
 *   (small < 1/4, moderate < 1/2, large beyond: Moy et al., Chest 2013).
 * - Pneumothorax: air of outside-air density (< -975 HU, lung parenchyma is -950 at the very emptiest)
 *   in the aerated lung's space, spread along the chest wall as a thin plate rather than a round bulla.
 *   Small < 20 mm deep, moderate < 30 mm, large beyond (the apex-to-cupola and interpleural distances of
 *   the BTS and ACCP guidelines).
 * - Pleural thickening: soft tissue (not fluid, not fat) of 4 mm or more between the lung and a rib,
 *   along at least 2 cm of the wall; only where a rib lies beyond (between ribs the chest wall muscles
 *   would look the same).
 */
import { Compartment } from './compartments';
import type { FindingContext } from './finding-region';
import { boxIndices, gridBoxOf, regionCandidate, type GridBox } from './finding-region';
import type { Grid } from './grid';
import { labelComponents, openByBall, squaredDistanceToBackground } from './morphology';
import type { Candidate, LungSide } from './types';

const FLUID_HU: [number, number] = [-20, 35];
/** Radius (mm) of the ball that opens the fluid: thinner layers are partial volume at the lung's edge. */
const FLUID_OPEN_MM = 3;
const AIR_HU = -985;
/** Soft tissue of a thickened pleura: above fluid, below bone. */
const TISSUE_HU: [number, number] = [20, 150];
const BONE_HU = 250;
const THICKENING_MM = 4;
/** The lung counts as touching a collection across a compressed rim of up to this (mm). */
const CONTACT_MM = 5;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const round1 = (x: number): number => Math.round(x * 10) / 10;
const round2 = (x: number): number => Math.round(x * 100) / 100;

/** 3×3 in-plane mean of the grid's HU inside `box` (0 outside it): a single grid voxel's noise would speckle every threshold. */
export function smoothedGrid(g: Grid, box: GridBox): Float32Array {
  const out = new Float32Array(g.hu.length);
  const plane = g.rows * g.columns;
  const rowSum = new Float32Array(g.columns), rowCnt = new Float32Array(g.columns);
  for (let s = box.s0; s < box.s0 + box.slices; s++)
    for (let r = box.r0; r < box.r0 + box.rows; r++) {
      rowSum.fill(0); rowCnt.fill(0);
      for (let rr = Math.max(0, r - 1); rr <= Math.min(g.rows - 1, r + 1); rr++) {
        const base = s * plane + rr * g.columns;
        for (let c = Math.max(0, box.c0 - 1); c <= Math.min(g.columns - 1, box.c0 + box.columns); c++) { rowSum[c] += g.hu[base + c]; rowCnt[c]++; }
      }
      const o = s * plane + r * g.columns;
      for (let c = box.c0; c < box.c0 + box.columns; c++) {
        let sum = rowSum[c], k = rowCnt[c];
        if (c > 0) { sum += rowSum[c - 1]; k += rowCnt[c - 1]; }
        if (c < g.columns - 1) { sum += rowSum[c + 1]; k += rowCnt[c + 1]; }
        out[o + c] = sum / k;
      }
    }
  return out;
}

/** Voxels of each component (counting sort), for components of at least `minVoxels`. */
export function componentVoxels(labels: Int32Array, sizes: Int32Array, count: number, minVoxels: number): Int32Array[] {
  const start = new Int32Array(count + 2);
  for (let id = 1; id <= count; id++) start[id + 1] = start[id] + sizes[id];
  const at = start.slice();
  const members = new Int32Array(start[count + 1]);
  for (let i = 0; i < labels.length; i++) { const id = labels[i]; if (id) members[at[id]++] = i; }
  const out: Int32Array[] = [];
  for (let id = 1; id <= count; id++) if (sizes[id] >= minVoxels) out.push(members.subarray(start[id], start[id + 1]));
  return out;
}

/** Grid voxel indices as the flat [s, r, c, ...] lattice list regionCandidate reads. */
export function latticeOf(g: Grid, vox: ArrayLike<number>): Int32Array {
  const plane = g.rows * g.columns;
  const out = new Int32Array(vox.length * 3);
  for (let k = 0; k < vox.length; k++) {
    const i = vox[k], s = (i / plane) | 0, q = i - s * plane, r = (q / g.columns) | 0;
    out[3 * k] = s; out[3 * k + 1] = r; out[3 * k + 2] = q - r * g.columns;
  }
  return out;
}

export interface PleuralFindings {
  effusions: Candidate[];
  /** 1 on grid voxels of the effusions found (likely or not). */
  fluid: Uint8Array;
  pneumothoraces: Candidate[];
  thickenings: Candidate[];
}

/**
 * `thorax`: the box of the lungs with room around them for the pleural space; `lungBox`: the aerated
 * lungs' own box; `sm`: the smoothed grid (smoothedGrid) over the thorax box.
 */
export function findPleuralFindings(ctx: FindingContext, thorax: GridBox, lungBox: GridBox, sm: Float32Array): PleuralFindings {
  const fluid = new Uint8Array(ctx.g.hu.length);
  return {
    effusions: findEffusions(ctx, thorax, sm, fluid),
    fluid,
    pneumothoraces: findPneumothoraces(ctx, lungBox, sm),
    thickenings: findThickening(ctx, lungBox, sm),
  };
}

/** The largest in-plane inscribed radius (mm) of a set of grid voxels, on their own box. */
function deepest(g: Grid, vox: ArrayLike<number>): number {
  const plane = g.rows * g.columns;
  let s0 = Infinity, s1 = -1, r0 = Infinity, r1 = -1, c0 = Infinity, c1 = -1;
  for (let k = 0; k < vox.length; k++) {
    const i = vox[k], s = (i / plane) | 0, q = i - s * plane, r = (q / g.columns) | 0, c = q - r * g.columns;
    s0 = Math.min(s0, s); s1 = Math.max(s1, s); r0 = Math.min(r0, r); r1 = Math.max(r1, r); c0 = Math.min(c0, c); c1 = Math.max(c1, c);
  }
  const D = { slices: s1 - s0 + 1, rows: r1 - r0 + 3, columns: c1 - c0 + 3 };
  const mask = new Uint8Array(D.slices * D.rows * D.columns);
  for (let k = 0; k < vox.length; k++) {
    const i = vox[k], s = (i / plane) | 0, q = i - s * plane, r = (q / g.columns) | 0, c = q - r * g.columns;
    mask[((s - s0) * D.rows + r - r0 + 1) * D.columns + c - c0 + 1] = 1;
  }
  const d2 = squaredDistanceToBackground(mask, D, g.spacing, true);
  let best = 0;
  for (let i = 0; i < d2.length; i++) if (d2[i] > best) best = d2[i];
  return Math.sqrt(best);
}

/** The box's dims with the grid's spacing, for the morphology functions. */
const dimsOf = (b: GridBox): { slices: number; rows: number; columns: number } => ({ slices: b.slices, rows: b.rows, columns: b.columns });

const lattice = (g: Grid): { fz: number; fy: number; fx: number } => ({ fz: g.fz, fy: g.fy, fx: g.fx });

/** Per side of the lung touched: faces, and how many of them have the collection behind or below the lung. */
interface Contact {
  faces: [number, number, number];
  dependent: [number, number, number];
  /** Faces where the lung lies directly above the collection (a dome under the lung). */
  fromBelow: number;
  inPlane: number;
}

function contactOf(g: Grid, aerated: Uint8Array, vox: ArrayLike<number>, inside: (i: number) => boolean): Contact {
  const plane = g.rows * g.columns;
  const out: Contact = { faces: [0, 0, 0], dependent: [0, 0, 0], fromBelow: 0, inPlane: 0 };
  // which way is up, and which way is the back, along the grid's axes (patient +z head, +y posterior)
  const zUp = g.slices > 1 ? Math.sign(g.origin[g.slices - 1][2] - g.origin[0][2]) || 1 : 1;
  const yRow = Math.sign(g.rowStep[1]) || 1, yCol = Math.sign(g.colStep[1]);
  // the lung may lie a few millimetres beyond a compressed (denser) rim of itself
  const reach = [Math.max(1, Math.round(CONTACT_MM / g.spacing[2])), Math.max(1, Math.round(CONTACT_MM / g.spacing[1])), Math.max(1, Math.round(CONTACT_MM / g.spacing[0]))];
  for (let k = 0; k < vox.length; k++) {
    const i = vox[k];
    const s = (i / plane) | 0, q = i - s * plane, r = (q / g.columns) | 0, c = q - r * g.columns;
    for (let d = 0; d < 6; d++) {
      const axis = d < 2 ? 0 : d < 4 ? 1 : 2;
      const sign = d % 2 ? 1 : -1;
      const step = axis === 0 ? sign : axis === 1 ? sign * g.columns : sign * plane;
      let side = 0;
      for (let t = 1; t <= reach[axis]; t++) {
        const cc = axis === 0 ? c + sign * t : c, rr = axis === 1 ? r + sign * t : r, ss = axis === 2 ? s + sign * t : s;
        if (cc < 0 || rr < 0 || ss < 0 || cc >= g.columns || rr >= g.rows || ss >= g.slices) break;
        const j = i + step * t;
        if (inside(j)) break;
        if (aerated[j]) { side = aerated[j]; break; }
      }
      if (!side) continue;
      // posterior > 0: the collection lies behind the lung; below > 0: under it
      const posterior = axis === 0 ? -sign * yCol : axis === 1 ? -sign * yRow : 0;
      const below = axis === 2 ? sign * zUp : 0;
      out.faces[side]++;
      if (posterior > 0 || below > 0) out.dependent[side]++;
      if (below > 0) out.fromBelow++;
      if (axis < 2) out.inPlane++;
    }
  }
  return out;
}

/** Effusion candidates; `found` gets 1 on their voxels. */
function findEffusions(ctx: FindingContext, box: GridBox, sm: Float32Array, found: Uint8Array): Candidate[] {
  const { g, m, compartments } = ctx;
  const idx = boxIndices(box);
  const D = dimsOf(box);
  const fluid = new Uint8Array(idx.length);
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j], k = compartments[i];
    fluid[j] = m.body[i] && !m.aerated[i] && !m.airway.mask[i] && k !== Compartment.Heart && k !== Compartment.Mediastinum && sm[i] > FLUID_HU[0] && sm[i] < FLUID_HU[1] ? 1 : 0;
  }
  const boxDepth2 = squaredDistanceToBackground(fluid, D, g.spacing, true);
  const opened = openByBall(fluid, boxDepth2, D, g.spacing, FLUID_OPEN_MM, 0.5 * g.spacing[1]);
  const comps = labelComponents(opened, D);
  const voxelMl = (g.spacing[0] * g.spacing[1] * g.spacing[2]) / 1000;
  const out: Candidate[] = [];
  for (const local of componentVoxels(comps.labels, comps.sizes, comps.count, Math.ceil(2 / voxelMl))) {
    const id = comps.labels[local[0]];
    const vox = local.map((j) => idx[j]);
    const depth2 = (i: number): number => boxDepth2[box.toBox(i)];
    const contact = contactOf(g, m.aerated, vox, (i) => { const j = box.toBox(i); return j >= 0 && comps.labels[j] === id; });
    const touching = contact.faces[1] + contact.faces[2];
    if (touching < 10) continue;
    const sideIdx = contact.faces[2] > contact.faces[1] ? 2 : 1;
    const side: LungSide = sideIdx === 2 ? 'left' : 'right';
    // the depth of the layer: twice its largest in-plane inscribed radius, and where it is deepest
    let best = 0, bestAt = vox[0], huSum = 0;
    for (const i of vox) { const d = depth2(i); if (d > best) { best = d; bestAt = i; } huSum += sm[i]; }
    const depthMm = 2 * Math.sqrt(best);
    const volumeMl = vox.length * voxelMl;
    const meanHU = huSum / vox.length;
    const dependent = contact.dependent[sideIdx] / Math.max(1, contact.faces[sideIdx]);
    const inPlane = contact.inPlane / Math.max(1, touching);
    // the hemithorax' depth at the deepest slice: the lung's front-to-back extent plus the fluid
    const s = (bestAt / (g.rows * g.columns)) | 0;
    const k = (s * 3 + sideIdx) * 4;
    const lungAP = Number.isNaN(m.sliceExtent[k]) ? 100 : m.sliceExtent[k + 3] - m.sliceExtent[k + 2];
    const fraction = depthMm / (lungAP + depthMm);
    const amount = fraction < 0.25 ? 'small' : fraction < 0.5 ? 'moderate' : 'large';
    const likelihood =
      sigmoid((depthMm - 8) / 2) * sigmoid((volumeMl - 10) / 4) * sigmoid((dependent - 0.45) / 0.08) *
      sigmoid((inPlane - 0.35) / 0.08) * sigmoid((30 - meanHU) / 5) * sigmoid((meanHU + 15) / 5);
    const cand = regionCandidate(ctx, {
      kind: 'pleural effusion', voxels: latticeOf(g, vox), lattice: lattice(g), huOf: (j) => sm[vox[j]], likelihood, side, amount, wall: 'chest wall',
      measures: { depthMm: round1(depthMm), volumeMl: round1(volumeMl), dependentShare: round2(dependent), inPlaneShare: round2(inPlane), hemithoraxFraction: round2(fraction), meanHU: Math.round(meanHU) },
    });
    if (!cand) continue;
    for (const i of vox) found[i] = 1;
    out.push(cand);
  }
  return out;
}

function findPneumothoraces(ctx: FindingContext, box: GridBox, sm: Float32Array): Candidate[] {
  const { g, m, compartments } = ctx;
  const idx = boxIndices(box);
  const D = dimsOf(box);
  const air = new Uint8Array(idx.length);
  for (let j = 0; j < idx.length; j++) { const i = idx[j]; air[j] = m.aerated[i] && !m.airway.mask[i] && sm[i] < AIR_HU ? 1 : 0; }
  const comps = labelComponents(air, D);
  const voxelMl = (g.spacing[0] * g.spacing[1] * g.spacing[2]) / 1000;
  const plane = g.rows * g.columns;
  const reach = Math.max(1, Math.round(CONTACT_MM / 2 / Math.min(g.spacing[1], g.spacing[2])));
  const out: Candidate[] = [];
  for (const local of componentVoxels(comps.labels, comps.sizes, comps.count, Math.ceil(1 / voxelMl))) {
    const id = comps.labels[local[0]];
    const vox = local.map((j) => idx[j]);
    // its faces: against the chest wall (the body beyond the lung), against lung, elsewhere
    let wall = 0, faces = 0, huSum = 0;
    const best = deepest(g, vox);
    for (const i of vox) {
      huSum += sm[i];
      const s = (i / plane) | 0, q = i - s * plane, r = (q / g.columns) | 0, c = q - r * g.columns;
      for (let d = 0; d < 6; d++) {
        let j: number;
        if (d === 0) { if (c === 0) continue; j = i - 1; }
        else if (d === 1) { if (c === g.columns - 1) continue; j = i + 1; }
        else if (d === 2) { if (r === 0) continue; j = i - g.columns; }
        else if (d === 3) { if (r === g.rows - 1) continue; j = i + g.columns; }
        else if (d === 4) { if (s === 0) continue; j = i - plane; }
        else { if (s === g.slices - 1) continue; j = i + plane; }
        const b = box.toBox(j);
        if (b >= 0 && comps.labels[b] === id) continue;
        faces++;
        // the chest wall, possibly beyond a voxel or two of partial volume with it
        const step = j - i;
        for (let t = 0, k = j; t < reach; t++, k += step) {
          if (k < 0 || k >= g.hu.length) break;
          if (m.aerated[k]) continue;
          if (m.body[k] && compartments[k] !== Compartment.Mediastinum && compartments[k] !== Compartment.Heart) wall++;
          break;
        }
      }
    }
    const wallShare = faces ? wall / faces : 0;
    const depthMm = 2 * best;
    const cand = regionCandidate(ctx, { kind: 'pneumothorax', voxels: latticeOf(g, vox), lattice: lattice(g), huOf: (j) => sm[vox[j]], likelihood: 0, wall: 'chest wall' });
    if (!cand) continue;
    // a plate along the wall, not a round bulla: thin for its extent
    const flat = depthMm / Math.max(1, cand.diameterMm);
    cand.lesionLikelihood = sigmoid((depthMm - 3) / 1) * sigmoid((wallShare - 0.25) / 0.06) * sigmoid((cand.diameterMm - 30) / 6) * sigmoid((0.5 - flat) / 0.08) * sigmoid((-985 - huSum / vox.length) / 6 + 1);
    cand.amount = depthMm < 20 ? 'small' : depthMm < 30 ? 'moderate' : 'large';
    cand.measures = { depthMm: round1(depthMm), volumeMl: round1(vox.length * voxelMl), wallShare: Math.round(wallShare * 100) / 100 };
    out.push(cand);
  }
  return out;
}

/**
 * Thickened pleura: from every aerated-lung voxel against the chest wall, outward (away from its lung's
 * centre on that slice) to the first rib within 25 mm; the soft tissue crossed on the way is the
 * pleura's thickness there. Runs of 4 mm and more, along 2 cm and more, are thickening.
 */
function findThickening(ctx: FindingContext, box: GridBox, sm: Float32Array): Candidate[] {
  const { g, m, compartments } = ctx;
  const plane = g.rows * g.columns;
  const band = new Uint8Array(g.hu.length);
  const thick = new Float32Array(g.hu.length);
  const step = Math.min(g.spacing[1], g.spacing[2]);
  for (let s = box.s0; s < box.s0 + box.slices; s++) {
    // the centre of each lung on this slice
    const cen = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
    for (let r = box.r0; r < box.r0 + box.rows; r++)
      for (let c = box.c0; c < box.c0 + box.columns; c++) { const side = m.aerated[s * plane + r * g.columns + c]; if (side) { cen[side][0] += r; cen[side][1] += c; cen[side][2]++; } }
    for (let r = box.r0; r < box.r0 + box.rows; r++)
    for (let c = box.c0; c < box.c0 + box.columns; c++) {
      const i = s * plane + r * g.columns + c;
      const side = m.aerated[i];
      if (!side || !cen[side][2]) continue;
      // a boundary voxel against the chest wall
      let wall = false;
      for (const j of [i - 1, i + 1, i - g.columns, i + g.columns]) if (j >= 0 && j < g.hu.length && !m.aerated[j] && m.body[j] && compartments[j] === Compartment.ChestWall) wall = true;
      if (!wall) continue;
      let dr = r - cen[side][0] / cen[side][2], dc = c - cen[side][1] / cen[side][2];
      const len = Math.hypot(dr * g.spacing[1], dc * g.spacing[2]);
      if (len < 1) continue;
      dr /= len; dc /= len;
      let tissueMm = 0, fat = false;
      const path: number[] = [];
      for (let t = step; t <= 25; t += step) {
        const rr = Math.round(r + dr * t), cc = Math.round(c + dc * t);
        if (rr < 0 || cc < 0 || rr >= g.rows || cc >= g.columns) break;
        const j = s * plane + rr * g.columns + cc;
        if (m.aerated[j]) continue;
        const hu = g.hu[j];
        if (hu > BONE_HU) {
          if (!fat && tissueMm >= THICKENING_MM) for (const p of path) { band[p] = 1; thick[p] = Math.max(thick[p], tissueMm); }
          break;
        }
        if (sm[j] > TISSUE_HU[0] && sm[j] < TISSUE_HU[1]) { tissueMm += step; if (!path.includes(j)) path.push(j); }
        else if (sm[j] < -40) fat = tissueMm > 0;
      }
    }
  }
  // the band reaches at most 25 mm beyond the lungs' box
  const wide = gridBoxOf(g, band, 1) ;
  if (!wide) return [];
  const idx = boxIndices(wide);
  const local = new Uint8Array(idx.length);
  for (let j = 0; j < idx.length; j++) local[j] = band[idx[j]];
  const comps = labelComponents(local, dimsOf(wide));
  const out: Candidate[] = [];
  for (const part of componentVoxels(comps.labels, comps.sizes, comps.count, 4)) {
    const vox = part.map((j) => idx[j]);
    let t = 0;
    for (const i of vox) t = Math.max(t, thick[i]);
    const cand = regionCandidate(ctx, { kind: 'pleural thickening', voxels: latticeOf(g, vox), lattice: lattice(g), huOf: (j) => sm[vox[j]], likelihood: 0, wall: 'chest wall' });
    if (!cand) continue;
    cand.lesionLikelihood = sigmoid((t - 5) / 1) * sigmoid((cand.diameterMm - 25) / 5) * sigmoid((cand.meanHU - 25) / 8);
    cand.measures = { thicknessMm: round1(t) };
    out.push(cand);
  }
  return out;
}
