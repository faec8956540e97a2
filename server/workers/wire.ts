/**
 * An analysis as it crosses threads. The worker that makes an analysis serializes it there (v8: what
 * structured clone writes) and the event loop only ever holds those bytes, with the little it reads
 * itself: what the learned model is sent of each candidate, packed in typed arrays. Structured-cloning
 * an analysis' thousand candidate objects onto the event loop took 5-35 ms a series, and their
 * collection later more; the bytes cost a copy of under a megabyte. Only the query worker (fusion)
 * turns them back into objects.
 *
 * The serialized form has no volume, no anatomy and no identifiers: it is also what the shared cache
 * stores (no UIDs leave the replica), and the identifiers come from the volume that goes with it.
 */
import { deserialize, serialize } from 'node:v8';
import type { Analysis, Candidate } from '../rerank/analysis/types';
import type { ScorerInput } from '../rerank/learned';
import type { Volume } from '../series/volume';
import { ownBuffer } from './transfer';

/** ScorerInput of every candidate, in candidate order: ids, then (slice, row, column) and diameter per candidate. */
export interface PackedScorerInputs {
  ids: Int32Array;
  centroids: Float64Array;
  diameters: Float64Array;
}

/** An analysis as it leaves the worker that made it. */
export interface AnalysisWire {
  /** v8 serialization of the analysis less volume, anatomy and identifiers (`anonymousForm`). */
  bytes: Uint8Array;
  scorerInputs: PackedScorerInputs;
  /** The volume's shape it was made on (a stored analysis must fit the volume it is restored with). */
  slices: number;
  rows: number;
  columns: number;
  candidates: number;
  /** Milliseconds per analysis stage. */
  timings: Record<string, number>;
}

/** An analysis as the service holds it: its wire form and the volume it was made of (pixels and identifiers). */
export interface HeldAnalysis {
  readonly volume: Volume;
  readonly wire: AnalysisWire;
}

/** Identifiers the anonymous form lacks; the query worker takes them from the volume's. */
export interface AnalysisIdentifiers {
  seriesInstanceUID: string;
  sopInstanceUIDs: string[];
}

type Anonymous = Omit<Analysis, 'seriesInstanceUID' | 'sopInstanceUIDs'>;

/** The analysis' own fields, less its volume, anatomy and identifiers. */
export function anonymousForm(analysis: Analysis): Anonymous {
  const { volume: _v, anatomy: _a, seriesInstanceUID: _s, sopInstanceUIDs: _u, ...plain } = analysis as Analysis & { volume?: unknown; anatomy?: unknown };
  return plain;
}

export function packScorerInputs(candidates: readonly Candidate[]): PackedScorerInputs {
  const n = candidates.length;
  const out = { ids: new Int32Array(n), centroids: new Float64Array(3 * n), diameters: new Float64Array(n) };
  candidates.forEach((c, i) => {
    out.ids[i] = c.id;
    out.centroids.set([c.centroidPx.slice, c.centroidPx.row, c.centroidPx.column], 3 * i);
    out.diameters[i] = c.diameterMm;
  });
  return out;
}

/** Made in the worker that analysed: every buffer of its own, to move. */
export function toWire(analysis: Analysis): AnalysisWire {
  const b = serialize(anonymousForm(analysis));
  return {
    bytes: ownBuffer(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)),
    scorerInputs: packScorerInputs(analysis.candidates),
    slices: analysis.slices,
    rows: analysis.rows,
    columns: analysis.columns,
    candidates: analysis.candidates.length,
    timings: analysis.timings,
  };
}

/** The analysis again (in the query worker), with the identifiers of its volume. */
export function fromWire(bytes: Uint8Array, ids: AnalysisIdentifiers): Analysis {
  return { ...(deserialize(bytes) as Anonymous), seriesInstanceUID: ids.seriesInstanceUID, sopInstanceUIDs: ids.sopInstanceUIDs };
}

/** What the learned model reads of the candidates `want` (ids; unknown ids are left out), in that order. */
export function scorerInputsOf(packed: PackedScorerInputs, want: readonly number[]): ScorerInput[] {
  const at = new Map<number, number>();
  packed.ids.forEach((id, i) => at.set(id, i));
  return want.flatMap((id) => {
    const i = at.get(id);
    if (i === undefined) return [];
    const [slice, row, column] = packed.centroids.subarray(3 * i, 3 * i + 3);
    return [{ id, centroidPx: { slice, row, column }, diameterMm: packed.diameters[i] }];
  });
}
