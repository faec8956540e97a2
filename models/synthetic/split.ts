/**
 * Which slices of a development scan the lesion model may train on and which the synthetic suite
 * evaluates on: the lungs' height is cut into twelve bands (about 2 cm each), alternately for training
 * (even) and for evaluation (odd), so every evaluation lesion sits on slices the model never saw, while
 * every anatomical level (apex, arch, hila, heart, domes) still has training slices close by. The real
 * lesions' own slices are excluded from training altogether (models/train).
 */
import type { LungMasks } from '../../server/rerank/analysis/lungs';

const BANDS = 12;

/** Band (0 = base … 11 = apex) of patient height `z` (mm) within the lungs, or null outside them. */
export function bandOf(lungs: Pick<LungMasks, 'levels'>, z: number): number | null {
  const { apexZ, baseZ } = lungs.levels;
  if (apexZ === undefined || baseZ === undefined || apexZ <= baseZ) return null;
  const f = (z - baseZ) / (apexZ - baseZ);
  if (f < 0 || f > 1) return null;
  return Math.min(BANDS - 1, Math.floor(f * BANDS));
}

export function isEvaluationBand(lungs: Pick<LungMasks, 'levels'>, z: number): boolean {
  const b = bandOf(lungs, z);
  return b !== null && b % 2 === 1;
}

export function isTrainingBand(lungs: Pick<LungMasks, 'levels'>, z: number): boolean {
  const b = bandOf(lungs, z);
  return b !== null && b % 2 === 0;
}
