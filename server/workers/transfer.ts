/**
 * What can move between threads without a copy: the ArrayBuffers behind the typed arrays of a value.
 * Used on both sides of the worker pool (inputs into a task, results out of it).
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
