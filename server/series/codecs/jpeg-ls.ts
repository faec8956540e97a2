/** One frame of JPEG-LS (ITU T.87, lossless or near-lossless) decoded to its stored values, with CharLS (@cornerstonejs/codec-charls). */
import { TruncatedPixelDataError, UnsupportedPixelFormatError } from '../errors';
import { checkFrameHeader } from './frame';
import { endOfImage, jpegFrameHeader } from './jpeg-header';
import { decodeWithWasm } from './wasm-frame';

/** JPEG-LS's start of frame (SOF55). */
const SOF_LS = 0xfff7;

export function decodeJpegLs(frame: Uint8Array, rows: number, columns: number, bitsAllocated: number): Uint8Array | Uint16Array {
  const h = jpegFrameHeader(frame);
  if (h && h.marker !== SOF_LS) throw new UnsupportedPixelFormatError('Unsupported pixel format: a frame is not JPEG-LS in a JPEG-LS transfer syntax.');
  checkFrameHeader(h, rows, columns, bitsAllocated, 'JPEG-LS');
  // CharLS spends seconds reading past the end of a cut-off image before it gives up
  if (endOfImage(frame) === undefined) throw new TruncatedPixelDataError('Truncated DICOM: a compressed frame ends before its image does.');
  return decodeWithWasm('@cornerstonejs/codec-charls', 'JpegLSDecoder', 'JPEG-LS', frame, rows, columns, bitsAllocated);
}
