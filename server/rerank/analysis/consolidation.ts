/**
 * Consolidation and atelectasis: dense lung (above about -250 HU, on the grid) broader than the vessels
 * (a ball of 4 mm opens it), of at least 4 mL, in the space the lung occupies (its field, and its convex
 * hull on the chest-wall side: a consolidated lobe is no longer air; behind the hila, also what has the same
 * lung over and under it: a posterior corner of the lung), outside the hilar bulges (where the large vessels
 * are) and outside any effusion; at least about 8 mm deep through the slices.
 *
 * - Air bronchograms: air (< -700 HU) inside the opacity at full resolution, once its outline is closed
 *   (a 3 mm closing and the in-plane holes filled) and its one-voxel rim is set aside; their share of the
 *   opacity is `airBronchogramShare`.
 * - A consolidation is an opacity that is not a round mass: its likelihood rises with air bronchograms,
 *   and falls where a round lesion candidate (the lesion stage's) makes up the opacity. That last factor
 *   is applied apart (`weighRoundLesions`), once the lesions are known: the stage itself runs while the
 *   lesions are still being searched.
 * - Atelectasis is judged where it can be: dense lung without air bronchograms lying against an effusion
 *   (passive, compressive atelectasis), or a thin plate (plate-like atelectasis). Lobar collapse without
 *   either is not told from consolidation.
 */
import type { FindingContext } from './finding-region';
import { boxIndices, regionCandidate, type GridBox } from './finding-region';
import type { Grid } from './grid';
import { closeByBall, convexHull, fillConvexPolygon, fillHoles2D, labelComponents, openByBall, squaredDistanceToBackground } from './morphology';
import { componentVoxels, latticeOf } from './pleura';
import type { Candidate } from './types';

const DENSE_HU = -250;
const OPEN_MM = 4;
const MIN_ML = 4;
const AIR_HU = -700;
/** Hilar bulges: the lung field within this of a hilum, outside the aerated lung. */
const HILUM_MM = 30;
/** A place with the same lung within this above and below it is lung (a segment is some 2–4 cm high). */
const SANDWICH_MM = 30;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** An opacity's voxels (ascending indices of the lattice it was found on) and its volume. */
export interface DenseRegion {
  voxels: Int32Array;
  volumeMm3: number;
}

/** A consolidation or atelectasis whose likelihood still lacks the round lesions' share of its opacity. */
export interface AwaitingLesions {
  /** The candidate itself (in `consolidations` or `atelectases`: a structured clone keeps it the same object). */
  candidate: Candidate;
  region: DenseRegion;
  /** Its likelihood as if no round lesion made up any of the opacity. */
  likelihood: number;
}

export interface DenseFindings {
  consolidations: Candidate[];
  atelectases: Candidate[];
  /** The lattice the regions' voxel indices refer to. */
  lattice: Pick<Grid, 'fz' | 'fy' | 'fx' | 'slices' | 'rows' | 'columns'>;
  awaiting: AwaitingLesions[];
}

