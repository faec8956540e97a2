import { analyseVolume } from '../../../server/rerank/pipeline';
import type { Tube } from './synthetic';
import { chestVolume } from './synthetic';

/**
 * Lungs that are one air component, joined by a thin junction line, and that overlap across the midline (the right
 * lung's posterior part reaching past it behind the left lung's medial edge, as the lower lobes do behind the heart,
 * or as either does in a patient lying rolled): no straight column separates them, the junction does.
 */
describe('the two lungs told apart where they touch', () => {
  const slices = 40, sliceSpacing = 2.5;
  const zs = Array.from({ length: 28 }, (_, k) => 12 + 2.5 * k);
  const tubes: Tube[] = [
    // the right lung's posterior extension, 14 mm thick, reaching 25 mm past the midline (patient x > 0 is the left)
    ...zs.map((z): Tube => ({ from: [-40, 40, z], to: [18, 40, z], diameter: 14, hu: -850 })),
    // an anterior junction line, 2.5 mm thick, joining the two lungs in front
    ...zs.map((z): Tube => ({ from: [-40, -40, z], to: [40, -40, z], diameter: 2.5, hu: -850 })),
  ];
  const v = chestVolume({ slices, sliceSpacing, rows: 160, columns: 160, pixelSpacing: 1.25, tubes });
  const { grid: g, lungs } = analyseVolume(v).anatomy;
  const plane = g.rows * g.columns;

  /** Side labels (1 right, 2 left) of the lung voxels within `r` mm of patient (x, y), on the middle grid slices. */
  const labelsNear = (x: number, y: number, r: number): number[] => {
    const out: number[] = [];
    for (let s = Math.floor(g.slices * 0.4); s < Math.ceil(g.slices * 0.6); s++)
      for (let row = 0; row < g.rows; row++)
        for (let c = 0; c < g.columns; c++) {
          const px = g.origin[s][0] + g.rowStep[0] * row + g.colStep[0] * c, py = g.origin[s][1] + g.rowStep[1] * row + g.colStep[1] * c;
          const side = lungs.aerated[s * plane + row * g.columns + c];
          if (side && Math.hypot(px - x, py - y) <= r) out.push(side);
        }
    return out;
  };

  it('labels the right lung’s part past the midline right, and the left lung’s medial edge left', () => {
    const pastMidline = labelsNear(14, 40, 4);
    const leftMedial = labelsNear(28, 2, 4);
    expect(pastMidline.length).toBeGreaterThan(10);
    expect(leftMedial.length).toBeGreaterThan(10);
    expect(pastMidline.every((side) => side === 1)).toBe(true);
    expect(leftMedial.every((side) => side === 2)).toBe(true);
  });
});
