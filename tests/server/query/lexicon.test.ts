/** The lexicon tables are reviewed data: values must be ones the contract knows, and no phrase may be ambiguous. */
import { EN_LEXICON } from '../../../server/query/lexicon/en';
import type { LexEntry } from '../../../server/query/lexicon/types';
import { ZH_LEXICON } from '../../../server/query/lexicon/zh';
import { PhraseMatcher } from '../../../server/query/matcher';
import { normalizeForMatch } from '../../../server/query/normalize';

// The closed vocabularies of server/query/finding.ts.
const ALLOWED: Partial<Record<LexEntry['kind'], string[]>> = {
  type: [
    'nodule', 'mass', 'ground-glass opacity', 'consolidation', 'cavity', 'calcification', 'pleural effusion', 'pneumothorax',
    'emphysema', 'atelectasis', 'bronchiectasis', 'lymph node', 'pleural thickening', 'other',
  ],
  side: ['left', 'right', 'bilateral'],
  lobe: ['RUL', 'RML', 'RLL', 'LUL', 'lingula', 'LLL'],
  lobePart: ['upper', 'lower'],
  level: ['apex', 'hilum', 'carina', 'aortic arch', 'lung base'],
  texture: ['solid', 'part-solid', 'ground-glass'],
  margin: ['spiculated', 'lobulated', 'smooth', 'ill-defined', 'irregular'],
  sign: ['air bronchogram', 'vacuole', 'pleural indentation', 'vascular convergence', 'halo', 'reversed halo', 'tree-in-bud', 'crazy paving'],
  count: ['multiple', 'single'],
  negation: ['no', 'next'],
  connector: ['filler', 'prep', 'with', 'and', 'stop', 'unsupported'],
};

describe.each([
  ['en', EN_LEXICON],
  ['zh', ZH_LEXICON],
])('lexicon %s', (_lang, table) => {
  it('uses only values the contract defines', () => {
    for (const entry of table) {
      const allowed = ALLOWED[entry.kind];
      if (allowed) expect([entry.kind, allowed.includes(entry.value) ? 'ok' : entry.value]).toEqual([entry.kind, 'ok']);
      for (const imp of entry.implies ?? []) {
        const ok = ALLOWED[imp.kind];
        if (ok) expect(ok).toContain(imp.value);
      }
    }
  });

  it('names every finding type the issue asks for', () => {
    const types = new Set(table.filter((e) => e.kind === 'type').map((e) => e.value));
    for (const t of ALLOWED.type ?? []) expect([t, types.has(t)]).toEqual([t, true]);
  });

  it('has no empty phrase', () => {
    for (const e of table) for (const p of e.phrases) expect(p.trim().length).toBeGreaterThan(0);
  });
});

describe('PhraseMatcher', () => {
  const matcher = new PhraseMatcher([...EN_LEXICON, ...ZH_LEXICON]);
  const at = (text: string, i = 0) => {
    const m = matcher.match(normalizeForMatch(text), i);
    return m && { kind: m.entry.kind, value: m.entry.value, surface: text.slice(i, m.end), plural: m.plural };
  };

  it('loads both tables without a phrase claimed twice', () => {
    expect(() => new PhraseMatcher([...EN_LEXICON, ...ZH_LEXICON])).not.toThrow();
  });

  it('refuses a table where two rows claim one phrase', () => {
    const bad: LexEntry[] = [
      { kind: 'margin', value: 'smooth', phrases: ['Smooth'] },
      { kind: 'margin', value: 'ill-defined', phrases: ['smooth'] },
    ];
    expect(() => new PhraseMatcher(bad)).toThrow(/two rows/);
  });

  it('takes the longest Chinese phrase', () => {
    expect(at('磨玻璃影')).toMatchObject({ kind: 'type', value: 'ground-glass opacity', surface: '磨玻璃影' });
    expect(at('磨玻璃结节')).toMatchObject({ kind: 'texture', value: 'ground-glass', surface: '磨玻璃' });
    expect(at('肺门')).toMatchObject({ kind: 'level', value: 'hilum' });
    expect(at('肺结节')).toMatchObject({ kind: 'organ', surface: '肺' });
    expect(at('反晕征')).toMatchObject({ value: 'reversed halo' });
  });

  it('matches English case-insensitively, across hyphens and runs of spaces, with plurals', () => {
    expect(at('Ground-Glass opacity')).toMatchObject({ value: 'ground-glass opacity', surface: 'Ground-Glass opacity' });
    expect(at('ground  glass opacities')).toMatchObject({ value: 'ground-glass opacity', plural: true });
    expect(at('GGOs')).toMatchObject({ value: 'ground-glass opacity', plural: true });
    expect(at('tree in bud')).toMatchObject({ value: 'tree-in-bud' });
    expect(at('masses')).toMatchObject({ value: 'mass', plural: true });
    expect(at('cavities')).toMatchObject({ value: 'cavity', plural: true });
    expect(at('bases')).toMatchObject({ kind: 'level', value: 'lung base', plural: false });
  });

  it('matches only whole English words', () => {
    expect(at('nodules')).toMatchObject({ value: 'nodule' });
    expect(at('noduleX')).toBeUndefined();
    expect(at('leftover')).toBeUndefined();
    expect(at('xleft', 1)).toBeUndefined();
    expect(at('rul结节')).toMatchObject({ value: 'RUL', surface: 'rul' });
  });
});
