/**
 * One frame of RLE Lossless (PS3.5 Annex G) decoded to its stored values: a header of segment offsets, then one
 * PackBits-coded segment per byte of a sample, most significant first. Nothing in it gives the image's size: the
 * DICOM header's bounds every segment, and one that does not fill it is truncated.
 */
import { MalformedDicomError, TruncatedPixelDataError, UnsupportedPixelFormatError } from '../errors';

const HEADER_BYTES = 64;

export function decodeRle(frame: Uint8Array, rows: number, columns: number, bitsAllocated: number): Uint8Array | Uint16Array {
  if (frame.length < HEADER_BYTES) throw new TruncatedPixelDataError('Truncated DICOM: an RLE frame is shorter than its header.');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const segments = view.getUint32(0, true);
  const bytesPerSample = bitsAllocated / 8;
  if (segments !== bytesPerSample) {
    throw new UnsupportedPixelFormatError(`Unsupported pixel format: an RLE frame of ${segments} segments for one sample of ${bitsAllocated} bits.`);
  }
  const count = rows * columns;
  const planes: Uint8Array[] = [];
  for (let k = 0; k < segments; k++) {
    const start = view.getUint32(4 + 4 * k, true);
    const end = k + 1 < segments ? view.getUint32(8 + 4 * k, true) : frame.length;
    if (start < HEADER_BYTES || end < start || end > frame.length) throw new MalformedDicomError('Malformed DICOM: an RLE frame\'s segment offsets are out of order or out of range.');
    planes.push(unpackBits(frame.subarray(start, end), count));
  }
  if (bytesPerSample === 1) return planes[0];
  const out = new Uint16Array(count);
  const [high, low] = planes;
  for (let i = 0; i < count; i++) out[i] = (high[i] << 8) | low[i];
  return out;
}

/** A PackBits segment decoded to exactly `count` bytes (what follows them is padding). */
function unpackBits(seg: Uint8Array, count: number): Uint8Array {
  const out = new Uint8Array(count);
  let i = 0, o = 0;
  while (o < count && i < seg.length) {
    const n = seg[i++];
    if (n < 128) {
      // n + 1 literal bytes
      const take = Math.min(n + 1, count - o, seg.length - i);
      out.set(seg.subarray(i, i + take), o);
      i += n + 1;
      o += take;
    } else if (n > 128) {
      // the next byte 257 - n times
      if (i >= seg.length) break;
      const take = Math.min(257 - n, count - o);
      out.fill(seg[i++], o, o + take);
      o += take;
    }
  }
  if (o < count) throw new TruncatedPixelDataError('Truncated DICOM: an RLE segment ends before its image does.');
  return out;
}
