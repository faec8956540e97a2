/**
 * A failing PACS (issue #12): slots are per PACS root with a bounded wait (503 + Retry-After), a
 * client that leaves frees its slot, and a PACS that stalls mid-body gets a 504 within the read
 * timeout + 1 s on both rerank routes — checked on the real `serve` script under tsx, where aborting
 * the fetch alone did not end the pending read — then 200 with the full volume once it recovers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../server/http/app';
import { indexFolder } from '../../../server/dicomweb/folder-index';
import { SAMPLE_DICOM_DIR } from '../../../server/series/sample';
import { startFakePacs, type FakePacs } from '../../support/fake-pacs';
import { LineCapture, listen, testConfig } from './helpers';

jest.setTimeout(90_000);

const REPO = path.join(__dirname, '..', '..', '..');
const names = readdirSync(SAMPLE_DICOM_DIR).sort().slice(60, 72);
const files = names.map((f) => new Uint8Array(readFileSync(path.join(SAMPLE_DICOM_DIR, f))));
let study = '';
let series = '';
let sops: string[] = [];

beforeAll(async () => {
  const index = await indexFolder(SAMPLE_DICOM_DIR);
  const s = index.studies[0].series[0];
  study = s.studyInstanceUID;
  series = s.seriesInstanceUID;
  sops = s.instances.slice(60, 72).map((i) => i.sopInstanceUID);
});

function rerankBody(wadoRoot: string, sopInstanceUIDs = sops): string {
  return JSON.stringify({
    query: 'solid nodule',
    series: { source: 'dicomweb', wadoRoot, studyInstanceUID: study, seriesInstanceUID: series, sopInstanceUIDs },
  });
}

async function post(origin: string, url: string, body: string, signal?: AbortSignal): Promise<{ status: number; ms: number; body: string; headers: Headers }> {
  const t0 = performance.now();
  const res = await fetch(`${origin}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal });
  const text = await res.text();
  return { status: res.status, ms: performance.now() - t0, body: text, headers: res.headers };
}

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('PACS slots', () => {
  let a: FakePacs;
  let b: FakePacs;
  let app: FastifyInstance;
  let origin: string;

  beforeAll(async () => {
    a = await startFakePacs(files, 'hang');
    b = await startFakePacs(files, 'ok');
    app = await buildApp(
      testConfig((c) => {
        c.pacs.url = a.root;
        c.pacs.allow = [a.root, b.root];
        c.pacs.maxConcurrent = 1;
        c.pacs.queueTimeoutMs = 700;
        c.pacs.connectTimeoutMs = 20_000;
        c.pacs.readTimeoutMs = 20_000;
      }),
      { logStream: new LineCapture(), auditStream: new LineCapture() },
    );
    origin = await listen(app);
  });

  afterAll(async () => {
    await app.close();
    await a.close();
    await b.close();
  });

  it('a slow PACS holds only its own slots; its queue answers 503 with Retry-After; a client that leaves frees its slot', async () => {
    const client = new AbortController();
    const first = post(origin, '/api/v1/rerank', rerankBody(a.root), client.signal).catch(() => undefined);
    await until(() => a.requests === 1);

    // The same PACS: no slot within the queue wait.
    const busy = await post(origin, '/api/v1/rerank', rerankBody(a.root, sops.slice(0, 11)));
    expect(busy.status).toBe(503);
    expect(JSON.parse(busy.body)).toMatchObject({ code: 'pacs_busy' });
    expect(Number(busy.headers.get('retry-after'))).toBeGreaterThan(0);

    // Another PACS is not held up.
    const other = await post(origin, '/api/v1/rerank', rerankBody(b.root));
    expect(other.status).toBe(200);
    expect(JSON.parse(other.body)).toMatchObject({ slices: 12, skipped: { count: 0, reasons: [] } });

    // The first client leaves: its fetch is cancelled and the slot is free again.
    client.abort();
    await first;
    await until(() => a.open === 0, 2000);
    a.mode = 'ok';
    const again = await post(origin, '/api/v1/rerank', rerankBody(a.root));
    expect(again.status).toBe(200);
    expect(a.requests).toBe(2);
  });
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('a PACS that stalls mid-body, against `serve` under tsx', () => {
  const READ_TIMEOUT_MS = 1000;
  let pacs: FakePacs;
  let server: ChildProcess;
  let origin: string;

  beforeAll(async () => {
    pacs = await startFakePacs(files, 'stall');
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    server = spawn(
      path.join(REPO, 'node_modules', '.bin', 'tsx'),
      ['scripts/serve.ts', '--port', String(port), '--pacs', pacs.root, '--pacs-read-timeout-ms', String(READ_TIMEOUT_MS), '--ep', 'cpu', '--audit-log', '/dev/null', '--log-level', 'warn'],
      { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const t0 = Date.now();
    for (;;) {
      const ok = await fetch(`${origin}/readyz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() - t0 > 60_000) throw new Error('serve did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  afterAll(async () => {
    server?.kill('SIGTERM');
    await new Promise((r) => server?.once('exit', r));
    await pacs.close();
  });

  it('POST /api/v1/rerank answers 504 within the read timeout + 1 s', async () => {
    const res = await post(origin, '/api/v1/rerank', rerankBody(pacs.root));
    expect(res.status).toBe(504);
    expect(JSON.parse(res.body)).toMatchObject({ code: 'pacs_timeout' });
    expect(res.ms).toBeLessThan(READ_TIMEOUT_MS + 1000);
  });

  it('the stream route ends with a 504 error line within the read timeout + 1 s', async () => {
    const res = await post(origin, '/api/v1/rerank/stream', rerankBody(pacs.root));
    const last = JSON.parse(res.body.trim().split('\n').pop() as string) as { type: string; statusCode: number };
    expect(last).toMatchObject({ type: 'error', statusCode: 504 });
    expect(res.ms).toBeLessThan(READ_TIMEOUT_MS + 1000);
  });

  it('once the PACS recovers, the next request gets 200 with the full volume', async () => {
    pacs.mode = 'ok';
    const res = await post(origin, '/api/v1/rerank', rerankBody(pacs.root));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ slices: 12, skipped: { count: 0 } });
  });
});
