/**
 * Lymph nodes: soft-tissue ovals in the fat of the mediastinum, at the hila and at the base of the neck,
 * each labelled with its IASLC station from the airway and the aorta (mediastinum.ts).
 *
 * At full resolution in a box around the mediastinum: tissue of soft-tissue density (between fat and
 * enhanced blood) outside the airway and its wall, the aorta and bone is opened by a ball (strands, thin
 * vessels and the rims of enhanced ones vanish) and split at its necks (a node pressed against a vessel or
 * the trachea is cut off where they narrow; what is still too large for a node, at shallower ones; a node pressed
 * into the heart with no neck at all, where it stands out of the heart: splitOffShoulders). Each piece is a node candidate; how likely it is a node rather than a piece of
 * vessel, muscle or oesophagus comes from what surrounds it: fat around it in the plane, fat (not more
 * of the same tissue) above and below it, a compact shape and soft-tissue density. What it touches of the
 * structures a node lies against but is not part of (the aorta, the airway and its wall, an enhanced vessel
 * and, on an enhanced scan, the rim of tissue density that partial volume leaves along it) counts neither
 * way: a node pressed against the aorta is judged on the rest of its border. Enlargement is not judged
 * here: the short axis is measured, and "enlarged" is a size word the fusion weighs.
 */
import { Compartment } from './compartments';
import type { FindingContext } from './finding-region';
import { regionCandidate, volumeToPatient } from './finding-region';
import { feretAxes } from './measure';
import { OESOPHAGUS_RADIUS_MM, trackOesophagus } from './oesophagus';
import { ENHANCED_BLOOD_HU, mediastinalLandmarks, patientX, patientY, stationOf, type MediastinalLandmarks } from './mediastinum';
import { componentMembers, componentRuns, faceNeighbour, fillHoles2D, nextSet, openByBall, splitAtNecks, squaredDistanceToBackground, VoxelBox, wordsOf, type Dims } from './morphology';
import type { Candidate, LungSide } from './types';

/** Soft tissue lies between fat (about -100 HU) and enhanced blood or bone. */
const TISSUE_HU: [number, number] = [-25, 130];
/** Below this (HU) a neighbour is air (aerated lung), not fat. */
const AIR_HU = -300;
/**
 * Radius (mm) of the ball that opens the tissue: what is thinner than about twice this (7 mm) is not a node.
 * At 2.5 mm the partial-volume rims of enhanced vessels and the strands of tissue between vessels stayed: an
 * enlarged node came as one piece with the strips beside it (long, little of its border on fat, so a low
 * likelihood, and a box off the node), and small pieces of rim and strand in fat scored as nodes (pieces
 * on no annotated lesion scoring 0.5 or more on the three development scans: 1/12/2 at 2.5 mm, 1/1/2 at 3.5).
 */
export const OPEN_MM = 3.5;
/** How far below the carina (mm) the subcarinal and hilar search reaches, and how near a hilum (mm) lung-field bulges count. */
const BELOW_CARINA_MM = 60;
const HILUM_MM = 35;
/** The neck base above the sternal notch: within this of the trachea (mm, sideways / in front / behind). */
const NECK_MM: [number, number, number] = [75, 45, 25];
/**
 * Node candidates from this short axis (mm) to this long axis (mm); along the slices too, where what runs on
 * further is a vessel or the oesophagus (on Lung-PET-CT-Dx the unenhanced superior vena cava, 70 mm of it beside
 * the trachea, answered "enlarged right lower paratracheal lymph node" at 0.64).
 */
const MIN_SHORT_MM = 4;
const MAX_LONG_MM = 50;
/** A short axis over about this (mm) is rarely one node: more often muscle, the oesophagus or the thymus with what it touches. */
const MAX_SHORT_MM = 30;
/**
 * Likelihood left to what the scan's first or last slice cuts across (still at least half as wide there as at
 * its widest): it is not seen to close, so it cannot be told from what runs on beyond the scan, and at the neck
 * base the scan's top cuts the jugular and subclavian vessels and the scalene muscles. Measured on the
 * development scans: such pieces at the top slice answered "enlarged right supraclavicular lymph node" at 0.85
 * (LIDC-IDRI-0001, a piece of muscle) and 0.86 (4D-Lung), where no node is annotated; 0.40 and 0.16 with this.
 */
const CUT_BY_SCAN = 0.1;
/**
 * Likelihood left to a piece centred on the oesophagus (within its radius of its centre: oesophagus.ts) on
 * this share of its slices or more: a piece of it, cut off at a narrowing, with fat around it. On LIDC-IDRI-0001 and
 * Lung-PET-CT-Dx such pieces below the carina answered "subcarinal lymphadenopathy" at 0.64–0.81.
 */
