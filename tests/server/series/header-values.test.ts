/**
 * The decoder reads its header values straight from the bytes (readValues), not through a dcmjs
 * parse: the same values as dcmjs for every tag it reads, in explicit and implicit VR files and in the
 * functional group sequences of an enhanced CT file.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readPart10, type RawDict } from '../../../server/series/dcmjs-api';
import { num, nums, str } from '../../../server/series/dataset-values';
import { readValues, scanPart10 } from '../../../server/series/part10';
import { enhancedCt, newUid, readSlice } from './fixtures';

const DATA = path.resolve(__dirname, '..', '..', '..', '..', 'shared', 'data');
const hex = (t: number): string => t.toString(16).toUpperCase().padStart(8, '0');

const STRINGS = [0x00080016, 0x00080018, 0x00080060, 0x0020000d, 0x0020000e, 0x00200052, 0x00280004];
const NUMBERS = [0x00180050, 0x00280002, 0x00280008, 0x00280010, 0x00280011, 0x00280100, 0x00280101, 0x00280103, 0x00281052, 0x00281053];
const VECTORS: Array<[number, number]> = [[0x00200032, 3], [0x00200037, 6], [0x00280030, 2]];
const WANTED = new Set([...STRINGS, ...NUMBERS, ...VECTORS.map(([t]) => t), 0x00280120, 0x52009229, 0x52009230, 0x00289110, 0x00209113, 0x00209116, 0x00289145]);

function both(data: Uint8Array): [RawDict, RawDict] {
  const layout = scanPart10(data);
  const ours = readValues(data, layout, WANTED);
  const theirs = readPart10(data.buffer.slice(data.byteOffset, data.byteOffset + layout.headerEnd) as ArrayBuffer).dict;
  return [ours, theirs];
}

function expectSameValues(ours: RawDict | undefined, theirs: RawDict | undefined): void {
  for (const t of STRINGS) expect(str(ours, hex(t))).toBe(str(theirs, hex(t)));
  for (const t of NUMBERS) expect(num(ours, hex(t))).toBe(num(theirs, hex(t)));
  for (const [t, n] of VECTORS) expect(nums(ours, hex(t), n)).toEqual(nums(theirs, hex(t), n));
}

const firstFile = (dir: string): Uint8Array => new Uint8Array(readFileSync(path.join(dir, readdirSync(dir).sort()[0])));

test.each([
  ['LIDC, explicit VR little endian', () => readSlice(1)],
  ['4D-Lung', () => firstFile(path.join(DATA, '4dlung-113', 'dicom'))],
  ['Lung-PET-CT-Dx, implicit VR little endian', () => firstFile(path.join(DATA, 'lungdx-a0001', 'dicom'))],
])('the values dcmjs reads, straight from the bytes: %s', (_name, file) => {
  const [ours, theirs] = both(file());
  expectSameValues(ours, theirs);
  expect(ours['00080018']?._rawValue?.[0]).toBe((theirs['00080018'] as { _rawValue?: unknown[] })._rawValue?.[0]);
});

test('functional group sequences of an enhanced CT file, item by item', () => {
  const [ours, theirs] = both(enhancedCt(40, [2, 0, 4, 1, 3], newUid()));
  expectSameValues(ours, theirs);
  const items = (d: RawDict, tag: string) => (d[tag]?.Value ?? []) as RawDict[];
  const perFrameOurs = items(ours, '52009230');
  const perFrameTheirs = items(theirs, '52009230');
  expect(perFrameOurs).toHaveLength(5);
  perFrameOurs.forEach((item, f) => {
    const pos = (d: RawDict) => nums(items(d, '00209113')[0], '00200032', 3);
    const intercept = (d: RawDict) => num(items(d, '00289145')[0], '00281052');
    expect(pos(item)).toEqual(pos(perFrameTheirs[f]));
    expect(intercept(item)).toBe(intercept(perFrameTheirs[f]));
  });
  const shared = (d: RawDict) => items(d, '52009229')[0];
  expect(nums(items(shared(ours), '00289110')[0], '00280030', 2)).toEqual(nums(items(shared(theirs), '00289110')[0], '00280030', 2));
});
