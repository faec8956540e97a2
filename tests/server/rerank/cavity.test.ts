/** Air inside a lesion (cavity.ts) on small synthetic chests: a pocket enclosed by the lesion is a cavity, an airway running through it is not. */
import { analyseVolume } from '../../../server/rerank/pipeline';
import { chestVolume, LUNG_X } from './synthetic';

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
  const massOn = (side: 'left' | 'right') =>
    a.candidates.filter((c) => c.kind === 'lesion' && c.side === side).sort((x, y) => y.diameterMm - x.diameterMm)[0];

  it('measures a pocket the lesion encloses as a cavity', () => {
    const m = massOn('right');
    expect(m.diameterMm).toBeGreaterThan(24);
    expect(m.measures?.cavityMm ?? 0).toBeGreaterThanOrEqual(8);
  });

  it('does not take an airway running through a lesion for air inside it', () => {
    const m = massOn('left');
    expect(m.diameterMm).toBeGreaterThan(24);
    expect(m.measures?.cavityMm ?? 0).toBe(0);
    expect(m.measures?.vacuoles ?? 0).toBe(0);
  });
});
