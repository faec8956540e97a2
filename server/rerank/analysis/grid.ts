/**
 * The analysis grid: the volume block-averaged to roughly 1.4 mm in-plane and 2 mm between slices,
 * so masks and candidates cost a fraction of full resolution, plus the geometry that maps grid
 * voxels back to original slices, pixels and patient millimetres (DICOM LPS: +x left, +y posterior, +z head).
 */
import { sharedFloat32 } from '../../series/assemble';
import type { Volume, Vec3 } from '../../series/volume';
import type { Dims } from './morphology';

export interface Grid extends Dims {
  /** Block sizes: original slices, rows, columns per grid voxel. */
  fz: number;
  fy: number;
  fx: number;
  /** Grid spacing in mm: [slice, row, column]. */
  spacing: [number, number, number];
  /** Block-averaged HU. */
  hu: Float32Array;
  /** Patient position (mm) of the centre of grid voxel (0,0,0) of each grid slice. */
  origin: Vec3[];
  /** Patient displacement per grid row and per grid column (mm). */
  rowStep: Vec3;
  colStep: Vec3;
}

/** How many slices of this spacing (mm) one grid slice averages: ≈2 mm of them. */
const sliceFactor = (sliceSpacing: number): number => Math.max(1, Math.round(2 / Math.max(sliceSpacing, 1e-3)));

/**
 * In-plane and through-plane block factors: pixels of 1.15–2 mm (0.7 mm → 1.4, 1 mm → 2) and ≈2 mm
 * slices. Every pixel finer than 1.15 mm is averaged with a neighbour: fine pixels cost time and bring
 * noise, and a 5 mm nodule is still three grid pixels across.
 */
export function gridFactors(v: Pick<Volume, 'pixelSpacing' | 'sliceSpacing'>): [number, number, number] {
  const fy = Math.max(1, Math.ceil(1.15 / v.pixelSpacing[0]));
  const fx = Math.max(1, Math.ceil(1.15 / v.pixelSpacing[1]));
  return [sliceFactor(v.sliceSpacing), fy, fx];
}

/** The spacing (mm) of the grid's slices on a series of this slice spacing: what a candidate's 3D shape is measured at. */
export const gridSliceSpacing = (sliceSpacing: number): number => sliceSpacing * sliceFactor(sliceSpacing);

export function buildGrid(v: Volume): Grid {
  const [fz, fy, fx] = gridFactors(v);
  const slices = Math.ceil(v.slices / fz);
  const rows = Math.ceil(v.rows / fy);
  const columns = Math.ceil(v.columns / fx);
  const plane = rows * columns;
  // shared memory, as the volume's: the analysis' later stages may run on other threads (workers/analyse-in-pool.ts)
  const hu = sharedFloat32(slices * plane);
  if (fz === 1 && fy === 2 && fx === 2 && v.rows % 2 === 0 && v.columns % 2 === 0) {
    // the common case (0.6–0.9 mm pixels, ≥ 1.5 mm slices): 2×2 means, two source rows at a time
    const srcPlane = v.rows * v.columns;
    for (let s = 0; s < v.slices; s++)
      for (let r = 0; r < rows; r++) {
        const a = s * srcPlane + 2 * r * v.columns;
        const b = a + v.columns;
        const o = s * plane + r * columns;
        for (let c = 0; c < columns; c++) {
          const k = 2 * c;
          hu[o + c] = (v.hu[a + k] + v.hu[a + k + 1] + v.hu[b + k] + v.hu[b + k + 1]) * 0.25;
        }
      }
    return finishGrid(v, hu, slices, rows, columns, fz, fy, fx);
  }
  // each grid row sums its block of source rows once, then divides by the block's size (smaller at the far edges)
  const srcPlane = v.rows * v.columns;
  const colMap = new Int32Array(v.columns);
  for (let c = 0; c < v.columns; c++) colMap[c] = (c / fx) | 0;
  const colCount = new Float32Array(columns);
  for (let gc = 0; gc < columns; gc++) colCount[gc] = Math.min(fx, v.columns - gc * fx);
  const acc = new Float32Array(columns);
  for (let gs = 0; gs < slices; gs++) {
    const s1 = Math.min(v.slices, gs * fz + fz);
    for (let gr = 0; gr < rows; gr++) {
      const r1 = Math.min(v.rows, gr * fy + fy);
      acc.fill(0);
      for (let s = gs * fz; s < s1; s++)
        for (let r = gr * fy; r < r1; r++) {
          const row = s * srcPlane + r * v.columns;
          if (fx === 2 && (v.columns & 1) === 0) {
            for (let c = 0, gc = 0; c < v.columns; c += 2, gc++) acc[gc] += v.hu[row + c] + v.hu[row + c + 1];
          } else {
            for (let c = 0; c < v.columns; c++) acc[colMap[c]] += v.hu[row + c];
          }
        }
      const inv = 1 / ((s1 - gs * fz) * (r1 - gr * fy));
      const o = gs * plane + gr * columns;
      for (let gc = 0; gc < columns; gc++) hu[o + gc] = (acc[gc] * inv) / colCount[gc];
    }
  }
  // pixels of a millimetre and more are kept, but their noise would speckle every density threshold: a light blur
  if (fy === 1 && fx === 1) smoothInPlane(hu, slices, rows, columns);
  return finishGrid(v, hu, slices, rows, columns, fz, fy, fx);
}