/** `fluid`: 1 on grid voxels of pleural effusions (atelectasis lies against them). */
export function findConsolidation(ctx: FindingContext, box: GridBox, sm: Float32Array, fluid: Uint8Array): DenseFindings {
  const { g, m } = ctx;
  const plane = g.rows * g.columns;
  const n = g.hu.length;
  const hila = [m.airway.hila.right, m.airway.hila.left].filter((h) => h !== undefined);
  const idx = boxIndices(box, g);
  const D = { slices: box.slices, rows: box.rows, columns: box.columns };
  const space = lungSpace(ctx, box);
  const dense = new Uint8Array(idx.length);
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j];
    if (!space[j] || m.airway.mask[i] || fluid[i] || sm[i] <= DENSE_HU) continue;
    if (!m.aerated[i] && hila.length) {
      const s = (i / plane) | 0, q = i - s * plane, r = (q / g.columns) | 0, c = q - r * g.columns;
      const o = g.origin[s];
      const x = o[0] + g.rowStep[0] * r + g.colStep[0] * c, y = o[1] + g.rowStep[1] * r + g.colStep[1] * c, z = o[2];
      if (hila.some((h) => Math.hypot(x - h[0], y - h[1], z - h[2]) < HILUM_MM)) continue;
    }
    dense[j] = 1;
  }
  const depth2 = squaredDistanceToBackground(dense, D, g.spacing);
  const opened = openByBall(dense, depth2, D, g.spacing, OPEN_MM, 0.5 * g.spacing[1]);
  const comps = labelComponents(opened, D);
  const voxelMl = (g.spacing[0] * g.spacing[1] * g.spacing[2]) / 1000;
  const lattice = { fz: g.fz, fy: g.fy, fx: g.fx, slices: g.slices, rows: g.rows, columns: g.columns };
  const out: DenseFindings = { consolidations: [], atelectases: [], lattice, awaiting: [] };
  for (const part of componentVoxels(comps.labels, comps.sizes, comps.count, Math.ceil(MIN_ML / voxelMl))) {
    const id = comps.labels[part[0]];
    const vox = part.map((j) => idx[j]);
    let againstFluid = 0, faces = 0;
    for (const i of vox) {
      for (const j of [i - 1, i + 1, i - g.columns, i + g.columns, i - plane, i + plane]) {
        if (j < 0 || j >= n) continue;
        const b = box.toBox(j);
        if (b >= 0 && comps.labels[b] === id) continue;
        faces++;
        if (fluid[j]) againstFluid++;
      }
    }
    const region: DenseRegion = { voxels: vox, volumeMm3: vox.length * voxelMl * 1000 };
    const air = airBronchograms(ctx, vox, (i) => { const b = box.toBox(i); return b >= 0 && dense[b] === 1; });
    const base = { voxels: latticeOf(g, vox), lattice: { fz: g.fz, fy: g.fy, fx: g.fx }, huOf: (j: number) => sm[vox[j]] };
    const measures = { airBronchogramShare: round3(air), volumeMl: Math.round(region.volumeMm3 / 100) / 10, effusionContact: round3(faces ? againstFluid / faces : 0) };
    const cons = regionCandidate(ctx, { ...base, kind: 'consolidation', likelihood: 0, measures });
    if (!cons) continue;
    const big = sigmoid((cons.diameterMm - 20) / 5);
    const bronchi = sigmoid((air - 0.006) / 0.002);
    // soft tissue to fluid density: neither aerated lung nor bone, calcification or contrast-filled vessels
    const soft = sigmoid((cons.meanHU + 350) / 60) * sigmoid((150 - cons.meanHU) / 30);
    // the opening asks for 8 mm of opacity in every direction, but on slices thicker than its radius the
    // ball is one slice deep: a single thick slice of soft tissue (a diaphragmatic dome partial-volumed
    // under the lung base) survives it. An airspace opacity is centimetres deep: ask for the same 8 mm
    // through the slices, about (at least two thick slices; any opened opacity on thin slices has it).
    const deep = sigmoid((new Set(vox.map((i) => (i / plane) | 0)).size * g.spacing[0] - 1.6 * OPEN_MM) / 0.75);
    out.consolidations.push(cons);
    out.awaiting.push({ candidate: cons, region, likelihood: big * soft * deep * (0.2 + 0.75 * bronchi) });
    // atelectasis: no air bronchograms, and against an effusion or a thin plate
    const passive = sigmoid((measures.effusionContact - 0.08) / 0.03);
    const plate = sigmoid((0.3 - cons.shortAxisMm / Math.max(1, cons.diameterMm)) / 0.06) * sigmoid((8 - cons.shortAxisMm) / 1.5);
    const likelihood = big * soft * (1 - bronchi) * Math.max(0.85 * passive, 0.6 * plate, 0.1);
    const atel = regionCandidate(ctx, { ...base, kind: 'atelectasis', likelihood, measures });
    if (!atel) continue;
    out.atelectases.push(atel);
    out.awaiting.push({ candidate: atel, region, likelihood });
  }
  return out;
}

/**
 * Lowers each awaiting consolidation's and atelectasis' likelihood by the share of its opacity that round
 * focal lesions make up (by their centroids on its lattice): a round mass is no consolidation.
 */
export function weighRoundLesions(dense: Pick<DenseFindings, 'lattice' | 'awaiting'>, lesions: readonly Candidate[]): void {
  const g = dense.lattice;
  const plane = g.rows * g.columns;
  const lesionAt = new Map<number, number>();
  for (const c of lesions) {
    const ps = Math.round(c.centroidPx.slice / g.fz), pr = Math.round(c.centroidPx.row / g.fy), pc = Math.round(c.centroidPx.column / g.fx);
    if (ps < 0 || pr < 0 || pc < 0 || ps >= g.slices || pr >= g.rows || pc >= g.columns) continue;
    const i = ps * plane + pr * g.columns + pc;
    const roundness = c.lesionLikelihood * Math.min(1, c.sphericity / 0.6) * Math.min(1, c.fill / 0.6);
    lesionAt.set(i, Math.max(lesionAt.get(i) ?? 0, roundness * c.volumeMm3));
  }
  const massLikeOf = new Map<DenseRegion, number>();
  for (const a of dense.awaiting) {
    let massLike = massLikeOf.get(a.region);
    if (massLike === undefined) {
      let roundVolume = 0;
      for (const i of a.region.voxels) roundVolume += lesionAt.get(i) ?? 0;
      massLike = Math.min(1, roundVolume / a.region.volumeMm3);
      massLikeOf.set(a.region, massLike);
    }
    a.candidate.lesionLikelihood = clamp01(a.likelihood * (1 - 0.7 * massLike));
  }
}

