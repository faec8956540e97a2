/**
 * Longest-match phrase lookup over the lexicon tables: a character trie over normalised phrases.
 * A space inside a phrase matches any run of spaces and hyphens in the text; Latin phrases only match whole words.
 */
import type { LexEntry } from './lexicon/types';
import { isSpace, isWordChar, normalizeForMatch } from './normalize';

export interface PhraseMatch {
  entry: LexEntry;
  /** The text used the plural form of the phrase's last word. */
  plural: boolean;
  /** End of the match (exclusive) in the text. */
  end: number;
}

interface Node {
  next: Map<string, Node>;
  entry?: LexEntry;
  plural?: boolean;
  /** The phrase ends in a Latin letter or digit, so the text must not continue the word. */
  wordEnd?: boolean;
}

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

  /** Throws (at load time) when two rows claim the same phrase: the tables must stay unambiguous. */
  constructor(entries: readonly LexEntry[]) {
    const plurals: Array<[string, LexEntry]> = [];
    for (const entry of entries) {
      for (const raw of entry.phrases) {
        const phrase = canonicalPhrase(raw);
        const existing = this.insert(phrase, entry, false);
        if (existing) throw new Error(`lexicon: phrase "${raw}" is in two rows (${existing.kind}:${existing.value}, ${entry.kind}:${entry.value})`);
        if (entry.plural && /[a-z]$/.test(phrase)) plurals.push([pluralOf(phrase), entry]);
      }
    }
    // Plurals never override a phrase a table lists itself ("bases" is a level, not two "base"s).
    for (const [phrase, entry] of plurals) if (!this.lookup(phrase)) this.insert(phrase, entry, true);
  }

  private lookup(phrase: string): Node | undefined {
    let node: Node | undefined = this.root;
    for (const ch of phrase) {
      node = node.next.get(ch);
      if (!node) return undefined;
    }
    return node.entry ? node : undefined;
  }

  private insert(phrase: string, entry: LexEntry, plural: boolean): LexEntry | undefined {
    let node = this.root;
    for (const ch of phrase) {
      let child = node.next.get(ch);
      if (!child) {
        child = { next: new Map() };
        node.next.set(ch, child);
      }
      node = child;
    }
    if (node.entry) return node.entry;
    node.entry = entry;
    node.plural = plural;
    node.wordEnd = isWordChar(phrase[phrase.length - 1]);
    return undefined;
  }

  /** The longest phrase starting at `start` in the normalised text, if any. */
  match(norm: string, start: number): PhraseMatch | undefined {
    if (isWordChar(norm[start]) && isWordChar(norm[start - 1])) return undefined;
    let node: Node | undefined = this.root;
    let best: PhraseMatch | undefined;
    let j = start;
    while (node && j < norm.length) {
      const ch = norm[j];
      if (isSpace(ch) || ch === '-') {
        node = node.next.get(' ');
        if (!node) break;
        while (j < norm.length && (isSpace(norm[j]) || norm[j] === '-')) j++;
      } else {
        node = node.next.get(ch);
        if (!node) break;
        j++;
      }
      if (node.entry && !(node.wordEnd && isWordChar(norm[j]))) {
        best = { entry: node.entry, plural: node.plural === true, end: j };
      }
    }
    return best;
  }
}
