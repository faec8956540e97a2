/**
 * The volume slices one slice of the analysis' grid (or a finding's lattice) stands for. On a thin-slice series
 * the grid averages two or three slices, and each of them used to take the grid slice's weight: the best slice of
 * an answer was then the first of them, up to two slices off the lesion's largest (a 6 mm nodule inserted into
 * LIDC-IDRI-0001 at 1.25 mm was answered on the slice before its first). Here each is weighted by how many
 * pixels of its box are the candidate's, against the best of them, so the answer falls where the lesion is largest.
 */
import type { Volume } from '../../series/volume';
import type { CandidateSlice } from './types';

/** What the weakest of a grid slice's volume slices keeps of the grid slice's weight. */
const LEAST_SHARE = 0.5;

/**
 * The slices `first` … `first + count − 1` (those inside the volume) with `box`, `area`, and `weight` scaled by each
 * slice's count of pixels in the box that `ofCandidate` takes, over the largest count among them.
 */
export function volumeSlicesOf(
  v: Pick<Volume, 'slices' | 'rows' | 'columns' | 'hu'>, first: number, count: number,
  box: [number, number, number, number], area: number, weight: number, ofCandidate: (hu: number) => boolean,
): CandidateSlice[] {
  const last = Math.min(v.slices, first + count);
  if (last - first <= 1) return last > first ? [{ index: first, box, area, weight }] : [];
  const [x0, y0, x1, y1] = box;
  const plane = v.rows * v.columns;
  const counts: number[] = [];
  for (let k = first; k < last; k++) {
    let n = 0;
    for (let r = y0; r <= y1; r++) for (let i = k * plane + r * v.columns + x0, end = i + x1 - x0; i <= end; i++) if (ofCandidate(v.hu[i])) n++;
    counts.push(n);
  }
  const most = Math.max(...counts);
  return counts.map((n, j) => ({ index: first + j, box, area, weight: most > 0 ? weight * (LEAST_SHARE + (1 - LEAST_SHARE) * (n / most)) : weight }));
}
