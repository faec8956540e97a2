/**
 * The pleural space, on the analysis grid: fluid (an effusion), air (a pneumothorax) and thickened pleura.
 *
 * - Effusion: fluid density (about -20..+35 HU) outside the aerated lung and inside the body, against the
 *   lung, at least a few millimetres deep (a ball opens it: partial volume at the lung's edge is not
 *   fluid), mostly below or behind the lung it touches and in the back of the hemithorax (it layers where
 *   gravity takes it, in a supine patient), and touching it
 *   across the plane rather than only from below (a liver or spleen dome lies under the lung). Its depth is
 *   the largest thickness of the layer; its amount compares that with the depth of the hemithorax
 *   (small < 1/4, moderate < 1/2, large beyond: Moy et al., Chest 2013).
 * - Pneumothorax: air of outside-air density (< -975 HU, lung parenchyma is -950 at the very emptiest)
 *   in the aerated lung's space, spread along the chest wall, the mediastinum or the heart (where the lung
 *   meets them) as a thin plate rather than a round bulla.
 *   Small < 20 mm deep, moderate < 30 mm, large beyond (the apex-to-cupola and interpleural distances of
 *   the BTS and ACCP guidelines).
 * - Pleural thickening: soft tissue (not fluid, not fat) of 4 mm or more between the lung and a rib,
 *   along at least 2 cm of the wall; only where a rib lies beyond (between ribs the chest wall muscles
 *   would look the same).
 */
import { Compartment } from './compartments';
import type { FindingContext } from './finding-region';
import { boxIndices, regionCandidate, type GridBox } from './finding-region';
import { makeGridBox } from './finding-grid';
import type { Grid } from './grid';
import { ballOffsets, faceNeighbour, labelComponents, nextSet, squaredDistanceToBackground, VoxelBox, wordsOf } from './morphology';
import type { Candidate, LungSide } from './types';

const FLUID_HU: [number, number] = [-20, 35];
/** Radius (mm) of the ball that opens the fluid: thinner layers are partial volume at the lung's edge. */
const FLUID_OPEN_MM = 3;
const AIR_HU = -985;
/** Pleural air is a plate, thin for its extent (depth over diameter under this) and this wide (mm) at least; a bulla is round and smaller. */
const PLATE_FLATNESS = 0.5;
const PLATE_MIN_MM = 30;
/** Soft tissue of a thickened pleura: above fluid, below bone. */
const TISSUE_HU: [number, number] = [20, 150];
const BONE_HU = 250;
const THICKENING_MM = 4;
/** The lung counts as touching a collection across a compressed rim of up to this (mm). */
const CONTACT_MM = 5;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const round1 = (x: number): number => Math.round(x * 10) / 10;
const round2 = (x: number): number => Math.round(x * 100) / 100;

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

/** How far beyond a collection's own box its depth looks for the fluid's edge (mm): deeper layers are rare and still large. */
const DEPTH_PAD_MM = 20;

/**
 * Morphological opening of `mask` by a disc of `radius` mm in each slice, as openByBall does it from a
 * distance transform: kept where no background lies nearer than the radius (the grid's edge is not
 * background), then discs `grow` mm larger drawn back inside the mask. Direct on the few offsets of a
 * disc: on the coarse lattice that is a handful, and no distance transform of the whole box is needed.
 */
export function openPlanar(mask: Uint8Array, D: { slices: number; rows: number; columns: number }, spacing: [number, number, number], radius: number, grow: number): Uint8Array {
  const plane = D.rows * D.columns, w = D.columns;
  const flat: [number, number, number] = [1e9, spacing[1], spacing[2]];
  const inner = ballOffsets(Math.sqrt(Math.max(0, radius * radius - 1e-3)), flat);
  const outer = ballOffsets(radius + grow, flat);
  const kept = new Uint8Array(mask.length);
  for (let p = 0; p < mask.length; p++) {
    if (!mask[p]) continue;
    const q = p % plane, r = (q / w) | 0, c = q - r * w;
    let ok = 1;
    for (let b = 0; b < inner.length && ok; b += 3) {
      const rr = r + inner[b + 1], cc = c + inner[b + 2];
      if (rr >= 0 && cc >= 0 && rr < D.rows && cc < w && !mask[p + inner[b + 1] * w + inner[b + 2]]) ok = 0;
    }
    kept[p] = ok;
  }
  const out = new Uint8Array(mask.length);
  for (let p = 0; p < mask.length; p++) {
    if (!kept[p]) continue;
    const q = p % plane, r = (q / w) | 0, c = q - r * w;
    for (let b = 0; b < outer.length; b += 3) {
      const rr = r + outer[b + 1], cc = c + outer[b + 2];
      if (rr >= 0 && cc >= 0 && rr < D.rows && cc < w) { const t = p + outer[b + 1] * w + outer[b + 2]; if (mask[t]) out[t] = 1; }
    }
  }
  return out;
}

