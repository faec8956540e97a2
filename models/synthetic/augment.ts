/**
 * Other looks of the same real scan, for more varied negatives: the same anatomy mirrored left to
 * right, with another noise and calibration, or with slices twice as thick. Each is a valid Volume
 * (geometry included), so the analysis sees it as it would see another scanner's series.
 */
import type { Volume, Vec3 } from '../../server/series/volume';
import { gauss, rng } from './lesion';

export type Augmentation = 'mirror' | 'noise' | 'thick';
export const AUGMENTATIONS: Augmentation[] = ['mirror', 'noise', 'thick'];

export function augment(v: Volume, kind: Augmentation, seed = 1): Volume {
  const { slices, rows, columns } = v;
  const plane = rows * columns;
  if (kind === 'mirror') {
    const hu = new Float32Array(v.hu.length);
    for (let s = 0; s < slices; s++)
      for (let r = 0; r < rows; r++) {
        const o = s * plane + r * columns;
        for (let c = 0; c < columns; c++) hu[o + c] = v.hu[o + columns - 1 - c];
      }
    // the same patient points, now with the image's column direction reversed
    const dx = (columns - 1) * v.pixelSpacing[1];
    const rowCosines: Vec3 = [-v.rowCosines[0], -v.rowCosines[1], -v.rowCosines[2]];
    const normal: Vec3 = [
      rowCosines[1] * v.columnCosines[2] - rowCosines[2] * v.columnCosines[1],
      rowCosines[2] * v.columnCosines[0] - rowCosines[0] * v.columnCosines[2],
      rowCosines[0] * v.columnCosines[1] - rowCosines[1] * v.columnCosines[0],
    ];
    const positions = v.positions.map((p): Vec3 => [p[0] + v.rowCosines[0] * dx, p[1] + v.rowCosines[1] * dx, p[2] + v.rowCosines[2] * dx]);
    // volume order is ascending along the normal: a flipped normal reverses it
    const order = normal[2] * v.normal[2] < 0 ? [...Array(slices).keys()].reverse() : [...Array(slices).keys()];
    const out = new Float32Array(hu.length);
    order.forEach((src, dst) => out.set(hu.subarray(src * plane, (src + 1) * plane), dst * plane));
    return { ...v, hu: out, rowCosines, normal, positions: order.map((i) => positions[i]), sopInstanceUIDs: order.map((i) => v.sopInstanceUIDs[i]), frames: order.map((i) => v.frames[i]) };
  }
  if (kind === 'noise') {
    const r = rng(seed);
    const offset = (r() - 0.5) * 40, sd = 10 + r() * 15;
    const hu = new Float32Array(v.hu.length);
    for (let i = 0; i < hu.length; i++) hu[i] = v.hu[i] + offset + sd * gauss(r);
    return { ...v, hu };
  }
  // thick: pairs of slices averaged into one, twice the spacing
  const n = Math.floor(slices / 2);
  const hu = new Float32Array(n * plane);
  for (let s = 0; s < n; s++)
    for (let q = 0; q < plane; q++) hu[s * plane + q] = (v.hu[2 * s * plane + q] + v.hu[(2 * s + 1) * plane + q]) / 2;
  const pick = <T>(a: readonly T[]): T[] => Array.from({ length: n }, (_, s) => a[2 * s]);
  const positions = Array.from({ length: n }, (_, s): Vec3 => {
    const a = v.positions[2 * s], b = v.positions[2 * s + 1];
    return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2];
  });
  return { ...v, slices: n, hu, positions, sliceSpacing: v.sliceSpacing * 2, sopInstanceUIDs: pick(v.sopInstanceUIDs), frames: pick(v.frames) };
}
