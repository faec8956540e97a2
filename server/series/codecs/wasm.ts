/**
 * The WebAssembly codecs of the @cornerstonejs codec packages (CharLS, OpenJPEG: Emscripten builds), started
 * synchronously: the module is compiled and instantiated in the calling thread the first time a frame needs it,
 * so that decoding an instance stays one synchronous call, in the pool's workers as on the main thread. What the
 * codecs print (OpenJPEG reports each header it reads) is dropped.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const load = createRequire(__filename);
const started = new Map<string, unknown>();

/**
 * The codec package's decode-only build (`<pkg>/decodewasmjs` and `<pkg>/decodewasm`), or its full one with the
 * encoders (the tests make JPEG 2000 images with it), started once per thread.
 */
export function wasmCodec<T>(pkg: string, build: 'decode' | 'full' = 'decode'): T {
  const key = `${pkg} ${build}`, prefix = build === 'decode' ? 'decode' : '';
  let mod = started.get(key);
  if (!mod) {
    const factory = load(load.resolve(`${pkg}/${prefix}wasmjs`)) as (m: object) => unknown;
    const binary = readFileSync(load.resolve(`${pkg}/${prefix}wasm`));
    const m: Record<string, unknown> = {
      print: () => undefined,
      printErr: () => undefined,
      // Emscripten's hook for instantiating the module itself: done here synchronously, so the codec's classes
      // are on `m` when the factory returns (the promise it returns is not waited for)
      instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance) => void) {
        const instance = new WebAssembly.Instance(new WebAssembly.Module(binary), imports);
        receive(instance);
        return instance.exports;
      },
    };
    void factory(m);
    started.set(key, (mod = m));
  }
  return mod as T;
}

/** The decoder objects of both codecs: compressed bytes in, frame info and decoded bytes out (views into the module's memory). */
export interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number };
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}
