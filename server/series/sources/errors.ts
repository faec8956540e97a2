/**
 * Errors of the series sources (PACS, folder, upload). Same shape as SeriesError (code + httpStatus)
 * so the HTTP layer maps every source failure to its status without knowing the class.
 */
export class SourceError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  /** Seconds after which a retry may succeed; sent as Retry-After. */
  readonly retryAfterSeconds?: number;
  constructor(httpStatus: number, code: string, message: string, retryAfterSeconds?: number) {
    super(message);
    this.name = 'SourceError';
    this.code = code;
    this.httpStatus = httpStatus;
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The caller went away (client disconnect): the work on its behalf stops. */
export function clientClosed(): SourceError {
  return new SourceError(499, 'client_closed', 'the request was cancelled');
}
