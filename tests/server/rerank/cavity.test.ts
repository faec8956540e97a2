/** Air inside a lesion (cavity.ts) on small synthetic chests: a pocket enclosed by the lesion is a cavity, an airway running through it is not. */
import { lesionCavities } from '../../../server/rerank/analysis/cavity';
import type { Candidate } from '../../../server/rerank/analysis/types';
import { analyseVolume } from '../../../server/rerank/pipeline';
import { chestVolume, LUNG_X } from './synthetic';

/** The largest lesion candidate on one side. */
const largestLesionOn = (a: ReturnType<typeof analyseVolume>, side: 'left' | 'right') =>
  a.candidates.filter((c) => c.kind === 'lesion' && c.side === side).sort((x, y) => y.diameterMm - x.diameterMm)[0];

describe('air inside a lesion', () => {
  const v = chestVolume({
    rows: 256, columns: 256, pixelSpacing: 0.8,
    spheres: [
      { centre: [LUNG_X, 0, 60], diameter: 30, hu: 30 },
      { centre: [-LUNG_X, 0, 60], diameter: 30, hu: 30 },
      { centre: [-LUNG_X, 0, 60], diameter: 12, hu: -1000 },
    ],
    // a bronchus through the left mass, on into the lung above and below it
    tubes: [{ from: [LUNG_X, 0, 30], to: [LUNG_X, 0, 90], diameter: 6, hu: -1000 }],
  });
  const a = analyseVolume(v);
  const massOn = (side: 'left' | 'right') => largestLesionOn(a, side);

  it('measures a pocket the lesion encloses as a cavity', () => {
    const m = massOn('right');
    expect(m.diameterMm).toBeGreaterThan(24);
    expect(m.measures?.cavityMm ?? 0).toBeGreaterThanOrEqual(8);
  });

  it('finds the cavity a lesion came apart at, between its pieces', () => {
    // the cavitary mass cut in two down the middle of its cavity: each half holds the cavity at its edge, not inside it
    const m = massOn('right');
    const half = (k: 0 | 1, id: number, other: number): Candidate => ({
      ...m, id, touching: [other], lesionLikelihood: 0.9, measures: undefined,
      slices: m.slices.map((sl) => {
        const mid = Math.round((sl.box[0] + sl.box[2]) / 2);
        return { ...sl, box: k === 0 ? [sl.box[0], sl.box[1], mid, sl.box[3]] : [mid + 1, sl.box[1], sl.box[2], sl.box[3]] };
      }),
    });
    const pieces = [half(0, 1000, 1001), half(1, 1001, 1000)];
    const apart = lesionCavities({ v, m: a.anatomy.lungs, lesions: pieces.map((p) => ({ ...p, touching: [] })) });
    expect([...apart.values()].map((x) => x.cavityMm ?? 0).filter((d) => d >= 4)).toEqual([]);
    const together = lesionCavities({ v, m: a.anatomy.lungs, lesions: pieces });
    for (const p of pieces) expect(together.get(p.id)?.cavityMm ?? 0).toBeGreaterThanOrEqual(8);
  });

  it('does not take an airway running through a lesion for air inside it', () => {
    const m = massOn('left');
    expect(m.diameterMm).toBeGreaterThan(24);
    expect(m.measures?.cavityMm ?? 0).toBe(0);
    expect(m.measures?.vacuoles ?? 0).toBe(0);
  });

  describe('a thin wall, and bubbles in ground glass', () => {
    const w = chestVolume({
      rows: 256, columns: 256, pixelSpacing: 0.8,
      spheres: [
        // left: a 26 mm lesion round an 18 mm cavity: on its middle slices the air in its box outnumbers the wall
        { centre: [LUNG_X, 0, 60], diameter: 26, hu: 30 },
        { centre: [LUNG_X, 0, 60], diameter: 18, hu: -1000 },
        // right: a part-solid nodule, mostly ground glass with a small solid core, two bubbles in the ground glass
        { centre: [-LUNG_X, 0, 60], diameter: 20, hu: -600 },
        { centre: [-LUNG_X, 0, 60], diameter: 7, hu: 20 },
        { centre: [-LUNG_X - 6, 0, 60], diameter: 3.5, hu: -1000 },
        { centre: [-LUNG_X + 6, 2, 60], diameter: 3.5, hu: -1000 },
      ],
    });
    const b = analyseVolume(w);
    const on = (side: 'left' | 'right') => largestLesionOn(b, side);

    it('measures a cavity whose wall is thin', () => {
      const m = on('left');
      expect(m.diameterMm).toBeGreaterThan(20);
      expect(m.measures?.cavityMm ?? 0).toBeGreaterThanOrEqual(12);
    });

    it('finds vacuoles in the ground glass of a part-solid nodule', () => {
      const m = on('right');
      expect(m.diameterMm).toBeGreaterThan(14);
      expect(m.measures?.vacuoles ?? 0).toBeGreaterThanOrEqual(1);
      expect(m.measures?.cavityMm ?? 0).toBe(0);
    });
  });
});
