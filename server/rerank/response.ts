/**
 * The rerank response: what the CLI prints, the HTTP API returns and the panel renders.
 * Type-only, so the extension can import it without pulling server code into the bundle.
 */
import type { ParsedQuery } from '../query/finding';

/** A box in pixels of one slice (column x, row y, from the top-left), with what it is thought to be. */
export interface Region {
  x: number;
  y: number;
  w: number;
  h: number;
  score: number;
  label: string;
}

/** A stated attribute the lesion did not show: what was said against what was measured. */
export interface Mismatch {
  /** Term id in the parsed query. */
  term: string;
  /** The stated value ('8' mm, 'RLL', 'ground-glass', ...). */
  stated: string;
  /** What the lesion shows instead, in words ('29 mm', 'LUL (estimated from position)', 'solid', ...). */
  measured: string;
}

export interface SliceResult {
  sopInstanceUID: string;
  /** Frame number for multi-frame instances (1-based); absent for single-frame ones. */
  frame?: number;
  /** Position of the slice in the list of SOP UIDs the request sent (the viewport's order), else in volume order. */
  index: number;
  /** Calibrated 0..1. */
  score: number;
  regions: Region[];
  /** Term ids of the parsed query that this slice matched. */
  matched: string[];
  /** Stated attributes its lesion did not show (soft mismatches lower the score but never hide the lesion). */
  mismatched?: Mismatch[];
}

export interface Unsupported {
  /** Index into query.findings. */
  finding: number;
  /** Term ids the default pipeline cannot judge (a finding type, a sign, ...). */
  terms: string[];
  reason: string;
}

export interface ModelInfo {
  id: string;
  version: string;
  executionProvider: string;
}

export interface RerankResponse {
  results: SliceResult[];
  query: ParsedQuery;
  /** Milliseconds per stage: fetch, decode, analysis, parse, scoring, fusion, total, ... */
  timings: Record<string, number>;
  noConfidentMatch: boolean;
  unsupported: Unsupported[];
  model: ModelInfo;
}
