/**
 * @jest-environment node
 *
 * The lint rule that keeps the extension off server code: an import of server/ fails `npm run lint`,
 * and so does a value import of the contract's schemas (TypeBox would enter the browser bundle);
 * type imports of the contract pass.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

function lint(file: string, code: string): string {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--stdin', '--stdin-filename', file], {
    cwd: ROOT,
    input: code,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return r.stdout + r.stderr;
}

test('extension/, mode/ and contract/ may not import server/; the extension takes contract schemas as types only', () => {
  const bad = lint(
    'extension/src/probe.ts',
    [
      "import { createClient } from '../../server/http/client';",
      "import { RerankAnswer } from '../../contract/schemas';",
      'export const probe = [createClient, RerankAnswer];',
    ].join('\n'),
  );
  expect(bad).toMatch(/server\/http\/client' import is restricted/);
  expect(bad).toMatch(/contract\/schemas' import is restricted/);
  expect(lint('mode/src/probe.ts', "import { PANEL_ID } from '../../server/main';\nexport const p = PANEL_ID;\n")).toMatch(/server\/main' import is restricted/);
  expect(lint('contract/probe.ts', "import type { Candidate } from '../server/rerank/analysis/types';\nexport type P = Candidate;\n")).toMatch(/import is restricted/);
  const good = lint(
    'extension/src/probe.ts',
    ["import { createClient } from '../../contract/client';", "import type { RerankAnswer } from '../../contract/schemas';", 'export const probe: [typeof createClient, RerankAnswer?] = [createClient];'].join('\n'),
  );
  expect(good).not.toMatch(/restricted/);
}, 90_000);
