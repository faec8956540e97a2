/**
 * Lymph nodes: soft-tissue ovals in the fat of the mediastinum, at the hila and at the base of the neck,
 * each labelled with its IASLC station from the airway and the aorta (mediastinum.ts).
 *
 * At full resolution in a box around the mediastinum: tissue of soft-tissue density (between fat and
 * enhanced blood) outside the airway and its wall, the aorta and bone is opened by a small ball (strands
 * and thin vessels vanish) and split at its necks (a node pressed against a vessel or the trachea is cut
 * off where they narrow). Each piece is a node candidate; how likely it is a node rather than a piece of
 * vessel, muscle or oesophagus comes from what surrounds it: fat around it in the plane, fat (not more
 * of the same tissue) above and below it, a compact shape and soft-tissue density. Enlargement is not
 * judged here: the short axis is measured, and "enlarged" is a size word the fusion weighs.
 */
import { Compartment } from './compartments';
import type { FindingContext } from './finding-region';
import { regionCandidate, volumeToPatient } from './finding-region';
import { feretAxes } from './measure';
import { mediastinalLandmarks, patientX, patientY, stationOf, type MediastinalLandmarks } from './mediastinum';
import { fillHoles2D, labelComponents, openByBall, splitAtNecks, squaredDistanceToBackground } from './morphology';
import type { Candidate, LungSide } from './types';

/** Soft tissue lies between fat (about -100 HU) and enhanced blood or bone. */
const TISSUE_HU: [number, number] = [-25, 130];
const FAT_HU = -40;
/** Radius (mm) of the ball that opens the tissue: what is thinner than about twice this is not a node. */
const OPEN_MM = 2.5;
/** How far below the carina (mm) the subcarinal and hilar search reaches, and how near a hilum (mm) lung-field bulges count. */
const BELOW_CARINA_MM = 60;
const HILUM_MM = 35;
/** The neck base above the sternal notch: within this of the trachea (mm, sideways / in front / behind). */
const NECK_MM: [number, number, number] = [75, 45, 25];
/** Node candidates from this short axis (mm) to this long axis (mm). */
const MIN_SHORT_MM = 4;
const MAX_LONG_MM = 50;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

export interface NodeSearch {
  landmarks: MediastinalLandmarks;
  candidates: Candidate[];
}

