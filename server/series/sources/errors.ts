/**
 * Errors of the series sources (PACS, folder, upload). Same shape as SeriesError (code + httpStatus)
 * so the HTTP layer maps every source failure to its status without knowing the class.
 */
export class SourceError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  constructor(httpStatus: number, code: string, message: string) {
    super(message);
    this.name = 'SourceError';
    this.code = code;
    this.httpStatus = httpStatus;
  }
}