const OESOPHAGUS = 0.1;
const OESOPHAGUS_SHARE = 0.5;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
// compartment labels as plain numbers: read per voxel, and an imported enum member costs a getter call each time
const MEDIASTINUM: number = Compartment.Mediastinum, HEART: number = Compartment.Heart, LUNG: number = Compartment.Lung, CHEST_WALL: number = Compartment.ChestWall;

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
  const oesophagus = trackOesophagus(g, m, compartments, landmarks.trachea, landmarks.aorta, carina);
  // the search lattice: the volume's pixels, pairs of them when they are finer than 1 mm (at most 2 mm: a node of
  // 10 mm is still five voxels across; the distance transform and watershed of finer ones cost four times as much),
  // and so its slices on a thin-slice series
  const f = v.pixelSpacing[0] < 1 && v.pixelSpacing[1] < 1 ? 2 : 1;
  const fz = v.sliceSpacing < 1 ? 2 : 1;
  const lattice = { fz, fy: f, fx: f };
  const s0 = Math.floor(roi.box.s0 / fz), s1 = Math.floor(roi.box.s1 / fz);
  const r0 = Math.floor(roi.box.r0 / f), r1 = Math.floor(roi.box.r1 / f), c0 = Math.floor(roi.box.c0 / f), c1 = Math.floor(roi.box.c1 / f);
  const D = { slices: s1 - s0 + 1, rows: r1 - r0 + 1, columns: c1 - c0 + 1 };
  const cp = D.rows * D.columns, n = D.slices * cp;
  const plane = g.rows * g.columns;
  // smoothed density (the mean of the lattice voxel's pixels and the ring of pixels around them) and the tissue mask
  const sm = new Float32Array(n);
  const tissue = new Uint8Array(n);
  const inRoi = new Uint8Array(n);
  // what each voxel is to the search: SEARCHED (then inRoi), APART, BONE, DENSE, or 0 for anything else outside it
  const place = new Uint8Array(n);
  // per slice, a summed-area table of the pixels the crop's windows read: each window's mean in four reads
  const pr0 = Math.max(0, r0 * f - 1), pr1 = Math.min(v.rows - 1, r1 * f + f), pc0 = Math.max(0, c0 * f - 1), pc1 = Math.min(v.columns - 1, c1 * f + f);
  const sw = pc1 - pc0 + 2, sat = new Float64Array((pr1 - pr0 + 2) * sw);
  const vhu = v.hu, roiGrid = roi.grid, lo = TISSUE_HU[0], hi = TISSUE_HU[1];
  const vPlane = v.rows * v.columns;
  for (let s = 0; s < D.slices; s++) {
    // the lattice slice's volume slices, and the grid slice of its first
    const vs = (s + s0) * fz, vsEnd = Math.min(v.slices, vs + fz);
    const gs = Math.min(g.slices - 1, (vs / g.fz) | 0);
    const sliceBase = vs * vPlane;
    // a pixel's sum over the lattice slice's volume slices
    const pairSum = (q: number): number => { let t = 0; for (let k = q; k < vsEnd * vPlane; k += vPlane) t += vhu[k]; return t; };
    // what each voxel is to the search, and the last row searched: the table is summed down to the windows of that row only
    let lastRow = -1;
    for (let r = 0; r < D.rows; r++) {
      const vr = (r + r0) * f;
      for (let c = 0; c < D.columns; c++) {
        const i = s * cp + r * D.columns + c;
        place[i] = roiGrid[gs * plane + ((vr / g.fy) | 0) * g.columns + ((((c + c0) * f) / g.fx) | 0)];
        if (place[i] === SEARCHED) { inRoi[i] = 1; lastRow = r; }
      }
    }
    const prEnd = lastRow < 0 ? pr0 - 1 : Math.min(pr1, (lastRow + r0) * f + f);
    for (let rr = pr0; rr <= prEnd; rr++) {
      let acc = 0;
      const from = sliceBase + rr * v.columns, row = (rr - pr0 + 1) * sw, above = row - sw;
      for (let cc = pc0; cc <= pc1; cc++) {
        acc += fz === 1 ? vhu[from + cc] : pairSum(from + cc);
        sat[row + cc - pc0 + 1] = sat[above + cc - pc0 + 1] + acc;
      }
    }
    for (let r = 0; r < D.rows; r++) {
      const vr = (r + r0) * f;
      const ra = Math.max(pr0, vr - 1) - pr0, rb = Math.min(pr1, vr + f) - pr0 + 1;
      for (let c = 0; c < D.columns; c++) {
        const vc = (c + c0) * f;
        const i = s * cp + r * D.columns + c;
        if (!inRoi[i]) { const q = sliceBase + vr * v.columns + vc; sm[i] = fz === 1 ? vhu[q] : pairSum(q) / (vsEnd - vs); continue; }
        // the mean of the lattice voxel's pixels and the ring of pixels around them
        const ca = Math.max(pc0, vc - 1) - pc0, cb = Math.min(pc1, vc + f) - pc0 + 1;
        const hu = (sat[rb * sw + cb] - sat[ra * sw + cb] - sat[rb * sw + ca] + sat[ra * sw + ca]) / ((rb - ra) * (cb - ca) * (vsEnd - vs));
        sm[i] = hu;
        tissue[i] = hu > lo && hu < hi ? 1 : 0;
      }
    }
  }
  const spacing: [number, number, number] = [v.sliceSpacing * fz, v.pixelSpacing[0] * f, v.pixelSpacing[1] * f];
  // a dense voxel behind the carina is bone when cortex lies within a few millimetres of it on the grid (looked up only
  // for the pieces' neighbours)
  const boneState = new Uint8Array(n);
  const reach = Math.max(1, Math.round(CORTEX_REACH_MM / g.spacing[1]));
  const isBone = (i: number): boolean => {
    if (place[i] === BONE) return true;
    if (place[i] !== DENSE) return false;
    if (!boneState[i]) {
      const gs = Math.min(g.slices - 1, (((((i / cp) | 0) + s0) * fz) / g.fz) | 0), rem = i % cp;
      const gr = (((((rem / D.columns) | 0) + r0) * f) / g.fy) | 0, gcol = ((((rem % D.columns) + c0) * f) / g.fx) | 0;
      let cortex = false;
      for (let rr = Math.max(0, gr - reach); rr <= Math.min(g.rows - 1, gr + reach) && !cortex; rr++)
        for (let cc = Math.max(0, gcol - reach), base = (gs * g.rows + rr) * g.columns; cc <= Math.min(g.columns - 1, gcol + reach); cc++)
          if (g.hu[base + cc] >= CORTEX_HU) { cortex = true; break; }
      boneState[i] = cortex ? 1 : 2;
    }
    return boneState[i] === 1;
  };
  const depth2 = squaredDistanceToBackground(tissue, D, spacing);
  const opened = openByBall(tissue, depth2, D, spacing, OPEN_MM, 0.6 * Math.min(spacing[1], spacing[2]));
  // voxels per component, each in raster order
  const comps = componentRuns(opened, D);
  const { start, members } = componentMembers(comps, D);
  const owner = new Int32Array(n).fill(-1);
  const parts: Int32Array[] = [];
  for (let id = 1; id <= comps.count; id++) {
    for (const part of nodeParts(members.subarray(start[id], start[id + 1]), D, depth2, spacing)) {
      for (const i of part) owner[i] = parts.length;
      parts.push(part);
    }
  }
  // only blood enhanced by contrast is denser than tissue and leaves a rim of tissue density along each vessel
  const enhanced = (landmarks.bloodHU ?? 0) > ENHANCED_BLOOD_HU;
  // the crop's first and last slices are the scan's own where the search reaches them
  const scanEnds = { first: s0 === 0, last: (s1 + 1) * fz >= v.slices };
  const judge = (k: number, apart?: Uint8Array): NodeFeatures | null => nodeFeatures(parts[k], k, owner, tissue, inRoi, place, isBone, sm, D, spacing, enhanced, scanEnds, apart);
  // a piece mostly of the heart compartment (the heart, and the pulmonary trunk at its base)
  const ofHeart = (part: Int32Array): boolean => {
    let n = 0;
    for (const i of part) {
      const s = (i / cp) | 0, rem = i - s * cp, r = (rem / D.columns) | 0, c = rem - r * D.columns;
      const gs = Math.min(g.slices - 1, (((s + s0) * fz) / g.fz) | 0), gr = (((r + r0) * f) / g.fy) | 0, gc = (((c + c0) * f) / g.fx) | 0;
      if (compartments[gs * plane + gr * g.columns + gc] === HEART) n++;
    }
    return n >= HEART_SHARE * part.length;
  };
  // a piece on the heart's border with the lung: a tenth or more of it within two lattice voxels of air (not the airway's)
  const onLung = (part: Int32Array): boolean => {
    let n = 0;
    for (const i of part) {
      const s = (i / cp) | 0, rem = i - s * cp, r = (rem / D.columns) | 0, c = rem - r * D.columns;
      let near = false;
      for (let rr = Math.max(0, r - 2); rr <= Math.min(D.rows - 1, r + 2) && !near; rr++)
        for (let cc = Math.max(0, c - 2), q = s * cp + rr * D.columns + cc; cc <= Math.min(D.columns - 1, c + 2); cc++, q++)
          if (sm[q] < AIR_HU && place[q] !== APART) { near = true; break; }
      if (near) n++;
    }
    return n >= ON_LUNG_SHARE * part.length;
  };
  const shoulders = splitOffShoulders(parts, owner, D, depth2, spacing, { ofHeart, onLung, likelihoodOf: (k, apart) => judge(k, apart)?.likelihood ?? 0 });
  const candidateOf = new Int32Array(parts.length).fill(-1);
  const touching: Array<Set<number>> = [];
  parts.forEach((part, k) => {
    if (!part.length) return;
    const x = judge(k, shoulders.ids.has(k) ? shoulders.heart : undefined);
    if (!x || x.shortMm < MIN_SHORT_MM || x.longMm > MAX_LONG_MM) return;
    const voxels = new Int32Array(part.length * 3);
    part.forEach((i, j) => {
      const s = (i / cp) | 0, rem = i - s * cp, r = (rem / D.columns) | 0, c = rem - r * D.columns;
      voxels[3 * j] = s + s0; voxels[3 * j + 1] = r + r0; voxels[3 * j + 2] = c + c0;
    });
    const centre = volumeToPatient(v, (x.cs + s0) * fz + (fz - 1) / 2, (x.cr + r0) * f + (f - 1) / 2, (x.cc + c0) * f + (f - 1) / 2);
    const station = stationOf(landmarks, m, g, centre, oesophagus);
    const side = sideOfStation(station, centre, landmarks);
    // a node across the line between right and left (the trachea's left wall) may be called by the other side's station too
    let xMin = Infinity, xMax = -Infinity;
    // per slice of it: the sum of its voxels' x and y, and their count
    const bySlice = new Map<number, [number, number, number]>();
    for (let j = 0; j < part.length; j++) {
      const vs = voxels[3 * j] * fz + (fz - 1) / 2;
      const [px, py] = volumeToPatient(v, vs, voxels[3 * j + 1] * f + (f - 1) / 2, voxels[3 * j + 2] * f + (f - 1) / 2);
      if (px < xMin) xMin = px;
      if (px > xMax) xMax = px;
      const t = bySlice.get(vs);
      if (t) { t[0] += px; t[1] += py; t[2]++; } else bySlice.set(vs, [px, py, 1]);
    }
    // the slices where it is centred on the oesophagus
    let onOesophagus = 0;
    for (const [vs, [sx, sy, k]] of bySlice) {
      const o = oesophagus[Math.min(g.slices - 1, Math.floor(vs / g.fz))];
      if (o && (sx / k - o[0]) ** 2 + (sy / k - o[1]) ** 2 <= OESOPHAGUS_RADIUS_MM ** 2) onOesophagus++;
    }
    const reached = new Set<string>();
    for (const x of [xMin, xMax]) {
      const other = stationOf(landmarks, m, g, [x, centre[1], centre[2]], oesophagus);
      if (other && other !== station && other.replace(/[RL]$/, '') === station?.replace(/[RL]$/, '')) reached.add(other);
    }
    const cand = regionCandidate(ctx, {
      kind: 'lymph node',
      voxels,
      lattice,
      huOf: (j) => sm[part[j]],
      likelihood: onOesophagus >= OESOPHAGUS_SHARE * bySlice.size ? OESOPHAGUS * x.likelihood : x.likelihood,
      station,
      ...(reached.size ? { stationsReached: [...reached] } : {}),
      side,
      measures: { shortAxisMm: round1(x.shortMm), longAxisMm: round1(x.longMm), fatShare: round2(x.fatShare), tissueAboveBelow: round2(x.throughTissue) },
    });
    if (!cand) return;
    candidateOf[k] = out.candidates.length;
    touching.push(x.touching);
    out.candidates.push(cand);
  });
  // pieces of one node (or one chain of nodes) cut apart at a neck, or one above the other: the fusion weighs them together
  const stacked = stackedPieces(out.candidates, v.pixelSpacing);
  out.candidates.forEach((c, i) => {
    c.id = i;
    const ids = new Set([...touching[i]].map((k) => candidateOf[k]).filter((j) => j >= 0));
    for (const j of stacked[i]) ids.add(j);
    c.touching = [...ids].sort((a, b) => a - b);
  });
  return out;
}

