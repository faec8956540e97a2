/**
 * API errors and the one mapping from any thrown value to the JSON error body {statusCode, code, message}.
 * Typed errors of the other modules (SeriesError, QueryError, SourceError, runtime errors) carry
 * `httpStatus` and `code`; Fastify's own errors carry `statusCode`. Nothing else leaks: no stacks.
 */
import type { ErrorBody } from './schemas';

export class ApiError extends Error {
  readonly httpStatus: number;
  readonly code: string;
  constructor(httpStatus: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.httpStatus = httpStatus;
    this.code = code;
  }
}

const FASTIFY_CODES: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'malformed_json', message: 'the request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'malformed_json', message: 'the request body is empty' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'body_too_large', message: 'the request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'unsupported content type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'bad_content_length', message: 'bad Content-Length' },
  FST_REQ_FILE_TOO_LARGE: { status: 413, code: 'upload_too_large', message: 'an uploaded file is larger than the limit' },
  FST_FILES_LIMIT: { status: 413, code: 'upload_too_many_files', message: 'too many files in the upload' },
  FST_PARTS_LIMIT: { status: 413, code: 'upload_too_many_parts', message: 'too many parts in the upload' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: { status: 415, code: 'unsupported_media_type', message: 'the upload must be multipart/form-data' },
};

const STATUS_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'rate_limited',
  499: 'client_closed',
  502: 'bad_gateway',
  503: 'unavailable',
  504: 'gateway_timeout',
};

interface ErrorLike {
  httpStatus?: unknown;
  statusCode?: unknown;
  code?: unknown;
  message?: unknown;
  validation?: unknown;
  validationContext?: unknown;
}

/** The response body for an error, and whether it is our fault (5xx other than the PACS's). */
export function errorBody(err: unknown): ErrorBody & { internal: boolean } {
  const e = (typeof err === 'object' && err !== null ? err : {}) as ErrorLike;
  // Typed errors of our modules.
  if (typeof e.httpStatus === 'number' && typeof e.code === 'string') {
    const status = e.httpStatus >= 400 && e.httpStatus <= 599 ? e.httpStatus : 500;
    // Module codes are SCREAMING_CASE (NOT_DICOM); the API speaks snake_case like its own codes.
    return { statusCode: status, code: e.code.toLowerCase(), message: String(e.message ?? ''), internal: status === 500 };
  }
  if (Array.isArray(e.validation)) {
    return { statusCode: 400, code: 'invalid_request', message: validationMessage(e), internal: false };
  }
  if (typeof e.code === 'string' && FASTIFY_CODES[e.code]) {
    const f = FASTIFY_CODES[e.code];
    return { statusCode: f.status, code: f.code, message: f.message, internal: false };
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    // Fastify / plugin client errors: their messages are safe, short texts.
    const code = typeof e.code === 'string' && /^[a-z_]+$/.test(e.code) ? e.code : STATUS_CODES[status] ?? 'bad_request';
    return { statusCode: status, code, message: typeof e.message === 'string' ? e.message : 'bad request', internal: false };
  }
  return { statusCode: 500, code: 'internal', message: 'internal error', internal: true };
}

/** "body/topK must be >= 1" without echoing the submitted values. */
function validationMessage(e: ErrorLike): string {
  const items = e.validation as Array<{ instancePath?: string; message?: string; keyword?: string; params?: Record<string, unknown> }>;
  const ctx = typeof e.validationContext === 'string' ? e.validationContext : 'body';
  const parts = items.slice(0, 3).map((v) => {
    const where = `${ctx}${v.instancePath ?? ''}`;
    if (v.keyword === 'additionalProperties' && typeof v.params?.additionalProperty === 'string') {
      return `${where} has an unknown field "${v.params.additionalProperty.slice(0, 40)}"`;
    }
    return `${where} ${v.message ?? 'is invalid'}`;
  });
  return parts.join('; ');
}
