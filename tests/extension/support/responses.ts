/** Builders for RerankResponse bodies as the service sends them. */
import type { ParsedQuery, Term, TermKind } from '../../../server/query/finding';
import type { Region, RerankResponse, SliceResult, Unsupported } from '../../../server/rerank/response';

/** A parsed query whose term spans are found in the text (first occurrence of each word). */
export function parsedQuery(
  text: string,
  terms: Array<{ id: string; word: string; kind: TermKind; value: string }>,
  unknownWords: string[] = [],
): ParsedQuery {
  const span = (word: string) => {
    const start = text.indexOf(word);
    if (start < 0) throw new Error(`"${word}" is not in "${text}"`);
    return { start, end: start + word.length };
  };
  const list: Term[] = terms.map((t) => ({ id: t.id, kind: t.kind, value: t.value, span: span(t.word) }));
  return {
    text,
    lang: /[\u4e00-\u9fff]/.test(text) ? 'zh' : 'en',
    findings: [{ span: { start: 0, end: text.length }, anatomy: {}, margins: [], signs: [], negations: [], terms: list }],
    unknown: unknownWords.map(span),
  };
}

export function region(x: number, y: number, w: number, h: number, score = 0.9, label = 'nodule'): Region {
  return { x, y, w, h, score, label };
}

export function rerankResponse(
  query: ParsedQuery,
  results: Array<Pick<SliceResult, 'sopInstanceUID' | 'index' | 'score'> & Partial<SliceResult>>,
  extra: { noConfidentMatch?: boolean; unsupported?: Unsupported[] } = {},
): RerankResponse {
  return {
    results: results.map((r) => ({ regions: [], matched: [], ...r })),
    query,
    timings: { fetch: 120, decode: 80, analysis: 300, scoring: 40, total: 560 },
    noConfidentMatch: extra.noConfidentMatch ?? false,
    unsupported: extra.unsupported ?? [],
    model: { id: 'lesion-cnn', version: '1.0.0', executionProvider: 'cpu' },
  };
}
