/** `npm run -s inspect -- <dir>`: JSON on stdout for a series; one line on stderr and a failing exit for bad input. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../../server/series/sample';
import { slicePath } from './fixtures';

const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const SCRIPT = path.join(REPO_ROOT, 'scripts', 'inspect.ts');
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'inspect-'));
  for (const n of [20, 21, 22, 23]) fs.copyFileSync(slicePath(n), path.join(dir, path.basename(slicePath(n))));
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not DICOM');
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const inspect = (target: string): ReturnType<typeof spawnSync> =>
  spawnSync(TSX, [SCRIPT, target], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });

test('prints the series shape as JSON', () => {
  const r = inspect(dir);
  expect(r.status).toBe(0);
  const out = JSON.parse(String(r.stdout)) as Record<string, unknown>;
  expect(Object.keys(out).sort()).toEqual(
    ['columns', 'huMax', 'huMin', 'normal', 'pixelSpacing', 'rows', 'skipped', 'sliceSpacing', 'slices', 'sopInstanceUIDs'].sort(),
  );
  expect(out).toMatchObject({ slices: 4, rows: 512, columns: 512, skipped: 1 });
  expect(out.sliceSpacing as number).toBeCloseTo(2.5, 3);
  expect((out.sopInstanceUIDs as string[]).length).toBe(4);
  expect(out.huMin as number).toBeLessThan(-900);
  expect(out.huMax as number).toBeGreaterThan(500);
});

test('bad input: a one-line message with the error code, no stack, non-zero exit', () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'inspect-empty-'));
  try {
    const r = inspect(empty);
    expect(r.status).not.toBe(0);
    expect(String(r.stdout)).toBe('');
    const err = String(r.stderr).trim();
    expect(err).toMatch(/EMPTY_SERIES/);
    expect(err.split('\n')).toHaveLength(1);
    expect(err).not.toMatch(/\bat .*\.ts:\d+/);
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});
