/**
 * Turning a region found by one of the chest-finding stages (a lymph node, an effusion, a pneumothorax,
 * an emphysematous area, a consolidation, ...) into a `Candidate` like the lesions': the slices it spans
 * with its box on each, its long and short axis on the slice where it is largest, its centroid, side,
 * zone, lobe, position within its lung and its density. Regions come as voxel lists on a lattice: the
 * analysis grid (fz × fy × fx volume voxels per voxel) or the volume itself (1 × 1 × 1).
 */
import type { Volume, Vec3 } from '../../series/volume';
import { symmetricEigenvalues3 } from './candidates';
import type { Grid } from './grid';
import type { LungMasks } from './lungs';
import { positionInLung } from './lung-position';
import { feretAxes } from './measure';
import { addToSliceBoxes, type SliceBox } from './morphology';
import { volumeSlicesOf } from './volume-slices';
import type { Candidate, CandidateKind, CandidateSlice, LungSide, Wall } from './types';

/** Volume voxels per lattice voxel along slices, rows and columns. */
export interface Lattice {
  fz: number;
  fy: number;
  fx: number;
}

export const FULL_RESOLUTION: Lattice = { fz: 1, fy: 1, fx: 1 };

/**
 * What every chest-finding stage reads: the volume, the grid, the lungs and airway, the compartments.
 * Not the focal lesions: the stages run while the lesions are still being searched (pipeline.ts).
 */
export interface FindingContext {
  v: Volume;
  g: Grid;
  m: LungMasks;
  /** One Compartment label per grid voxel (lung field as lung). */
  compartments: Uint8Array;
}

