/** A hospital extends the lexicon with its own rows (JSON), checked against the contract's vocabularies. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LexiconError } from '../../../server/query/errors';
import { EN_LEXICON } from '../../../server/query/lexicon/en';
import { loadLexiconFile, readLexiconExtension } from '../../../server/query/lexicon/extension';
import { entryProblem } from '../../../server/query/lexicon/vocabulary';
import { ZH_LEXICON } from '../../../server/query/lexicon/zh';
import { createQueryParser, parseQuery } from '../../../server/query/parse';

describe('lexicon extension', () => {
  it('finds nothing wrong with the built-in rows', () => {
    for (const e of [...EN_LEXICON, ...ZH_LEXICON]) expect([e.kind, e.value, entryProblem(e)]).toEqual([e.kind, e.value, undefined]);
  });

  it('adds a house abbreviation and overrides a built-in phrase, leaving the default parser alone', () => {
    const rows = readLexiconExtension([
      { kind: 'type', value: 'nodule', phrases: ['Rundherd'], implies: [{ kind: 'count', value: 'single' }] },
      { kind: 'texture', value: 'part-solid', phrases: ['subsolid'] },
      { kind: 'lobe', value: 'RUL', phrases: ['右上'], implies: [{ kind: 'side', value: 'right' }, { kind: 'organ', value: 'lung' }] },
    ]);
    const parse = createQueryParser(rows);
    const q = parse('subsolid Rundherd, 右上');
    expect(q.unknown).toEqual([]);
    expect(q.findings).toHaveLength(1);
    expect(q.findings[0]).toMatchObject({ type: 'nodule', texture: 'part-solid', anatomy: { lobe: 'RUL', side: 'right', organ: 'lung' } });
    const plain = parseQuery('subsolid Rundherd');
    expect(plain.unknown.map((s) => 'subsolid Rundherd'.slice(s.start, s.end))).toEqual(['Rundherd']);
    expect(plain.findings[0].texture).toBe('subsolid');
  });

  it.each([
    [{ kind: 'type', value: 'tumour', phrases: ['x'] }, /type "tumour" is not one of/],
    [{ kind: 'colour', value: 'red', phrases: ['x'] }, /unknown kind/],
    [{ kind: 'sign', value: 'halo', phrases: [' '] }, /empty/],
    [{ kind: 'sign', value: 'halo', phrases: [] }, /no phrases/],
    [{ kind: 'sign', value: 'halo', phrases: 'halo' }, /phrases must be strings/],
    [{ kind: 'lobe', value: 'RUL', phrases: ['x'], implies: [{ kind: 'side', value: 'up' }] }, /implied side "up"/],
    [{ kind: 'organ', value: '<script>', phrases: ['x'] }, /short word/],
    [{ kind: 'size-word', value: 'huge', phrases: ['x'] }, /size-word "huge" is not one of: small, moderate, large/],
    [{ kind: 'margin', value: 'smooth', phrases: ['x'], diagnosis: true }, /only type rows can be a diagnosis/],
    [{ kind: 'type', value: 'mass', phrases: ['x'], diagnosis: 'yes' }, /diagnosis must be true or false/],
    ['not a row', /not an object/],
  ])('refuses %j', (row, message) => {
    expect(() => readLexiconExtension([row])).toThrow(LexiconError);
    expect(() => readLexiconExtension([row])).toThrow(message);
  });

  it('takes size words and diagnosis rows', () => {
    const rows = readLexiconExtension([
      { kind: 'size-word', value: 'large', phrases: ['jumbo'] },
      { kind: 'type', value: 'mass', phrases: ['Pancoast tumour'], diagnosis: true, implies: [{ kind: 'level', value: 'apex' }] },
    ]);
    expect(rows[1]).toEqual({ kind: 'type', value: 'mass', phrases: ['Pancoast tumour'], diagnosis: true, implies: [{ kind: 'level', value: 'apex' }] });
    const parse = createQueryParser(rows);
    expect(parse('jumbo nodule, Pancoast tumour').findings).toEqual([
      expect.objectContaining({ type: 'nodule', sizeWord: 'large', anatomy: { organ: 'lung' } }),
    ]);
    expect(parse('right Pancoast tumour').findings).toEqual([
      expect.objectContaining({ type: 'mass', anatomy: { side: 'right', level: 'apex', organ: 'lung' } }),
    ]);
  });

  it('refuses two extension rows that give one phrase two meanings', () => {
    const rows = readLexiconExtension([
      { kind: 'margin', value: 'smooth', phrases: ['neat'] },
      { kind: 'margin', value: 'ill-defined', phrases: ['Neat'] },
    ]);
    expect(() => createQueryParser(rows)).toThrow(LexiconError);
  });

  it('loads a JSON file and names the file when it is not JSON', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lexicon-'));
    const good = path.join(dir, 'good.json');
    writeFileSync(good, JSON.stringify([{ kind: 'sign', value: 'halo', phrases: ['ground-glass halo'] }]));
    expect(loadLexiconFile(good)).toEqual([{ kind: 'sign', value: 'halo', phrases: ['ground-glass halo'] }]);
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '[{');
    expect(() => loadLexiconFile(bad)).toThrow(/bad\.json/);
  });
});
