/**
 * Other looks of an annotated case for `eval --looks`: the same patient as another scanner would show
 * it (more noise and another calibration, a sharp lung kernel, or slices twice as thick), with its
 * ground truth carried along, so the real lesions are found again on images no threshold was chosen on.
 */
import { augment } from '../models/synthetic/augment';
import type { Volume } from '../server/series/volume';
import type { EvalCase, GroundTruthLesion } from './eval-cases';

export const LOOKS = ['noise', 'sharp', 'thick'] as const;
export type Look = (typeof LOOKS)[number];

type Box = [number, number, number, number];

/** The case as `look` shows it: its volume, and its lesions on the slices that volume keeps. */
export function caseLook(c: EvalCase, v: Volume, look: Look): { case: EvalCase; volume: Volume } {
  if (look === 'sharp') return { case: { ...c, name: `${c.name}+${look}` }, volume: { ...v, hu: sharpened(v) } };
  const volume = augment(v, look);
  if (look === 'noise') return { case: { ...c, name: `${c.name}+${look}` }, volume };
  // thick: each kept slice (the first of a pair) stands for both; a lesion on either is on it, boxes joined
  const keptAs = new Map<string, string>();
  for (let s = 0; 2 * s + 1 < v.slices; s++) {
    keptAs.set(v.sopInstanceUIDs[2 * s], v.sopInstanceUIDs[2 * s]);
    keptAs.set(v.sopInstanceUIDs[2 * s + 1], v.sopInstanceUIDs[2 * s]);
  }
  const lesions = new Map<string, GroundTruthLesion>();
  for (const [id, l] of c.lesions) {
    const uids = [...new Set(l.sop_instance_uids.flatMap((u) => keptAs.get(u) ?? []))];
    let boxes: Record<string, Box> | undefined;
    if (l.boxes) {
      boxes = {};
      for (const [u, b] of Object.entries(l.boxes)) {
        const k = keptAs.get(u);
        if (!k) continue;
        const o = boxes[k];
        boxes[k] = o ? [Math.min(o[0], b[0]), Math.min(o[1], b[1]), Math.max(o[2], b[2]), Math.max(o[3], b[3])] : b;
      }
    }
    lesions.set(id, { ...l, sop_instance_uids: uids, boxes });
  }
  return { case: { ...c, name: `${c.name}+${look}`, lesions }, volume };
}

/**
 * A lung (edge-enhancing) kernel's look: each slice unsharp-masked in-plane (1.5 × the difference from
 * a [1 2 1]² blur, about 1 pixel), which raises the noise and rings at the edges of vessels and walls.
 */
function sharpened(v: Volume): Float32Array {
  const { rows, columns } = v;
  const plane = rows * columns;
  const out = new Float32Array(v.hu.length);
  const across = new Float32Array(plane);
  for (let s = 0; s < v.slices; s++) {
    const o = s * plane;
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < columns; c++) {
        const p = o + r * columns + c;
        across[r * columns + c] = (v.hu[c > 0 ? p - 1 : p] + 2 * v.hu[p] + v.hu[c < columns - 1 ? p + 1 : p]) / 4;
      }
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < columns; c++) {
        const q = r * columns + c;
        const blur = (across[r > 0 ? q - columns : q] + 2 * across[q] + across[r < rows - 1 ? q + columns : q]) / 4;
        out[o + q] = v.hu[o + q] + 1.5 * (v.hu[o + q] - blur);
      }
  }
  return out;
}
