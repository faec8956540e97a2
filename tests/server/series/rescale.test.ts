/**
 * Stored pixel values to HU (server/series/rescale.ts): every 16-bit pattern, as the standard defines it (bits
 * above BitsStored ignored, two's complement where PixelRepresentation says signed, the padding range to air, the
 * floor), for each pixel format in turn, so a table built for one format is never used for another.
 */
import { PADDING_HU, rescaleInto, type RawPixels } from '../../../server/series/rescale';

/** The value the standard gives one stored value (`stored`: as the array reads it). */
function expected(stored: number, px: Omit<RawPixels, 'data'>): number {
  let v = stored & ((1 << px.bitsStored) - 1);
  if (px.signed && v >= 1 << (px.bitsStored - 1)) v -= 1 << px.bitsStored;
  if (px.padding && v >= px.padding[0] && v <= px.padding[1]) return PADDING_HU;
  return Math.fround(Math.max(px.floor, v * px.slope + px.intercept));
}

const FORMATS: Array<Omit<RawPixels, 'data'>> = [
  { bitsAllocated: 16, bitsStored: 16, signed: true, slope: 1, intercept: -1024, padding: [-2000, -2000], floor: -1024 },
  { bitsAllocated: 16, bitsStored: 12, signed: false, slope: 1, intercept: -1024, floor: -1024 },
  { bitsAllocated: 16, bitsStored: 12, signed: true, slope: 0.5, intercept: 10.25, padding: [-2048, -2000], floor: -1024 },
  { bitsAllocated: 16, bitsStored: 16, signed: false, slope: 1.5, intercept: -3000, padding: [63536, 65535], floor: -Infinity },
  { bitsAllocated: 16, bitsStored: 16, signed: true, slope: 1, intercept: -1024, padding: [-2000, -2000], floor: -1024 },
];

describe('rescaleInto', () => {
  it('gives every 16-bit stored value what the standard says, format after format', () => {
    const patterns = new Uint16Array(65536).map((_, i) => i);
    for (const f of FORMATS) {
      const data = f.signed ? new Int16Array(patterns.buffer) : new Uint16Array(patterns.buffer);
      const out = new Float32Array(65536 + 3).fill(7);
      rescaleInto(out, 3, { ...f, data });
      expect([...out.subarray(0, 3)]).toEqual([7, 7, 7]);
      const wrong = [...data].findIndex((s, i) => !Object.is(out[3 + i], expected(s, f)));
      expect(wrong).toBe(-1);
    }
  });

  it('gives 8-bit stored values the same', () => {
    const f = { bitsAllocated: 8, bitsStored: 7, signed: true, slope: 2, intercept: 1, padding: [-64, -60] as [number, number], floor: -100 };
    const data = new Int8Array(256).map((_, i) => i - 128);
    const out = new Float32Array(256);
    rescaleInto(out, 0, { ...f, data });
    expect([...out]).toEqual([...data].map((s) => expected(s, f)));
  });
});
