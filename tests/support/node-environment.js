/**
 * Jest's node environment with the host's typed-array constructors. onnxruntime-node creates output
 * tensors in the host realm; onnxruntime-common (loaded in the test's realm) checks them with
 * `instanceof Float32Array`, which fails across realms. Sharing the constructors makes the runtime
 * behave in tests exactly as it does in the server.
 */
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer', 'SharedArrayBuffer', 'DataView',
  'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array',
];

class SharedTypedArraysEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = SharedTypedArraysEnvironment;