/**
 * Squared in-plane distance (mm²) to the background of `mask` at each voxel of `part` (indices into the
 * mask's box), from a distance transform of the part's own box grown by `padMm`; the edge of that box
 * counts as background.
 */
export function planarDepth2(mask: Uint8Array, D: { slices: number; rows: number; columns: number }, spacing: [number, number, number], part: ArrayLike<number>, padMm: number): Float32Array {
  const plane = D.rows * D.columns;
  const box = new VoxelBox();
  for (let k = 0; k < part.length; k++) box.addIndex(part[k], D);
  const { s0, s1 } = box;
  let { r0, r1, c0, c1 } = box;
  const pr = Math.ceil(padMm / spacing[1]), pc = Math.ceil(padMm / spacing[2]);
  r0 = Math.max(0, r0 - pr); r1 = Math.min(D.rows - 1, r1 + pr); c0 = Math.max(0, c0 - pc); c1 = Math.min(D.columns - 1, c1 + pc);
  // one voxel of background around the crop
  const B = { slices: s1 - s0 + 1, rows: r1 - r0 + 3, columns: c1 - c0 + 3 };
  const bp = B.rows * B.columns;
  const crop = new Uint8Array(B.slices * bp);
  for (let s = s0; s <= s1; s++)
    for (let r = r0; r <= r1; r++) {
      const from = s * plane + r * D.columns, to = (s - s0) * bp + (r - r0 + 1) * B.columns + 1 - c0;
      for (let c = c0; c <= c1; c++) crop[to + c] = mask[from + c];
    }
  const d2 = squaredDistanceToBackground(crop, B, spacing, true);
  const out = new Float32Array(part.length);
  for (let k = 0; k < part.length; k++) {
    const p = part[k], s = (p / plane) | 0, q = p - s * plane, r = (q / D.columns) | 0, c = q - r * D.columns;
    out[k] = d2[(s - s0) * bp + (r - r0 + 1) * B.columns + c - c0 + 1];
  }
  return out;
}

/** The largest in-plane inscribed radius (mm) of a set of grid voxels, on their own box. */
function deepest(g: Grid, vox: ArrayLike<number>): number {
  const plane = g.rows * g.columns;
  const box = new VoxelBox();
  for (let k = 0; k < vox.length; k++) box.addIndex(vox[k], g);
  const { s0, s1, r0, r1, c0, c1 } = box;
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
  // (whole voxels that cover it: on a 3 mm lattice, one voxel of partial volume is already 3 mm)
  const reach = [Math.max(1, Math.ceil(CONTACT_MM / g.spacing[2])), Math.max(1, Math.ceil(CONTACT_MM / g.spacing[1])), Math.max(1, Math.ceil(CONTACT_MM / g.spacing[0]))];
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

/**
 * Effusion candidates in `box` (the lungs with room around them), on `sm` (HU, smoothed or block-averaged);
 * `found` gets 1 on their voxels (consolidation leaves them out, atelectasis lies against them).
 */
export function findEffusions(ctx: FindingContext, box: GridBox, sm: Float32Array, found: Uint8Array): Candidate[] {
  const { g, m, compartments } = ctx;
  const idx = boxIndices(box, g);
  const D = dimsOf(box);
  const fluid = new Uint8Array(idx.length);
  const heart: number = Compartment.Heart, mediastinum: number = Compartment.Mediastinum, lo = FLUID_HU[0], hi = FLUID_HU[1];
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j], k = compartments[i], x = sm[i];
    fluid[j] = x > lo && x < hi && m.body[i] && !m.aerated[i] && !m.airway.mask[i] && k !== heart && k !== mediastinum ? 1 : 0;
  }
  // at least one voxel: on a lattice coarser than the ball, partial volume at the lung's edge is a voxel thick
  const openMm = Math.max(FLUID_OPEN_MM, 1.01 * Math.min(g.spacing[1], g.spacing[2]));
  const opened = openPlanar(fluid, D, g.spacing, openMm, 0.5 * g.spacing[1]);
  const comps = labelComponents(opened, D);
  const voxelMl = (g.spacing[0] * g.spacing[1] * g.spacing[2]) / 1000;
  const out: Candidate[] = [];
  for (const local of componentVoxels(comps.labels, comps.sizes, comps.count, Math.ceil(2 / voxelMl))) {
    const id = comps.labels[local[0]];
    const vox = local.map((j) => idx[j]);
    const contact = contactOf(g, m.aerated, vox, (i) => { const j = box.toBox(i); return j >= 0 && comps.labels[j] === id; });
    const touching = contact.faces[1] + contact.faces[2];
    if (touching < 10) continue;
    const sideIdx = contact.faces[2] > contact.faces[1] ? 2 : 1;
    const side: LungSide = sideIdx === 2 ? 'left' : 'right';
    // the depth of the layer: twice its largest in-plane inscribed radius (in the fluid), and where it is deepest
    const depth2 = planarDepth2(fluid, D, g.spacing, local, DEPTH_PAD_MM);
    let best = 0, bestAt = vox[0], huSum = 0;
    for (let k = 0; k < vox.length; k++) { const d = depth2[k]; if (d > best) { best = d; bestAt = vox[k]; } huSum += sm[vox[k]]; }
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
    // where gravity takes it in a supine patient: the back of the hemithorax, not its front (fluid in front of
    // the lung's medial base is the heart's, the pericardium's or an unenhanced liver dome's)
    cand.lesionLikelihood *= sigmoid((cand.apFraction - 0.3) / 0.06);
    for (const i of vox) found[i] = 1;
    out.push(cand);
  }
  return out;
}

