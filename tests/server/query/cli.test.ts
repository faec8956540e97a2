/** `npm run -s parse -- "<text>"` (scripts/parse.ts): JSON on stdout; a refused text → message on stderr, exit 1. */
import { spawnSync } from 'node:child_process';
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
});
