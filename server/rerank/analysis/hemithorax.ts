/**
 * An opaque hemithorax: one side of the chest without aerated lung, filled with fluid or tissue. A massive effusion
 * compresses its lung to a sliver at the hilum; the effusion search (pleura.ts) then finds nothing, since it
 * looks for fluid against aerated lung, and the lung box it searches holds only the other lung. Where the
 * empty side's space (empty-side.ts: the other lung's field mirrored) is mostly fluid density, it is
 * reported as a large pleural effusion on its side; where it is mostly soft tissue, as the lung collapsed
 * (atelectasis). A mass filling the hemithorax would read as a collapse, and a fluid-filled pneumonectomy space
 * as an effusion: telling those apart needs contrast or the patient's history.
 */
import { emptySide } from './empty-side';
import type { FindingContext } from './finding-region';
import { regionCandidate, type RegionOptions } from './finding-region';
import { planarDepth2, latticeOf } from './pleura';
import type { Candidate, LungSide } from './types';

/** Fluid density (HU) on the smoothed grid: as pleura.ts, a little wider on top for the noise of a large collection. */
const FLUID_HU: [number, number] = [-20, 40];
/** Soft tissue (HU): a collapsed lung, 35-60 unenhanced and up to about 120 enhanced; enhanced blood is denser. */
const TISSUE_HU: [number, number] = [40, 150];

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const round1 = (x: number): number => Math.round(x * 10) / 10;
const round2 = (x: number): number => Math.round(x * 100) / 100;

/**
 * Candidates on the empty side's space: a large effusion on its fluid, a collapse on its soft tissue. Each is as
 * likely as the share of the space it fills (half at half of it), with under 15 % of it aerated and 300 mL or more.
 */
export function findOpaqueHemithorax(ctx: FindingContext): Candidate[] {
  const { g, m } = ctx;
  const empty = emptySide(g, m);
  if (!empty) return [];
  let air = 0;
  const fluid: number[] = [], tissue: number[] = [];
  for (let j = 0; j < empty.space.length; j++) {
    if (!empty.space[j]) continue;
    if (m.aerated[j]) { air++; continue; }
    if (!m.body[j] || m.airway.mask[j]) continue;
    const hu = g.hu[j];
    if (hu > FLUID_HU[0] && hu < FLUID_HU[1]) fluid.push(j);
    else if (hu >= TISSUE_HU[0] && hu < TISSUE_HU[1]) tissue.push(j);
  }
  const voxelMl = (g.spacing[0] * g.spacing[1] * g.spacing[2]) / 1000;
  const airShare = air / empty.voxels;
  const side: LungSide = empty.side === 1 ? 'right' : 'left';
  // one candidate of `kind` on `vox`, its likelihood from the share of the space it fills
  const filling = (vox: number[], o: Pick<RegionOptions, 'kind' | 'amount' | 'wall' | 'measures'>): Candidate | null => {
    if (!vox.length) return null;
    let huSum = 0;
    for (const j of vox) huSum += g.hu[j];
    const volumeMl = vox.length * voxelMl, share = vox.length / empty.voxels;
    return regionCandidate(ctx, {
      ...o, voxels: latticeOf(g, vox), lattice: { fz: g.fz, fy: g.fy, fx: g.fx }, huOf: (k) => g.hu[vox[k]], side,
      likelihood: sigmoid((share - 0.5) / 0.08) * sigmoid((0.15 - airShare) / 0.04) * sigmoid((volumeMl - 300) / 75),
      measures: { ...o.measures, volumeMl: round1(volumeMl), hemithoraxFraction: round2(share), aeratedShare: round2(airShare), meanHU: Math.round(huSum / vox.length), opaqueHemithorax: 1 },
    });
  };
  // an effusion's depth: twice the largest in-plane inscribed radius of the fluid
  let best = 0;
  if (fluid.length) {
    const fluidMask = new Uint8Array(empty.space.length);
    for (const j of fluid) fluidMask[j] = 1;
    for (const d of planarDepth2(fluidMask, g, g.spacing, fluid, 20)) if (d > best) best = d;
  }
  const out = [
    filling(fluid, { kind: 'pleural effusion', amount: 'large', wall: 'chest wall', measures: { depthMm: round1(2 * Math.sqrt(best)) } }),
    // soft tissue filling it: the lung collapsed (or a mass filling the hemithorax, which this does not tell apart)
    filling(tissue, { kind: 'atelectasis' }),
  ];
  return out.filter((c): c is Candidate => c !== null);
}

