/** `npm run -s parse -- "<text>"` (scripts/parse.ts): JSON on stdout; a refused text → message on stderr, exit 1. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

function run(...args: string[]) {
  return spawnSync(TSX, ['scripts/parse.ts', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
}

describe('scripts/parse.ts', () => {
  it('prints the parsed query as JSON', () => {
    const r = run('右肺上叶磨玻璃影伴空泡征');
    expect(r.status).toBe(0);
    const q = JSON.parse(r.stdout);
    expect(q.lang).toBe('zh');
    expect(q.findings[0]).toMatchObject({ type: 'ground-glass opacity', anatomy: { lobe: 'RUL' }, signs: ['vacuole'] });
  });

  it('exits 1 with the error on stderr for refused text', () => {
    const r = run('  ');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^parse: empty: /);
  });

  it('adds a lexicon extension with --lexicon, and refuses a bad one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parse-cli-'));
    const file = path.join(dir, 'extra.json');
    writeFileSync(file, JSON.stringify([{ kind: 'type', value: 'nodule', phrases: ['Rundherd'] }]));
    const r = run('--lexicon', file, 'RUL', 'Rundherd');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).findings[0]).toMatchObject({ type: 'nodule', anatomy: { lobe: 'RUL' } });
    writeFileSync(file, JSON.stringify([{ kind: 'type', value: 'blob', phrases: ['Rundherd'] }]));
    const bad = run('--lexicon', file, 'RUL Rundherd');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^parse: invalid_lexicon: .*"blob"/);
  });
});
