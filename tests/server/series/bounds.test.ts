/**
 * Header values bound what the decoder allocates: frame counts and voxel totals are checked before
 * any per-frame work, pixel data must be exactly what the header describes (one pad byte allowed),
 * and UIDs and pixel spacings must be plausible. Each case comes from the hardening issue (#12).
 */
import {
  InvalidGeometryError,
  MalformedDicomError,
  PixelDataLengthError,
  SeriesError,
  SeriesTooLargeError,
} from '../../../server/series/errors';
import { loadSeriesFromBuffers, type NamedBuffer } from '../../../server/series/load';
import { readSlice, rewrite, set, sliceBuffers } from './fixtures';

function failure(fn: () => unknown): SeriesError {
  try {
    fn();
  } catch (err) {
    return err as SeriesError;
  }
  throw new Error('expected the load to fail');
}

/** Marks a parsed slice as unsigned 8-bit greyscale of rows × columns, without padding. */
function eightBit(d: Parameters<Parameters<typeof rewrite>[1]>[0], rows: number, columns: number): void {
  set(d.dict, '00280010', 'US', [rows]);
  set(d.dict, '00280011', 'US', [columns]);
  set(d.dict, '00280100', 'US', [8]);
  set(d.dict, '00280101', 'US', [8]);
  set(d.dict, '00280102', 'US', [7]);
  set(d.dict, '00280103', 'US', [0]);
  delete d.dict['00280120'];
}

/** One 1×1-pixel, 8-bit instance declaring `frames` frames, with `bytes` bytes of pixel data. */
function tinyMultiframe(frames: number, bytes = frames): Uint8Array {
  return rewrite(readSlice(61), (d) => {
    eightBit(d, 1, 1);
    set(d.dict, '00280008', 'IS', [frames]);
    d.dict['7FE00010'] = { vr: 'OB', Value: [new Uint8Array(bytes).buffer] };
  });
}

describe('frame counts and voxel totals are bounded before allocating', () => {
  test('a 1×1 instance declaring 200,000 frames is refused as too large, at once', () => {
    const t0 = performance.now();
    const e = failure(() => loadSeriesFromBuffers([{ name: 'frames.dcm', data: tinyMultiframe(200_000) }]));
    expect(e).toBeInstanceOf(SeriesTooLargeError);
    expect(e.httpStatus).toBe(413);
    expect(performance.now() - t0).toBeLessThan(2000); // generous: before the fix this took seconds and gigabytes
  });

  test('frames add up over the instances of a series', () => {
    const e = failure(() => loadSeriesFromBuffers(sliceBuffers(60, 71), { maxFrames: 10 }));
    expect(e).toBeInstanceOf(SeriesTooLargeError);
  });

  test('voxels add up over the instances, checked from the headers', () => {
    const e = failure(() => loadSeriesFromBuffers(sliceBuffers(60, 63), { maxVoxels: 3 * 512 * 512 }));
    expect(e).toBeInstanceOf(SeriesTooLargeError);
  });
});

describe('pixel data must be exactly what the header describes', () => {
  const replace = (i: number, data: Uint8Array): NamedBuffer[] => sliceBuffers(60, 62).map((f, j) => (j === i ? { name: f.name, data } : f));

  test('BitsAllocated 8 on 16-bit data is refused, not misread', () => {
    const eight = rewrite(readSlice(61), (d) => {
      set(d.dict, '00280100', 'US', [8]);
      set(d.dict, '00280101', 'US', [8]);
      set(d.dict, '00280102', 'US', [7]);
    });
    const e = failure(() => loadSeriesFromBuffers(replace(1, eight)));
    expect(e).toBeInstanceOf(PixelDataLengthError);
    expect(e.code).toBe('PIXEL_DATA_LENGTH_MISMATCH');
    expect(e.httpStatus).toBe(422);
  });

  test('Rows = Columns = 1 over a 512 × 512 image is refused', () => {
    const one = rewrite(readSlice(61), (d) => {
      set(d.dict, '00280010', 'US', [1]);
      set(d.dict, '00280011', 'US', [1]);
    });
    expect(failure(() => loadSeriesFromBuffers(replace(1, one)))).toBeInstanceOf(PixelDataLengthError);
  });

  test('one pad byte after an odd length is allowed', () => {
    const odd = rewrite(readSlice(61), (d) => {
      eightBit(d, 3, 3);
      d.dict['7FE00010'] = { vr: 'OB', Value: [new Uint8Array(10).buffer] }; // 9 pixels + pad
    });
    const { volume } = loadSeriesFromBuffers([{ name: 'odd.dcm', data: odd }]);
    expect([volume.slices, volume.rows, volume.columns]).toEqual([1, 3, 3]);
  });
});

describe('identifiers and geometry that no scanner writes', () => {
  test('a SeriesInstanceUID like ../../etc/passwd is refused', () => {
    const files = sliceBuffers(60, 62).map((f) => ({
      name: f.name,
      data: rewrite(f.data, (d) => set(d.dict, '0020000E', 'UI', ['../../etc/passwd'])),
    }));
    const e = failure(() => loadSeriesFromBuffers(files));
    expect(e).toBeInstanceOf(MalformedDicomError);
    expect(e.message).not.toContain('passwd');
  });

  test('a SOPInstanceUID with letters is refused', () => {
    const odd = rewrite(readSlice(61), (d) => set(d.dict, '00080018', 'UI', ['1.2.3.x4']));
    expect(failure(() => loadSeriesFromBuffers([{ name: 'a.dcm', data: odd }]))).toBeInstanceOf(MalformedDicomError);
  });

  test('PixelSpacing 1e-300 is refused', () => {
    const tiny = rewrite(readSlice(61), (d) => set(d.dict, '00280030', 'DS', [1e-300, 1e-300]));
    expect(failure(() => loadSeriesFromBuffers([{ name: 'a.dcm', data: tiny }]))).toBeInstanceOf(InvalidGeometryError);
  });
});
