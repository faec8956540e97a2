/** Builders for rerank answers as the service sends them (contract/schemas.ts RerankAnswer). */
import type { Finding, Lesion, ParsedQuery, RerankAnswer, Term, TermKind, Unsupported } from '../../../contract/schemas';

interface TermSpec {
  id: string;
  word: string;
  kind: TermKind;
  value: string;
  negated?: boolean;
}

/** A parsed query whose term spans are found in the text (first occurrence of each word); one finding per list of terms. */
export function parsedQuery(text: string, terms: TermSpec[] | TermSpec[][], unknownWords: string[] = []): ParsedQuery {
  const span = (word: string) => {
    const start = text.indexOf(word);
    if (start < 0) throw new Error(`"${word}" is not in "${text}"`);
    return { start, end: start + word.length };
  };
  const groups = terms.length > 0 && Array.isArray(terms[0]) ? (terms as TermSpec[][]) : [terms as TermSpec[]];
  const findings: Finding[] = groups.map((list) => {
    const ts: Term[] = list.map((t) => ({ id: t.id, kind: t.kind, value: t.value, span: span(t.word), ...(t.negated ? { negated: true } : {}) }));
    const start = ts.length ? Math.min(...ts.map((t) => t.span.start)) : 0;
    const end = ts.length ? Math.max(...ts.map((t) => t.span.end)) : text.length;
    return { span: { start, end }, anatomy: {}, margins: [], signs: [], negations: [], terms: ts };
  });
  return {
    text,
    lang: /[\u4e00-\u9fff]/.test(text) ? 'zh' : 'en',
    findings: terms.length === 0 ? [] : findings,
    unknown: unknownWords.map(span),
  };
}

/** A lesion spanning slices first..last (viewport order), its box growing to the middle, best at the centre. */
export function lesion(id: number, first: number, last: number, over: Partial<Lesion> = {}): Lesion {
  const best = Math.round((first + last) / 2);
  const regions = [];
  for (let i = first; i <= last; i++) {
    const r = 6 + 10 - Math.abs(i - best) * 2;
    regions.push({ index: i, x: 100 + id * 50 - r, y: 120 - r, w: 2 * r, h: 2 * r });
  }
  return {
    id,
    label: `solid nodule ${id + 8} mm, left lower zone`,
    kind: 'nodule',
    score: 0.8,
    confident: true,
    sizeMm: { long: 27.4, short: 20.6 },
    side: 'left',
    lobe: 'LLL',
    zone: 'lower',
    slices: { first, last, best },
    regions,
    matched: [],
    mismatched: [],
    ...over,
  };
}

export function rerankAnswer(
  query: ParsedQuery,
  groups: Lesion[][],
  extra: { unsupported?: Unsupported[]; caveats?: RerankAnswer['caveats']; skipped?: RerankAnswer['skipped'] } = {},
): RerankAnswer {
  const findings = query.findings.map((_, finding) => ({ finding, lesions: groups[finding] ?? [] }));
  const all = findings.flatMap((g) => g.lesions);
  return {
    findings,
    results: all.map((l) => ({ sopInstanceUID: `1.2.${l.slices.best}`, index: l.slices.best, score: l.score, regions: [], matched: l.matched })),
    query,
    timings: { fetch: 120, decode: 80, analysis: 300, scoring: 40, total: 560 },
    noConfidentMatch: !all.some((l) => l.confident),
    unsupported: extra.unsupported ?? [],
    ...(extra.caveats ? { caveats: extra.caveats } : {}),
    model: { id: 'lesion-cnn', version: '1.0.0', executionProvider: 'cpu' },
    slices: 120,
    skipped: extra.skipped ?? { count: 0, reasons: [] },
  };
}
