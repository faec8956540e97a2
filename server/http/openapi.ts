/**
 * What the route schemas share for the OpenAPI document: tags, and the error answers per status with
 * a description and a real example each (contract/examples.ts).
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { ERRORS, type ErrorStatus } from '../../contract/examples';
import { ErrorReply } from '../../contract/schemas';

export const TAGS = {
  rerank: 'Rerank',
  series: 'Series',
  models: 'Models',
  reports: 'Reports',
  operations: 'Operations',
} as const;

export const TAG_DESCRIPTIONS = [
  { name: TAGS.rerank, description: 'Find the lesions (and slices) of a CT series that match a description.' },
  { name: TAGS.series, description: 'Warm the cache for a series, or upload one.' },
  { name: TAGS.reports, description: 'Save the lesions found to the PACS: a structured report (TID 1500) and key images (KOS).' },
  { name: TAGS.models, description: 'The models that can score, with their execution provider, and the presets.' },
  { name: TAGS.operations, description: 'Liveness, readiness and Prometheus metrics.' },
];

const ERROR_DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: 'Malformed request: the message names the field (or the query text the parser refuses)',
  401: 'No valid bearer token (when auth is configured), or the PACS asks for credentials',
  403: 'Not allowed: a DICOMweb root off the allowlist, or the PACS refused the user',
  404: 'No such series, instances, upload or lesion',
  409: 'The request cannot be carried out as asked: the message says why (e.g. an uploaded series has no PACS study to save into)',
  413: 'Too large: the series, an instance or an upload is over the limit, or decoding ran out of memory',
  415: 'Not DICOM, or a transfer syntax the decoder does not read (the message names it)',
  422: 'Not a CT stack the pipeline can rank (modality, geometry, pixel data that does not match its header)',
  429: 'Too many requests from this client; retry after the time the message says',
  502: 'The PACS failed, answered with something that is not a series, or refused to store (the message gives its HTTP status)',
  503: 'Busy: the PACS slots or the workers are taken (Retry-After says when to try again), or the analysis ran past its limit',
  504: 'The PACS timed out (no headers, a silence in the body, or the overall deadline)',
};

/** Response schemas for these error statuses, each with its description and example. */
export function errorResponses(...statuses: ErrorStatus[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const s of statuses) out[s] = Type.Object(ErrorReply.properties, { description: ERROR_DESCRIPTIONS[s], examples: [ERRORS[s]] });
  return out;
}

/** Every route that needs auth may answer these, besides its own. */
export const AUTH_ERRORS: ErrorStatus[] = [401, 403, 429];
