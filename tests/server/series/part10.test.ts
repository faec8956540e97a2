/** The structural walk on hand-built Part 10 buffers: sequences of every length form, and the ways they break. */
import { MalformedDicomError, NotDicomError, TruncatedPixelDataError } from '../../../server/series/errors';
import { scanPart10 } from '../../../server/series/part10';

const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const UNDEFINED = 0xffffffff;

const bytes = (...parts: Array<Uint8Array | number[]>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const u16 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff];
const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
const tag = (t: number): number[] => [...u16(t >>> 16), ...u16(t & 0xffff)];
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const even = (s: string): number[] => ascii(s.length % 2 ? s + '\0' : s);

/** Explicit VR element. */
function ex(t: number, vr: string, value: Uint8Array | number[], length = value.length): Uint8Array {
  const long = ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr);
  return bytes(tag(t), ascii(vr), long ? [0, 0, ...u32(length)] : u16(length), value);
}
/** Implicit VR element. */
function im(t: number, value: Uint8Array | number[], length = value.length): Uint8Array {
  return bytes(tag(t), u32(length), value);
}
const item = (content: Uint8Array, defined = true): Uint8Array =>
  defined ? bytes(tag(0xfffee000), u32(content.length), content) : bytes(tag(0xfffee000), u32(UNDEFINED), content, tag(0xfffee00d), u32(0));
const seqEnd = (): number[] => [...tag(0xfffee0dd), ...u32(0)];

function part10(syntax: string, dataset: Uint8Array): Uint8Array {
  const meta = bytes(ex(0x00020001, 'OB', [0, 1]), ex(0x00020010, 'UI', even(syntax)));
  return bytes(new Uint8Array(128), ascii('DICM'), ex(0x00020000, 'UL', u32(meta.length)), meta, dataset);
}

const pixels = (n: number): Uint8Array => new Uint8Array(n).fill(7);

test('explicit VR: sequences of defined and undefined length, items of both kinds, then PixelData', () => {
  const inner = ex(0x00081150, 'UI', even('1.2.3'));
  const ds = bytes(
    ex(0x00080060, 'CS', even('CT')),
    ex(0x00081140, 'SQ', item(inner), item(inner).length),
    ex(0x00081115, 'SQ', bytes(item(inner, false), item(inner), seqEnd()), UNDEFINED),
    ex(0x7fe00010, 'OW', pixels(8)),
  );
  const buf = part10(EXPLICIT, ds);
  const layout = scanPart10(buf);
  expect(layout.transferSyntaxUID).toBe(EXPLICIT);
  expect(layout.pixelData).toMatchObject({ length: 8, encapsulated: false, valueOffset: buf.length - 8 });
  expect(layout.headerTags).toEqual([0x00080060, 0x00081140, 0x00081115]);
  expect(layout.unSequences).toEqual([]);
});

test('implicit VR: a defined-length sequence is found through the dictionary and walked', () => {
  const goodItem = item(im(0x00081150, even('1.2.3')));
  const ds = bytes(im(0x00081140, goodItem), im(0x7fe00010, pixels(4)));
  expect(scanPart10(part10(IMPLICIT, ds)).pixelData?.length).toBe(4);
  // The same sequence with an inner element that overruns its item is refused.
  const badItem = item(bytes(tag(0x00081150), u32(100), even('1.2.3')));
  expect(() => scanPart10(part10(IMPLICIT, bytes(im(0x00081140, badItem), im(0x7fe00010, pixels(4)))))).toThrow(MalformedDicomError);
});

test('UN sequences are walked as implicit VR and set aside for the header parse', () => {
  const un = ex(0x00091010, 'UN', bytes(item(im(0x00081150, even('1.2'))), seqEnd()), UNDEFINED);
  const cs = ex(0x00080060, 'CS', even('CT'));
  const buf = part10(EXPLICIT, bytes(cs, un, ex(0x7fe00010, 'OW', pixels(2))));
  const layout = scanPart10(buf);
  expect(layout.pixelData?.length).toBe(2);
  expect(layout.headerTags).toEqual([0x00080060]);
  const start = layout.datasetOffset + cs.length;
  expect(layout.unSequences).toEqual([[start, start + un.length]]);
  // A broken UN sequence is still refused.
  const broken = ex(0x00091010, 'UN', bytes(tag(0xfffee000), u32(UNDEFINED), im(0x00081150, even('1.2'))), UNDEFINED);
  expect(() => scanPart10(part10(EXPLICIT, bytes(cs, broken)))).toThrow(MalformedDicomError);
});

test('encapsulated pixel data is located, not walked', () => {
  const ds = bytes(ex(0x00080060, 'CS', even('CT')), ex(0x7fe00010, 'OB', bytes(item(new Uint8Array(0)), item(pixels(6)), seqEnd()), UNDEFINED));
  expect(scanPart10(part10('1.2.840.10008.1.2.4.50', ds)).pixelData?.encapsulated).toBe(true);
});

test.each([
  ['a sequence without its delimiter', bytes(ex(0x00081115, 'SQ', item(ex(0x00081150, 'UI', even('1.2'))), UNDEFINED))],
  ['an item without its delimiter', bytes(ex(0x00081115, 'SQ', bytes(tag(0xfffee000), u32(UNDEFINED), ex(0x00081150, 'UI', even('1.2'))), UNDEFINED))],
  ['something other than an item in a sequence', bytes(ex(0x00081115, 'SQ', bytes(ex(0x00081150, 'UI', even('1.2')), seqEnd()), UNDEFINED))],
  ['an item delimiter at the top level', bytes(tag(0xfffee00d), u32(0))],
  ['an invalid value representation', bytes(tag(0x00080060), ascii('zz'), u16(2), ascii('CT'))],
  ['an undefined length on a string', ex(0x00080060, 'UT', ascii('CT'), UNDEFINED)],
  ['an element longer than the file', ex(0x00080060, 'CS', even('CT'), 40)],
  ['a header cut short', new Uint8Array([0x08, 0x00, 0x60])],
])('malformed: %s', (_name, ds) => {
  expect(() => scanPart10(part10(EXPLICIT, ds))).toThrow(MalformedDicomError);
});

test('sequences nested deeper than the limit are refused without exhausting the stack', () => {
  let ds = ex(0x00081150, 'UI', even('1.2'));
  for (let d = 0; d < 40; d++) ds = ex(0x00081115, 'SQ', bytes(item(ds, false), seqEnd()), UNDEFINED);
  expect(() => scanPart10(part10(EXPLICIT, ds))).toThrow(/nested too deeply/);
});

test('pixel data longer than the file is truncation', () => {
  const ds = bytes(ex(0x00080060, 'CS', even('CT')), ex(0x7fe00010, 'OW', pixels(8), 4096));
  expect(() => scanPart10(part10(EXPLICIT, ds))).toThrow(TruncatedPixelDataError);
});

test('no DICM marker is not DICOM; a broken file meta is malformed', () => {
  expect(() => scanPart10(new Uint8Array(200))).toThrow(NotDicomError);
  const noGroupLength = bytes(new Uint8Array(128), ascii('DICM'), ex(0x00020010, 'UI', even(EXPLICIT)));
  expect(() => scanPart10(noGroupLength)).toThrow(MalformedDicomError);
  const noSyntax = bytes(new Uint8Array(128), ascii('DICM'), ex(0x00020000, 'UL', u32(0)));
  expect(() => scanPart10(noSyntax)).toThrow(/no transfer syntax/);
});
