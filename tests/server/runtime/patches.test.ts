/** Patch extraction (shared by training and inference): geometry, windows, edges, and the fast sampler. */
import {
  DEFAULT_PATCH_SPEC,
  OUTSIDE_HU,
  applyWindow,
  channelCount,
  extractPatches,
  heatCellToPixels,
  patchLength,
  sampleHu,
  writeWindowedPatch,
  type HuGrid,
  type PatchSpec,
} from '../../../server/runtime/lesion-cnn/patches';

function grid(slices: number, rows: number, columns: number, spacing: [number, number], sliceSpacing: number, f: (s: number, r: number, c: number) => number): HuGrid {
  const hu = new Float32Array(slices * rows * columns);
  for (let s = 0; s < slices; s++) for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) hu[(s * rows + r) * columns + c] = f(s, r, c);
  return { slices, rows, columns, pixelSpacing: spacing, sliceSpacing, hu };
}

const spec = DEFAULT_PATCH_SPEC;
const noisy = grid(9, 50, 60, [0.7, 0.8], 2.5, (s, r, c) => Math.sin(s * 1.3 + r * 0.37) * 600 + Math.cos(c * 0.21) * 400 - 300);

describe('writeWindowedPatch', () => {
  it('equals the reference trilinear sampler through each window, inside and across every edge', () => {
    const len = patchLength(spec);
    const out = new Float32Array(len);
    const plane = spec.size * spec.size;
    const half = (spec.size - 1) / 2;
    for (const centre of [
      { slice: 4.3, row: 25.2, column: 30.7 },
      { slice: 0.1, row: 2, column: 58 }, // near the corner: part of the field is outside
      { slice: 8.6, row: 49, column: 0 },
      { slice: -3, row: 25, column: 30 }, // every slice offset outside the grid
    ]) {
      writeWindowedPatch(noisy, centre, spec, out, 0);
      for (let k = 0; k < spec.sliceOffsetsMm.length; k++) {
        const s = centre.slice + spec.sliceOffsetsMm[k] / noisy.sliceSpacing;
        for (const [y, x] of [[0, 0], [7, 31], [19, 20], [39, 39], [25, 3]]) {
          const hu = sampleHu(noisy, s, centre.row + ((y - half) * spec.mmPerPixel) / 0.7, centre.column + ((x - half) * spec.mmPerPixel) / 0.8);
          spec.windows.forEach((w, wi) => {
            expect(out[(wi * spec.sliceOffsetsMm.length + k) * plane + y * spec.size + x]).toBe(Math.fround(applyWindow(Math.fround(hu), w)));
          });
        }
      }
    }
  });

  it('resamples to a fixed physical size: a 10 mm disc covers the same patch pixels at any pixel spacing', () => {
    const disc = (ps: number): HuGrid =>
      grid(5, 120, 120, [ps, ps], 2, (_s, r, c) => (Math.hypot((r - 60) * ps, (c - 60) * ps) < 5 ? 40 : -850));
    const count = (g: HuGrid): number => {
      const out = new Float32Array(patchLength(spec));
      writeWindowedPatch(g, { slice: 2, row: 60, column: 60 }, spec, out, 0);
      const centreMed = out.subarray(4 * spec.size * spec.size, 5 * spec.size * spec.size); // mediastinal window, centre slice
      return centreMed.filter((v) => v > 0.3).length;
    };
    const a = count(disc(0.5));
    const b = count(disc(0.9));
    // π·(5/1.2)² ≈ 55 patch pixels
    expect(a).toBeGreaterThan(40);
    expect(a).toBeLessThan(70);
    expect(Math.abs(a - b)).toBeLessThanOrEqual(8);
  });

  it('fills what lies outside the volume with air', () => {
    const out = new Float32Array(patchLength(spec));
    writeWindowedPatch(noisy, { slice: -10, row: 0, column: 0 }, spec, out, 0);
    expect(out.every((v, i) => v === Math.fround(applyWindow(OUTSIDE_HU, spec.windows[Math.floor(i / (3 * spec.size * spec.size))])))).toBe(true);
  });
});

describe('extractPatches', () => {
  it('normalises with the per-channel mean/std and lays patches out [N, C, size, size]', () => {
    const s: PatchSpec = { ...spec, mean: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6], std: [0.5, 0.5, 0.5, 2, 2, 2] };
    const centres = [
      { slice: 4, row: 25, column: 30 },
      { slice: 2, row: 10, column: 10 },
    ];
    const x = extractPatches(noisy, centres, s);
    expect(x).toHaveLength(2 * channelCount(s) * s.size * s.size);
    const raw = new Float32Array(patchLength(s));
    writeWindowedPatch(noisy, centres[1], s, raw, 0);
    const plane = s.size * s.size;
    for (const ch of [0, 5]) {
      const i = ch * plane + 123;
      expect(x[patchLength(s) + i]).toBeCloseTo((raw[i] - s.mean[ch]) / s.std[ch], 5);
    }
  });
});

describe('heatCellToPixels', () => {
  it('maps the heatmap grid back onto the slice, centred on the candidate', () => {
    const centre = { slice: 3, row: 100, column: 200 };
    const first = heatCellToPixels({ pixelSpacing: [0.6, 0.8] }, centre, spec, 10, 0, 0);
    const last = heatCellToPixels({ pixelSpacing: [0.6, 0.8] }, centre, spec, 10, 9, 9);
    const halfMm = (spec.size * spec.mmPerPixel) / 2;
    expect(first.x0).toBeCloseTo(200 - halfMm / 0.8, 6);
    expect(first.y0).toBeCloseTo(100 - halfMm / 0.6, 6);
    expect(last.x1).toBeCloseTo(200 + halfMm / 0.8, 6);
    expect(last.y1).toBeCloseTo(100 + halfMm / 0.6, 6);
  });
});
