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
  'size-word': ['small', 'moderate', 'large'],
  level: ['apex', 'hilum', 'carina', 'aortic arch', 'lung base'],
  texture: ['solid', 'part-solid', 'ground-glass', 'subsolid'],
  margin: ['spiculated', 'lobulated', 'smooth', 'ill-defined', 'irregular'],
  sign: ['air bronchogram', 'vacuole', 'pleural indentation', 'vascular convergence', 'halo', 'reversed halo', 'tree-in-bud', 'crazy paving', 'necrosis'],
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

  it('marks only type rows as diagnoses', () => {
    for (const e of table) if (e.diagnosis) expect([e.kind, e.value]).toEqual(['type', 'mass']);
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

  it('keeps 大 and 小 inside other words, and amounts whole', () => {
    expect(at('大小')).toMatchObject({ kind: 'connector', surface: '大小' });
    expect(at('大约')).toMatchObject({ kind: 'connector', surface: '大约' });
    expect(at('小叶')).toMatchObject({ kind: 'connector', surface: '小叶' });
    expect(at('小叶间隔增厚')).toMatchObject({ kind: 'type', value: 'other' });
    expect(at('小泡征')).toMatchObject({ kind: 'sign', value: 'vacuole' });
    expect(at('较前增大')).toMatchObject({ kind: 'connector', surface: '较前增大' });
    expect(at('小结节')).toMatchObject({ kind: 'size-word', value: 'small', surface: '小' });
    expect(at('大量胸腔积液')).toMatchObject({ kind: 'size-word', value: 'large', surface: '大量' });
    expect(at('中等量胸腔积液')).toMatchObject({ kind: 'size-word', value: 'moderate', surface: '中等量' });
    expect(at('少量胸腔积液')).toMatchObject({ kind: 'size-word', value: 'small', surface: '少量' });
    expect(at('胸腔积液')).toMatchObject({ kind: 'type', value: 'pleural effusion', surface: '胸腔积液' });
    expect(at('增大')).toMatchObject({ kind: 'size-word', value: 'large' });
    expect(at('肺大泡')).toMatchObject({ kind: 'type', value: 'emphysema' });
    expect(at('小细胞肺癌')).toMatchObject({ kind: 'type', value: 'mass', surface: '小细胞肺癌' });
  });

  it('does not let "邻近" + a structure swallow a longer phrase that starts with the structure', () => {
    expect(at('邻近胸膜凹陷')).toMatchObject({ kind: 'connector', value: 'prep', surface: '邻近' });
    expect(at('邻近心包积液')).toMatchObject({ kind: 'connector', value: 'prep', surface: '邻近' });
    expect(at('紧贴胸膜')).toMatchObject({ kind: 'position', value: 'subpleural', surface: '紧贴胸膜' });
  });

  it('matches English case-insensitively, across hyphens and runs of spaces, with plurals', () => {
    expect(at('Ground-Glass opacity')).toMatchObject({ value: 'ground-glass opacity', surface: 'Ground-Glass opacity' });
    expect(at('ground  glass opacities')).toMatchObject({ value: 'ground-glass opacity', plural: true });
    expect(at('GGOs')).toMatchObject({ value: 'ground-glass opacity', plural: true });
    expect(at('tree in bud')).toMatchObject({ value: 'tree-in-bud' });
    expect(at('masses')).toMatchObject({ value: 'mass', plural: true });
    expect(at('cavities')).toMatchObject({ value: 'cavity', plural: true });
    expect(at('bases')).toMatchObject({ kind: 'level', value: 'lung base', plural: false });
    expect(at('moderate-sized')).toMatchObject({ kind: 'size-word', value: 'moderate', surface: 'moderate-sized' });
    expect(at('carcinomas')).toMatchObject({ kind: 'type', value: 'mass', plural: true });
    expect(at('malignancies')).toMatchObject({ kind: 'type', value: 'mass', plural: true });
    expect(at('non-small-cell lung cancer')).toMatchObject({ kind: 'type', value: 'mass', surface: 'non-small-cell lung cancer' });
  });

  it('matches only whole English words', () => {
    expect(at('nodules')).toMatchObject({ value: 'nodule' });
    expect(at('noduleX')).toBeUndefined();
    expect(at('leftover')).toBeUndefined();
    expect(at('xleft', 1)).toBeUndefined();
    expect(at('rul结节')).toMatchObject({ value: 'RUL', surface: 'rul' });
  });
});
