/**
 * Plain constants of the wire contract, with no TypeBox behind them: the browser bundle imports these
 * (the panel's character counter, the confidence cut on its score bars) without pulling in schemas.
 */

/** Longest description, in characters (Unicode code points), as the query parser counts them (server/query/errors.ts). */
export const MAX_QUERY_CHARS = 2000;
/** Most SOP Instance UIDs one request may list. */
export const MAX_SOP_UIDS = 5000;
/** Most results (slices, and lesions per finding) one request may ask for. */
export const MAX_TOP_K = 100;
/** A lesion is `confident` from this score up (the fusion's calibrated probability; server/rerank/fuse.ts CONFIDENT_SCORE). */
export const CONFIDENT_SCORE = 0.5;

/** Characters of a text as the service counts them: code points, not UTF-16 units. */
export function characterCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}
