/** One frame of JPEG 2000 (a raw ISO 15444-1 codestream, lossless or not) decoded to its stored values, with OpenJPEG (@cornerstonejs/codec-openjpeg). */
import { checkFrameHeader, type FrameHeader } from './frame';
import { decodeWithWasm } from './wasm-frame';

const SOC = 0xff4f, SIZ = 0xff51;

/** The image size and depth from the codestream's SIZ segment (right after its start marker), or undefined. */
export function j2kFrameHeader(j: Uint8Array): FrameHeader | undefined {
  const u16 = (p: number): number => (j[p] << 8) | j[p + 1];
  const u32 = (p: number): number => ((j[p] << 24) | (j[p + 1] << 16) | (j[p + 2] << 8) | j[p + 3]) >>> 0;
  // SOC, SIZ, Lsiz, Rsiz, then Xsiz Ysiz XOsiz YOsiz (and the tiles'), Csiz, and per component Ssiz
  if (j.length < 43 || u16(0) !== SOC || u16(2) !== SIZ) return undefined;
  return { columns: u32(8) - u32(16), rows: u32(12) - u32(20), components: u16(40), precision: (j[42] & 0x7f) + 1 };
}

export function decodeJpeg2000(frame: Uint8Array, rows: number, columns: number, bitsAllocated: number): Uint8Array | Uint16Array {
  checkFrameHeader(j2kFrameHeader(frame), rows, columns, bitsAllocated, 'JPEG 2000');
  return decodeWithWasm('@cornerstonejs/codec-openjpeg', 'J2KDecoder', 'JPEG 2000', frame, rows, columns, bitsAllocated);
}
