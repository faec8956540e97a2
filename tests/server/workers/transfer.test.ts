/** Putting a value in shared memory for several threads (inSharedMemory): typed arrays copied into SharedArrayBuffers once, the rest kept. */
import { inSharedMemory } from '../../../server/workers/transfer';

describe('inSharedMemory', () => {
  it('copies each typed array outside shared memory into one, with its type, offset view and values', () => {
    const base = new Float64Array([1, 2, 3, 4]);
    const value = { grid: { hu: new Float32Array([-1000, 40.5]), origin: [[1, 2, 3]] }, masks: [new Uint8Array([0, 1, 2])], view: base.subarray(1, 3), n: 7 };
    const out = inSharedMemory(value);
    expect(out.grid.hu).toBeInstanceOf(Float32Array);
    expect(out.grid.hu.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect([...out.grid.hu]).toEqual([-1000, 40.5]);
    expect(out.masks[0].buffer).toBeInstanceOf(SharedArrayBuffer);
    expect([...out.masks[0]]).toEqual([0, 1, 2]);
    // a view into a larger buffer takes only its own values along
    expect(out.view.buffer.byteLength).toBe(2 * Float64Array.BYTES_PER_ELEMENT);
    expect([...out.view]).toEqual([2, 3]);
    expect(out.grid.origin).toEqual([[1, 2, 3]]);
    expect(out.n).toBe(7);
    // the input is left as it was
    expect(value.grid.hu.buffer).toBeInstanceOf(ArrayBuffer);
    out.grid.hu[0] = 5;
    expect(value.grid.hu[0]).toBe(-1000);
  });

  it('keeps what is already shared, and objects that are not plain', () => {
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const map = new Map([[1, new Uint8Array(2)]]);
    const out = inSharedMemory({ shared, map });
    expect(out.shared).toBe(shared);
    expect(out.map).toBe(map);
  });
});
