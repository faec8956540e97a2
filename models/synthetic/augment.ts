/**
 * Other looks of the same real scan, for more varied negatives and for the eval's looks: the same anatomy
 * mirrored left to right, with another noise and calibration, with slices twice as thick, or on a sharp or
 * a soft kernel. Each is a valid Volume
 * (geometry included), so the analysis sees it as it would see another scanner's series.
 */
import type { Volume, Vec3 } from '../../server/series/volume';
import { gauss, rng } from './lesion';

export type Augmentation = 'mirror' | 'noise' | 'thick' | 'sharp' | 'soft';
/** The looks make-candidates.ts adds negatives from (the likelihood's fit; a refit with the kernels too read the real lesions worse). */
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
  if (kind === 'sharp') return { ...v, hu: sharpened(v) };
  if (kind === 'soft') return { ...v, hu: softened(v) };
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

/**
 * A lung (edge-enhancing) kernel's look: each slice unsharp-masked in-plane (1.5 × the difference from
 * a [1 2 1]² blur, about 1 pixel), which raises the noise and rings at the edges of vessels and walls.
 */
export function sharpened(v: Volume): Float32Array {
  const kernel = Float64Array.of(0.25, 0.5, 0.25);
  const out = blurredInPlane(v, kernel, kernel);
  for (let i = 0; i < out.length; i++) out[i] = v.hu[i] + 1.5 * (v.hu[i] - out[i]);
  return out;
}

/**
 * The in-plane blur (mm, one deviation) of a soft-tissue kernel's look: the pixel noise (noise.ts) falls to 0.33, 0.64 and
 * 0.45 of the development scans' (a standard, an unnamed and a lung kernel), about what a soft kernel does to a standard one.
 */
const SOFT_KERNEL_MM = 0.5;

/** A soft kernel's look: each slice blurred in-plane by a Gaussian of `sigmaMm`. */
export function softened(v: Volume, sigmaMm = SOFT_KERNEL_MM): Float32Array {
  const gaussian = (spacing: number): Float64Array => {
    const sigma = sigmaMm / spacing, k = Math.ceil(3 * sigma);
    const w = Float64Array.from({ length: 2 * k + 1 }, (_, i) => Math.exp(-((i - k) ** 2) / (2 * sigma * sigma)));
    const sum = w.reduce((a, b) => a + b, 0);
    return w.map((x) => x / sum);
  };
  return blurredInPlane(v, gaussian(v.pixelSpacing[1]), gaussian(v.pixelSpacing[0]));
}

/** Each slice convolved along its rows with `across` and along its columns with `down` (odd lengths, centred; edges clamped). */
function blurredInPlane(v: Volume, across: Float64Array, down: Float64Array): Float32Array {
  const { rows, columns } = v;
  const plane = rows * columns;
  const kc = (across.length - 1) / 2, kr = (down.length - 1) / 2;
  const out = new Float32Array(v.hu.length);
  const pass = new Float32Array(plane);
  for (let s = 0; s < v.slices; s++) {
    const o = s * plane;
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < columns; c++) {
        let sum = 0;
        for (let t = -kc; t <= kc; t++) sum += across[t + kc] * v.hu[o + r * columns + Math.min(columns - 1, Math.max(0, c + t))];
        pass[r * columns + c] = sum;
      }
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < columns; c++) {
        let sum = 0;
        for (let t = -kr; t <= kr; t++) sum += down[t + kr] * pass[Math.min(rows - 1, Math.max(0, r + t)) * columns + c];
        out[o + r * columns + c] = sum;
      }
  }
  return out;
}
