/**
 * The space of a lung that is not there. Where one lung field is under a quarter of the other's (its
 * hemithorax filled with fluid, its lung collapsed or removed), that side's pleural space is taken as the
 * present lung's field mirrored across the body's midline: the two hemithoraces are near mirror images,
 * and nothing of the empty side itself outlines it. The chest findings look for fluid in it
 * (hemithorax.ts), and the compartments bound the mediastinum with it (compartments.ts).
 */
import type { Grid } from './grid';
import type { LungMasks } from './lungs';

/** A side counts as empty when its lung field is under this share of the other side's. */
const EMPTY_SHARE = 0.25;

export interface EmptySide {
  /** The empty side: 1 right, 2 left. */
  side: 1 | 2;
  /** 1 on the grid voxels of its space (never on the present lung's own field). */
  space: Uint8Array;
  voxels: number;
  /** The column that grid voxel (s, r, c) mirrors to across the midline (may lie off the grid). */
  mirrorColumn: (s: number, r: number, c: number) => number;
}

/** Per lung masks (several stages ask): the empty side, or null. */
const known = new WeakMap<LungMasks, EmptySide | null>();

/** The empty side and its space, or null when both lungs are there (or the series is not axial enough to mirror). */
export function emptySide(g: Grid, m: LungMasks): EmptySide | null {
  let e = known.get(m);
  if (e === undefined) known.set(m, (e = mirrored(g, m)));
  return e;
}

function mirrored(g: Grid, m: LungMasks): EmptySide | null {
  const field = [0, m.extent[1]?.voxels ?? 0, m.extent[2]?.voxels ?? 0];
  const present = field[1] >= field[2] ? 1 : 2;
  const side = present === 1 ? 2 : 1;
  if (field[present] === 0 || field[side] >= EMPTY_SHARE * field[present]) return null;
  // mirroring along a column needs the columns to run left-right (an axial series)
  const dx = g.colStep[0];
  if (Math.abs(dx) < 0.7 * Math.hypot(g.colStep[0], g.colStep[1], g.colStep[2])) return null;
  const mirrorColumn = (s: number, r: number, c: number): number => Math.round(c + (2 * (m.midlineX[s] - (g.origin[s][0] + g.rowStep[0] * r + dx * c))) / dx);
  const plane = g.rows * g.columns;
  const space = new Uint8Array(m.lung.length);
  let voxels = 0;
  for (let s = 0; s < g.slices; s++)
    for (let r = 0; r < g.rows; r++) {
      const row = s * plane + r * g.columns;
      for (let c = 0; c < g.columns; c++) {
        if (m.lung[row + c] !== present) continue;
        const cm = mirrorColumn(s, r, c);
        if (!(cm >= 0 && cm < g.columns)) continue; // (NaN where a slice has no midline)
        const j = row + cm;
        if (m.lung[j] === present || space[j]) continue;
        space[j] = 1;
        voxels++;
      }
    }
  return voxels ? { side, space, voxels, mirrorColumn } : null;
}