/**
 * The space a lung occupies, in box order: its field, and what of its convex hull (per slice) lies on
 * the chest-wall side of its aerated part and above the diaphragm. A consolidated lobe is no longer air
 * and too broad for the field's closing to take in; the hull takes it back, while the mediastinum (medial
 * of the aerated lung on the same row) and the domes under the lung stay out. Behind the hila, also what
 * has the same lung's field within SANDWICH_MM both over and under it.
 */
function lungSpace(ctx: FindingContext, box: GridBox): Uint8Array {
  const { g, m } = ctx;
  const plane = g.rows * g.columns;
  const bp = box.rows * box.columns;
  const out = new Uint8Array(box.slices * bp);
  const hull = new Uint8Array(bp);
  for (let bs = 0; bs < box.slices; bs++) {
    const s = bs + box.s0;
    const z = g.origin[s][2];
    for (const side of [1, 2]) {
      // each row's outermost voxels of the field span its convex hull
      const pts: number[] = [];
      let rFirst = -1, rLast = -1;
      for (let r = 0; r < box.rows; r++) {
        const base = s * plane + (r + box.r0) * g.columns + box.c0;
        let a = 0, b = box.columns - 1;
        while (a < box.columns && m.lung[base + a] !== side) a++;
        if (a === box.columns) continue;
        while (m.lung[base + b] !== side) b--;
        pts.push(a, r);
        if (b !== a) pts.push(b, r);
        if (rFirst < 0) rFirst = r;
        rLast = r;
      }
      if (pts.length < 6) continue;
      hull.fill(0);
      fillConvexPolygon(convexHull(pts), hull, 0, box.rows, box.columns);
      // rows outside the field's own have neither field nor hull: nothing to mark there
      for (let r = rFirst; r <= rLast; r++) {
        // the aerated lung's medial edge on this row (patient x): beyond it towards the midline is mediastinum
        let medial = NaN;
        for (let c = 0; c < box.columns; c++) {
          if (m.aerated[s * plane + (r + box.r0) * g.columns + c + box.c0] !== side) continue;
          const x = g.origin[s][0] + g.rowStep[0] * (r + box.r0) + g.colStep[0] * (c + box.c0);
          medial = Number.isNaN(medial) ? x : side === 1 ? Math.max(medial, x) : Math.min(medial, x);
        }
        for (let c = 0; c < box.columns; c++) {
          const i = s * plane + (r + box.r0) * g.columns + c + box.c0;
          const j = bs * bp + r * box.columns + c;
          if (m.lung[i] === side) { out[j] = 1; continue; }
          if (!hull[r * box.columns + c] || !m.body[i] || m.aerated[i]) continue;
          const x = g.origin[s][0] + g.rowStep[0] * (r + box.r0) + g.colStep[0] * (c + box.c0);
          if (!Number.isNaN(medial) && (side === 1 ? x > medial : x < medial)) continue;
          const q = i - s * plane;
          if (!Number.isNaN(m.diaphragmZ[q]) && z < m.diaphragmZ[q] - g.spacing[0]) continue;
          out[j] = 1;
        }
      }
    }
  }
  // a consolidation in a posterior corner of the lung (its paravertebral gutter, say) is outside the hull of
  // what its slice keeps aerated, and medial of the aerated lung left on its rows; yet the same lung lies
  // over and under it. Behind the hila only: the descending aorta, the spine and the crura run on through
  // the slices (no lung over and under them) and the domes are under the diaphragm, while the heart, in
  // front, has lung over and under its lateral border.
  const hilumY = [m.airway.hila.right?.[1], m.airway.hila.left?.[1]];
  const k = Math.max(1, Math.round(SANDWICH_MM / g.spacing[0]));
  const prevAt = new Int32Array(box.slices), prevSide = new Uint8Array(box.slices);
  for (let r = 0; r < box.rows; r++)
    for (let c = 0; c < box.columns; c++) {
      const q = (r + box.r0) * g.columns + c + box.c0;
      let at = -1, side = 0;
      for (let bs = 0; bs < box.slices; bs++) {
        prevAt[bs] = at; prevSide[bs] = side;
        const l = m.lung[(bs + box.s0) * plane + q];
        if (l) { at = bs; side = l; }
      }
      at = -1; side = 0;
      for (let bs = box.slices - 1; bs >= 0; bs--) {
        const i = (bs + box.s0) * plane + q;
        const l = m.lung[i];
        if (l) { at = bs; side = l; continue; }
        const j = bs * bp + r * box.columns + c;
        if (out[j] || at < 0 || prevAt[bs] < 0 || side !== prevSide[bs] || at - bs > k || bs - prevAt[bs] > k) continue;
        if (!m.body[i] || m.aerated[i]) continue;
        const o = g.origin[bs + box.s0];
        const behind = hilumY[side - 1];
        if (behind === undefined || o[1] + g.rowStep[1] * (r + box.r0) + g.colStep[1] * (c + box.c0) <= behind) continue;
        const z = o[2];
        if (!Number.isNaN(m.diaphragmZ[q]) && z < m.diaphragmZ[q] - g.spacing[0]) continue;
        out[j] = 1;
      }
    }
  return out;
}

