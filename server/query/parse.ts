/** Entry point: a radiologist's description (English, Chinese or mixed) → structured findings with spans. */
import { buildFinding, groupFindings } from './assemble';
import type { ParsedQuery, Span } from './finding';
import { detectLang } from './lang';
import { EN_LEXICON } from './lexicon/en';
import type { LexEntry } from './lexicon/types';
import { ZH_LEXICON } from './lexicon/zh';
import { PhraseMatcher } from './matcher';
import { DEFAULT_MATCHER, tokenize, type Token } from './tokenize';
import { validateQueryText } from './validate';

export { LexiconError, QueryError } from './errors';

/** Unrecognised tokens, merged where only whitespace separates them ("foo bar" is one span). */
function unknownSpans(tokens: Token[], text: string): Span[] {
  const out: Span[] = [];
  let prev: Token | undefined;
  for (const t of tokens) {
    if (t.kind === 'unknown') {
      const last = out[out.length - 1];
      if (last && prev?.kind === 'unknown' && /^\s*$/.test(text.slice(last.end, t.start))) last.end = t.end;
      else out.push({ start: t.start, end: t.end });
    }
    prev = t;
  }
  return out;
}

export type QueryParser = (text: string) => ParsedQuery;

function parserWith(matcher: PhraseMatcher): QueryParser {
  return (text: string): ParsedQuery => {
    validateQueryText(text);
    const tokens = tokenize(text, matcher);
    const findings = groupFindings(tokens, text).map((d, i) => buildFinding(d, i));
    return { text, lang: detectLang(text), findings, unknown: unknownSpans(tokens, text) };
  };
}

/**
 * A parser over the built-in tables plus a hospital's own rows (see lexicon/extension.ts, `loadLexiconFile`);
 * their phrases replace the built-in meaning. Throws LexiconError at creation when the rows clash among themselves.
 */
export function createQueryParser(extraLexicon: readonly LexEntry[] = []): QueryParser {
  if (extraLexicon.length === 0) return parseWithTables;
  return parserWith(new PhraseMatcher([...EN_LEXICON, ...ZH_LEXICON], extraLexicon));
}

const parseWithTables = parserWith(DEFAULT_MATCHER);

/** Parses with the built-in tables. Throws only `QueryError` (HTTP 400) for text it refuses; see validate.ts. */
export function parseQuery(text: string): ParsedQuery {
  return parseWithTables(text);
}
