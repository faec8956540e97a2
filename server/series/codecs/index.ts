/** The compressed transfer syntaxes the loader decodes, each with its frame decoder (encapsulated frames: encapsulated.ts). */
import type { FrameDecoder } from './frame';
import { decodeJpeg2000 } from './jpeg2000';
import { decodeJpegLossless } from './jpeg-lossless';
import { decodeJpegLs } from './jpeg-ls';
import { decodeRle } from './rle';

const DECODERS: Record<string, FrameDecoder> = {
  '1.2.840.10008.1.2.4.57': decodeJpegLossless, // JPEG Lossless, Process 14
  '1.2.840.10008.1.2.4.70': decodeJpegLossless, // the same, first-order prediction (SV1)
  '1.2.840.10008.1.2.4.80': decodeJpegLs, // JPEG-LS lossless
  '1.2.840.10008.1.2.4.81': decodeJpegLs, // JPEG-LS near-lossless
  '1.2.840.10008.1.2.4.90': decodeJpeg2000, // JPEG 2000 lossless
  '1.2.840.10008.1.2.4.91': decodeJpeg2000, // JPEG 2000
  '1.2.840.10008.1.2.5': decodeRle, // RLE Lossless
};

export function frameDecoderFor(transferSyntaxUID: string): FrameDecoder | undefined {
  return Object.hasOwn(DECODERS, transferSyntaxUID) ? DECODERS[transferSyntaxUID] : undefined;
}
