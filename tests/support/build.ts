/**
 * The workspace packages' builds (extension/dist, mode/dist), made by `npm run build` when missing or
 * older than a source they come from, so a test never checks yesterday's bundle.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const BUILT_FILES = ['extension/dist/index.mjs', 'extension/dist/slice-finder.mjs', 'mode/dist/slice-finder-mode.mjs'].map((f) => path.join(REPO_ROOT, f));
/** What the bundles are built from. */
const SOURCES = ['extension/src', 'mode/src', 'contract', 'webpack.config.js'].map((f) => path.join(REPO_ROOT, f));

function newestMtime(p: string): number {
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(p).reduce((m, name) => Math.max(m, newestMtime(path.join(p, name))), s.mtimeMs);
}

export function buildIsStale(): boolean {
  if (BUILT_FILES.some((f) => !existsSync(f))) return true;
  const oldestBuild = Math.min(...BUILT_FILES.map((f) => statSync(f).mtimeMs));
  return SOURCES.some((s) => existsSync(s) && newestMtime(s) > oldestBuild);
}

export function ensureBuilt(): void {
  if (!buildIsStale()) return;
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: 'pipe', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
  const missing = BUILT_FILES.filter((f) => !existsSync(f));
  if (missing.length > 0) throw new Error(`npm run build did not produce ${missing.join(', ')}`);
}
