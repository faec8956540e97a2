/**
 * A coarser lattice for the chest-finding stages that look for large things (effusions, pneumothoraces,
 * emphysematous areas, consolidations): the analysis grid block-averaged again to about 3 mm, with its
 * masks (body, lungs, airway) and compartments carried over. These findings are centimetres
 * across; at the grid's 1.4–2 mm their stages would spend most of the analysis' time on distance
 * transforms and labelling (measured: 2–3 s per series); at 3 mm they cost a few tens of milliseconds.
 * Thresholds in those stages are in millimetres and HU, so they read the same on either lattice.
 *
 * Only the blocks inside a box (the thorax) are filled; the rest stays zero (outside the body).
 */
import type { Grid } from './grid';
import type { FindingContext, GridBox } from './finding-region';
import type { LungMasks } from './lungs';
import { setVoxelBox } from './morphology';

/**
 * A coarse voxel is at most this (mm) across: grid voxels are merged while the merged voxel stays under it
 * (the 1.4 mm grid of sub-millimetre pixels becomes 2.8 mm; the 1.7–2 mm grid of coarser pixels stays as
 * it is: at 3.4–3.9 mm an effusion's thin layers fused with the chest wall). Along the slices likewise.
 */
export const COARSE_MM = 3;

export interface CoarseFindingContext extends FindingContext {
  /** Fine grid voxels per coarse voxel: slices, rows, columns. */
  k: [number, number, number];
}

/** Fine voxels per coarse one along each axis: the most that stay within `mm` (1 where the grid is already that coarse). */
export function coarseFactors(g: Grid, mm = COARSE_MM): [number, number, number] {
  return [Math.max(1, Math.floor(mm / g.spacing[0])), Math.max(1, Math.floor(mm / g.spacing[1])), Math.max(1, Math.floor(mm / g.spacing[2]))];
}

/** A box of the fine grid as a box of the coarse one (the blocks it touches). */
export function coarseBox(b: GridBox, k: [number, number, number], cg: Grid): GridBox {
  const s0 = Math.floor(b.s0 / k[0]), r0 = Math.floor(b.r0 / k[1]), c0 = Math.floor(b.c0 / k[2]);
  const s1 = Math.min(cg.slices - 1, Math.floor((b.s0 + b.slices - 1) / k[0]));
  const r1 = Math.min(cg.rows - 1, Math.floor((b.r0 + b.rows - 1) / k[1]));
  const c1 = Math.min(cg.columns - 1, Math.floor((b.c0 + b.columns - 1) / k[2]));
  return makeGridBox(cg, s0, s1, r0, r1, c0, c1);
}

/** A box of grid `g` from its inclusive bounds. */
export function makeGridBox(g: Pick<Grid, 'rows' | 'columns'>, s0: number, s1: number, r0: number, r1: number, c0: number, c1: number): GridBox {
  const slices = s1 - s0 + 1, rows = r1 - r0 + 1, columns = c1 - c0 + 1;
  const plane = g.rows * g.columns, bp = rows * columns, gc = g.columns;
  return {
    s0, r0, c0, slices, rows, columns,
    toGrid: (j) => {
      const s = (j / bp) | 0, q = j - s * bp, r = (q / columns) | 0;
      return (s + s0) * plane + (r + r0) * gc + q - r * columns + c0;
    },
    toBox: (i) => {
      const s = ((i / plane) | 0) - s0, q = i % plane, r = ((q / gc) | 0) - r0, c = (q % gc) - c0;
      return s < 0 || r < 0 || c < 0 || s >= slices || r >= rows || c >= columns ? -1 : (s * rows + r) * columns + c;
    },
  };
}

/**
 * The coarse lattice over `box` of the fine grid: HU the mean of each block, body, lungs and compartments
 * those of its centre voxel, the airway wherever the block holds any.
 */
