/**
 * The chest findings besides focal lesions, each from its own stage: lymph nodes by station (nodes.ts),
 * pleural effusion, pneumothorax and pleural thickening (pleura.ts), emphysema (emphysema.ts),
 * consolidation and atelectasis (consolidation.ts); and what lies inside the focal lesions themselves
 * (a cavity, vacuoles: cavity.ts). Pure: the lesions are read, never changed; the caller merges.
 */
import type { Volume } from '../../series/volume';
import { lesionCavities } from './cavity';
import { findConsolidation } from './consolidation';
import { findEmphysema } from './emphysema';
import { gridBoxOf, type FindingContext } from './finding-region';
import type { Grid } from './grid';
import type { LungMasks } from './lungs';
import { findLymphNodes } from './nodes';
import { findPleuralFindings, smoothedGrid } from './pleura';
import type { Candidate } from './types';

export interface ChestFindings {
  /** Candidates of the other kinds, numbered after the lesions. */
  candidates: Candidate[];
  /** Per lesion id: measurements of what lies inside it (cavityMm, vacuoles, airInsideShare). */
  lesionMeasures: Map<number, Record<string, number>>;
  /** Milliseconds per stage. */
  timings: Record<string, number>;
}

export function findChestFindings(v: Volume, g: Grid, m: LungMasks, compartments: Uint8Array, lesions: readonly Candidate[]): ChestFindings {
  const ctx: FindingContext = { v, g, m, compartments, lesions };
  const timings: Record<string, number> = {};
  const timed = <T>(name: string, f: () => T): T => {
    const t = performance.now();
    const out = f();
    timings[name] = Math.round((performance.now() - t) * 10) / 10;
    return out;
  };
  // each stage's candidates are numbered by their place in its list (touching ones refer to those numbers): shifted after the lesions and each other
  const found: Candidate[] = [];
  let base = lesions.reduce((a, c) => Math.max(a, c.id), -1) + 1;
  const add = (cands: Candidate[]): void => {
    cands.forEach((c, k) => {
      c.id = base + k;
      c.touching = c.touching.map((t) => t + base);
      found.push(c);
    });
    base += cands.length;
  };
  add(timed('nodes', () => findLymphNodes(ctx).candidates));
  // the grid stages work in the box of the lungs (with room around them for the pleural space)
  const thorax = gridBoxOf(g, m.lung, 25, 20);
  const lungBox = gridBoxOf(g, m.lung, 2);
  if (thorax && lungBox) {
    const sm = timed('smooth', () => smoothedGrid(g, thorax));
    const pleura = timed('pleura', () => findPleuralFindings(ctx, thorax, lungBox, sm));
    add(pleura.effusions);
    add(pleura.pneumothoraces);
    add(pleura.thickenings);
    add(timed('emphysema', () => findEmphysema(ctx, lungBox)));
    const dense = timed('consolidation', () => findConsolidation(ctx, lungBox, sm, pleura.fluid));
    add(dense.consolidations);
    add(dense.atelectases);
  }
  const lesionMeasures = timed('cavity', () => lesionCavities(ctx));
  return { candidates: found, lesionMeasures, timings };
}
