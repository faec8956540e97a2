/**
 * A hospital's own lexicon rows (local abbreviations, house style), given as JSON: an array of rows shaped like
 * the built-in tables ({kind, value, phrases, implies?, plural?, diagnosis?}). Rows are checked against the closed
 * vocabularies; a phrase a row names replaces the built-in meaning of that phrase.
 */
import { readFileSync } from 'node:fs';
import { LexiconError } from '../errors';
import type { Implied, LexEntry, LexKind } from './types';
import { entryProblem } from './vocabulary';

export { LexiconError };

const MAX_ROWS = 5000;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Checks parsed JSON and returns the rows; throws LexiconError naming the first bad row. */
export function readLexiconExtension(json: unknown): LexEntry[] {
  if (!Array.isArray(json)) throw new LexiconError('lexicon extension: expected a JSON array of rows');
  if (json.length > MAX_ROWS) throw new LexiconError(`lexicon extension: more than ${MAX_ROWS} rows`);
  return json.map((row, i) => {
    const where = `lexicon extension row ${i}`;
    if (!isRecord(row)) throw new LexiconError(`${where}: not an object`);
    const { kind, value, phrases, implies, plural, diagnosis } = row;
    if (typeof kind !== 'string' || typeof value !== 'string') throw new LexiconError(`${where}: kind and value must be strings`);
    if (!Array.isArray(phrases) || !phrases.every((p) => typeof p === 'string')) throw new LexiconError(`${where}: phrases must be strings`);
    if (implies !== undefined && !(Array.isArray(implies) && implies.every((x) => isRecord(x) && typeof x.kind === 'string' && typeof x.value === 'string'))) {
      throw new LexiconError(`${where}: implies must be [{kind, value}]`);
    }
    if (plural !== undefined && typeof plural !== 'boolean') throw new LexiconError(`${where}: plural must be true or false`);
    if (diagnosis !== undefined && typeof diagnosis !== 'boolean') throw new LexiconError(`${where}: diagnosis must be true or false`);
    const entry: LexEntry = { kind: kind as LexKind, value, phrases: phrases as string[] };
    if (implies) entry.implies = (implies as Array<Record<string, string>>).map((x) => ({ kind: x.kind, value: x.value }) as Implied);
    if (plural) entry.plural = true;
    if (diagnosis) entry.diagnosis = true;
    const problem = entryProblem(entry);
    if (problem) throw new LexiconError(`${where}: ${problem}`);
    return entry;
  });
}

/** Reads a lexicon extension file (JSON). For start-up configuration; throws LexiconError when it is unusable. */
export function loadLexiconFile(path: string): LexEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new LexiconError(`lexicon extension ${path}: ${(err as Error).message}`);
  }
  try {
    return readLexiconExtension(json);
  } catch (err) {
    // Name the file: at start-up the administrator needs to know which one to fix.
    throw err instanceof LexiconError ? new LexiconError(`${path}: ${err.message}`) : err;
  }
}
