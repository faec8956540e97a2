/**
 * Where a point lies within its lung, in the words descriptions use: the zone (its height between the
 * lung's base and apex), antero-posterior and lateral position on its slice, and an estimated lobe
 * (fissures approximated by planes). Shared by the lesion candidates and the other chest findings.
 */
import type { Lobe } from '../../query/finding';
import type { Vec3 } from '../../series/volume';
import type { Grid } from './grid';
import type { LungMasks } from './lungs';
import type { Candidate, LungSide, Zone } from './types';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

/** Soft lobe membership from the position in the lung (fissures approximated by planes). */
export function lobeMembership(side: LungSide, zoneFraction: number, apFraction: number): Partial<Record<Lobe, number>> {
  // oblique fissure: high posteriorly (~70% of the lung height), near the base anteriorly
  const lower = sigmoid((0.25 + 0.45 * apFraction - zoneFraction) / 0.07);
  // horizontal fissure (right) / lingula (left): anterior, below mid-height
  const anteriorLow = sigmoid((0.55 - zoneFraction) / 0.07) * sigmoid((0.6 - apFraction) / 0.1);
  const middle = (1 - lower) * anteriorLow;
  const upper = Math.max(0, 1 - lower - middle);
  return side === 'right' ? { RUL: upper, RML: middle, RLL: lower } : { LUL: upper, lingula: middle, LLL: lower };
}

/** The zone word of a height in the lung (0 at the base .. 1 at the apex). */
export function zoneOf(zoneFraction: number): Zone {
  return zoneFraction > 2 / 3 ? 'upper' : zoneFraction < 1 / 3 ? 'lower' : 'middle';
}

/** Zone, antero-posterior and lateral position of a point within its lung, as the lesions have them. */
export function positionInLung(g: Grid, m: LungMasks, side: LungSide, p: Vec3, gridSlice: number): Pick<Candidate, 'zone' | 'zoneFraction' | 'apFraction' | 'anteroposterior' | 'lateralFraction' | 'lobes'> {
  const sideIdx = side === 'left' ? 2 : 1;
  const ext = m.extent[sideIdx];
  const zoneFraction = ext && ext.zMax > ext.zMin ? clamp01((p[2] - ext.zMin) / (ext.zMax - ext.zMin)) : 0.5;
  // the lung's extent on the nearest slice that shows it
  const s0 = Math.max(0, Math.min(g.slices - 1, Math.round(gridSlice)));
  let xMin = NaN, xMax = NaN, yMin = NaN, yMax = NaN, s = s0;
  for (let d = 0; d < g.slices; d++) {
    for (const t of [s0 - d, s0 + d]) {
      if (t < 0 || t >= g.slices) continue;
      const k = (t * 3 + sideIdx) * 4;
      if (!Number.isNaN(m.sliceExtent[k])) { [xMin, xMax, yMin, yMax] = [m.sliceExtent[k], m.sliceExtent[k + 1], m.sliceExtent[k + 2], m.sliceExtent[k + 3]]; s = t; break; }
    }
    if (!Number.isNaN(xMin)) break;
  }
  const apFraction = yMax > yMin ? clamp01((p[1] - yMin) / (yMax - yMin)) : 0.5;
  const mid = m.midlineX[s];
  const span = side === 'left' ? xMax - mid : mid - xMin;
  const lateralFraction = span > 0 ? clamp01(Math.abs(p[0] - mid) / span) : 0.5;
  return {
    zone: zoneOf(zoneFraction),
    zoneFraction,
    apFraction,
    anteroposterior: apFraction < 1 / 3 ? 'anterior' : apFraction > 2 / 3 ? 'posterior' : 'middle',
    lateralFraction,
    lobes: lobeMembership(side, zoneFraction, apFraction),
  };
}
