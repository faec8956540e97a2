/**
 * The shared buffer a series' slices are decoded into, and how they come to be in order in it.
 *
 * The decoders (tasks.ts `decodeBatch`, on several threads) rescale each frame straight into a slot of one
 * SharedArrayBuffer; once every file is in, the frames are sorted along the slice normal and the slots put in
 * that order in place (`orderedHu`), so the staging buffer becomes the volume. Moving a slice costs as much
 * as decoding it again, so a frame is put where it is expected to end up (`expectedSlots`): a series' files
 * mostly come in the order of their positions, and then ordering moves nothing.
 */
import { permuteSlices, sharedFloat32, type FrameGeometry } from '../series/assemble';
import type { DecodedFrame } from '../series/decode';
import type { DecodedOrSkipped } from '../series/load';

/** A frame decoded in a worker: its geometry, and its HU either in a slot of the staging buffer or in an array of its own. */
export interface FrameHu extends FrameGeometry {
  slot?: number;
  hu?: Float32Array;
}

/** One shared buffer the decoders rescale into, slot by slot; each slot is taken once, with Atomics. */
export interface Staging {
  /** `capacity` slots of rows × columns HU (a SharedArrayBuffer). */
  hu: Float32Array;
  /** [next slot to try for a frame with no expected slot, or whose expected slot is taken] (a SharedArrayBuffer). */
  next: Int32Array;
  /** Per slot, 1 once taken (a SharedArrayBuffer). */
  taken: Int32Array;
  rows: number;
  columns: number;
}

export function newStaging(input: { frames: number; rows: number; columns: number }): Staging {
  return {
    hu: sharedFloat32(input.frames * input.rows * input.columns),
    next: new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT)),
    taken: new Int32Array(new SharedArrayBuffer(input.frames * Int32Array.BYTES_PER_ELEMENT)),
    rows: input.rows,
    columns: input.columns,
  };
}

/** The slot `wanted` if it is free, else the next free one; -1 when every slot is taken. */
export function takeSlot(staging: Staging, wanted: number | undefined): number {
  const capacity = staging.taken.length;
  if (wanted !== undefined && wanted >= 0 && wanted < capacity && Atomics.compareExchange(staging.taken, wanted, 0, 1) === 0) return wanted;
  for (;;) {
    const slot = Atomics.add(staging.next, 0, 1);
    if (slot >= capacity) return -1;
    if (Atomics.compareExchange(staging.taken, slot, 0, 1) === 0) return slot;
  }
}

/**
 * Per file index, the slot a one-frame file of a batch is expected to end up in once the series is sorted
 * along the slice normal: its index, or `capacity - 1 -` its index, as the batch's first and last one-frame
 * images run with the sort or against it (with fewer than two, against it: files numbered from the head down,
 * the sort runs from the feet up).
 */
export function expectedSlots(files: ReadonlyArray<{ index: number; decoded: DecodedOrSkipped<DecodedFrame> }>, capacity: number): Map<number, number> {
  const single = files.flatMap((f) => (f.decoded.kind === 'image' && f.decoded.frames.length === 1 ? [{ index: f.index, frame: f.decoded.frames[0] }] : []));
  const along = ({ frame: { position: p, normal: n } }: (typeof single)[number]): number => p[0] * n[0] + p[1] * n[1] + p[2] * n[2];
  const first = single[0], last = single[single.length - 1];
  const withSort = single.length >= 2 && (along(last) - along(first)) * (last.index - first.index) > 0;
  return new Map(single.map((f) => [f.index, withSort ? f.index : capacity - 1 - f.index]));
}

/**
 * The HU of the sorted frames: the staging buffer reordered in place when it holds them all (its first slices
 * then hold them, in order), else a new buffer.
 */
export function orderedHu(ordered: readonly FrameHu[], staging: Pick<Staging, 'hu'> | undefined): Float32Array {
  const length = ordered[0].rows * ordered[0].columns;
  const n = ordered.length;
  const slots = ordered.map((f) => f.slot ?? -1);
  const capacity = staging ? staging.hu.length / length : 0;
  const inPlace = staging !== undefined && slots.every((s) => s >= 0 && s < capacity) && new Set(slots).size === n;
  if (inPlace) {
    // the slots left empty (fewer frames than expected) fill the places after the last frame
    const highest = slots.reduce((a, b) => Math.max(a, b), 0);
    const used = new Uint8Array(highest + 1);
    for (const s of slots) used[s] = 1;
    const from = [...slots];
    for (let s = 0; s < highest; s++) if (!used[s]) from.push(s);
    permuteSlices(staging.hu.subarray(0, from.length * length), length, from);
    return staging.hu.subarray(0, n * length);
  }
  const hu = sharedFloat32(n * length);
  ordered.forEach((f, i) => {
    const src = f.hu ?? staging?.hu.subarray((f.slot ?? 0) * length, ((f.slot ?? 0) + 1) * length);
    if (src) hu.set(src, i * length);
  });
  return hu;
}
