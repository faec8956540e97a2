/** Vector helpers and the checks that turn ImageOrientationPatient into an orthonormal frame. */
import type { Vec3 } from './volume';

export function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

export function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

export function norm(a: Vec3): number {
  return Math.hypot(a[0], a[1], a[2]);
}

function unit(a: Vec3): Vec3 {
  const n = norm(a);
  return [a[0] / n, a[1] / n, a[2] / n];
}

/** Tolerance on direction cosines: DS values carry a few decimals, so exact unit length is not expected. */
const COSINE_TOLERANCE = 1e-2;

export interface Orientation {
  rowCosines: Vec3;
  columnCosines: Vec3;
  normal: Vec3;
}

/**
 * ImageOrientationPatient (6 numbers) → unit row and column cosines and their cross product, or
 * undefined when they are not two (nearly) unit, (nearly) orthogonal vectors.
 */
export function orientationFrom(iop: readonly number[]): Orientation | undefined {
  if (iop.length !== 6 || !iop.every(Number.isFinite)) return undefined;
  const r: Vec3 = [iop[0], iop[1], iop[2]];
  const c: Vec3 = [iop[3], iop[4], iop[5]];
  if (Math.abs(norm(r) - 1) > COSINE_TOLERANCE || Math.abs(norm(c) - 1) > COSINE_TOLERANCE) return undefined;
  if (Math.abs(dot(r, c)) > COSINE_TOLERANCE) return undefined;
  const rowCosines = unit(r);
  const columnCosines = unit(c);
  return { rowCosines, columnCosines, normal: unit(cross(rowCosines, columnCosines)) };
}

/** Largest absolute difference between corresponding components. */
export function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
