/** Table-driven checks for parser tests: the full finding structure (minus terms and spans) plus key-term spans. */
import type { Finding, Lang, ParsedQuery, TermKind } from '../../../server/query/finding';
import { parseQuery } from '../../../server/query/parse';

type FindingBody = Omit<Finding, 'terms' | 'span'>;

/** Expected finding: margins, signs and negations default to empty, anatomy to {}. */
export function F(f: Partial<FindingBody>): FindingBody {
  return { anatomy: {}, margins: [], signs: [], negations: [], ...f };
}

export interface TermCheck {
  kind: TermKind;
  value: string;
  surface: string;
  finding: number;
}

/** A term that must be found (not implied) with exactly this surface text. */
export function T(kind: TermKind, value: string, surface: string, finding = 0): TermCheck {
  return { kind, value, surface, finding };
}

export interface Case {
  text: string;
  lang: Lang;
  findings: FindingBody[];
  terms: TermCheck[];
  /** Surface text of each finding's span, when there are several. */
  spans?: string[];
  unknown?: string[];
  /** Terms no finding may hold, negated or not ("abutting the mediastinum" gives no organ 'mediastinum'). */
  absent?: Array<[TermKind, string]>;
}

function body(f: Finding): FindingBody {
  const { terms: _terms, span: _span, ...rest } = f;
  return rest;
}

export function checkInvariants(q: ParsedQuery): void {
  const n = q.text.length;
  const termSpans = q.findings.flatMap((f) => f.terms.filter((t) => !t.implied).map((t) => t.span));
  for (const s of [...termSpans, ...q.unknown, ...q.findings.map((f) => f.span)]) {
    expect(s.start).toBeGreaterThanOrEqual(0);
    expect(s.end).toBeLessThanOrEqual(n);
    expect(s.end).toBeGreaterThan(s.start);
  }
  for (const u of q.unknown) {
    for (const t of termSpans) expect(u.end <= t.start || u.start >= t.end).toBe(true);
    expect(q.text.slice(u.start, u.end).trim()).toBe(q.text.slice(u.start, u.end));
  }
  for (const f of q.findings) {
    const ids = f.terms.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const t of f.terms) {
      expect(t.span.start).toBeGreaterThanOrEqual(f.span.start);
      expect(t.span.end).toBeLessThanOrEqual(f.span.end);
    }
  }
}

export function runCases(cases: Case[]): void {
  it.each(cases.map((c) => [c.text, c] as const))('%s', (_text, c) => {
    const q = parseQuery(c.text);
    expect(q.text).toBe(c.text);
    expect(q.lang).toBe(c.lang);
    expect(q.findings.map(body)).toEqual(c.findings);
    for (const t of c.terms) {
      const found = q.findings[t.finding].terms.filter((x) => x.kind === t.kind && x.value === t.value && !x.implied);
      expect(found.map((x) => c.text.slice(x.span.start, x.span.end))).toContain(t.surface);
    }
    if (c.spans) expect(q.findings.map((f) => c.text.slice(f.span.start, f.span.end))).toEqual(c.spans);
    expect(q.unknown.map((s) => c.text.slice(s.start, s.end))).toEqual(c.unknown ?? []);
    for (const [kind, value] of c.absent ?? []) {
      expect(q.findings.flatMap((f) => f.terms).filter((t) => t.kind === kind && t.value === value)).toEqual([]);
    }
    checkInvariants(q);
  });
}
