/**
 * The chest findings besides focal lesions, each from its own stage: lymph nodes by station (nodes.ts),
 * pleural effusion, pneumothorax and pleural thickening (pleura.ts), an effusion filling a whole
 * hemithorax (hemithorax.ts), emphysema (emphysema.ts),
 * consolidation and atelectasis (consolidation.ts); and what lies inside the focal lesions themselves
 * (a cavity, vacuoles: cavity.ts). Pure: the lesions are read, never changed; the caller merges.
 *
 * In two parts, so that the findings are searched while the lesions are (pipeline.ts): every stage but
 * the cavities reads no lesion (`findLesionFreeFindings`), and `joinFindings` then numbers those
 * findings after the lesions and lowers the consolidations' likelihood where round lesions make them up.
 * `findChestFindings` is both in one go.
 */
import type { Volume } from '../../series/volume';
import { lesionCavities } from './cavity';
import { findConsolidation, weighRoundLesions, type DenseFindings } from './consolidation';
import { findEmphysema } from './emphysema';
import { findOpaqueHemithorax } from './hemithorax';
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

/** The findings of the stages that read no lesion, numbered from 0 in stage order (their `touching` likewise). */
export interface LesionFreeFindings {
  candidates: Candidate[];
  /** The consolidations and atelectases among them, whose likelihood waits for the lesions. */
  dense?: Pick<DenseFindings, 'lattice' | 'awaiting'>;
  /** Density (HU) of the blood in the descending aorta, where the node search found it: it tells an enhanced scan. */
  bloodHU?: number;
  /** Milliseconds per stage. */
  timings: Record<string, number>;
}

type Clock = () => number;

function timer(timings: Record<string, number>, clock: Clock) {
  return <T>(name: string, f: () => T): T => {
    const t = clock();
    const out = f();
    timings[name] = Math.round((clock() - t) * 10) / 10;
    return out;
  };
}

/** `clock` (ms) times the stages: wall time by default; a benchmark on a busy machine may pass CPU time. */
export function findLesionFreeFindings(v: Volume, g: Grid, m: LungMasks, compartments: Uint8Array, clock: Clock = () => performance.now()): LesionFreeFindings {
  const ctx: FindingContext = { v, g, m, compartments };
  const timings: Record<string, number> = {};
  const timed = timer(timings, clock);
  // each stage's candidates are numbered by their place in its list (touching ones refer to those numbers): shifted after each other
  const found: Candidate[] = [];
  const add = (cands: Candidate[]): void => {
    const base = found.length;
    cands.forEach((c, k) => {
      c.id = base + k;
      c.touching = c.touching.map((t) => t + base);
      found.push(c);
    });
  };
  const nodes = timed('nodes', () => findLymphNodes(ctx));
  add(nodes.candidates);
  let dense: DenseFindings | undefined;
  // the lungs with room around them for the pleural space (thorax), and the lungs' own box
  const thorax = timed('boxes', () => maskBox(g, m.lung, 25, 20));
  if (thorax) {
    // the large findings on a coarser lattice (finding-grid.ts); thickening needs the grid's millimetres
    const coarse = timed('coarse', () => coarseContext(ctx, thorax));
    const cg = coarse.g;
    const lungBox = maskBox(cg, coarse.m.lung, 2);
    const cThorax = coarseBox(thorax, coarse.k, cg);
    if (lungBox) {
      const fluid = new Uint8Array(cg.hu.length), pleuralAir = new Uint8Array(cg.hu.length);
      add(timed('effusion', () => findEffusions(coarse, cThorax, cg.hu, fluid)));
      add(timed('pneumothorax', () => findPneumothoraces(coarse, lungBox, cg.hu, pleuralAir)));
      add(timed('thickening', () => findThickening(ctx, thorax)));
      add(timed('emphysema', () => findEmphysema(coarse, lungBox, pleuralAir)));
      dense = timed('consolidation', () => findConsolidation(coarse, lungBox, cg.hu, fluid));
      add(dense.consolidations);
      add(dense.atelectases);
    }
  }
  add(timed('hemithorax', () => findOpaqueHemithorax(ctx)));
  return { candidates: found, dense: dense && { lattice: dense.lattice, awaiting: dense.awaiting }, bloodHU: nodes.landmarks.bloodHU, timings };
}

/**
 * The lesion-free findings numbered after the lesions, their consolidations weighed against the round
 * lesions, with what lies inside the lesions (`lesionMeasures`, from lesionCavities). Changes `open`'s
 * candidates in place.
 */
export function joinFindings(open: LesionFreeFindings, lesions: readonly Candidate[], lesionMeasures: Map<number, Record<string, number>>): ChestFindings {
  if (open.dense) weighRoundLesions(open.dense, lesions);
  const base = lesions.reduce((a, c) => Math.max(a, c.id), -1) + 1;
  for (const c of open.candidates) {
    c.id += base;
    c.touching = c.touching.map((t) => t + base);
  }
  return { candidates: open.candidates, lesionMeasures, timings: open.timings };
}

/** All of it at once (`clock` as for findLesionFreeFindings). */
export function findChestFindings(v: Volume, g: Grid, m: LungMasks, compartments: Uint8Array, lesions: readonly Candidate[], clock: Clock = () => performance.now()): ChestFindings {
  const open = findLesionFreeFindings(v, g, m, compartments, clock);
  const lesionMeasures = timer(open.timings, clock)('cavity', () => lesionCavities({ v, m, lesions }));
  return joinFindings(open, lesions, lesionMeasures);
}
