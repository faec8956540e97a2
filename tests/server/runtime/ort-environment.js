/**
 * Jest's node environment runs tests in a separate realm, so typed arrays made there fail
 * onnxruntime-node's `instanceof Float32Array` checks (and tensors it returns fail ours). This
 * environment shares the outer realm's typed-array constructors. Use it with the docblock
 * `@jest-environment ./tests/server/runtime/ort-environment.js` in suites that run real sessions.
 */
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Float32Array',
  'Float64Array',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'BigInt64Array',
  'BigUint64Array',
];

class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OrtEnvironment;
