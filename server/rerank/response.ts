/**
 * The rerank response: what the CLI prints, the HTTP API returns and the panel renders. Its shape is
 * the wire contract's (contract/schemas.ts); this module builds the part of it that answers in
 * lesions (`findings`) from the fusion's per-finding lesion answers.
 */
import { CONFIDENT_SCORE } from '../../contract/limits';
import type { FindingGroup, Lesion, LesionRegion, ParsedQuery } from '../../contract/schemas';
import type { Lobe, ParsedQuery as QueryParsed } from '../query/finding';
import type { Candidate } from './analysis/types';
import { kindWord } from './finding-factors';
import type { LesionAnswer } from './fuse';

export type {
  FindingGroup,
  Lesion,
  LesionRegion,
  Mismatch,
  ModelInfo,
  Region,
  RerankResponse,
  SliceResult,
  Unsupported,
  Caveat,
} from '../../contract/schemas';

/** True when A and B are each assignable to the other. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** The contract's ParsedQuery is the parser's: a term kind or a field added on one side fails the typecheck here. */
export const PARSED_QUERY_MATCHES_CONTRACT: Same<QueryParsed, ParsedQuery> = true;

export interface LesionGroupOptions {
  /** Most lesions per finding. */
  topK: number;
  /** Lesions scoring less are left out. */
  minScore: number;
  /** Volume slice index → the caller's slice index (viewport order); undefined for a slice the caller did not list. */
  toIndex: (volumeIndex: number) => number | undefined;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

/** The lobe the lesion most likely lies in, when one is more likely than not (lobes are estimated from position). */
function likelyLobe(c: Candidate): Lobe | undefined {
  let best: Lobe | undefined;
  let p = 0.5;
  for (const [lobe, q] of Object.entries(c.lobes) as Array<[Lobe, number | undefined]>) {
    if (q !== undefined && q > p) {
      best = lobe;
      p = q;
    }
  }
  return best;
}

/** One lesion on the wire: its size and position, slice range in the caller's order and its box on each slice. */
export function wireLesion(l: LesionAnswer, opts: Pick<LesionGroupOptions, 'toIndex'>): Lesion | undefined {
  const c = l.candidate;
  const pieces = l.pieces?.map((p) => p.candidate) ?? [c];
  // The boxes of all its pieces, united per slice; the centre of its area along the slices.
  const boxes = new Map<number, [number, number, number, number]>();
  let areaSum = 0;
  let indexSum = 0;
  for (const piece of pieces) {
    for (const s of piece.slices) {
      const b = boxes.get(s.index);
      boxes.set(s.index, b ? [Math.min(b[0], s.box[0]), Math.min(b[1], s.box[1]), Math.max(b[2], s.box[2]), Math.max(b[3], s.box[3])] : [...s.box]);
      areaSum += s.area;
      indexSum += s.index * s.area;
    }
  }
  const centre = areaSum > 0 ? indexSum / areaSum : c.centroidPx.slice;
  const regions: LesionRegion[] = [];
  let best: { index: number; distance: number } | undefined;
  for (const [volumeIndex, [x0, y0, x1, y1]] of boxes) {
    const index = opts.toIndex(volumeIndex);
    if (index === undefined) continue;
    regions.push({ index, x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 });
    const distance = Math.abs(volumeIndex - centre);
    if (!best || distance < best.distance) best = { index, distance };
  }
  if (!best) return undefined;
  regions.sort((p, q) => p.index - q.index);
  const lobe = likelyLobe(c);
  const station = (c as Candidate & { station?: unknown }).station;
  return {
    id: Math.min(...pieces.map((p) => p.id)),
    label: l.label,
    kind: kindWord(c),
    score: l.score,
    confident: l.score >= CONFIDENT_SCORE,
    sizeMm: { long: round1(c.diameterMm), short: round1(c.shortAxisMm) },
    side: c.side,
    ...(lobe ? { lobe } : {}),
    zone: c.zone,
    ...(typeof station === 'string' ? { station } : {}),
    slices: { first: regions[0].index, last: regions[regions.length - 1].index, best: best.index },
    regions,
    matched: l.matched,
    mismatched: l.mismatched,
  };
}

/**
 * One group per parsed finding, in the query's order: its lesions best first (at most `topK`, none
 * under `minScore`). A finding the pipeline cannot rank gets an empty group; `unsupported` says why.
 */
export function lesionGroups(query: ParsedQuery, fused: Array<{ finding: number; lesions: LesionAnswer[] }>, opts: LesionGroupOptions): FindingGroup[] {
  return query.findings.map((_, finding) => {
    const answers = fused.find((g) => g.finding === finding)?.lesions ?? [];
    const lesions: Lesion[] = [];
    for (const l of answers) {
      if (lesions.length >= opts.topK || l.score < opts.minScore) break;
      const wire = wireLesion(l, opts);
      if (wire) lesions.push(wire);
    }
    return { finding, lesions };
  });
}