export function findLymphNodes(ctx: FindingContext): NodeSearch {
  const { v, g, m, compartments } = ctx;
  const landmarks = mediastinalLandmarks(g, m, compartments);
  const out: NodeSearch = { landmarks, candidates: [] };
  const carina = m.airway.carina;
  if (!carina || Math.abs(v.normal[2]) < 0.8) return out;
  const roi = searchRegion(ctx, landmarks);
  if (!roi.box) return out;
  // the search lattice: the volume's pixels, pairs of them when they are finer than 0.8 mm (nodes of 10 mm need no finer)
  const f = v.pixelSpacing[0] < 0.8 && v.pixelSpacing[1] < 0.8 ? 2 : 1;
  const lattice = { fz: 1, fy: f, fx: f };
  const s0 = roi.box.s0, s1 = roi.box.s1;
  const r0 = Math.floor(roi.box.r0 / f), r1 = Math.floor(roi.box.r1 / f), c0 = Math.floor(roi.box.c0 / f), c1 = Math.floor(roi.box.c1 / f);
  const D = { slices: s1 - s0 + 1, rows: r1 - r0 + 1, columns: c1 - c0 + 1 };
  const cp = D.rows * D.columns, n = D.slices * cp;
  const plane = g.rows * g.columns;
  // smoothed density (the mean of the lattice voxel's pixels and the ring of pixels around them) and the tissue mask
  const sm = new Float32Array(n);
  const tissue = new Uint8Array(n);
  const inRoi = new Uint8Array(n);
  for (let s = 0; s < D.slices; s++) {
    const vs = s + s0;
    const gs = Math.min(g.slices - 1, (vs / g.fz) | 0);
    for (let r = 0; r < D.rows; r++) {
      const vr = (r + r0) * f;
      for (let c = 0; c < D.columns; c++) {
        const vc = (c + c0) * f;
        const i = s * cp + r * D.columns + c;
        const gq = gs * plane + ((vr / g.fy) | 0) * g.columns + ((vc / g.fx) | 0);
        inRoi[i] = roi.grid[gq];
        if (!inRoi[i]) { sm[i] = v.hu[(vs * v.rows + vr) * v.columns + vc]; continue; }
        let sum = 0, k = 0;
        for (let rr = Math.max(0, vr - 1); rr <= Math.min(v.rows - 1, vr + f); rr++) {
          const base = (vs * v.rows + rr) * v.columns;
          for (let cc = Math.max(0, vc - 1); cc <= Math.min(v.columns - 1, vc + f); cc++) { sum += v.hu[base + cc]; k++; }
        }
        const hu = sum / k;
        sm[i] = hu;
        tissue[i] = hu > TISSUE_HU[0] && hu < TISSUE_HU[1] ? 1 : 0;
      }
    }
  }
  const spacing: [number, number, number] = [v.sliceSpacing, v.pixelSpacing[0] * f, v.pixelSpacing[1] * f];
  const depth2 = squaredDistanceToBackground(tissue, D, spacing);
  const opened = openByBall(tissue, depth2, D, spacing, OPEN_MM, 0.6 * Math.min(spacing[1], spacing[2]));
  const comps = labelComponents(opened, D);
  const voxelMm3 = spacing[0] * spacing[1] * spacing[2];
  const minVoxels = Math.max(4, Math.floor(((Math.PI / 6) * MIN_SHORT_MM ** 3) / voxelMm3));
  const maxVoxels = ((Math.PI / 6) * MAX_LONG_MM ** 3) / voxelMm3;
  // voxels per component (counting sort)
  const start = new Int32Array(comps.count + 2);
  for (let id = 1; id <= comps.count; id++) start[id + 1] = start[id] + comps.sizes[id];
  const at = start.slice();
  const members = new Int32Array(start[comps.count + 1]);
  for (let i = 0; i < n; i++) { const id = comps.labels[i]; if (id) members[at[id]++] = i; }
  const owner = new Int32Array(n).fill(-1);
  const parts: Int32Array[] = [];
  for (let id = 1; id <= comps.count; id++) {
    if (comps.sizes[id] < minVoxels) continue;
    const split = comps.sizes[id] > 3 * maxVoxels ? [] : splitAtNecks(members.subarray(start[id], start[id + 1]), D, depth2, (peak) => Math.max(1.2, 0.35 * peak));
    for (const part of split) {
      if (part.length < minVoxels || part.length > maxVoxels) continue;
      for (const i of part) owner[i] = parts.length;
      parts.push(part);
    }
  }
  const candidateOf = new Int32Array(parts.length).fill(-1);
  const touching: Array<Set<number>> = [];
  parts.forEach((part, k) => {
    const x = nodeFeatures(part, k, owner, tissue, inRoi, sm, D, spacing);
    if (!x || x.shortMm < MIN_SHORT_MM || x.longMm > MAX_LONG_MM) return;
    const voxels = new Int32Array(part.length * 3);
    part.forEach((i, j) => {
      const s = (i / cp) | 0, rem = i - s * cp, r = (rem / D.columns) | 0, c = rem - r * D.columns;
      voxels[3 * j] = s + s0; voxels[3 * j + 1] = r + r0; voxels[3 * j + 2] = c + c0;
    });
    const centre = volumeToPatient(v, x.cs + s0, (x.cr + r0) * f + (f - 1) / 2, (x.cc + c0) * f + (f - 1) / 2);
    const station = stationOf(landmarks, m, g, centre);
    const side = sideOfStation(station, centre, landmarks);
    const cand = regionCandidate(ctx, {
      kind: 'lymph node',
      voxels,
      lattice,
      huOf: (j) => sm[part[j]],
      likelihood: x.likelihood,
      station,
      side,
      measures: { shortAxisMm: round1(x.shortMm), longAxisMm: round1(x.longMm), fatShare: round2(x.fatShare), tissueAboveBelow: round2(x.throughTissue) },
    });
    if (!cand) return;
    candidateOf[k] = out.candidates.length;
    touching.push(x.touching);
    out.candidates.push(cand);
  });
  // pieces of one node (or one chain of nodes) cut apart at a neck: the fusion weighs them together
  out.candidates.forEach((c, i) => {
    c.id = i;
    c.touching = [...touching[i]].map((k) => candidateOf[k]).filter((j) => j >= 0).sort((a, b) => a - b);
  });
  return out;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const round2 = (x: number): number => Math.round(x * 100) / 100;

function sideOfStation(station: string | undefined, centre: [number, number, number], lm: MediastinalLandmarks): LungSide | undefined {
  if (station?.endsWith('R')) return 'right';
  if (station?.endsWith('L')) return 'left';
  if (station === '5' || station === '6') return 'left';
  return lm.carina ? (centre[0] > lm.carina[0] ? 'left' : 'right') : undefined;
}

interface Roi {
  /** 1 on grid voxels where nodes are searched. */
  grid: Uint8Array;
  /** Its box in volume voxels. */
  box?: { s0: number; s1: number; r0: number; r1: number; c0: number; c1: number };
}

/**
 * Where nodes are searched, on the grid: the mediastinum from the neck base to below the carina, the
 * lung-field bulges around each hilum, and the base of the neck beside the trachea; never the airway and
 * its wall, the aorta or bone.
 */
function searchRegion(ctx: FindingContext, lm: MediastinalLandmarks): Roi {
  const { v, g, m, compartments } = ctx;
  const plane = g.rows * g.columns;
  const roi = new Uint8Array(g.hu.length);
  const carina = m.airway.carina!;
  const notch = lm.sternalNotchZ ?? (m.levels.apexZ !== undefined ? m.levels.apexZ - 25 : carina[2] + 80);
  // bone (with the marrow its cortex rings) and the airway with its wall
  const bone = new Uint8Array(g.hu.length);
  for (let i = 0; i < bone.length; i++) bone[i] = g.hu[i] > 180 ? 1 : 0;
  const queue = new Int32Array(plane), seen = new Uint8Array(plane);
  for (let s = 0; s < g.slices; s++) fillHoles2D(bone, s * plane, g.rows, g.columns, queue, seen);
  const wall = Math.max(1, Math.round(2.5 / g.spacing[1]));
  let s0 = g.slices, s1 = -1, r0 = g.rows, r1 = -1, c0 = g.columns, c1 = -1;
  const known = lm.trachea.filter((t) => !!t);
  const tx = known.length ? known.reduce((a, t) => a + t!.x, 0) / known.length : carina[0];
  const ty = known.length ? known.reduce((a, t) => a + t!.y, 0) / known.length : carina[1];
  const hila = [m.airway.hila.right, m.airway.hila.left].filter((h) => h !== undefined);
  for (let s = 0; s < g.slices; s++) {
    const z = g.origin[s][2];
    if (z < carina[2] - BELOW_CARINA_MM) continue;
    const t = lm.trachea[s];
    for (let q = 0; q < plane; q++) {
      const i = s * plane + q;
      if (!m.body[i] || bone[i] || lm.aorta[i] || m.airway.mask[i]) continue;
      const k = compartments[i];
      let ok = false;
      if (k === Compartment.Mediastinum) ok = true;
      else if (k === Compartment.Heart) ok = z >= carina[2] - BELOW_CARINA_MM + 10;
      else if (k === Compartment.Lung && !m.aerated[i]) {
        const r = (q / g.columns) | 0, c = q - r * g.columns;
        const x = patientX(g, s, r, c), y = patientY(g, s, r, c);
        for (const h of hila) if (Math.hypot(x - h[0], y - h[1], z - h[2]) <= HILUM_MM) ok = true;
      } else if (k === Compartment.ChestWall && z >= notch - 10) {
        const r = (q / g.columns) | 0, c = q - r * g.columns;
        const dy = patientY(g, s, r, c) - (t?.y ?? ty);
        ok = Math.abs(patientX(g, s, r, c) - (t?.x ?? tx)) <= NECK_MM[0] && dy >= -NECK_MM[1] && dy <= NECK_MM[2];
      }
      if (!ok) continue;
      // not within the tracheal or bronchial wall
      const r = (q / g.columns) | 0, c = q % g.columns;
      let nearAirway = false;
      for (let dr = -wall; dr <= wall && !nearAirway; dr++)
        for (let dc = -wall; dc <= wall; dc++) {
          const rr = r + dr, cc = c + dc;
          if (rr >= 0 && cc >= 0 && rr < g.rows && cc < g.columns && m.airway.mask[s * plane + rr * g.columns + cc]) { nearAirway = true; break; }
        }
      if (nearAirway) continue;
      roi[i] = 1;
      if (s < s0) s0 = s;
      if (s > s1) s1 = s;
      if (r < r0) r0 = r;
      if (r > r1) r1 = r;
      if (c < c0) c0 = c;
      if (c > c1) c1 = c;
    }
  }
  if (s1 < 0) return { grid: roi };
  return {
    grid: roi,
    box: {
      s0: s0 * g.fz, s1: Math.min(v.slices - 1, s1 * g.fz + g.fz - 1),
      r0: r0 * g.fy, r1: Math.min(v.rows - 1, r1 * g.fy + g.fy - 1),
      c0: c0 * g.fx, c1: Math.min(v.columns - 1, c1 * g.fx + g.fx - 1),
    },
  };
}

interface NodeFeatures {
  longMm: number;
  shortMm: number;
  /** Share of its in-plane border on fat. */
  fatShare: number;
  /** Share of its faces above and below that are more tissue of the same kind (a vessel or muscle runs on). */
  throughTissue: number;
  meanHU: number;
  /** Centre in crop voxels. */
  cs: number; cr: number; cc: number;
  /** Other parts whose voxels touch this one's. */
  touching: Set<number>;
  likelihood: number;
}

function nodeFeatures(
  part: Int32Array, k: number, owner: Int32Array, tissue: Uint8Array, inRoi: Uint8Array, sm: Float32Array,
  D: { slices: number; rows: number; columns: number }, spacing: [number, number, number],
): NodeFeatures | null {
  const cp = D.rows * D.columns;
  const perSlice = new Map<number, number[]>();
  let inFat = 0, inAll = 0, thTissue = 0, thAll = 0, huSum = 0, ss = 0, sr = 0, sc = 0;
  const touching = new Set<number>();
  for (const i of part) {
    const s = (i / cp) | 0, rem = i - s * cp, r = (rem / D.columns) | 0, c = rem - r * D.columns;
    ss += s; sr += r; sc += c; huSum += sm[i];
    let px = perSlice.get(s);
    if (!px) { px = []; perSlice.set(s, px); }
    px.push(c, r);
    for (let d = 0; d < 6; d++) {
      let j: number;
      if (d === 0) { if (c === 0) continue; j = i - 1; }
      else if (d === 1) { if (c === D.columns - 1) continue; j = i + 1; }
      else if (d === 2) { if (r === 0) continue; j = i - D.columns; }
      else if (d === 3) { if (r === D.rows - 1) continue; j = i + D.columns; }
      else if (d === 4) { if (s === 0) continue; j = i - cp; }
      else { if (s === D.slices - 1) continue; j = i + cp; }
      if (owner[j] === k) continue;
      if (owner[j] >= 0) touching.add(owner[j]);
      const isTissue = tissue[j] === 1 || (sm[j] > TISSUE_HU[0] && !inRoi[j]);
      if (d < 4) {
        inAll++;
        if (sm[j] < FAT_HU && sm[j] > -300) inFat++;
      } else {
        thAll++;
        if (isTissue) thTissue++;
      }
    }
  }
  let largest: number[] = [];
  for (const px of perSlice.values()) if (px.length > largest.length) largest = px;
  const axes = feretAxes(largest, spacing[2], spacing[1]);
  const fatShare = inAll ? inFat / inAll : 0;
  const throughTissue = thAll ? thTissue / thAll : 1;
  const meanHU = huSum / part.length;
  const zExtent = perSlice.size * spacing[0];
  // compact, fat around it in the plane and above and below, of soft-tissue density
  const likelihood =
    sigmoid((fatShare - 0.3) / 0.08) *
    sigmoid((0.5 - throughTissue) / 0.1) *
    sigmoid((3.2 - zExtent / Math.max(axes.shortMm, 1)) / 0.4) *
    sigmoid((2.6 - axes.longMm / Math.max(axes.shortMm, 1)) / 0.3) *
    sigmoid((meanHU + 5) / 10) *
    sigmoid((axes.shortMm - 5) / 1);
  return { ...axes, fatShare, throughTissue, meanHU, cs: ss / part.length, cr: sr / part.length, cc: sc / part.length, touching, likelihood };
}
