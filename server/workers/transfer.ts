/**
 * What can move between threads without a copy: the ArrayBuffers behind the typed arrays of a value
 * (used on both sides of the worker pool: inputs into a task, results out of it), and a value put in
 * shared memory for several threads to read.
 */
import { types } from 'node:util';
import { forEachBuffer } from '../series/cache';

/** Every distinct, non-shared ArrayBuffer reachable from `value` through typed arrays, objects, arrays and maps. */
export function transferables(value: unknown, maxDepth = 12): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  forEachBuffer(value, (b) => !types.isSharedArrayBuffer(b) && out.push(b as ArrayBuffer), { maxDepth });
  return out;
}

/**
 * A view over an ArrayBuffer of its own, so that transferring it detaches nothing else: Node Buffers
 * of a few KiB share a pooled ArrayBuffer, and a view cut from a larger buffer would take it all along.
 */
export function ownBuffer(data: Uint8Array): Uint8Array {
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && !types.isSharedArrayBuffer(data.buffer);
  return whole ? data : data.slice();
}

/**
 * `value` with each typed array that is not in shared memory copied into a SharedArrayBuffer, so that
 * sending it to several threads shares those arrays instead of copying them for each. Arrays and plain
 * objects are copied shallowly on the way; anything else is kept as it is.
 */
export function inSharedMemory<T>(value: T): T {
  if (ArrayBuffer.isView(value)) {
    if (types.isSharedArrayBuffer(value.buffer) || value instanceof DataView) return value;
    const Ctor = value.constructor as new (buffer: SharedArrayBuffer) => ArrayBufferView;
    const bytes = new SharedArrayBuffer(value.byteLength);
    new Uint8Array(bytes).set(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    return new Ctor(bytes) as T;
  }
  if (Array.isArray(value)) return value.map((x: unknown) => inSharedMemory(x)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inSharedMemory(v)])) as T;
  }
  return value;
}