/**
 * Share of the opacity that is air at full resolution inside it: on each slice, its dense lung (the
 * opacity and the dense tissue touching it, before the opening) closed by 2 mm and its holes filled; the
 * air inside, away from its rim, is the bronchi it holds.
 */
function airBronchograms(ctx: FindingContext, vox: Int32Array, isDense: (i: number) => boolean): number {
  const { v, g } = ctx;
  const plane = g.rows * g.columns;
  const k = Math.max(1, Math.round(3 / g.spacing[1]));
  let air = 0, all = 0;
  const bySlice = new Map<number, number[]>();
  for (const i of vox) {
    const s = (i / plane) | 0;
    let list = bySlice.get(s);
    if (!list) { list = []; bySlice.set(s, list); }
    list.push(i - s * plane);
  }
  for (const [s, qs] of bySlice) {
    let r0 = g.rows, r1 = -1, c0 = g.columns, c1 = -1;
    for (const q of qs) { const r = (q / g.columns) | 0, c = q % g.columns; r0 = Math.min(r0, r); r1 = Math.max(r1, r); c0 = Math.min(c0, c); c1 = Math.max(c1, c); }
    r0 = Math.max(0, r0 - k - 1); r1 = Math.min(g.rows - 1, r1 + k + 1); c0 = Math.max(0, c0 - k - 1); c1 = Math.min(g.columns - 1, c1 + k + 1);
    const h = r1 - r0 + 1, w = c1 - c0 + 1;
    // the opacity with the dense tissue of its box (its walls between bronchi, which the opening took away)
    const mask = new Uint8Array(h * w);
    for (const q of qs) mask[(((q / g.columns) | 0) - r0) * w + (q % g.columns) - c0] = 1;
    for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) if (isDense(s * plane + (r + r0) * g.columns + c + c0)) mask[r * w + c] = 1;
    const dims = { slices: 1, rows: h, columns: w };
    const spacing: [number, number, number] = [1, g.spacing[1], g.spacing[2]];
    const closed = closeByBall(mask, dims, spacing, 2);
    fillHoles2D(closed, 0, h, w, new Uint8Array(h * w));
    // only what lies within the opacity's own outline, away from its rim (partial volume with the lung around it)
    const own = new Uint8Array(h * w);
    for (const q of qs) own[(((q / g.columns) | 0) - r0) * w + (q % g.columns) - c0] = 1;
    const ownClosed = closeByBall(own, dims, spacing, 3);
    fillHoles2D(ownClosed, 0, h, w, new Uint8Array(h * w));
    const inner = squaredDistanceToBackground(ownClosed, dims, spacing, true);
    const rim = Math.max(g.spacing[1], g.spacing[2]) ** 2;
    for (let rr = 0; rr < h; rr++)
      for (let cc = 0; cc < w; cc++) {
        if (inner[rr * w + cc] <= rim || !closed[rr * w + cc]) continue;
        for (let vs = s * g.fz; vs < Math.min(v.slices, s * g.fz + g.fz); vs++)
          for (let vr = (rr + r0) * g.fy; vr < Math.min(v.rows, (rr + r0 + 1) * g.fy); vr++)
            for (let vc = (cc + c0) * g.fx; vc < Math.min(v.columns, (cc + c0 + 1) * g.fx); vc++) {
              all++;
              if (v.hu[(vs * v.rows + vr) * v.columns + vc] < AIR_HU) air++;
            }
      }
  }
  return all ? air / all : 0;
}
