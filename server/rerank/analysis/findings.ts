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
import type { FindingContext } from './finding-region';
import { coarseBox, coarseContext, maskBox } from './finding-grid';
import type { Grid } from './grid';
import type { LungMasks } from './lungs';
import { findLymphNodes } from './nodes';
import { findEffusions, findPneumothoraces, findThickening } from './pleura';
import type { Candidate } from './types';

export interface ChestFindings {
  /** Candidates of the other kinds, numbered after the lesions. */
  candidates: Candidate[];
  /** Per lesion id: measurements of what lies inside it (cavityMm, vacuoles, airInsideShare). */
  lesionMeasures: Map<number, Record<string, number>>;
  /** Milliseconds per stage. */
  timings: Record<string, number>;
}

/** `clock` (ms) times the stages: wall time by default; a benchmark on a busy machine may pass CPU time. */
export function findChestFindings(v: Volume, g: Grid, m: LungMasks, compartments: Uint8Array, lesions: readonly Candidate[], clock: () => number = () => performance.now()): ChestFindings {
  const ctx: FindingContext = { v, g, m, compartments, lesions };
  const timings: Record<string, number> = {};
  const timed = <T>(name: string, f: () => T): T => {
    const t = clock();
    const out = f();
    timings[name] = Math.round((clock() - t) * 10) / 10;
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
  // the lungs with room around them for the pleural space (thorax), and the lungs' own box
  const thorax = timed('boxes', () => maskBox(g, m.lung, 25, 20));
  if (thorax) {
    // the large findings on a coarser lattice (finding-grid.ts); thickening needs the grid's millimetres
    const coarse = timed('coarse', () => coarseContext(ctx, thorax));
    const cg = coarse.g;
    const lungBox = maskBox(cg, coarse.m.lung, 2);
    const cThorax = coarseBox(thorax, coarse.k, cg);
    if (lungBox) {
      const fluid = new Uint8Array(cg.hu.length);
      add(timed('effusion', () => findEffusions(coarse, cThorax, cg.hu, fluid)));
      add(timed('pneumothorax', () => findPneumothoraces(coarse, lungBox, cg.hu)));
      add(timed('thickening', () => findThickening(ctx, thorax)));
      add(timed('emphysema', () => findEmphysema(coarse, lungBox)));
      const dense = timed('consolidation', () => findConsolidation(coarse, lungBox, cg.hu, fluid));
      add(dense.consolidations);
      add(dense.atelectases);
    }
  }
  const lesionMeasures = timed('cavity', () => lesionCavities(ctx));
  return { candidates: found, lesionMeasures, timings };
}
