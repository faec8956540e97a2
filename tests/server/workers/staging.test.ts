/**
 * The staging buffer (server/workers/staging.ts): each frame is put in the slot it will hold once the series is
 * sorted, where its file's place in the series says so (files head down, as most series come, or feet up), so
 * that ordering moves nothing; a slot is taken once; ordering in place gives the sorted frames whatever slots
 * they took, with fewer frames than slots too.
 */
import { expectedSlots, newStaging, orderedHu, takeSlot, type FrameHu } from '../../../server/workers/staging';
import type { DecodedFrame } from '../../../server/series/decode';
import type { DecodedOrSkipped } from '../../../server/series/load';

const frameAt = (z: number): DecodedFrame => ({ position: [0, 0, z], normal: [0, 0, 1], rows: 2, columns: 2 }) as unknown as DecodedFrame;
const image = (...zs: number[]): DecodedOrSkipped<DecodedFrame> => ({ kind: 'image', frames: zs.map(frameAt) }) as unknown as DecodedOrSkipped<DecodedFrame>;

describe('expectedSlots', () => {
  it('reverses the file order of a series numbered from the head down, and keeps that of one numbered from the feet up', () => {
    // z falls as the index rises: the sort along the normal (+z) runs the other way
    const headDown = [0, 1, 2].map((index) => ({ index: index + 4, decoded: image(-10 * (index + 4)) }));
    expect([...expectedSlots(headDown, 10)]).toEqual([[4, 5], [5, 4], [6, 3]]);
    const feetUp = [0, 1, 2].map((index) => ({ index: index + 4, decoded: image(10 * (index + 4)) }));
    expect([...expectedSlots(feetUp, 10)]).toEqual([[4, 4], [5, 5], [6, 6]]);
  });

  it('takes a batch of one file for the usual order, and leaves multi-frame files and skipped ones to the next free slot', () => {
    expect([...expectedSlots([{ index: 2, decoded: image(5) }], 10)]).toEqual([[2, 7]]);
    const mixed = [
      { index: 0, decoded: image(0, 3, 6) },
      { index: 1, decoded: { kind: 'skipped', reason: 'not_dicom' } as unknown as DecodedOrSkipped<DecodedFrame> },
      { index: 2, decoded: image(20) },
      { index: 3, decoded: image(30) },
    ];
    expect([...expectedSlots(mixed, 10)]).toEqual([[2, 2], [3, 3]]);
  });
});

describe('takeSlot', () => {
  it('takes the slot wanted while it is free, else the next free one, and -1 once all are taken', () => {
    const s = newStaging({ frames: 3, rows: 1, columns: 1 });
    expect(takeSlot(s, 1)).toBe(1);
    expect(takeSlot(s, 1)).toBe(0);
    expect(takeSlot(s, undefined)).toBe(2);
    expect(takeSlot(s, 7)).toBe(-1);
  });
});

describe('orderedHu', () => {
  // frame k of the series (sorted) holds the value k everywhere; `slots[k]` is where it was decoded to
  function staged(slots: number[], capacity: number): { frames: FrameHu[]; hu: Float32Array } {
    const hu = new Float32Array(capacity * 4).fill(-1);
    const frames = slots.map((slot, k) => {
      hu.fill(k, slot * 4, slot * 4 + 4);
      return { rows: 2, columns: 2, slot } as FrameHu;
    });
    return { frames, hu };
  }
  const sortedValues = (n: number): number[] => Array.from({ length: n * 4 }, (_, i) => Math.floor(i / 4));

  it('puts the slices in order in the staging buffer, whatever slots they took, with fewer frames than slots too', () => {
    for (const [slots, capacity] of [[[2, 0, 1], 3], [[4, 2, 0], 5], [[3, 4, 0, 1], 6], [[0, 1, 2], 5]] as Array<[number[], number]>) {
      const { frames, hu } = staged(slots, capacity);
      const out = orderedHu(frames, { hu });
      expect(out.buffer).toBe(hu.buffer);
      expect([...out]).toEqual(sortedValues(slots.length));
    }
  });

  it('copies into a buffer of its own when a frame holds its own HU', () => {
    const { frames, hu } = staged([1, 0], 2);
    frames.push({ rows: 2, columns: 2, hu: new Float32Array(4).fill(2) } as FrameHu);
    const out = orderedHu(frames, { hu });
    expect(out.buffer).not.toBe(hu.buffer);
    expect([...out]).toEqual(sortedValues(3));
  });
});
