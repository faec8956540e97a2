/**
 * Streaks from metal or undiluted contrast (candidates.ts STREAK_SOURCE_HU, fuse.ts streakExposure): on a synthetic
 * chest, a ground-glass nodule in the left lung 12 mm from a 3000 HU column in the mediastinum (contrast in a vein)
 * knows how far the source is; one in the right lung, far from it, does not. Its answer says it may be streaks and is
 * less sure of it than on the same chest without the column; the right one's answer is as it was.
 */
import { parseQuery } from '../../../server/query/parse';
import { analyseVolume, rerankSlices, type VolumeAnalysis } from '../../../server/rerank/pipeline';
import type { Candidate } from '../../../server/rerank/analysis/types';
import { chestVolume, type Tube } from './synthetic';

const Z = 50;
const chest = (tubes: Tube[]): VolumeAnalysis =>
  analyseVolume(
    chestVolume({
      rows: 256,
      columns: 256,
      pixelSpacing: 0.8,
      trachea: true,
      spheres: [
        { centre: [33, 10, Z], diameter: 12, hu: -600 },
        { centre: [-75, 0, Z], diameter: 12, hu: -600 },
      ],
      tubes,
    }),
  );

describe('ground glass beside a streak source', () => {
  const withSource = chest([{ from: [12, 10, 20], to: [12, 10, 90], diameter: 6, hu: 3000 }]);
  const without = chest([]);
  /** The lesion candidate nearest to patient x `x` at height Z. */
  const nodule = (a: VolumeAnalysis, x: number): Candidate =>
    a.candidates.filter((c) => c.kind === 'lesion').sort((p, q) => Math.hypot(p.centroidMm[0] - x, p.centroidMm[2] - Z) - Math.hypot(q.centroidMm[0] - x, q.centroidMm[2] - Z))[0];
  const answer = async (a: VolumeAnalysis, text: string): Promise<{ score: number; caveats: string[] }> => {
    const r = await rerankSlices(a, parseQuery(text), { topK: 3 });
    return { score: r.results[0].score, caveats: (r.caveats ?? []).map((c) => c.code) };
  };

  it('measures how far the source is from the nodule beside it, and not from one far away', () => {
    const near = nodule(withSource, 33);
    expect(Math.abs(near.centroidMm[0] - 33)).toBeLessThan(4);
    expect(near.streakSourceMm).toBeGreaterThan(8);
    expect(near.streakSourceMm).toBeLessThan(16);
    expect(nodule(withSource, -75).streakSourceMm).toBeUndefined();
    expect(nodule(without, 33).streakSourceMm).toBeUndefined();
  });

  it('says the answer beside the source may be streaks, and is less sure of it', async () => {
    const near = await answer(withSource, 'ground-glass nodule in the left lung');
    const clear = await answer(without, 'ground-glass nodule in the left lung');
    expect(near.caveats).toContain('streak-artifact');
    expect(clear.caveats).not.toContain('streak-artifact');
    expect(near.score).toBeLessThan(clear.score - 0.1);
  });

  it('leaves the answer far from the source as it was', async () => {
    const far = await answer(withSource, 'ground-glass nodule in the right lung');
    expect(far.caveats).not.toContain('streak-artifact');
    expect(far.score).toBeCloseTo((await answer(without, 'ground-glass nodule in the right lung')).score, 2);
  });
});