/** How far apart (mm, in the plane) the boxes of two pieces on consecutive slices may be and still be one node or chain. */
const STACK_GAP_MM = 3;

/**
 * Per candidate, the others stacked on it: one starts on the slice after the other ends, their boxes there within
 * STACK_GAP_MM. The opening cuts a chain of nodes (4D-Lung's right paratracheal one) where it thins between slices,
 * and its pieces then competed for one description (0.44 on the narrow look, each piece fitting it).
 */
export function stackedPieces(cands: readonly Candidate[], [rowMm, colMm]: readonly number[]): Array<Set<number>> {
  const out = cands.map(() => new Set<number>());
  const ends = cands.map((c) => ({ first: c.slices[0], last: c.slices[c.slices.length - 1] }));
  const near = (a: [number, number, number, number], b: [number, number, number, number]): boolean =>
    Math.max(0, a[0] - b[2], b[0] - a[2]) * colMm <= STACK_GAP_MM && Math.max(0, a[1] - b[3], b[1] - a[3]) * rowMm <= STACK_GAP_MM;
  for (let i = 0; i < cands.length; i++)
    for (let j = 0; j < cands.length; j++) {
      if (i === j || ends[j].first.index !== ends[i].last.index + 1 || !near(ends[i].last.box, ends[j].first.box)) continue;
      out[i].add(j);
      out[j].add(i);
    }
  return out;
}

