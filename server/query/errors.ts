/** Typed errors for query text the parser refuses. All map to HTTP 400: the request itself is malformed. */

export type QueryErrorCode = 'invalid_type' | 'empty' | 'too_long' | 'control_character' | 'only_punctuation';

export class QueryError extends Error {
  readonly code: QueryErrorCode;
  readonly httpStatus = 400;

  constructor(code: QueryErrorCode, message: string) {
    super(message);
    this.name = 'QueryError';
    this.code = code;
  }
}

/** Longest accepted description, in characters (Unicode code points). */
export const MAX_QUERY_CHARS = 2000;

/** A lexicon table or a hospital's extension that cannot be used (two meanings for one phrase, unknown values). */
export class LexiconError extends Error {
  readonly code = 'invalid_lexicon';

  constructor(message: string) {
    super(message);
    this.name = 'LexiconError';
  }
}
