/** WADO-RS frame retrieval (pure): pick frames out of a parsed file and wrap parts as multipart/related. */
import { randomBytes } from 'node:crypto';
import { PixelFile } from './dicom-file';

/** Transfer syntaxes whose pixel data is native (not encapsulated). Big endian is not served. */
const NATIVE = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1.99']);

export class FrameError extends Error {
  constructor(
    message: string,
    readonly httpStatus: number,
    readonly code: string,
  ) {
    super(message);
    this.name = 'FrameError';
  }
}

export interface FramePart {
  data: Uint8Array;
  /** The part's transfer syntax: native frames are sent as explicit VR little endian bytes. */
  transferSyntaxUID: string;
}

/** Parse "1", "1,3,5" into 1-based frame numbers; a typed 400 for anything else. */
export function parseFrameList(list: string): number[] {
  const frames = list.split(',').map((s) => Number(s.trim()));
  if (frames.length === 0 || frames.some((f) => !Number.isInteger(f) || f < 1)) {
    throw new FrameError('frame numbers must be positive integers', 400, 'BAD_FRAME_LIST');
  }
  return frames;
}

/** The requested frames of one file. */
export function extractFrames(file: PixelFile, frames: number[]): FramePart[] {
  for (const f of frames) {
    if (f > file.numberOfFrames) throw new FrameError(`frame ${f} does not exist`, 404, 'FRAME_NOT_FOUND');
  }
  if (NATIVE.has(file.transferSyntaxUID)) {
    const frameBytes = (file.rows * file.columns * file.samplesPerPixel * file.bitsAllocated) / 8;
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) {
      throw new FrameError('pixel layout not supported', 415, 'UNSUPPORTED_PIXEL_LAYOUT');
    }
    const all = new Uint8Array(file.pixelData[0]);
    return frames.map((f) => {
      const start = (f - 1) * frameBytes;
      if (start + frameBytes > all.length) throw new FrameError('pixel data is truncated', 422, 'TRUNCATED_PIXEL_DATA');
      return { data: all.subarray(start, start + frameBytes), transferSyntaxUID: '1.2.840.10008.1.2.1' };
    });
  }
  if (file.transferSyntaxUID === '1.2.840.10008.1.2.2') {
    throw new FrameError('big endian pixel data is not served', 415, 'UNSUPPORTED_TRANSFER_SYNTAX');
  }
  // Encapsulated: dcmjs gives one buffer per frame; send it as stored, with its transfer syntax.
  return frames.map((f) => {
    const buf = file.pixelData[f - 1];
    if (!buf) throw new FrameError(`frame ${f} does not exist`, 404, 'FRAME_NOT_FOUND');
    return { data: new Uint8Array(buf), transferSyntaxUID: file.transferSyntaxUID };
  });
}

export interface Multipart {
  contentType: string;
  body: Buffer;
}

/** multipart/related body with one part per payload. */
export function multipartRelated(type: string, parts: Array<{ contentType: string; data: Uint8Array }>): Multipart {
  const boundary = `slicefinder-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: ${p.contentType}\r\nContent-Length: ${p.data.byteLength}\r\n\r\n`));
    chunks.push(Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/related; type="${type}"; boundary=${boundary}`, body: Buffer.concat(chunks) };
}