/**
 * Depth (mm) of tissue no node of interest reaches: an enlarged node is 10–16 mm across its short axis (5–8 mm
 * deep), the heart and the pulmonary trunk 25 mm and more (12 mm deep and more).
 */
const CORE_MM = 8;
/** A piece is the heart's when at least this share of it lies in the heart compartment. */
const HEART_SHARE = 0.5;
/** A shoulder lies on the heart's border with the lung when this share of it or more is within two voxels of air. */
const ON_LUNG_SHARE = 0.1;

/** The pieces splitOffShoulders added, and the heart's pieces they stand out of. */
export interface Shoulders {
  ids: Set<number>;
  /** 1 on the voxels of the heart's pieces they stand out of. */
  heart: Uint8Array;
}

/**
 * A node pressed into the heart (the left atrium below the carina, the pulmonary trunk in the aortopulmonary
 * window) on an unenhanced scan is of its density and has no neck there: it is a shoulder of the heart, and the
 * watershed of depth keeps it in the heart's piece (on 4D-Lung a drawn 16 mm subcarinal node, 6.6 mm deep, met a
 * piece 12 mm deep at a saddle no shallower than nine tenths of its own depth). A piece of the heart (`ofHeart`)
 * deeper than CORE_MM is opened by a ball of that radius, its core; what stands out of the core, opened as the
 * search opens tissue and split at the same necks, is judged on its own (`likelihoodOf`, with the rest of the heart's
 * piece as a structure apart: a node lies against the heart as against the aorta, and that contact counts neither
 * way), and the piece gives way to its shoulders and the rest of it where a shoulder is more node-like than the
 * whole. Only the heart's: the great veins are as wide as a node's shoulder only where they narrow, and run on
 * through the slices (split as well, Lung-PET-CT-Dx's superior vena cava answered "enlarged right lower
 * paratracheal lymph node" at 0.70 where no node is). `parts` and `owner` are changed in place; a piece that gave way
 * keeps its index with what is left of it, its shoulders are added at the end, and pieces emptied stay as empty arrays.
 */
