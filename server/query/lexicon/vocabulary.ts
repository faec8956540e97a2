/** The closed vocabularies a lexicon row may name (those of finding.ts), and a check for one row. */
import type { LexEntry, LexKind } from './types';

export const LEX_KINDS: readonly LexKind[] = [
  'organ', 'side', 'lobe', 'lobePart', 'segment', 'level', 'station', 'position', 'type', 'size', 'size-word', 'texture', 'margin', 'sign',
  'count', 'negation', 'connector',
];

/** Allowed values per kind; kinds not listed (organ, segment, position) take any short word. */
export const VOCABULARY: Partial<Record<LexKind, readonly string[]>> = {
  type: [
    'nodule', 'mass', 'ground-glass opacity', 'consolidation', 'cavity', 'calcification', 'pleural effusion', 'pneumothorax',
    'emphysema', 'atelectasis', 'bronchiectasis', 'lymph node', 'pleural thickening', 'other',
  ],
  side: ['left', 'right', 'bilateral'],
  lobe: ['RUL', 'RML', 'RLL', 'LUL', 'lingula', 'LLL'],
  lobePart: ['upper', 'lower'],
  level: ['apex', 'hilum', 'carina', 'aortic arch', 'lung base'],
  station: ['1', '2', '2-4', '3a', '3p', '4', '5', '6', '7', '8', '9', '10', '11'],
  'size-word': ['small', 'moderate', 'large'],
  texture: ['solid', 'part-solid', 'ground-glass', 'subsolid'],
  margin: ['spiculated', 'lobulated', 'smooth', 'ill-defined', 'irregular'],
  sign: ['air bronchogram', 'vacuole', 'pleural indentation', 'vascular convergence', 'halo', 'reversed halo', 'tree-in-bud', 'crazy paving', 'necrosis'],
  count: ['multiple', 'single'],
  negation: ['no', 'next'],
  connector: ['filler', 'prep', 'with', 'and', 'stop', 'unsupported'],
  // Sizes are read from numbers and units, never from the tables.
  size: [],
};

const MAX_PHRASE = 100;

function valueProblem(kind: LexKind, value: string): string | undefined {
  const allowed = VOCABULARY[kind];
  if (allowed) return allowed.includes(value) ? undefined : `${kind} "${value}" is not one of: ${allowed.join(', ') || '(none)'}`;
  return /^[\p{L}\p{N} '-]{1,40}$/u.test(value) ? undefined : `${kind} value "${value}" must be a short word`;
}

/** What is wrong with a row, or undefined when it is fine. */
export function entryProblem(entry: LexEntry): string | undefined {
  if (!LEX_KINDS.includes(entry.kind)) return `unknown kind "${String(entry.kind)}"`;
  const bad = valueProblem(entry.kind, entry.value);
  if (bad) return bad;
  if (entry.diagnosis && entry.kind !== 'type') return `${entry.kind} "${entry.value}": only type rows can be a diagnosis`;
  if (entry.component && entry.kind !== 'texture') return `${entry.kind} "${entry.value}": only texture rows can name a component`;
  if (entry.phrases.length === 0) return `${entry.kind} "${entry.value}" has no phrases`;
  for (const p of entry.phrases) {
    if (p.trim() === '' || p.length > MAX_PHRASE) return `${entry.kind} "${entry.value}": phrase "${p}" is empty or too long`;
  }
  for (const imp of entry.implies ?? []) {
    const kind = imp.kind as LexKind;
    if (!LEX_KINDS.includes(kind) || kind === 'connector' || kind === 'lobePart') return `cannot imply kind "${kind}"`;
    const badImplied = valueProblem(kind, imp.value);
    if (badImplied) return `implied ${badImplied}`;
  }
  return undefined;
}
