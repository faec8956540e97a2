/**
 * `npm run serve` as a user runs it: a real process, loopback by default, OpenAPI at /api/docs,
 * readiness once models are loaded, and a refusal (exit 2) to listen exposed without auth.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../../../server/series/sample';
import { freePort } from '../../support/orthanc';

const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const SERVE = path.join(REPO_ROOT, 'scripts', 'serve.ts');

function run(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(TSX, [SERVE, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, SLICE_FINDER_TOKENS: '', SLICE_FINDER_JWT_ISSUER: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

async function waitFor(url: string, status: number, timeoutMs: number): Promise<Response> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.status === status) return res;
    } catch {
      // not listening yet
    }
    if (Date.now() > until) throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('npm run serve', () => {
  it('listens on loopback, serves docs and becomes ready', async () => {
    const port = await freePort();
    const p = run(['--port', String(port)]);
    try {
      await waitFor(`http://127.0.0.1:${port}/healthz`, 200, 30_000);
      await waitFor(`http://127.0.0.1:${port}/readyz`, 200, 30_000);
      expect(p.output()).toContain(`"Server listening at http://127.0.0.1:${port}"`);
      const docs = await waitFor(`http://127.0.0.1:${port}/api/docs/`, 200, 5000);
      expect(await docs.text()).toContain('swagger');
      expect(docs.headers.get('content-security-policy')).toContain("script-src 'self'");
      const spec = (await (await fetch(`http://127.0.0.1:${port}/api/docs/json`)).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(spec.paths)).toEqual(
        expect.arrayContaining(['/api/v1/rerank', '/api/v1/rerank/stream', '/api/v1/series/prepare', '/api/v1/series', '/api/v1/models']),
      );
    } finally {
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
    }
  }, 60_000);

  it('refuses to listen on 0.0.0.0 without auth, and starts with a token', async () => {
    const refused = run(['--host', '0.0.0.0', '--port', String(await freePort())]);
    expect(await refused.exited).toBe(2);
    expect(refused.output()).toMatch(/refusing to listen on 0\.0\.0\.0 without auth/);

    const port = await freePort();
    const p = run(['--host', '0.0.0.0', '--port', String(port)], { SLICE_FINDER_TOKENS: 'ops:0123456789abcdef0123' });
    try {
      await waitFor(`http://127.0.0.1:${port}/healthz`, 200, 30_000);
      expect((await fetch(`http://127.0.0.1:${port}/api/v1/models`)).status).toBe(401);
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  }, 60_000);
});
