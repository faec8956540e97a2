/**
 * What can go wrong or be worth saying, as UI-ready kinds: client errors from the service are mapped
 * here so the panel shows a message a radiologist can act on, never a raw status code alone.
 */
import { CLIENT_CODES, ClientError } from '../../../contract/client';
import { MAX_QUERY_CHARS } from '../../../contract/limits';
import type { CaveatCode, RerankAnswer } from '../../../contract/schemas';
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
  | 'unenhancedNodes'
  | 'unenhancedHilum'
  | 'lowDose'
  | 'smallLesion'
  | 'emphysemaExtent'
  | 'streakArtifact'
  | 'partialCoverage'
  | 'briefDescription'
  | 'noResults'
  | 'noResultsAboveMin'
  | 'emptyQuery'
  | 'negatedOnly'
  | 'notUnderstood'
  | 'queryTooLong'
  | 'cancelled'
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
  unenhancedNodes: 'err.unenhancedNodes',
  unenhancedHilum: 'err.unenhancedHilum',
  lowDose: 'err.lowDose',
  smallLesion: 'err.smallLesion',
  emphysemaExtent: 'err.emphysemaExtent',
  streakArtifact: 'err.streakArtifact',
  partialCoverage: 'err.partialCoverage',
  briefDescription: 'err.briefDescription',
  noResults: 'err.noResults',
  noResultsAboveMin: 'err.noResultsAboveMin',
  emptyQuery: 'err.emptyQuery',
  negatedOnly: 'err.negatedOnly',
  notUnderstood: 'err.notUnderstood',
  queryTooLong: 'err.queryTooLong',
  cancelled: 'err.cancelled',
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
  // Over the length limit (the parser's too_long, or the request schema's maxLength on body/query): a counter, not the validator's words.
  if (err.statusCode === 400 && (err.code === 'too_long' || /body\/query must NOT have more than/.test(err.message))) {
    return { kind: 'queryTooLong', vars: { count: '>', max: MAX_QUERY_CHARS } };
  }
  if (err.statusCode === 400) {
    // Request validation names the field: a series the protocol cannot carry (over 5000 images, odd UIDs) is the series' fault.
    const aboutSeries = err.code === 'invalid_request' && /\bseries\b/.test(err.message);
    return { kind: aboutSeries ? 'seriesUnsupported' : 'badQuery', vars: { detail: err.message } };
  }
  if (err.statusCode === 502 || err.statusCode === 504) return { kind: 'pacs' };
  return { kind: 'failed', vars: { code: err.code } };
}

/** The notice for what an answer cannot promise on this series (the response's `caveats`). */
const CAVEAT_PROBLEM: Record<CaveatCode, ProblemKind> = { 'unenhanced-nodes': 'unenhancedNodes', 'unenhanced-hilum': 'unenhancedHilum', 'low-dose': 'lowDose', 'small-lesion': 'smallLesion', 'emphysema-extent': 'emphysemaExtent', 'streak-artifact': 'streakArtifact', 'partial-coverage': 'partialCoverage', 'brief-description': 'briefDescription' };

/** Things to say next to the results: files of the series left out, terms the model cannot judge, what the answer cannot promise here, nothing above the cut. */
export function noticesFor(answer: RerankAnswer, termText: (id: string) => string, minScore = 0): Problem[] {
  const notices: Problem[] = [];
  // Never rank a partial series silently: say how many files could not be used, and why.
  if (answer.skipped && answer.skipped.count > 0) {
    const reasons = answer.skipped.reasons.map((r) => r.reason.replace(/_/g, ' ')).join(', ');
    notices.push({ kind: 'slicesSkipped', vars: { count: answer.skipped.count, slices: answer.slices ?? '?', reasons } });
  }
  const unsupportedTerms = answer.unsupported.flatMap((u) => u.terms.map(termText));
  if (answer.unsupported.length > 0) {
    const terms = unsupportedTerms.length > 0 ? unsupportedTerms : answer.unsupported.map((u) => u.reason);
    notices.push({ kind: 'findingUnsupported', vars: { terms: [...new Set(terms)].join(', ') } });
  }
  for (const code of new Set((answer.caveats ?? []).map((c) => c.code))) notices.push({ kind: CAVEAT_PROBLEM[code] });
  if (answer.findings.every((g) => g.lesions.length === 0)) {
    notices.push(minScore > 0 ? { kind: 'noResultsAboveMin', vars: { min: minScore.toFixed(2) } } : { kind: 'noResults' });
  }
  return notices;
}
