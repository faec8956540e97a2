// The package ships no declarations (its package.json names a file it lacks): the one class used, as used.
declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    stream: { index: number };
    /** The row it would write next: the image's height once it is whole. */
    yLoc: number;
    decode(buffer: ArrayBuffer, offset: number, length: number, numBytes?: number): Uint8Array | Uint16Array;
  }
}