/** What is measured inside the focal lesions (cavity.ts) reads: the volume, the lungs and the lesions. */
export interface LesionContext extends Pick<FindingContext, 'v' | 'm'> {
  /** The focal lesion candidates (kind 'lesion'). */
  lesions: readonly Candidate[];
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

/** Patient position (mm) of a fractional volume voxel (slice, row, column). */
export function volumeToPatient(v: Volume, slice: number, row: number, column: number): Vec3 {
  const k = Math.max(0, Math.min(v.slices - 1, Math.floor(slice)));
  const k2 = Math.min(v.slices - 1, k + 1);
  const t = Math.max(0, Math.min(1, slice - k));
  const p = v.positions[k], q = v.positions[k2];
  const [rs, cs] = v.pixelSpacing;
  const out: Vec3 = [0, 0, 0];
  for (let i = 0; i < 3; i++) out[i] = p[i] + (q[i] - p[i]) * t + v.rowCosines[i] * column * cs + v.columnCosines[i] * row * rs;
  return out;
}

export interface RegionOptions {
  kind: CandidateKind;
  /** Flat lattice coordinates [s, r, c, s, r, c, ...] (volume lattice, not a crop). */
  voxels: ArrayLike<number>;
  lattice: Lattice;
  /** HU of the k-th voxel (k = index of its triple). */
  huOf: (k: number) => number;
  /** 0..1: the probability that the region is a real finding of its kind. */
  likelihood: number;
  station?: string;
  stationsReached?: string[];
  amount?: Candidate['amount'];
  measures?: Record<string, number>;
  /** Side when the stage knows it better than the voxels' majority (an effusion against one lung). */
  side?: LungSide;
  wall?: Wall | null;
  /** Slices of the region to report (a subset: the worst slices of an emphysematous zone); all when absent. */
  keepSlice?: (latticeSlice: number) => boolean;
}

/**
 * The region as a candidate of its kind, or null when it is empty. Its id is 0: the caller numbers the
 * candidates of every stage after the lesions.
 */
export function regionCandidate(ctx: FindingContext, o: RegionOptions): Candidate | null {
  const { v, g, m } = ctx;
  const { fz, fy, fx } = o.lattice;
  const n = Math.floor(o.voxels.length / 3);
  if (!n) return null;
  const [rowSp, colSp] = v.pixelSpacing;
  const voxelMm3 = v.sliceSpacing * fz * rowSp * fy * colSp * fx;
  // per lattice slice: box and count; moments for the shape; HU for the density
  const perSlice = new Map<number, SliceBox>();
  let ss = 0, sr = 0, sc = 0, left = 0, right = 0;
  const hus = new Float32Array(n);
  let huSum = 0, solid = 0, gg = 0, calc = 0;
  for (let k = 0; k < n; k++) {
    const s = o.voxels[3 * k], r = o.voxels[3 * k + 1], c = o.voxels[3 * k + 2];
    ss += s; sr += r; sc += c;
    addToSliceBoxes(perSlice, s, r, c);
    const hu = o.huOf(k);
    hus[k] = hu;
    huSum += hu;
    if (hu > 200) calc++;
    if (hu > -300) solid++;
    else if (hu > -750) gg++;
    if (o.side) continue;
    // side: which side of the body midline (patient +x is the left)
    const gs = Math.min(g.slices - 1, ((s * fz) / g.fz) | 0);
    const x = v.positions[Math.min(v.slices - 1, s * fz)][0] + v.rowCosines[0] * (c * fx + (fx - 1) / 2) * colSp + v.columnCosines[0] * (r * fy + (fy - 1) / 2) * rowSp;
    if (x > m.midlineX[gs]) left++; else right++;
  }
  const ms = ss / n, mr = sr / n, mc = sc / n;
  // volume slices and boxes
  let maxN = 0, largest = -1;
  for (const [s, b] of perSlice) if (b.n > maxN) { maxN = b.n; largest = s; }
  const slices: CandidateSlice[] = [];
  hus.sort();
  // a volume slice's pixel is the region's when its density lies within the middle of the region's own
  const lo = hus[Math.floor(0.1 * (n - 1))], hi = hus[Math.ceil(0.9 * (n - 1))];
  for (const [s, b] of perSlice) {
    if (o.keepSlice && !o.keepSlice(s)) continue;
    const box: [number, number, number, number] = [b.c0 * fx, b.r0 * fy, Math.min(v.columns - 1, (b.c1 + 1) * fx - 1), Math.min(v.rows - 1, (b.r1 + 1) * fy - 1)];
    slices.push(...volumeSlicesOf(v, s * fz, fz, box, b.n * fx * fy, b.n / maxN, (hu) => hu >= lo && hu <= hi));
  }
  if (!slices.length) return null;
  slices.sort((a, b) => a.index - b.index);
  // long and short axis on the largest slice
  const px: number[] = [];
  for (let k = 0; k < n; k++) if (o.voxels[3 * k] === largest) px.push(o.voxels[3 * k + 2], o.voxels[3 * k + 1]);
  const axes = feretAxes(px, colSp * fx, rowSp * fy);
  // principal axes for sphericity and fill
  let css = 0, crr = 0, ccc = 0, csr = 0, csc = 0, crc = 0;
  const sz = v.sliceSpacing * fz, sy = rowSp * fy, sx = colSp * fx;
  for (let k = 0; k < n; k++) {
    const ds = (o.voxels[3 * k] - ms) * sz, dr = (o.voxels[3 * k + 1] - mr) * sy, dc = (o.voxels[3 * k + 2] - mc) * sx;
    css += ds * ds; crr += dr * dr; ccc += dc * dc; csr += ds * dr; csc += ds * dc; crc += dr * dc;
  }
  const ev = symmetricEigenvalues3(css / n + sz * sz / 12, crr / n + sy * sy / 12, ccc / n + sx * sx / 12, csr / n, csc / n, crc / n);
  const volumeMm3 = n * voxelMm3;
  const ellipsoid = (4 / 3) * Math.PI * Math.sqrt(125 * Math.max(ev[0], 1e-9) * Math.max(ev[1], 1e-9) * Math.max(ev[2], 1e-9));
  const q9 = Math.floor(n * 0.9);
  let core = 0;
  for (let k = q9; k < n; k++) core += hus[k];
  const coreHU = core / Math.max(1, n - q9);
  const centroidPx = { slice: ms * fz + (fz - 1) / 2, row: mr * fy + (fy - 1) / 2, column: mc * fx + (fx - 1) / 2 };
  const centroidMm = volumeToPatient(v, centroidPx.slice, centroidPx.row, centroidPx.column);
  const side: LungSide = o.side ?? (left >= right ? 'left' : 'right');
  const pos = positionInLung(g, m, side, centroidMm, centroidPx.slice / g.fz);
  const hilum = m.airway.hila[side];
  const hilumDistanceMm = hilum ? Math.max(0, Math.hypot(centroidMm[0] - hilum[0], centroidMm[1] - hilum[1], centroidMm[2] - hilum[2]) - axes.longMm / 2) : undefined;
  const cand: Candidate = {
    id: 0,
    kind: o.kind,
    scale: 0,
    volumeMm3,
    diameterMm: axes.longMm,
    shortAxisMm: axes.shortMm,
    equivalentDiameterMm: Math.cbrt((6 * volumeMm3) / Math.PI),
    centroidMm,
    centroidPx,
    meanHU: huSum / n,
    coreHU,
    // a finding other than a focal lesion is judged by its own stage, not by the texture of its core
    solidCoreHU: coreHU,
    solidFraction: solid / n,
    groundGlassFraction: gg / n,
    calcifiedFraction: calc / n,
    sphericity: Math.sqrt(Math.max(ev[2], 0) / Math.max(ev[0], 1e-9)),
    fill: Math.min(1, volumeMm3 / ellipsoid),
    shellOccupancy: 0,
    contextExcess: 0,
    attachment: 0,
    thicknessRatio: 1,
    bulgeFraction: 0,
    wallContact: o.wall ? 1 : 0,
    protrusionMm: Infinity,
    wall: o.wall ?? null,
    hilumDistanceMm,
    marginIrregularity: 0,
    side,
    ...pos,
    touching: [],
    slices,
    lesionLikelihood: clamp01(o.likelihood),
  };
  if (o.station) cand.station = o.station;
  if (o.stationsReached?.length) cand.stationsReached = o.stationsReached;
  if (o.amount) cand.amount = o.amount;
  if (o.measures) cand.measures = o.measures;
  return cand;
}


/** A box of the grid that a stage works in: its own dims, and its voxels' indices in the grid. */
export interface GridBox {
  s0: number; r0: number; c0: number;
  slices: number; rows: number; columns: number;
  /** Grid index of box voxel j. */
  toGrid: (j: number) => number;
  /** Box index of grid voxel i, or -1 outside the box. */
  toBox: (i: number) => number;
}

/** The grid indices of a box's voxels, in box order. */
export function boxIndices(b: GridBox, g: Pick<Grid, 'rows' | 'columns'>): Int32Array {
  const out = new Int32Array(b.slices * b.rows * b.columns);
  const plane = g.rows * g.columns;
  let j = 0;
  for (let s = b.s0; s < b.s0 + b.slices; s++)
    for (let r = b.r0; r < b.r0 + b.rows; r++) {
      const base = s * plane + r * g.columns;
      for (let c = b.c0; c < b.c0 + b.columns; c++) out[j++] = base + c;
    }
  return out;
}
