/**
 * What can move between threads without a copy: the ArrayBuffers behind the typed arrays of a value.
 * Used on both sides of the worker pool (inputs into a task, results out of it).
 */
import { types } from 'node:util';

/** Every distinct, non-shared ArrayBuffer reachable from `value` through typed arrays, objects, arrays and maps. */
export function transferables(value: unknown, maxDepth = 12): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  const seen = new Set<object>();
  const walk = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== 'object' || depth > maxDepth || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      if (!types.isSharedArrayBuffer(v.buffer)) buffers.add(v.buffer as ArrayBuffer);
      return;
    }
    if (types.isArrayBuffer(v)) {
      buffers.add(v as ArrayBuffer);
      return;
    }
    if (Array.isArray(v)) {
      // Arrays of numbers or strings hold nothing to transfer: look at objects only.
      for (const item of v) if (item !== null && typeof item === 'object') walk(item, depth + 1);
      return;
    }
    if (v instanceof Map) {
      for (const item of v.values()) walk(item, depth + 1);
      return;
    }
    for (const item of Object.values(v)) walk(item, depth + 1);
  };
  walk(value, 0);
  return [...buffers];
}

/**
 * A view over an ArrayBuffer of its own, so that transferring it detaches nothing else: Node Buffers
 * of a few KiB share a pooled ArrayBuffer, and a view cut from a larger buffer would take it all along.
 */
export function ownBuffer(data: Uint8Array): Uint8Array {
  const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && !types.isSharedArrayBuffer(data.buffer);
  return whole ? data : data.slice();
}
