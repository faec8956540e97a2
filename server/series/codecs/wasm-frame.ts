/** A frame decoded by one of the WebAssembly codecs (wasm.ts), its decoder freed whatever happens. */
import { MalformedDicomError } from '../errors';
import { storedValues } from './frame';
import { wasmCodec, type WasmDecoder } from './wasm';

export function decodeWithWasm(pkg: string, decoderClass: string, codec: string, frame: Uint8Array, rows: number, columns: number, bitsAllocated: number): Uint8Array | Uint16Array {
  const Decoder = wasmCodec<Record<string, new () => WasmDecoder>>(pkg)[decoderClass];
  const d = new Decoder();
  try {
    d.getEncodedBuffer(frame.length).set(frame);
    try {
      d.decode();
    } catch {
      throw new MalformedDicomError(`Malformed DICOM: a compressed frame could not be decoded (corrupt ${codec} data).`);
    }
    const info = d.getFrameInfo();
    if (info.width !== columns || info.height !== rows || info.componentCount !== 1) {
      throw new MalformedDicomError(`Malformed DICOM: a compressed frame decoded to ${info.width}×${info.height}×${info.componentCount} where the header says ${columns}×${rows}.`);
    }
    return storedValues(d.getDecodedBuffer(), rows * columns, bitsAllocated);
  } finally {
    d.delete();
  }
}
