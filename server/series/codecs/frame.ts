/**
 * What the compressed codecs share: a frame's own header, read before the frame is decoded and checked against
 * the DICOM header (the decoders size their output from the frame's header alone: a hostile one could ask for
 * gigabytes), and the stored values a frame decodes to.
 */
import { MalformedDicomError, UnsupportedPixelFormatError } from '../errors';

/** What a compressed frame says of its image. */
export interface FrameHeader {
  rows: number;
  columns: number;
  components: number;
  /** Bits per sample. */
  precision: number;
}

/** One frame's stored values, `rows` × `columns` of `bitsAllocated` bits (unsigned containers; rescale reads the sign). */
export type FrameDecoder = (frame: Uint8Array, rows: number, columns: number, bitsAllocated: number) => Uint8Array | Uint16Array;

/** Throws unless the frame's header describes the greyscale image of the DICOM header's size and depth. */
export function checkFrameHeader(h: FrameHeader | undefined, rows: number, columns: number, bitsAllocated: number, codec: string): void {
  if (!h) throw new MalformedDicomError(`Malformed DICOM: a compressed frame is not a ${codec} image.`);
  if (h.components !== 1) throw new UnsupportedPixelFormatError(`Unsupported pixel format: a compressed frame has ${h.components} components; a CT stack is greyscale.`);
  if (h.rows !== rows || h.columns !== columns) {
    throw new MalformedDicomError(`Malformed DICOM: a compressed frame is ${h.columns}×${h.rows} where the header says ${columns}×${rows}.`);
  }
  if (h.precision < 2 || h.precision > bitsAllocated) {
    throw new MalformedDicomError(`Malformed DICOM: a compressed frame has ${h.precision} bits per pixel for ${bitsAllocated} allocated.`);
  }
}

/** A copy of decoded little-endian bytes (a view into a codec's memory) as stored values of `bitsAllocated` bits. */
export function storedValues(bytes: Uint8Array, count: number, bitsAllocated: number): Uint8Array | Uint16Array {
  if (bytes.length !== count * (bitsAllocated / 8)) throw new MalformedDicomError('Malformed DICOM: a compressed frame decoded to the wrong number of pixels.');
  const out = bitsAllocated === 8 ? new Uint8Array(count) : new Uint16Array(count);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
