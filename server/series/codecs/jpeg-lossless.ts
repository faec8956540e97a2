/**
 * One frame of JPEG Lossless (ITU T.81 Process 14: the compression archives most often keep CT in) decoded to its
 * stored values, with jpeg-lossless-decoder-js.
 */
import { Decoder } from 'jpeg-lossless-decoder-js';
import { MalformedDicomError, TruncatedPixelDataError, UnsupportedPixelFormatError } from '../errors';
import { checkFrameHeader } from './frame';
import { endOfImage, jpegFrameHeader } from './jpeg-header';

/** The start-of-frame of DICOM's JPEG Lossless (SOF3). */
const SOF_LOSSLESS = 0xffc3;

export function decodeJpegLossless(jpeg: Uint8Array, rows: number, columns: number, bitsAllocated: number): Uint8Array | Uint16Array {
  const h = jpegFrameHeader(jpeg);
  if (h && h.marker !== SOF_LOSSLESS) throw new UnsupportedPixelFormatError('Unsupported pixel format: a frame is not JPEG Lossless (Process 14) in a JPEG Lossless transfer syntax.');
  checkFrameHeader(h, rows, columns, bitsAllocated, 'JPEG');
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
  const eoi = endOfImage(jpeg);
  if (eoi === undefined) return jpeg;
  const out = new Uint8Array(eoi + 4);
  out.set(jpeg.subarray(0, eoi));
  out[eoi + 2] = 0xff;
  out[eoi + 3] = 0xd9;
  return out;
}