export function splitOffShoulders(
  parts: Int32Array[], owner: Int32Array, d: Dims, depth2: Float32Array, spacing: [number, number, number],
  o: { ofHeart: (part: Int32Array) => boolean; onLung: (part: Int32Array) => boolean; likelihoodOf: (k: number, apart?: Uint8Array) => number },
): Shoulders {
  const out: Shoulders = { ids: new Set(), heart: new Uint8Array(0) };
  const cp = d.rows * d.columns;
  const deep: Int32Array[] = [];
  const box = new VoxelBox();
  for (const part of parts) {
    let most = 0;
    for (const i of part) if (depth2[i] > most) most = depth2[i];
    if (most < CORE_MM ** 2 || !o.ofHeart(part)) continue;
    deep.push(part);
    for (const i of part) box.addIndex(i, d);
  }
  if (!deep.length) return out;
  // the work keeps to the deep pieces' box, a voxel of background around it
  const b0 = [Math.max(0, box.s0 - 1), Math.max(0, box.r0 - 1), Math.max(0, box.c0 - 1)];
  const L: Dims = { slices: Math.min(d.slices, box.s1 + 2) - b0[0], rows: Math.min(d.rows, box.r1 + 2) - b0[1], columns: Math.min(d.columns, box.c1 + 2) - b0[2] };
  const lp = L.rows * L.columns;
  const local = (i: number): number => {
    const s = (i / cp) | 0, rem = i - s * cp, r = (rem / d.columns) | 0, c = rem - r * d.columns;
    return (s - b0[0]) * lp + (r - b0[1]) * L.columns + c - b0[2];
  };
  const global = (j: number): number => {
    const s = (j / lp) | 0, rem = j - s * lp, r = (rem / L.columns) | 0, c = rem - r * L.columns;
    return (s + b0[0]) * cp + (r + b0[1]) * d.columns + c + b0[2];
  };
  const mask = new Uint8Array(L.slices * lp);
  const centres = new Float32Array(mask.length);
  for (const part of deep)
    for (const i of part) {
      const j = local(i);
      mask[j] = 1;
      centres[j] = depth2[i];
    }
  out.heart = new Uint8Array(depth2.length);
  for (const part of deep) for (const i of part) out.heart[i] = 1;
  const core = openByBall(mask, centres, L, spacing, CORE_MM);
  for (let j = 0; j < mask.length; j++) if (core[j]) mask[j] = 0;
  // what stands out of the cores: opened and split as the search does tissue
  const standing = squaredDistanceToBackground(mask, L, spacing);
  const comps = componentRuns(openByBall(mask, standing, L, spacing, OPEN_MM, 0.6 * Math.min(spacing[1], spacing[2])), L);
  const { start, members } = componentMembers(comps, L);
  const minVoxels = Math.max(4, Math.floor(((Math.PI / 6) * MIN_SHORT_MM ** 3) / (spacing[0] * spacing[1] * spacing[2])));
  // per deep piece, its shoulders (of a shoulder reaching into another deep piece, its share of the first)
  const shouldersOf = new Map<number, Int32Array[]>();
  for (let id = 1; id <= comps.count; id++)
    for (const piece of splitAtNecks(members.subarray(start[id], start[id + 1]), L, standing, (peak) => Math.max(NECK_MIN_MM, NECK_SHARE * peak))) {
      const k = owner[global(piece[0])];
      const mine = Int32Array.from(piece, global).filter((i) => owner[i] === k);
      if (mine.length < minVoxels || o.onLung(mine)) continue;
      const list = shouldersOf.get(k);
      if (list) list.push(mine);
      else shouldersOf.set(k, [mine]);
    }
  for (const [k, shoulders] of shouldersOf) {
    const whole = o.likelihoodOf(k);
    const original = parts[k];
    const ids = shoulders.map((sh) => {
      for (const i of sh) owner[i] = parts.length;
      parts.push(sh);
      return parts.length - 1;
    });
    parts[k] = original.filter((i) => owner[i] === k);
    if (ids.some((id) => o.likelihoodOf(id, out.heart) > whole)) {
      for (const id of ids) out.ids.add(id);
      continue;
    }
    // no shoulder is more node-like than the piece: it stays whole
    for (const i of original) owner[i] = k;
    parts[k] = original;
    for (const id of ids) parts[id] = new Int32Array(0);
  }
  return out;
}

