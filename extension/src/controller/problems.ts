/**
 * What can go wrong or be worth saying, as UI-ready kinds: client errors from the service are mapped
 * here so the panel shows a message a radiologist can act on, never a raw status code alone.
 */
import { CLIENT_CODES, ClientError } from '../../../server/http/client';
import type { SeriesCoverage } from '../../../server/http/schemas';
import type { RerankResponse } from '../../../server/rerank/response';
import type { StringKey } from '../i18n/strings';

export type ProblemKind =
  | 'unreachable'
  | 'notCt'
  | 'tooFewSlices'
  | 'seriesUnsupported'
  | 'noSeries'
  | 'findingUnsupported'
  | 'noConfidentMatch'
  | 'slicesSkipped'
  | 'noResults'
  | 'noResultsAboveMin'
  | 'emptyQuery'
  | 'badQuery'
  | 'auth'
  | 'pacs'
  | 'failed';

export interface Problem {
  kind: ProblemKind;
  vars?: Record<string, string | number>;
}

export const PROBLEM_STRING: Record<ProblemKind, StringKey> = {
  unreachable: 'err.unreachable',
  notCt: 'err.notCt',
  tooFewSlices: 'err.tooFewSlices',
  seriesUnsupported: 'err.seriesUnsupported',
  noSeries: 'err.noSeries',
  findingUnsupported: 'err.findingUnsupported',
  noConfidentMatch: 'err.noConfidentMatch',
  slicesSkipped: 'err.slicesSkipped',
  noResults: 'err.noResults',
  noResultsAboveMin: 'err.noResultsAboveMin',
  emptyQuery: 'err.emptyQuery',
  badQuery: 'err.badQuery',
  auth: 'err.auth',
  pacs: 'err.pacs',
  failed: 'err.failed',
};

/** A status without a JSON error body: a proxy or static server answered, not our service. */
function isForeignAnswer(err: ClientError): boolean {
  return err.code === `http_${err.statusCode}` && [404, 405, 502, 503, 504].includes(err.statusCode);
}

export function problemFromError(err: unknown): Problem | undefined {
  if (!(err instanceof ClientError)) return { kind: 'failed', vars: { code: 'internal' } };
  if (err.code === CLIENT_CODES.aborted) return undefined;
  if (err.code === CLIENT_CODES.unreachable || isForeignAnswer(err)) return { kind: 'unreachable' };
  if (err.statusCode === 401 || err.statusCode === 403) return { kind: 'auth' };
  // 413 too large, 415 transfer syntax, 422 not a usable CT stack: all about the series itself.
  if ([413, 415, 422].includes(err.statusCode)) return { kind: 'seriesUnsupported', vars: { detail: err.message } };
  if (err.statusCode === 400) {
    // Request validation names the field: a series the protocol cannot carry (over 5000 images, odd UIDs) is the series' fault.
    const aboutSeries = err.code === 'invalid_request' && /\bseries\b/.test(err.message);
    return { kind: aboutSeries ? 'seriesUnsupported' : 'badQuery', vars: { detail: err.message } };
  }
  if (err.statusCode === 502 || err.statusCode === 504) return { kind: 'pacs' };
  return { kind: 'failed', vars: { code: err.code } };
}

/** The text of each term id, as the user typed it (falls back to the id). */
export function termText(response: RerankResponse, termId: string): string {
  for (const f of response.query.findings) {
    const term = f.terms.find((t) => t.id === termId);
    if (term) return response.query.text.slice(term.span.start, term.span.end) || term.value;
  }
  return termId;
}

/** Things to say next to the results: files of the series left out, unsupported terms, no confident match, nothing above the cut. */
export function noticesFor(response: RerankResponse & Partial<SeriesCoverage>, minScore = 0): Problem[] {
  const notices: Problem[] = [];
  // Never rank a partial series silently: say how many files could not be used, and why.
  if (response.skipped && response.skipped.count > 0) {
    const reasons = response.skipped.reasons.map((r) => r.reason.replace(/_/g, ' ')).join(', ');
    notices.push({ kind: 'slicesSkipped', vars: { count: response.skipped.count, slices: response.slices ?? '?', reasons } });
  }
  const unsupportedTerms = response.unsupported.flatMap((u) => u.terms.map((id) => termText(response, id)));
  if (response.unsupported.length > 0) {
    const terms = unsupportedTerms.length > 0 ? unsupportedTerms : response.unsupported.map((u) => u.reason);
    notices.push({ kind: 'findingUnsupported', vars: { terms: [...new Set(terms)].join(', ') } });
  }
  if (response.results.length === 0) {
    notices.push(minScore > 0 ? { kind: 'noResultsAboveMin', vars: { min: minScore.toFixed(2) } } : { kind: 'noResults' });
  }
  else if (response.noConfidentMatch) notices.push({ kind: 'noConfidentMatch' });
  return notices;
}