export function coarseContext(ctx: FindingContext, box: GridBox, mm = COARSE_MM): CoarseFindingContext {
  const { g, m, compartments } = ctx;
  const k = coarseFactors(g, mm);
  // the grid is already as coarse: the stages read it as it is
  if (k[0] === 1 && k[1] === 1 && k[2] === 1) return { ...ctx, k };
  const [kz, ky, kx] = k;
  const slices = Math.ceil(g.slices / kz), rows = Math.ceil(g.rows / ky), columns = Math.ceil(g.columns / kx);
  const cplane = rows * columns, n = slices * cplane;
  const hu = new Float32Array(n);
  const body = new Uint8Array(n), aerated = new Uint8Array(n), lung = new Uint8Array(n), airway = new Uint8Array(n), comp = new Uint8Array(n);
  const plane = g.rows * g.columns, gc = g.columns;
  const cs0 = Math.floor(box.s0 / kz), cs1 = Math.floor((box.s0 + box.slices - 1) / kz);
  const cr0 = Math.floor(box.r0 / ky), cr1 = Math.floor((box.r0 + box.rows - 1) / ky);
  const cc0 = Math.floor(box.c0 / kx), cc1 = Math.floor((box.c0 + box.columns - 1) / kx);
  const ghu = g.hu, gBody = m.body, gAir = m.airway.mask, gAer = m.aerated, gLung = m.lung;
  // HU: the block's mean; the airway: any of the block; the other labels: those of the voxel at the block's
  // centre (a majority vote over every voxel cost five times as much, and changed nothing a finding measures)
  for (let cs = cs0; cs <= cs1; cs++) {
    const fs0 = cs * kz, fs1 = Math.min(g.slices, fs0 + kz), fsc = Math.min(fs1 - 1, fs0 + (kz >> 1));
    for (let cr = cr0; cr <= cr1; cr++) {
      const fr0 = cr * ky, fr1 = Math.min(g.rows, fr0 + ky), frc = Math.min(fr1 - 1, fr0 + (ky >> 1));
      const o = cs * cplane + cr * columns;
      for (let cc = cc0; cc <= cc1; cc++) {
        const fc0 = cc * kx, fc1 = Math.min(gc, fc0 + kx);
        let sum = 0, n = 0, air = 0;
        for (let fs = fs0; fs < fs1; fs++)
          for (let fr = fr0; fr < fr1; fr++) {
            const base = fs * plane + fr * gc;
            for (let i = base + fc0; i < base + fc1; i++) { sum += ghu[i]; air |= gAir[i]; n++; }
          }
        const i = fsc * plane + frc * gc + Math.min(fc1 - 1, fc0 + (kx >> 1));
        hu[o + cc] = sum / n;
        airway[o + cc] = air;
        body[o + cc] = gBody[i];
        aerated[o + cc] = gAer[i];
        lung[o + cc] = gLung[i];
        comp[o + cc] = compartments[i];
      }
    }
  }
  const cg: Grid = {
    slices, rows, columns,
    fz: g.fz * kz, fy: g.fy * ky, fx: g.fx * kx,
    spacing: [g.spacing[0] * kz, g.spacing[1] * ky, g.spacing[2] * kx],
    hu,
    origin: Array.from({ length: slices }, (_, s) => {
      // the block's centre: mean of its fine slices' origins, half a block in-plane
      const a = g.origin[s * kz], b = g.origin[Math.min(g.slices - 1, s * kz + kz - 1)];
      const oy = (ky - 1) / 2, ox = (kx - 1) / 2;
      return [0, 1, 2].map((d) => (a[d] + b[d]) / 2 + g.rowStep[d] * oy + g.colStep[d] * ox) as [number, number, number];
    }),
    rowStep: [g.rowStep[0] * ky, g.rowStep[1] * ky, g.rowStep[2] * ky],
    colStep: [g.colStep[0] * kx, g.colStep[1] * kx, g.colStep[2] * kx],
  };
  const cm: LungMasks = {
    ...m,
    body, aerated, lung,
    airway: { ...m.airway, mask: airway },
    midlineX: Float64Array.from({ length: slices }, (_, s) => m.midlineX[Math.min(g.slices - 1, s * kz + (kz >> 1))]),
    diaphragmZ: coarseColumns(m.diaphragmZ, g, ky, kx, rows, columns),
    sliceExtent: coarseExtent(m.sliceExtent, g.slices, kz, slices),
  };
  return { ...ctx, g: cg, m: cm, compartments: comp, k };
}

/** Per coarse column: the fine column at the block's centre. */
function coarseColumns(x: Float64Array, g: Grid, ky: number, kx: number, rows: number, columns: number): Float64Array {
  const out = new Float64Array(rows * columns);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++) out[r * columns + c] = x[Math.min(g.rows - 1, r * ky + (ky >> 1)) * g.columns + Math.min(g.columns - 1, c * kx + (kx >> 1))];
  return out;
}

/** Per coarse slice and side: the union of its fine slices' lung extents. */
function coarseExtent(e: Float64Array, fine: number, kz: number, slices: number): Float64Array {
  const out = new Float64Array(slices * 12).fill(NaN);
  for (let s = 0; s < slices; s++)
    for (let f = s * kz; f < Math.min(fine, s * kz + kz); f++)
      for (let side = 0; side < 3; side++) {
        const a = (f * 3 + side) * 4, b = (s * 3 + side) * 4;
        if (Number.isNaN(e[a])) continue;
        if (Number.isNaN(out[b])) { for (let t = 0; t < 4; t++) out[b + t] = e[a + t]; continue; }
        out[b] = Math.min(out[b], e[a]); out[b + 1] = Math.max(out[b + 1], e[a + 1]);
        out[b + 2] = Math.min(out[b + 2], e[a + 2]); out[b + 3] = Math.max(out[b + 3], e[a + 3]);
      }
  return out;
}

/**
 * The box of the non-zero voxels of `mask`, grown by `marginMm` in-plane and `marginZMm` along the slices;
 * null when it is empty.
 */
export function maskBox(g: Grid, mask: Uint8Array, marginMm: number, marginZMm = marginMm): GridBox | null {
  const b = setVoxelBox(mask, 0, g);
  if (b.empty) return null;
  const ks = Math.ceil(marginZMm / g.spacing[0]), kr = Math.ceil(marginMm / g.spacing[1]), kc = Math.ceil(marginMm / g.spacing[2]);
  return makeGridBox(g, Math.max(0, b.s0 - ks), Math.min(g.slices - 1, b.s1 + ks), Math.max(0, b.r0 - kr), Math.min(g.rows - 1, b.r1 + kr), Math.max(0, b.c0 - kc), Math.min(g.columns - 1, b.c1 + kc));
}