/** In-place [1 2 1]/4 blur along rows and columns of every slice. */
function smoothInPlane(hu: Float32Array, slices: number, rows: number, columns: number): void {
  const line = new Float32Array(Math.max(rows, columns));
  for (let s = 0; s < slices; s++) {
    const off = s * rows * columns;
    for (let r = 0; r < rows; r++) {
      const o = off + r * columns;
      for (let c = 0; c < columns; c++) line[c] = hu[o + c];
      for (let c = 1; c < columns - 1; c++) hu[o + c] = (line[c - 1] + 2 * line[c] + line[c + 1]) / 4;
    }
    for (let c = 0; c < columns; c++) {
      for (let r = 0; r < rows; r++) line[r] = hu[off + r * columns + c];
      for (let r = 1; r < rows - 1; r++) hu[off + r * columns + c] = (line[r - 1] + 2 * line[r] + line[r + 1]) / 4;
    }
  }
}

function finishGrid(v: Volume, hu: Float32Array, slices: number, rows: number, columns: number, fz: number, fy: number, fx: number): Grid {
  const [rowSpacing, colSpacing] = v.pixelSpacing;
  const colStep: Vec3 = [v.rowCosines[0] * colSpacing * fx, v.rowCosines[1] * colSpacing * fx, v.rowCosines[2] * colSpacing * fx];
  const rowStep: Vec3 = [v.columnCosines[0] * rowSpacing * fy, v.columnCosines[1] * rowSpacing * fy, v.columnCosines[2] * rowSpacing * fy];
  const origin: Vec3[] = [];
  for (let gs = 0; gs < slices; gs++) {
    const s0 = gs * fz;
    const s1 = Math.min(v.slices - 1, s0 + fz - 1);
    const p0 = v.positions[s0];
    const p1 = v.positions[s1];
    // centre of the block: mean slice position, plus half a block in-plane minus half a pixel
    const ox = (fx - 1) / 2 / fx;
    const oy = (fy - 1) / 2 / fy;
    origin.push([
      (p0[0] + p1[0]) / 2 + colStep[0] * ox + rowStep[0] * oy,
      (p0[1] + p1[1]) / 2 + colStep[1] * ox + rowStep[1] * oy,
      (p0[2] + p1[2]) / 2 + colStep[2] * ox + rowStep[2] * oy,
    ]);
  }
  return {
    slices, rows, columns, fz, fy, fx,
    spacing: [v.sliceSpacing * fz, rowSpacing * fy, colSpacing * fx],
    hu, origin, rowStep, colStep,
  };
}

/** The full-resolution slice that stands for grid slice `gs`: the middle of those it averages. */
export function middleVolumeSlice(g: Pick<Grid, 'fz'>, volumeSlices: number, gs: number): number {
  return Math.min(volumeSlices - 1, gs * g.fz + (g.fz >> 1));
}

/** Patient coordinates (mm) of a (possibly fractional) grid position. */
export function gridToPatient(g: Grid, s: number, r: number, c: number): Vec3 {
  const k = Math.max(0, Math.min(g.slices - 1, Math.round(s)));
  const o = g.origin[k];
  // interpolate along the slice direction for fractional s
  const k2 = Math.max(0, Math.min(g.slices - 1, k + (s >= k ? 1 : -1)));
  const t = k2 === k ? 0 : Math.abs(s - k);
  const o2 = g.origin[k2];
  return [
    o[0] + (o2[0] - o[0]) * t + g.rowStep[0] * r + g.colStep[0] * c,
    o[1] + (o2[1] - o[1]) * t + g.rowStep[1] * r + g.colStep[1] * c,
    o[2] + (o2[2] - o[2]) * t + g.rowStep[2] * r + g.colStep[2] * c,
  ];
}
