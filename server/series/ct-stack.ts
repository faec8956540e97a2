/** The precondition of the chest CT pipeline: a CT volume with enough slices to find a lesion in 3D. */
import { NotCtStackError } from './errors';
import type { Volume } from './volume';

/** Fewer slices than this cannot show a nodule across neighbouring slices or place it along the lungs. */
export const MIN_CT_SLICES = 10;

export function requireCtStack(volume: Pick<Volume, 'modality' | 'slices'>): void {
  if (volume.modality !== 'CT') {
    throw new NotCtStackError(`this is a ${volume.modality || 'unknown'} series; Slice Finder reads CT series only`);
  }
  if (volume.slices < MIN_CT_SLICES) {
    throw new NotCtStackError(
      `the series has ${volume.slices} slice(s); Slice Finder needs a CT stack of at least ${MIN_CT_SLICES} slices`,
    );
  }
}
