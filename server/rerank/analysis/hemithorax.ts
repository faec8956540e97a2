/**
 * An opaque hemithorax: one side of the chest without aerated lung, filled with fluid. A massive effusion
 * compresses its lung to a sliver at the hilum; the effusion search (pleura.ts) then finds nothing, since it
 * looks for fluid against aerated lung, and the lung box it searches holds only the other lung. Where the
 * empty side's space (empty-side.ts: the other lung's field mirrored) is mostly fluid density, it is
 * reported as a large pleural effusion on its side. A collapsed lung (soft tissue, 35-50 HU unenhanced) or a
 * post-pneumonectomy space that has not yet filled is not fluid and is left alone: telling those apart needs
 * contrast or the patient's history.
 */
import { emptySide } from './empty-side';
import type { FindingContext } from './finding-region';
import { regionCandidate } from './finding-region';
import { planarDepth2, latticeOf } from './pleura';
import type { Candidate, LungSide } from './types';

/** Fluid density (HU) on the smoothed grid: as pleura.ts, a little wider on top for the noise of a large collection. */
const FLUID_HU: [number, number] = [-20, 40];

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const round1 = (x: number): number => Math.round(x * 10) / 10;
const round2 = (x: number): number => Math.round(x * 100) / 100;

export function findOpaqueHemithorax(ctx: FindingContext): Candidate[] {
  const { g, m } = ctx;
  const empty = emptySide(g, m);
  if (!empty) return [];
  let air = 0, huSum = 0;
  const fluid: number[] = [];
  for (let j = 0; j < empty.space.length; j++) {
    if (!empty.space[j]) continue;
    if (m.aerated[j]) { air++; continue; }
    const hu = g.hu[j];
    if (m.body[j] && !m.airway.mask[j] && hu > FLUID_HU[0] && hu < FLUID_HU[1]) { fluid.push(j); huSum += hu; }
  }
  if (!fluid.length) return [];
  const voxelMl = (g.spacing[0] * g.spacing[1] * g.spacing[2]) / 1000;
  const volumeMl = fluid.length * voxelMl;
  const fluidShare = fluid.length / empty.voxels;
  const airShare = air / empty.voxels;
  const meanHU = huSum / fluid.length;
  const likelihood = sigmoid((fluidShare - 0.5) / 0.08) * sigmoid((0.15 - airShare) / 0.04) * sigmoid((volumeMl - 300) / 75);
  // its depth as an effusion's: twice the largest in-plane inscribed radius of the fluid
  const fluidMask = new Uint8Array(empty.space.length);
  for (const j of fluid) fluidMask[j] = 1;
  const depth2 = planarDepth2(fluidMask, g, g.spacing, fluid, 20);
  let best = 0;
  for (const d of depth2) if (d > best) best = d;
  const side: LungSide = empty.side === 1 ? 'right' : 'left';
  const cand = regionCandidate(ctx, {
    kind: 'pleural effusion', voxels: latticeOf(g, fluid), lattice: { fz: g.fz, fy: g.fy, fx: g.fx }, huOf: (k) => g.hu[fluid[k]],
    likelihood, side, amount: 'large', wall: 'chest wall',
    measures: { depthMm: round1(2 * Math.sqrt(best)), volumeMl: round1(volumeMl), hemithoraxFraction: round2(fluidShare), aeratedShare: round2(airShare), meanHU: Math.round(meanHU), opaqueHemithorax: 1 },
  });
  return cand ? [cand] : [];
}