/**
 * Pneumothorax candidates in `box` (the aerated lungs' box), on `sm` (HU, smoothed or block-averaged);
 * `found` gets 1 on the voxels of those that are broad plates of air against the body (emphysema
 * leaves them out: that air is the pleural space's, not destroyed lung).
 */
export function findPneumothoraces(ctx: FindingContext, box: GridBox, sm: Float32Array, found: Uint8Array): Candidate[] {
  const { g, m } = ctx;
  const idx = boxIndices(box, g);
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
    // its faces: against the body beyond the lung (the chest wall, and the mediastinum and heart: a supine patient's
    // pleural air also gathers in front of them, where no lung tissue is air), against lung, elsewhere
    let wall = 0, faces = 0, huSum = 0;
    const best = deepest(g, vox);
    for (const i of vox) {
      huSum += sm[i];
      const s = (i / plane) | 0, q = i - s * plane, r = (q / g.columns) | 0, c = q - r * g.columns;
      for (let d = 0; d < 6; d++) {
        const j = faceNeighbour(i, s, r, c, d, g);
        if (j < 0) continue;
        const b = box.toBox(j);
        if (b >= 0 && comps.labels[b] === id) continue;
        faces++;
        // the body, possibly beyond a voxel or two of partial volume with it
        const step = j - i;
        for (let t = 0, k = j; t < reach; t++, k += step) {
          if (k < 0 || k >= g.hu.length) break;
          if (m.aerated[k]) continue;
          if (m.body[k]) wall++;
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
    cand.lesionLikelihood = sigmoid((depthMm - 3) / 1) * sigmoid((wallShare - 0.25) / 0.06) * sigmoid((cand.diameterMm - PLATE_MIN_MM) / 6) * sigmoid((PLATE_FLATNESS - flat) / 0.08) * sigmoid((-985 - huSum / vox.length) / 6 + 1);
    cand.amount = depthMm < 20 ? 'small' : depthMm < 30 ? 'moderate' : 'large';
    cand.measures = { depthMm: round1(depthMm), volumeMl: round1(vox.length * voxelMl), wallShare: Math.round(wallShare * 100) / 100 };
    // a plate of air against the body is the pleural space's however its likelihood reads: a bulla is round and smaller
    if (wall > 0 && flat < PLATE_FLATNESS && cand.diameterMm >= PLATE_MIN_MM) for (const i of vox) found[i] = 1;
    out.push(cand);
  }
  // one pleural space per side: its pockets of air, apart where the lung's edge folds, are one pneumothorax
  out.forEach((c, k) => (c.touching = out.flatMap((o, j) => (j !== k && o.side === c.side ? [j] : []))));
  return out;
}

/**
 * Thickened pleura, on the grid (4 mm is two or three of its voxels): from every aerated-lung voxel
 * against the chest wall, outward (away from its lung's centre on that slice) to the first rib within
 * 25 mm; the soft tissue crossed on the way (3×3 in-plane mean, against noise) is the pleura's thickness
 * there. Runs of 4 mm and more, along 2 cm and more, are thickening. `box`: the lungs with room around them.
 */
export function findThickening(ctx: FindingContext, box: GridBox): Candidate[] {
  const { g, m, compartments } = ctx;
  const plane = g.rows * g.columns, gc = g.columns, hu = g.hu, aerated = m.aerated;
  const chestWall: number = Compartment.ChestWall;
  const step = Math.min(g.spacing[1], g.spacing[2]);
  const steps = Math.floor(25 / step);
  // the band found, sparse: grid index → thickness (mm)
  const thick = new Map<number, number>();
  const path = new Int32Array(steps + 1);
  const mean3 = (j: number): number => {
    const r = ((j % plane) / gc) | 0, c = j % gc;
    if (r < 1 || c < 1 || r >= g.rows - 1 || c >= gc - 1) return hu[j];
    return (hu[j - gc - 1] + hu[j - gc] + hu[j - gc + 1] + hu[j - 1] + hu[j] + hu[j + 1] + hu[j + gc - 1] + hu[j + gc] + hu[j + gc + 1]) / 9;
  };
  const cen = new Float64Array(9);
  const wallAt = (j: number): boolean => !aerated[j] && m.body[j] === 1 && compartments[j] === chestWall;
  // aerated lung is visited run by run (nextSet finds the start of each)
  const words = wordsOf(aerated);
  const cStart = Math.max(1, box.c0), cEnd = Math.min(gc - 1, box.c0 + box.columns);
  for (let s = box.s0; s < box.s0 + box.slices; s++) {
    // the centre of each lung on this slice
    cen.fill(0);
    for (let r = box.r0; r < box.r0 + box.rows; r++) {
      const base = s * plane + r * gc, end = base + box.c0 + box.columns;
      for (let i = nextSet(aerated, words, base + box.c0, end); i < end; i = nextSet(aerated, words, i, end))
        for (; i < end && aerated[i]; i++) { const side = aerated[i]; cen[side * 3] += r; cen[side * 3 + 1] += i - base; cen[side * 3 + 2]++; }
    }
    for (let r = Math.max(1, box.r0); r < Math.min(g.rows - 1, box.r0 + box.rows); r++) {
      const base = s * plane + r * gc, end = base + cEnd;
      for (let i = nextSet(aerated, words, base + cStart, end); i < end; i = nextSet(aerated, words, i, end)) for (; i < end && aerated[i]; i++) {
        const c = i - base;
        const side = aerated[i];
        // a boundary voxel against the chest wall
        const a = i - 1, b = i + 1, u = i - gc, d = i + gc;
        if (!(wallAt(a) || wallAt(b) || wallAt(u) || wallAt(d))) continue;
        let dr = r - cen[side * 3] / cen[side * 3 + 2], dc = c - cen[side * 3 + 1] / cen[side * 3 + 2];
        const len = Math.hypot(dr * g.spacing[1], dc * g.spacing[2]);
        if (len < 1) continue;
        dr /= len; dc /= len;
        let tissueMm = 0, fat = false, n = 0;
        for (let t = 1; t <= steps; t++) {
          const rr = Math.round(r + dr * t * step), cc = Math.round(c + dc * t * step);
          if (rr < 0 || cc < 0 || rr >= g.rows || cc >= gc) break;
          const j = s * plane + rr * gc + cc;
          if (aerated[j]) continue;
          if (hu[j] > BONE_HU) {
            if (!fat && tissueMm >= THICKENING_MM) for (let k = 0; k < n; k++) thick.set(path[k], Math.max(thick.get(path[k]) ?? 0, tissueMm));
            break;
          }
          const x = mean3(j);
          if (x > TISSUE_HU[0] && x < TISSUE_HU[1]) {
            tissueMm += step;
            if (!n || path[n - 1] !== j) path[n++] = j;
          } else if (x < -40) fat = tissueMm > 0;
        }
      }
    }
  }
  if (!thick.size) return [];
  // the band's own box (it reaches at most 25 mm beyond the lungs)
  const band = new VoxelBox();
  for (const i of thick.keys()) band.addIndex(i, g);
  const wide = makeGridBox(g, band.s0, band.s1, band.r0, band.r1, band.c0, band.c1);
  const local = new Uint8Array(wide.slices * wide.rows * wide.columns);
  for (const i of thick.keys()) local[wide.toBox(i)] = 1;
  const comps = labelComponents(local, dimsOf(wide));
  const out: Candidate[] = [];
  for (const part of componentVoxels(comps.labels, comps.sizes, comps.count, 4)) {
    const vox = part.map((j) => wide.toGrid(j));
    let t = 0;
    for (const i of vox) t = Math.max(t, thick.get(i) ?? 0);
    const cand = regionCandidate(ctx, { kind: 'pleural thickening', voxels: latticeOf(g, vox), lattice: lattice(g), huOf: (j) => mean3(vox[j]), likelihood: 0, wall: 'chest wall' });
    if (!cand) continue;
    cand.lesionLikelihood = sigmoid((t - 5) / 1) * sigmoid((cand.diameterMm - 25) / 5) * sigmoid((cand.meanHU - 25) / 8);
    cand.measures = { thicknessMm: round1(t) };
    out.push(cand);
  }
  return out;
}
