/**
 * Longest-match phrase lookup over the lexicon tables: a character trie over normalised phrases.
 * A space inside a phrase matches any run of spaces and hyphens in the text; Latin phrases only match whole words.
 */
import { LexiconError } from './errors';
import type { LexEntry } from './lexicon/types';
import { isSpaceCode, isWordChar, isWordCode, normalizeForMatch } from './normalize';

export interface PhraseMatch {
  entry: LexEntry;
  /** The text used the plural form of the phrase's last word. */
  plural: boolean;
  /** End of the match (exclusive) in the text. */
  end: number;
}

/** Keyed by UTF-16 code (numbers: reading text[j] as a string would allocate for every CJK character). */
interface Node {
  next: Map<number, Node>;
  entry?: LexEntry;
  plural?: boolean;
  /** The phrase ends in a Latin letter or digit, so the text must not continue the word. */
  wordEnd?: boolean;
}

const SPACE = 0x20;
const HYPHEN = 0x2d;

export function canonicalPhrase(phrase: string): string {
  return normalizeForMatch(phrase).trim().replace(/[\s-]+/g, ' ');
}

export function pluralOf(phrase: string): string {
  if (/[^aeiou]y$/.test(phrase)) return phrase.slice(0, -1) + 'ies';
  if (/(s|x|z|ch|sh)$/.test(phrase)) return phrase + 'es';
  return phrase + 's';
}

export class PhraseMatcher {
  private readonly root: Node = { next: new Map() };

  /**
   * `entries`: the reviewed tables; two rows claiming one phrase is an error (LexiconError, at load time).
   * `overrides`: a hospital's rows; a phrase they name replaces the tables' meaning of it.
   */
  constructor(entries: readonly LexEntry[], overrides: readonly LexEntry[] = []) {
    for (const [rows, replace] of [[entries, false], [overrides, true]] as const) {
      const plurals: Array<[string, LexEntry]> = [];
      const seen = new Set<string>();
      for (const entry of rows) {
        for (const raw of entry.phrases) {
          const phrase = canonicalPhrase(raw);
          if (phrase === '') throw new LexiconError(`lexicon: empty phrase in ${entry.kind}:${entry.value}`);
          const existing = this.lookup(phrase);
          if (existing?.entry && (!replace || seen.has(phrase))) {
            throw new LexiconError(`lexicon: phrase "${raw}" is in two rows (${existing.entry.kind}:${existing.entry.value}, ${entry.kind}:${entry.value})`);
          }
          seen.add(phrase);
          this.insert(phrase, entry, false);
          if (entry.plural && /[a-z]$/.test(phrase)) plurals.push([pluralOf(phrase), entry]);
        }
      }
      // A generated plural never overrides a phrase a row lists itself ("bases" is a level, not two "base"s).
      for (const [phrase, entry] of plurals) {
        const existing = this.lookup(phrase);
        if (!existing || (replace && existing.plural)) this.insert(phrase, entry, true);
      }
    }
  }

  private lookup(phrase: string): Node | undefined {
    let node: Node | undefined = this.root;
    for (let i = 0; i < phrase.length; i++) {
      node = node.next.get(phrase.charCodeAt(i));
      if (!node) return undefined;
    }
    return node.entry ? node : undefined;
  }

  private insert(phrase: string, entry: LexEntry, plural: boolean): void {
    let node = this.root;
    for (let i = 0; i < phrase.length; i++) {
      const code = phrase.charCodeAt(i);
      let child = node.next.get(code);
      if (!child) {
        child = { next: new Map() };
        node.next.set(code, child);
      }
      node = child;
    }
    node.entry = entry;
    node.plural = plural;
    node.wordEnd = isWordChar(phrase[phrase.length - 1]);
  }

  /** The longest phrase starting at `start` in the normalised text, if any. */
  match(norm: string, start: number): PhraseMatch | undefined {
    if (isWordCode(norm.charCodeAt(start)) && isWordCode(norm.charCodeAt(start - 1))) return undefined;
    let node: Node | undefined = this.root;
    let best: PhraseMatch | undefined;
    let j = start;
    const n = norm.length;
    while (node && j < n) {
      const code = norm.charCodeAt(j);
      if (code === SPACE || code === HYPHEN || isSpaceCode(code)) {
        node = node.next.get(SPACE);
        if (!node) break;
        while (j < n && (norm.charCodeAt(j) === HYPHEN || isSpaceCode(norm.charCodeAt(j)))) j++;
      } else {
        node = node.next.get(code);
        if (!node) break;
        j++;
      }
      if (node.entry && !(node.wordEnd && isWordCode(norm.charCodeAt(j)))) {
        best = { entry: node.entry, plural: node.plural === true, end: j };
      }
    }
    return best;
  }
}
