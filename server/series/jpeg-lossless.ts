/**
 * One frame of JPEG Lossless (ITU T.81 Process 14, the compression archives most often keep CT in) decoded to
 * its stored values, with jpeg-lossless-decoder-js. Its frame header is read first, and an image that is not the
 * one the DICOM header describes (size, one component, a CT's precision) is refused before anything is
 * allocated for it: the decoder sizes its output from that header alone.
 */
import { Decoder } from 'jpeg-lossless-decoder-js';
import { MalformedDicomError, TruncatedPixelDataError, UnsupportedPixelFormatError } from './errors';

/** Start of frame: the lossless one DICOM's JPEG Lossless holds (SOF3), the others only to refuse them. */
const SOF_LOSSLESS = 0xffc3;
const SOF_ANY = new Set([0xffc0, 0xffc1, 0xffc2, 0xffc3, 0xffc5, 0xffc6, 0xffc7, 0xffc9, 0xffca, 0xffcb, 0xffcd, 0xffce, 0xffcf]);
const SOI = 0xffd8, SOS = 0xffda;

export interface JpegFrameHeader { precision: number; rows: number; columns: number; components: number; lossless: boolean }

/** The image's frame header (the first SOF before its scan), or undefined where the bytes hold none. */
export function jpegFrameHeader(jpeg: Uint8Array): JpegFrameHeader | undefined {
  const u16 = (p: number): number => (jpeg[p] << 8) | jpeg[p + 1];
  if (jpeg.length < 4 || u16(0) !== SOI) return undefined;
  // segments: a marker, then a big-endian length that counts itself
  for (let p = 2; p + 4 <= jpeg.length; ) {
    const marker = u16(p);
    if (marker >> 8 !== 0xff || marker === SOS) return undefined;
    if (SOF_ANY.has(marker)) {
      if (p + 10 > jpeg.length) return undefined;
      return { precision: jpeg[p + 4], rows: u16(p + 5), columns: u16(p + 7), components: jpeg[p + 9], lossless: marker === SOF_LOSSLESS };
    }
    p += 2 + u16(p + 2);
  }
  return undefined;
}

/** The stored values of one frame of `rows` × `columns` pixels of `bitsAllocated` bits. */
export function decodeJpegLossless(jpeg: Uint8Array, rows: number, columns: number, bitsAllocated: number): Uint8Array | Uint16Array {
  const h = jpegFrameHeader(jpeg);
  if (!h) throw new MalformedDicomError('Malformed DICOM: a compressed frame is not a JPEG image.');
  if (!h.lossless) throw new UnsupportedPixelFormatError('Unsupported pixel format: a frame is not JPEG Lossless (Process 14) in a JPEG Lossless transfer syntax.');
  if (h.components !== 1) throw new UnsupportedPixelFormatError(`Unsupported pixel format: a compressed frame has ${h.components} components; a CT stack is greyscale.`);
  if (h.rows !== rows || h.columns !== columns) {
    throw new MalformedDicomError(`Malformed DICOM: a compressed frame is ${h.columns}×${h.rows} where the header says ${columns}×${rows}.`);
  }
  if (h.precision < 2 || h.precision > bitsAllocated) {
    throw new MalformedDicomError(`Malformed DICOM: a compressed frame has ${h.precision} bits per pixel for ${bitsAllocated} allocated.`);
  }
  const coded = withRoomBeforeEnd(jpeg);
  const decoder = new Decoder();
  let out: Uint8Array | Uint16Array;
  try {
    out = decoder.decode(coded.buffer as ArrayBuffer, coded.byteOffset, coded.byteLength, bitsAllocated / 8);
  } catch {
    throw new MalformedDicomError('Malformed DICOM: a compressed frame could not be decoded (corrupt JPEG data).');
  }
  // the decoder reads past the end of cut-off data as if it held zeros, and stops at a marker inside corrupt data
  // with the rows it has: either way the image is not all there
  if (decoder.stream.index > coded.byteLength || decoder.yLoc < rows) throw new TruncatedPixelDataError('Truncated DICOM: a compressed frame ends before its image does.');
  if (out.length !== rows * columns) throw new MalformedDicomError('Malformed DICOM: a compressed frame decoded to the wrong number of pixels.');
  return out;
}

/**
 * The coded data with two zero bytes before its end-of-image marker (and without the zero a fragment may carry after
 * it to make its length even). Where the last pixel's code ends next to the marker, the decoder takes the marker for
 * the next code and leaves that pixel 0 (18 of LIDC-IDRI-0001's 133 slices transcoded by Orthanc); bytes after the
 * last code are never decoded, so the padding changes no pixel.
 */
function withRoomBeforeEnd(jpeg: Uint8Array): Uint8Array {
  let n = jpeg.length;
  while (n > 2 && jpeg[n - 1] === 0) n--;
  if (n < 2 || jpeg[n - 2] !== 0xff || jpeg[n - 1] !== 0xd9) return jpeg;
  const out = new Uint8Array(n + 2);
  out.set(jpeg.subarray(0, n - 2));
  out[n] = 0xff;
  out[n + 1] = 0xd9;
  return out;
}
