/** Shape of the lexicon tables (one per language). A hospital extends the parser by adding rows here, not code. */
import type { TermKind } from '../finding';

/**
 * What a phrase means.
 * - A `TermKind` yields a Term of that kind with `value`.
 * - 'lobePart': "upper lobe" / "上叶"; becomes a lobe once the side is known (else a position).
 * - 'connector': a known word that yields no Term; `value` says its role:
 *     'filler' (a, the, 见, 约, 大小 ...), 'prep' (in, of, at: anatomy after it belongs to the noun before it),
 *     'with' (with, 伴, 内见: what follows describes the current finding), 'and' (and, 及, 、: may start a new
 *     finding), 'stop' (but, 但: ends a negation), 'unsupported' (a phrase the parser knows it cannot represent,
 *     e.g. "大血管" (great vessels): reported in `unknown`, and it stops "血管" inside it from matching).
 * - 'negation' rows: value 'no' denies what follows to the end of the clause, 'next' only the next term ("non").
 */
export type LexKind = TermKind | 'lobePart' | 'connector';

export interface Implied {
  kind: TermKind;
  value: string;
}

export interface LexEntry {
  kind: LexKind;
  value: string;
  /** Surface forms. English: case-insensitive, whole words, a space also matches a hyphen or several spaces. */
  phrases: string[];
  /** Further terms this phrase implies ("RUL" → side right, organ lung). */
  implies?: Implied[];
  /** English only: also match the regular plural of the last word (and mark the finding multiple for types). */
  plural?: boolean;
  /**
   * Type rows only: the phrase names what a lesion is rather than what it looks like ("carcinoma", "肺癌", "占位").
   * It gives a finding its type only when no other word does: after a finding it joins that finding (and yields no
   * term there) instead of starting a second one, unless it names a place that finding cannot be in.
   */
  diagnosis?: boolean;
  /** Texture rows only: the phrase names a part of the lesion ("solid component", "实性成分"); a size beside it measures that part. */
  component?: boolean;
}
