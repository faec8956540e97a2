/**
 * The space of a lung that is not there (empty-side.ts): the present lung's field mirrored across the body's
 * midline, on a one-slice lattice of 1 mm voxels whose columns run along patient x.
 */
import { emptySide } from '../../../server/rerank/analysis/empty-side';
import type { Grid } from '../../../server/rerank/analysis/grid';
import type { LungMasks } from '../../../server/rerank/analysis/lungs';

const rows = 10, columns = 20;
const grid = { slices: 1, rows, columns, fz: 1, fy: 1, fx: 1, spacing: [1, 1, 1], hu: new Float32Array(rows * columns), origin: [[0, 0, 0]], rowStep: [0, 1, 0], colStep: [1, 0, 0] } as unknown as Grid;

/** A left lung (label 2) over columns 12-16 of rows 2-7, and a right one (label 1) of `rightVoxels` voxels in column 2. */
function masks(rightVoxels: number): LungMasks {
  const lung = new Uint8Array(rows * columns);
  let left = 0;
  for (let r = 2; r <= 7; r++) for (let c = 12; c <= 16; c++) { lung[r * columns + c] = 2; left++; }
  for (let r = 0; r < rightVoxels; r++) lung[r * columns + 2] = 1;
  const extent = [null, rightVoxels ? { zMin: 0, zMax: 0, yMin: 0, yMax: 9, voxels: rightVoxels } : null, { zMin: 0, zMax: 0, yMin: 2, yMax: 7, voxels: left }];
  // the body's midline between columns 9 and 10
  return { lung, extent, midlineX: Float64Array.of(9.5) } as unknown as LungMasks;
}

describe('the space of a lung that is not there', () => {
  test('is the present lung mirrored across the midline, on the side without one', () => {
    const e = emptySide(grid, masks(0))!;
    expect(e.side).toBe(1);
    expect(e.voxels).toBe(30);
    // column c mirrors to 19 - c: the left lung's columns 12-16 to 3-7
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < columns; c++) expect(e.space[r * columns + c]).toBe(r >= 2 && r <= 7 && c >= 3 && c <= 7 ? 1 : 0);
    expect(e.mirrorColumn(0, 4, 12)).toBe(7);
  });

  test('is none while the other lung is a quarter of it or more', () => {
    expect(emptySide(grid, masks(6))).not.toBeNull(); // 6 of 30: a fifth
    expect(emptySide(grid, masks(8))).toBeNull(); // 8 of 30
  });
});
