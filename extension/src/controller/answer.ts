/**
 * Reading an answer for the panel, without React: the lesions of all finding groups in one list (the
 * order the keys step through), their labels and chips in the panel's language, and what the query
 * itself says (only absences, nothing understood).
 */
import { CONFIDENT_SCORE } from '../../../contract/limits';
import type { Finding, Lesion, Mismatch, ParsedQuery, RerankAnswer } from '../../../contract/schemas';
import { tOr, type Translate } from '../i18n/strings';
import type { Problem } from './problems';

export { CONFIDENT_SCORE };

/** One lesion of one finding group, as the panel lists it. */
export interface LesionRef {
  /** Unique in the answer: a lesion may appear in several groups. */
  key: string;
  /** Index into answer.findings. */
  group: number;
  /** Index into query.findings. */
  finding: number;
  /** Place within its group (0 = best). */
  rank: number;
  lesion: Lesion;
}

export function flattenLesions(answer: RerankAnswer): LesionRef[] {
  return answer.findings.flatMap((g, group) =>
    g.lesions.map((lesion, rank) => ({ key: `${g.finding}:${lesion.id}`, group, finding: g.finding, rank, lesion })),
  );
}

/** Index into lesion.regions of its best slice. */
export function bestRegion(lesion: Lesion): number {
  const i = lesion.regions.findIndex((r) => r.index === lesion.slices.best);
  return i >= 0 ? i : 0;
}

/** The text of a term, as the user typed it (falls back to its value). */
export function termText(query: ParsedQuery, termId: string): string {
  for (const f of query.findings) {
    const term = f.terms.find((t) => t.id === termId);
    if (term) return query.text.slice(term.span.start, term.span.end) || term.value;
  }
  return termId;
}

function termKind(query: ParsedQuery, termId: string): string | undefined {
  for (const f of query.findings) {
    const term = f.terms.find((t) => t.id === termId);
    if (term) return term.kind;
  }
  return undefined;
}

/** The part of the text a finding came from. */
export function findingText(query: ParsedQuery, finding: number): string {
  const f = query.findings[finding];
  return f ? query.text.slice(f.span.start, f.span.end).trim() : '';
}

const round = (mm: number): string => (mm >= 10 ? String(Math.round(mm)) : mm.toFixed(1));

/** "Nodule 27 × 26 mm". */
export function lesionTitle(t: Translate, l: Lesion): string {
  const kind = tOr(t, `kindWord.${l.kind}`, l.kind.charAt(0).toUpperCase() + l.kind.slice(1));
  return `${kind} ${round(l.sizeMm.long)} × ${round(l.sizeMm.short)} mm`;
}

/** "left lower lobe", or "left lung, middle zone" when no lobe is likely; a node's station after it. */
export function lesionWhere(t: Translate, l: Lesion): string {
  const side = tOr(t, `side.${l.side}`, l.side);
  const where = l.lobe ? tOr(t, `lobe.${l.lobe}`, l.lobe) : t('inZone', { side, zone: tOr(t, `zone.${l.zone}`, l.zone) });
  return l.station ? t('lesionLabel', { title: where, where: t('station', { station: l.station }) }) : where;
}

/** The label on the image and in OHIF's Measurements panel. */
export function lesionLabel(t: Translate, l: Lesion): string {
  const label = t('lesionLabel', { title: lesionTitle(t, l), where: lesionWhere(t, l) });
  return l.confident ? label : t('tentative', { label });
}

/** "size: 8 mm asked, 29 mm measured", in the panel's language where the words are known. */
export function mismatchText(t: Translate, query: ParsedQuery, m: Mismatch): string {
  const kind = termKind(query, m.term);
  const what = kind ? tOr(t, `kind.${kind}`, kind) : m.term;
  return t('mismatch', { what, stated: termText(query, m.term), measured: measuredText(t, m.measured) });
}

function measuredText(t: Translate, measured: string): string {
  const lobe = /^(RUL|RML|RLL|LUL|lingula|LLL) \(estimated from position\)$/.exec(measured);
  if (lobe) return `${tOr(t, `lobe.${lobe[1]}`, lobe[1])} ${t('estimated')}`;
  return tOr(t, `measured.${measured}`, measured);
}

/** Matched terms as the user wrote them, each phrase once ("right lower lobe" is both side and lobe). */
export function matchedTexts(query: ParsedQuery, l: Lesion): string[] {
  return [...new Set(l.matched.map((id) => termText(query, id)))];
}

/** Why the closest lesion is not confident: what did not fit, else its score under the cut. */
export function notConfidentReason(t: Translate, query: ParsedQuery, l: Lesion): string {
  if (l.mismatched.length > 0) return l.mismatched.map((m) => mismatchText(t, query, m)).join('; ');
  return t('reason.score', { score: l.score.toFixed(2), cut: CONFIDENT_SCORE.toFixed(2) });
}

/** A finding that only denies ("no nodule in the left lung"): nothing stated as present. */
export function isNegatedOnly(f: Finding): boolean {
  const present = f.terms.filter((t) => !t.negated && !t.implied && t.kind !== 'negation');
  const denied = f.terms.some((t) => t.negated || t.kind === 'negation');
  return denied && !present.some((t) => ['type', 'texture', 'size', 'size-word', 'margin', 'sign'].includes(t.kind));
}

/** What the query alone makes of the search: nothing understood, or only absences. */
export function queryProblem(query: ParsedQuery): Problem | undefined {
  const recognised = query.findings.some((f) => f.terms.length > 0);
  if (!recognised) {
    const words = query.unknown.map((u) => query.text.slice(u.start, u.end)).join(', ') || query.text.trim();
    return { kind: 'notUnderstood', vars: { words: `“${words.length > 80 ? `${words.slice(0, 77)}…` : words}”` } };
  }
  if (query.findings.length > 0 && query.findings.every(isNegatedOnly)) return { kind: 'negatedOnly', vars: { text: query.text.trim() } };
  return undefined;
}
