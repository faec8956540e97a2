/** Refuses text the parser should not try: typed errors (HTTP 400) with a message a user can act on. */
import { MAX_QUERY_CHARS, QueryError } from './errors';

// C0/C1 controls other than tab, newline and carriage return, and the bidirectional overrides that can disguise text.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const ONLY_PUNCTUATION = /^[\s\p{P}\p{S}\p{No}\u200b\ufeff]*$/u;

export function validateQueryText(text: unknown): asserts text is string {
  if (typeof text !== 'string') throw new QueryError('invalid_type', 'The description must be text.');
  if (text.trim() === '') throw new QueryError('empty', 'The description is empty: type a finding, e.g. "8 mm nodule, right upper lobe".');
  // Code points, not UTF-16 units: a user counts characters.
  let chars = 0;
  for (const _ of text) if (++chars > MAX_QUERY_CHARS) break;
  if (chars > MAX_QUERY_CHARS) {
    throw new QueryError('too_long', `The description is longer than ${MAX_QUERY_CHARS} characters; describe one or a few findings.`);
  }
  if (CONTROL.test(text)) throw new QueryError('control_character', 'The description contains control characters; type or paste plain text.');
  if (ONLY_PUNCTUATION.test(text)) throw new QueryError('only_punctuation', 'The description has no words, only punctuation.');
}
