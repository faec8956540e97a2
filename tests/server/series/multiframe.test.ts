/**
 * Multi-frame images load frame by frame. The enhanced CT file is built here from five real slices:
 * per-frame positions (in shuffled order) and rescale, shared orientation and pixel measures.
 */
import { InvalidGeometryError } from '../../../server/series/errors';
import { loadSeriesFromBuffers } from '../../../server/series/load';
import { enhancedCt, newUid, parse, pixelsOf, readSlice, rewrite, set, sliceBuffers } from './fixtures';

const FIRST = 40;
const COUNT = 5;
/** Frame f of the file holds slice FIRST + ORDER[f]: not sorted, so the loader must sort. */
const ORDER = [2, 0, 4, 1, 3];

test('an enhanced CT file loads frame by frame, sorted along the normal, with per-frame rescale', () => {
  const uid = newUid();
  const mf = loadSeriesFromBuffers([{ name: 'enhanced.dcm', data: enhancedCt(FIRST, ORDER, uid) }]);
  const ref = loadSeriesFromBuffers(sliceBuffers(FIRST, FIRST + COUNT - 1)).volume;
  const v = mf.volume;
  expect(mf.skipped).toBe(0);
  expect([v.slices, v.rows, v.columns]).toEqual([COUNT, 512, 512]);
  expect(v.sopInstanceUIDs).toEqual(Array(COUNT).fill(uid));
  expect(v.positions).toEqual(ref.positions);
  expect(v.sliceSpacing).toBeCloseTo(2.5, 3);
  expect(v.pixelSpacing).toEqual(ref.pixelSpacing);
  // Volume slice s is file slice FIRST + (COUNT - 1 - s) (z grows as the file number falls): find its frame.
  const expectedFrames = ref.sopInstanceUIDs.map((_, s) => {
    const fileIndex = COUNT - 1 - s;
    return ORDER.indexOf(fileIndex) + 1;
  });
  expect(v.frames).toEqual(expectedFrames);
  expect(Buffer.from(v.hu.buffer).equals(Buffer.from(ref.hu.buffer))).toBe(true);
});

test('a multi-frame file and single-frame files of one series load together', () => {
  const uid = newUid();
  const extra = sliceBuffers(FIRST + COUNT, FIRST + COUNT + 1);
  const v = loadSeriesFromBuffers([{ name: 'enhanced.dcm', data: enhancedCt(FIRST, ORDER, uid) }, ...extra]).volume;
  expect(v.slices).toBe(COUNT + 2);
  expect(v.sopInstanceUIDs.filter((u) => u === uid)).toHaveLength(COUNT);
  expect(v.frames.filter((f) => f > 1).length).toBe(COUNT - 1);
});

test('a classic multi-frame file places frames with GridFrameOffsetVector', () => {
  const frames = [parse(readSlice(70)), parse(readSlice(71)), parse(readSlice(72))];
  const all = new Int16Array(512 * 512 * 3);
  frames.forEach((f, i) => all.set(pixelsOf(f), i * 512 * 512));
  const file = rewrite(readSlice(70), (d) => {
    set(d.dict, '00280008', 'IS', [3]);
    set(d.dict, '3004000C', 'DS', [0, -2.5, -5]); // files 70, 71, 72 step down in z
    d.dict['7FE00010'] = { vr: 'OW', Value: [all.buffer] };
  });
  const v = loadSeriesFromBuffers([{ name: 'grid.dcm', data: file }]).volume;
  const ref = loadSeriesFromBuffers(sliceBuffers(70, 72)).volume;
  expect(v.positions.map((p) => p[2])).toEqual(ref.positions.map((p) => p[2]));
  expect(v.frames).toEqual([3, 2, 1]);
  expect(Buffer.from(v.hu.buffer).equals(Buffer.from(ref.hu.buffer))).toBe(true);
});

test('cine frames at one position cannot form a volume', () => {
  const px = pixelsOf(parse(readSlice(70)));
  const all = new Int16Array(512 * 512 * 2);
  all.set(px, 0);
  all.set(px, 512 * 512);
  const cine = rewrite(readSlice(70), (d) => {
    set(d.dict, '00280008', 'IS', [2]);
    d.dict['7FE00010'] = { vr: 'OW', Value: [all.buffer] };
  });
  expect(() => loadSeriesFromBuffers([{ name: 'cine.dcm', data: cine }])).toThrow(InvalidGeometryError);
});