/** A basin is a piece of its own where its depth drops by this share of its peak (at least NECK_MIN_MM) before it meets a deeper one. */
const NECK_SHARE = 0.35;
const NECK_MIN_MM = 1.2;
/**
 * What is too large to be one node is split again at necks this shallow: on 5–6 mm slices, or on an
 * unenhanced scan, a node's contact with the oesophagus, the heart or a vessel of its own density is broad,
 * and node and structure came out as one piece, dropped for its size. Measured on the scanner looks of
 * 4dlung-113's two real paratracheal nodes (`eval -- --looks`): region 24/32 without it, 31/32 with a share
 * of 0.15 or 0.2, 29/32 at 0.25, 25/32 at 0.3; the synthetic nodes of `eval:synthetic` unchanged.
 */
const FINE_NECK_SHARE = 0.2;
const FINE_NECK_MIN_MM = 1;

/**
 * The pieces of one opened tissue component that could be nodes: split where it narrows, kept if a node's
 * size. However large the component: where a landmark is missed (the aorta on a sharp kernel's noisy image)
 * its tissue joins the nodes' into one, and the nodes still come apart from it at their necks.
 */
export function nodeParts(members: Int32Array, d: Dims, depth2: Float32Array, spacing: [number, number, number]): Int32Array[] {
  const voxelMm3 = spacing[0] * spacing[1] * spacing[2];
  const minVoxels = Math.max(4, Math.floor(((Math.PI / 6) * MIN_SHORT_MM ** 3) / voxelMm3));
  const maxVoxels = ((Math.PI / 6) * MAX_LONG_MM ** 3) / voxelMm3;
  const out: Int32Array[] = [];
  for (const part of splitAtNecks(members, d, depth2, (peak) => Math.max(NECK_MIN_MM, NECK_SHARE * peak))) {
    const pieces = part.length > maxVoxels ? splitAtNecks(part, d, depth2, (peak) => Math.max(FINE_NECK_MIN_MM, FINE_NECK_SHARE * peak)) : [part];
    for (const p of pieces) if (p.length >= minVoxels && p.length <= maxVoxels) out.push(p);
  }
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

/**
 * What a grid voxel is to the search: searched; a structure apart from any node (the aorta, the airway and its
 * wall, and what is dense inside the chest cavity in front of the carina: enhanced vessels); bone; dense (over 180 HU)
 * inside the chest cavity behind the carina, an enhanced vessel unless cortical bone (the spine) lies beside it.
 */
const SEARCHED = 1, APART = 2, BONE = 3, DENSE = 4;
/** Cortical bone is denser than this (HU); enhanced blood is not. */
const CORTEX_HU = 600;
/** How near (mm) cortex must be for a dense voxel to be bone. */
const CORTEX_REACH_MM = 3;

interface Roi {
  /** SEARCHED on grid voxels where nodes are searched; APART, BONE or DENSE on the structures besides them (within the search's slices). */
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
  const plane = g.rows * g.columns, gc = g.columns;
  const roi = new Uint8Array(g.hu.length);
  const carina = m.airway.carina!;
  const notch = lm.sternalNotchZ ?? (m.levels.apexZ !== undefined ? m.levels.apexZ - 25 : carina[2] + 80);
  const wall = Math.max(1, Math.round(2.5 / g.spacing[1]));
  const b = new VoxelBox();
  const known = lm.trachea.filter((t) => !!t);
  const tx = known.length ? known.reduce((a, t) => a + t!.x, 0) / known.length : carina[0];
  const ty = known.length ? known.reduce((a, t) => a + t!.y, 0) / known.length : carina[1];
  const hila = [m.airway.hila.right, m.airway.hila.left].filter((h) => h !== undefined);
  const hu = g.hu, body = m.body, aerated = m.aerated, airway = m.airway.mask, aorta = lm.aorta;
  // per slice: bone (with the marrow its cortex rings) and the airway grown by its wall
  const bone = new Uint8Array(plane), nearAirway = new Uint8Array(plane), tmp = new Uint8Array(plane);
  const seen = new Uint8Array(plane);
  const bodyWords = wordsOf(body);
  for (let s = 0; s < g.slices; s++) {
    const z = g.origin[s][2];
    if (z < carina[2] - BELOW_CARINA_MM) continue;
    const off = s * plane;
    for (let q = 0; q < plane; q++) bone[q] = hu[off + q] > 180 ? 1 : 0;
    fillHoles2D(bone, 0, g.rows, gc, seen);
    dilateSquare(airway, off, g.rows, gc, wall, nearAirway, tmp);
    const t = lm.trachea[s];
    const neckX = t?.x ?? tx, neckY = t?.y ?? ty;
    // each run of body voxels (nextSet finds the next one)
    for (let i = nextSet(body, bodyWords, off, off + plane); i < off + plane; i = nextSet(body, bodyWords, i, off + plane)) for (; i < off + plane && body[i]; i++) {
      const q = i - off;
      const k = compartments[i];
      // dense in the wall is bone; inside the chest cavity an enhanced vessel or a calcification, or behind the airway the spine
      // too (nodeFeatures tells them apart)
      if (bone[q]) {
        const r = (q / gc) | 0, c = q - r * gc;
        roi[i] = k === MEDIASTINUM || k === HEART || k === LUNG ? (patientY(g, s, r, c) > carina[1] ? DENSE : APART) : BONE;
        continue;
      }
      if (aorta[i] || nearAirway[q]) { roi[i] = APART; continue; }
      let ok = false;
      if (k === MEDIASTINUM) ok = true;
      else if (k === HEART) ok = z >= carina[2] - BELOW_CARINA_MM + 10;
      else if (k === LUNG && !aerated[i]) {
        const r = (q / gc) | 0, c = q - r * gc;
        const x = patientX(g, s, r, c), y = patientY(g, s, r, c);
        for (const h of hila) if (Math.hypot(x - h[0], y - h[1], z - h[2]) <= HILUM_MM) ok = true;
      } else if (k === CHEST_WALL && z >= notch - 10) {
        const r = (q / gc) | 0, c = q - r * gc;
        const dy = patientY(g, s, r, c) - neckY;
        ok = Math.abs(patientX(g, s, r, c) - neckX) <= NECK_MM[0] && dy >= -NECK_MM[1] && dy <= NECK_MM[2];
      }
      if (!ok) continue;
      roi[i] = SEARCHED;
      b.addIndex(i, g);
    }
  }
  if (b.empty) return { grid: roi };
  return {
    grid: roi,
    box: {
      s0: b.s0 * g.fz, s1: Math.min(v.slices - 1, b.s1 * g.fz + g.fz - 1),
      r0: b.r0 * g.fy, r1: Math.min(v.rows - 1, b.r1 * g.fy + g.fy - 1),
      c0: b.c0 * g.fx, c1: Math.min(v.columns - 1, b.c1 * g.fx + g.fx - 1),
    },
  };
}

/** `out` = the plane of `mask` at `offset` dilated by a (2k+1)² square (separable running counts); `tmp` is scratch. */
function dilateSquare(mask: Uint8Array, offset: number, rows: number, columns: number, k: number, out: Uint8Array, tmp: Uint8Array): void {
  out.fill(0);
  // only the rows around the airway's own
  let ra = rows, rb = -1;
  for (let r = 0; r < rows; r++) {
    const base = offset + r * columns;
    for (let c = 0; c < columns; c++) if (mask[base + c]) { if (r < ra) ra = r; rb = r; break; }
  }
  if (rb < 0) return;
  ra = Math.max(0, ra - k); rb = Math.min(rows - 1, rb + k);
  for (let r = ra; r <= rb; r++) {
    const base = r * columns;
    let n = 0;
    for (let c = 0; c < Math.min(k, columns); c++) n += mask[offset + base + c];
    for (let c = 0; c < columns; c++) {
      if (c + k < columns) n += mask[offset + base + c + k];
      if (c - k - 1 >= 0) n -= mask[offset + base + c - k - 1];
      tmp[base + c] = n > 0 ? 1 : 0;
    }
  }
  for (let c = 0; c < columns; c++) {
    let n = 0;
    for (let r = ra; r < Math.min(ra + k, rb + 1); r++) n += tmp[r * columns + c];
    for (let r = ra; r <= rb; r++) {
      if (r + k <= rb) n += tmp[(r + k) * columns + c];
      if (r - k - 1 >= ra) n -= tmp[(r - k - 1) * columns + c];
      out[r * columns + c] = n > 0 ? 1 : 0;
    }
  }
}

/** Whether voxel `j` has an in-plane face neighbour of enhanced blood (denser than tissue, not bone). */
function besideVessel(j: number, D: Dims, sm: Float32Array, isBone: (i: number) => boolean): boolean {
  const cp = D.rows * D.columns;
  const s = (j / cp) | 0, rem = j - s * cp, r = (rem / D.columns) | 0, c = rem - r * D.columns;
  for (let d = 0; d < 4; d++) {
    const q = faceNeighbour(j, s, r, c, d, D);
    if (q >= 0 && sm[q] >= TISSUE_HU[1] && !isBone(q)) return true;
  }
  return false;
}

export interface NodeFeatures {
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

export function nodeFeatures(
  part: Int32Array, k: number, owner: Int32Array, tissue: Uint8Array, inRoi: Uint8Array, place: Uint8Array, isBone: (i: number) => boolean, sm: Float32Array,
  D: { slices: number; rows: number; columns: number }, spacing: [number, number, number], enhanced: boolean,
  scanEnds: { first: boolean; last: boolean } = { first: false, last: false }, apart?: Uint8Array,
): NodeFeatures | null {
  const cp = D.rows * D.columns;
  const perSlice = new Map<number, number[]>();
  let inFat = 0, inJudged = 0, inAll = 0, thTissue = 0, thAll = 0, huSum = 0, ss = 0, sr = 0, sc = 0;
  const touching = new Set<number>();
  for (const i of part) {
    const s = (i / cp) | 0, rem = i - s * cp, r = (rem / D.columns) | 0, c = rem - r * D.columns;
    ss += s; sr += r; sc += c; huSum += sm[i];
    let px = perSlice.get(s);
    if (!px) { px = []; perSlice.set(s, px); }
    px.push(c, r);
    for (let d = 0; d < 6; d++) {
      const j = faceNeighbour(i, s, r, c, d, D);
      if (j < 0 || owner[j] === k) continue;
      if (owner[j] >= 0) touching.add(owner[j]);
      // a structure apart from any node (the aorta, the airway and its wall, an enhanced vessel, `apart`) says nothing either way
      if (place[j] === APART || apart?.[j] || (sm[j] >= TISSUE_HU[1] && !isBone(j))) { if (d < 4) inAll++; continue; }
      if (d < 4) {
        inAll++;
        // the partial-volume rim of an enhanced vessel (tissue density beside blood) is the vessel's edge, not tissue around the node
        if (enhanced && sm[j] >= TISSUE_HU[0] && besideVessel(j, D, sm, isBone)) continue;
        inJudged++;
        // fat, or fat and tissue in one voxel at the node's edge
        if (sm[j] < TISSUE_HU[0] && sm[j] > AIR_HU) inFat++;
      } else {
        thAll++;
        if (tissue[j] === 1 || (sm[j] > TISSUE_HU[0] && !inRoi[j])) thTissue++;
      }
    }
  }
  let largest: number[] = [];
  for (const px of perSlice.values()) if (px.length > largest.length) largest = px;
  // still at least half its widest where the scan ends: it has not closed inside the scan (CUT_BY_SCAN)
  const openAt = (s: number): boolean => (perSlice.get(s)?.length ?? 0) >= 0.5 * largest.length;
  const cutByScan = (scanEnds.first && openAt(0)) || (scanEnds.last && openAt(D.slices - 1));
  const axes = feretAxes(largest, spacing[2], spacing[1]);
  // of the border that is fat or tissue, the share on fat; a border mostly on structures apart judges little (towards a half)
  const prior = 0.1 * inAll;
  const fatShare = (inFat + 0.5 * prior) / Math.max(1, inJudged + prior);
  const throughTissue = thAll ? thTissue / thAll : 0.5;
  const meanHU = huSum / part.length;
  const zExtent = perSlice.size * spacing[0];
  // compact, fat around it in the plane and above and below, of soft-tissue density
  const likelihood =
    sigmoid((fatShare - 0.6) / 0.08) *
    sigmoid((0.5 - throughTissue) / 0.1) *
    sigmoid((3.2 - zExtent / Math.max(axes.shortMm, 1)) / 0.4) *
    sigmoid((2.6 - axes.longMm / Math.max(axes.shortMm, 1)) / 0.3) *
    sigmoid((MAX_LONG_MM - zExtent) / 3) *
    sigmoid((meanHU + 5) / 10) *
    sigmoid((axes.shortMm - 5) / 1) *
    sigmoid((MAX_SHORT_MM - axes.shortMm) / 2) *
    (cutByScan ? CUT_BY_SCAN : 1);
  return { ...axes, fatShare, throughTissue, meanHU, cs: ss / part.length, cr: sr / part.length, cc: sc / part.length, touching, likelihood };
}
