/**
 * On a thin-slice series one grid slice stands for two or three volume slices (volume-slices.ts): the answer's
 * best slice is the one of them where the lesion is largest, not the first of them.
 */
import { volumeSlicesOf } from '../../../server/rerank/analysis/volume-slices';
import { analyseVolume, rerankSlices } from '../../../server/rerank/pipeline';
import { parseQuery } from '../../../server/query/parse';
import type { Vec3 } from '../../../server/series/volume';
import { chestVolume, LUNG_X, sliceAtZ } from './synthetic';

describe('the volume slices of a grid slice', () => {
  // three slices of 4 × 4 pixels: the "lesion" (HU 50) covers 2, 6 and 4 pixels of the box
  const hu = new Float32Array(3 * 16).fill(-850);
  const paint = (s: number, n: number): void => { for (let i = 0; i < n; i++) hu[s * 16 + i] = 50; };
  paint(0, 2); paint(1, 6); paint(2, 4);
  const v = { slices: 3, rows: 4, columns: 4, hu };
  const box: [number, number, number, number] = [0, 0, 3, 3];
  const dense = (x: number): boolean => x > -500;

  it('weights each by its share of the candidate, the best at the grid slice weight', () => {
    const out = volumeSlicesOf(v, 0, 3, box, 12, 0.8, dense);
    expect(out.map((s) => s.index)).toEqual([0, 1, 2]);
    expect(out[1].weight).toBeCloseTo(0.8);
    expect(out[0].weight).toBeLessThan(out[2].weight);
    expect(out[2].weight).toBeLessThan(out[1].weight);
    expect(out.every((s) => s.area === 12 && s.box === box)).toBe(true);
  });

  it('keeps one slice as it is, and stops at the volume end', () => {
    expect(volumeSlicesOf(v, 2, 1, box, 12, 0.8, dense)).toEqual([{ index: 2, box, area: 12, weight: 0.8 }]);
    expect(volumeSlicesOf(v, 2, 3, box, 12, 0.8, dense).map((s) => s.index)).toEqual([2]);
  });

  it('leaves the weight alone where no pixel is the candidate', () => {
    expect(volumeSlicesOf(v, 0, 2, box, 12, 0.8, () => false).map((s) => s.weight)).toEqual([0.8, 0.8]);
  });
});

describe('a small nodule on 1.25 mm slices (the grid averages pairs of them)', () => {
  // centred on the second slice of a grid pair: the first slice of the pair is 1.25 mm off its centre
  const ss = 1.25;
  const centre = 41;
  const at: Vec3 = [LUNG_X, 0, centre * ss];
  const v = chestVolume({ slices: 96, sliceSpacing: ss, rows: 256, columns: 256, pixelSpacing: 0.8, spheres: [{ centre: at, diameter: 7, hu: 40 }] });

  it('is answered on its central slice', async () => {
    expect(sliceAtZ(v, at[2])).toBe(centre);
    const r = await rerankSlices(analyseVolume(v), parseQuery('7 mm solid nodule in the left lung'), { topK: 3 });
    expect(r.results[0].sopInstanceUID).toBe(v.sopInstanceUIDs[centre]);
  });
});
