/**
 * Turns the text into a flat list of tokens: lexicon phrases (longest first, both languages at once so mixed text
 * works), sizes, bare counts, clause separators, and runs of text that nothing recognised.
 */
import { EN_LEXICON } from './lexicon/en';
import type { Implied, LexKind } from './lexicon/types';
import { ZH_LEXICON } from './lexicon/zh';
import { PhraseMatcher } from './matcher';
import { isSpaceCode, isWordChar, isWordCode, normalizeForMatch } from './normalize';
import { readSize } from './size';

export interface Token {
  kind: LexKind | 'size' | 'unknown' | 'sep';
  value: string;
  start: number;
  end: number;
  implies?: Implied[];
  plural?: boolean;
  /** Size tokens: every dimension in mm. */
  dims?: number[];
  /** A type that names a diagnosis (LexEntry.diagnosis); cleared while grouping when it heads a finding. */
  diagnosis?: boolean;
  /** Set while grouping (assemble.ts); present from the start so every token has one shape (V8 stays fast). */
  negated?: boolean;
  afterWith?: boolean;
  role?: 'head' | 'feature';
  /** A texture naming a part of the lesion (LexEntry.component). */
  component?: boolean;
}

function token(kind: Token['kind'], value: string, start: number, end: number, extra?: Partial<Token>): Token {
  return {
    kind, value, start, end,
    implies: extra?.implies, plural: extra?.plural ?? false, dims: extra?.dims, diagnosis: extra?.diagnosis ?? false,
    negated: false, afterWith: false, role: undefined, component: extra?.component ?? false,
  };
}

/** The reviewed English and Chinese tables, loaded once. */
export const DEFAULT_MATCHER = new PhraseMatcher([...EN_LEXICON, ...ZH_LEXICON]);

/** Characters that end a clause. A colon does not: "RUL: 8 mm nodule" labels what follows. */
const CLAUSE_END = new Set([...',;.!?\n，；。！？…'].map((c) => c.charCodeAt(0)));
/** Skipped silently: punctuation, symbols, and numbers that are not digits (①, ½). */
const PUNCT_OR_SYMBOL = /[\p{P}\p{S}\p{No}]/u;
/** "3 nodules", "3个结节": a bare integer before a word or a Chinese measure word is a count. */
const COUNT_AFTER = /[ \t]*(?:[个枚处]|[a-z])/y;
const DIGITS = /\d+/y;
const LIST_MARK = new Set([...'.)、）'].map((c) => c.charCodeAt(0)));

/** Nothing but whitespace since the start of the text or the last clause end. */
function atClauseStart(tokens: Token[], norm: string, i: number): boolean {
  const last = tokens[tokens.length - 1];
  const from = last ? last.end : 0;
  return (!last || last.kind === 'sep') && norm.slice(from, i).trim() === '';
}

export function tokenize(text: string, matcher: PhraseMatcher = DEFAULT_MATCHER): Token[] {
  const norm = normalizeForMatch(text);
  const tokens: Token[] = [];
  const n = norm.length;
  let i = 0;
  while (i < n) {
    const code = norm.charCodeAt(i);
    if (CLAUSE_END.has(code)) {
      tokens.push(token('sep', norm[i], i, i + 1));
      i++;
      continue;
    }
    if (isSpaceCode(code)) {
      i++;
      continue;
    }
    if (code >= 0x30 && code <= 0x39) {
      const size = readSize(norm, i);
      if (size) {
        const mm = Math.max(...size.dims);
        tokens.push(token('size', String(mm), i, size.end, { dims: size.dims }));
        i = size.end;
        continue;
      }
      DIGITS.lastIndex = i;
      const num = DIGITS.exec(norm);
      // "1. RUL nodule" / "2、左肺结节" at the start of a line or clause: a list number, not part of the finding.
      if (num && LIST_MARK.has(norm.charCodeAt(i + num[0].length)) && atClauseStart(tokens, norm, i)) {
        i += num[0].length + 1;
        continue;
      }
      if (num && !isWordChar(norm[i - 1]) && norm[i + num[0].length] !== '.') {
        COUNT_AFTER.lastIndex = i + num[0].length;
        if (COUNT_AFTER.test(norm) && !isWordChar(norm[i + num[0].length])) {
          const value = Number(num[0]) >= 2 ? 'multiple' : 'single';
          tokens.push(token('count', value, i, i + num[0].length));
          i += num[0].length;
          continue;
        }
      }
    }
    const m = matcher.match(norm, i);
    if (m) {
      const { entry } = m;
      // A phrase the tables know they do not handle is reported as not understood, and keeps a shorter
      // phrase inside it from matching ("亚实性" is not "实性").
      const kind = entry.kind === 'connector' && entry.value === 'unsupported' ? 'unknown' : entry.kind;
      tokens.push(token(kind, entry.value, i, m.end, { implies: entry.implies, plural: m.plural, diagnosis: entry.diagnosis === true, component: entry.component === true }));
      i = m.end;
      continue;
    }
    const cp = norm.codePointAt(i) ?? 0;
    const width = cp > 0xffff ? 2 : 1;
    if (PUNCT_OR_SYMBOL.test(String.fromCodePoint(cp)) || cp === 0x200b || cp === 0xfeff) {
      i += width;
      continue;
    }
    let j = i + width;
    if (isWordCode(code)) while (j < n && isWordCode(norm.charCodeAt(j))) j++;
    tokens.push(token('unknown', '', i, j));
    i = j;
  }
  return tokens;
}
