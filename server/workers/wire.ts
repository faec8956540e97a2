/**
 * The analysis as the query worker takes it (its own fields: no volume, no anatomy), serialized in the
 * worker that made it. Sending an analysis to the query worker as an object structured-clones its
 * thousands of candidate objects on the event loop (5-20 ms a series); its serialized bytes, made
 * off the loop, cost a copy of under a megabyte. The bytes ride along on the analysis object under a
 * symbol, which neither structured clone nor the cache's byte count (typedArrayBytes) sees.
 */
import { deserialize, serialize } from 'node:v8';
import type { Analysis } from '../rerank/analysis/types';
import { ownBuffer } from './transfer';

const WIRE = Symbol('slice-finder:analysis-wire');

/** The fields the query worker needs: the analysis less its volume and anatomy. */
export function queryForm(analysis: Analysis): Analysis {
  const { volume: _v, anatomy: _a, ...plain } = analysis as Analysis & { volume?: unknown; anatomy?: unknown };
  return plain as Analysis;
}

/** queryForm(analysis), serialized (v8: what structured clone writes); in a buffer of its own, to move. */
export function encodeQueryForm(analysis: Analysis): Uint8Array {
  const b = serialize(queryForm(analysis));
  return ownBuffer(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
}

export function decodeQueryForm(bytes: Uint8Array): Analysis {
  return deserialize(bytes) as Analysis;
}

/** Keeps `bytes` (encodeQueryForm of this analysis) with the analysis. */
export function attachQueryForm(analysis: Analysis, bytes: Uint8Array): void {
  Object.defineProperty(analysis, WIRE, { value: bytes, enumerable: false, configurable: true });
}

/** The serialized query form kept with the analysis, if its worker made one. */
export function queryFormOf(analysis: Analysis): Uint8Array | undefined {
  return (analysis as Analysis & { [WIRE]?: Uint8Array })[WIRE];
}
