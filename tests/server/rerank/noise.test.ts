import path from 'node:path';
import { parseQuery } from '../../../server/query/parse';
import { NOISY_HU, pixelNoiseHU, quietened } from '../../../server/rerank/analysis/noise';
import { analyseVolume, rerankSlices } from '../../../server/rerank/pipeline';
import { loadSeriesFromDir } from '../../../server/series/load';
import { SAMPLE_DATA_DIR } from '../../../server/series/sample';
import type { Volume } from '../../../server/series/volume';
import { judge, readCase } from '../../../scripts/eval-cases';
import { caseLook, withNoise as noisyHu } from '../../../scripts/eval-looks';
import { chestVolume } from './synthetic';

/** A copy of the volume with Gaussian noise of `sd` HU on every pixel. */
const withNoise = (v: Volume, sd: number): Volume => ({ ...v, hu: noisyHu(v, sd) });

describe('pixel noise', () => {
  // nearly noise-free (1 HU), with the edges of the body, lungs, trachea and a nodule: structure, not noise
  const clean = chestVolume({ slices: 16, rows: 96, columns: 96, pixelSpacing: 2.4, sliceSpacing: 7, noise: 1, trachea: true, spheres: [{ centre: [50, 0, 60], diameter: 14, hu: 30 }] });

  it('reads the noise, not the structure', () => {
    expect(pixelNoiseHU(clean)).toBeLessThan(3);
    for (const sd of [20, 40, 70]) {
      const est = pixelNoiseHU(withNoise(clean, sd));
      expect(est).toBeGreaterThan(sd * 0.85);
      expect(est).toBeLessThan(sd * 1.15);
    }
  });

  it('leaves a diagnostic scan as it is and smooths a low-dose one', () => {
    const diagnostic = withNoise(clean, 40);
    expect(quietened(diagnostic)).toBe(diagnostic);
    const lowDose = withNoise(clean, 70);
    const before = lowDose.hu.slice();
    const q = quietened(lowDose);
    expect(q).not.toBe(lowDose);
    expect(lowDose.hu).toEqual(before); // the caller's volume is untouched
    expect(q.sopInstanceUIDs).toBe(lowDose.sopInstanceUIDs);
    expect(pixelNoiseHU(q)).toBeLessThan(0.45 * 70);
    expect(pixelNoiseHU(q)).toBeLessThan(NOISY_HU); // quietened once, never again
    expect(quietened(q)).toBe(q);
    // the mean density of the tissue is kept: smoothing moves no HU between tissues
    const mean = (hu: Float32Array): number => hu.reduce((a, x) => a + x, 0) / hu.length;
    expect(mean(q.hu)).toBeCloseTo(mean(lowDose.hu), 0);
  });

  it('smooths in place to the same volume, where the caller owns it', () => {
    const lowDose = withNoise(clean, 70);
    const copy = quietened(lowDose);
    const own = quietened(lowDose, lowDose.hu);
    expect(own.hu).toBe(lowDose.hu);
    expect(own.hu).toEqual(copy.hu);
  });

  it('never touches a series that is not CT', () => {
    const mr = { ...withNoise(clean, 70), modality: 'MR' };
    expect(quietened(mr)).toBe(mr);
  });
});

describe('a low-dose scan (4D-Lung with 60 HU of pixel noise, classical stages)', () => {
  const dir = path.join(SAMPLE_DATA_DIR, '4dlung-113');
  let outcomes: Array<ReturnType<typeof judge>>;
  let lowDoseNoiseHU: number | undefined;

  beforeAll(async () => {
    const c = await readCase(dir);
    const { volume } = await loadSeriesFromDir(c.seriesDir);
    const low = caseLook(c, volume, 'lowdose');
    const a = analyseVolume(low.volume);
    lowDoseNoiseHU = a.lowDoseNoiseHU;
    outcomes = [];
    for (const q of c.queries) outcomes.push(judge(low.case, q, await rerankSlices(a, parseQuery(q.text), { topK: 10 }), 0));
  }, 120_000);

  it('says the series was smoothed, with its noise, and says so with every lesion answer', () => {
    expect(lowDoseNoiseHU).toBeGreaterThan(NOISY_HU);
    expect(lowDoseNoiseHU).toBeLessThan(75);
    for (const o of outcomes.filter((x) => x.kind === 'mass')) expect(o.caveats).toContain('low-dose');
    for (const o of outcomes.filter((x) => x.kind === 'lymph node')) expect(o.caveats).not.toContain('low-dose');
  });

  // unsmoothed, the mass came in noisy pieces (its descriptions scored 0.24-0.69) and the left paratracheal node was missed
  it('finds the mass, confidently, and both paratracheal nodes', () => {
    const described = outcomes.filter((o) => o.kind !== null);
    expect(described.length).toBe(10);
    for (const o of described) {
      expect(o).toMatchObject({ id: o.id, top1: true, region: true });
      if (o.kind === 'mass') expect(o.topScore).toBeGreaterThanOrEqual(0.5);
    }
    for (const o of outcomes.filter((x) => x.kind === null)) expect(o.flagged).toBe(true);
  });
});
