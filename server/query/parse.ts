/** Entry point: a radiologist's description (English, Chinese or mixed) → structured findings with spans. */
import { buildFinding, groupFindings } from './assemble';
import type { ParsedQuery, Span } from './finding';
import { detectLang } from './lang';
import { tokenize, type Token } from './tokenize';
import { validateQueryText } from './validate';

export { QueryError } from './errors';

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

/** Throws only `QueryError` (HTTP 400) for text it refuses; see validate.ts. */
export function parseQuery(text: string): ParsedQuery {
  validateQueryText(text);
  const tokens = tokenize(text);
  const findings = groupFindings(tokens, text).map((d, i) => buildFinding(d, i));
  return { text, lang: detectLang(text), findings, unknown: unknownSpans(tokens, text) };
}
