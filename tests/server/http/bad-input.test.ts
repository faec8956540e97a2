/**
 * Bad requests get the right status and a JSON error without a stack, the server keeps serving,
 * and nothing in the captured log or audit lines quotes the query text or a raw UID.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { indexFolder, type FolderIndex } from '../../../server/dicomweb/folder-index';
import { buildApp } from '../../../server/http/app';
import { SAMPLE_DICOM_DIR } from '../../../server/series/sample';
import { formData, http, LineCapture, listen, testConfig } from './helpers';

const SECRET_WORDS = 'zebramarker';
const QUERY = `${SECRET_WORDS} 8 mm spiculated solid nodule, left lower lobe`;

let app: FastifyInstance;
let origin: string;
let index: FolderIndex;
let seriesUID: string;
let studyUID: string;
let sops: string[];
const logs = new LineCapture();
const audit = new LineCapture();

beforeAll(async () => {
  index = await indexFolder(SAMPLE_DICOM_DIR);
  const s = index.studies[0].series[0];
  seriesUID = s.seriesInstanceUID;
  studyUID = s.studyInstanceUID;
  sops = s.instances.map((i) => i.sopInstanceUID);
  app = await buildApp(
    testConfig((c) => {
      c.upload.maxBytes = 8 * 1024 * 1024;
      c.bodyLimitBytes = 512 * 1024;
    }),
    { folderIndex: index, logStream: logs, auditStream: audit },
  );
  origin = await listen(app);
}, 60_000);

afterAll(async () => {
  await app?.close();
});

function rerank(body: unknown, headers: Record<string, string> = {}) {
  return http(origin, {
    method: 'POST',
    url: '/api/v1/rerank',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

function validBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { query: QUERY, series: { source: 'local', seriesInstanceUID: seriesUID }, ...extra };
}

async function expectError(res: Awaited<ReturnType<typeof rerank>>, status: number, code?: string): Promise<void> {
  expect(res.statusCode).toBe(status);
  const body = res.json() as Record<string, unknown>;
  expect(body.statusCode).toBe(status);
  if (code) expect(body.code).toBe(code);
  expect(typeof body.message).toBe('string');
  expect(JSON.stringify(body)).not.toMatch(/\bat .+:\d+:\d+/); // no stack frames
  expect(Object.keys(body).sort()).toEqual(['code', 'message', 'statusCode']);
  // And the server still answers.
  expect((await http(origin, { method: 'GET', url: '/healthz' })).statusCode).toBe(200);
}

describe('bad input', () => {
  it('malformed JSON → 400', async () => {
    await expectError(await rerank('{"query": "nodule", '), 400, 'malformed_json');
  });

  it('unknown fields, at the top and inside the series → 400', async () => {
    await expectError(await rerank(validBody({ extra: 1 })), 400, 'invalid_request');
    const series = { source: 'local', seriesInstanceUID: seriesUID, patientName: 'x' };
    await expectError(await rerank({ query: QUERY, series }), 400, 'invalid_request');
  });

  it('a 10,000-character query → 400', async () => {
    await expectError(await rerank(validBody({ query: 'nodule '.repeat(1500).slice(0, 10_000) })), 400);
  });

  it('topK 0 and 1000 → 400; a wrong type is not coerced', async () => {
    await expectError(await rerank(validBody({ topK: 0 })), 400, 'invalid_request');
    await expectError(await rerank(validBody({ topK: 1000 })), 400, 'invalid_request');
    await expectError(await rerank(validBody({ topK: '5' })), 400, 'invalid_request');
  });

  it('an unknown model or preset → 400', async () => {
    await expectError(await rerank(validBody({ model: 'no-such-model' })), 400, 'unknown_model');
    await expectError(await rerank(validBody({ preset: 'no-such-preset' })), 400, 'unknown_preset');
  });

  it('a query the parser refuses → 400', async () => {
    await expectError(await rerank(validBody({ query: '!!! ??? ...' })), 400);
  });

  it('a UID that is not a UID, and an unknown series → 400 / 404', async () => {
    await expectError(await rerank({ query: QUERY, series: { source: 'local', seriesInstanceUID: '../../etc' } }), 400);
    await expectError(await rerank({ query: QUERY, series: { source: 'local', seriesInstanceUID: '1.2.3.4.5' } }), 404, 'series_not_found');
  });

  it('a wadoRoot that is not on the allowlist → 403, no PACS configured → 400', async () => {
    const series = { source: 'dicomweb', wadoRoot: 'http://127.0.0.1:9/dicom-web', studyInstanceUID: studyUID, seriesInstanceUID: seriesUID, sopInstanceUIDs: sops.slice(0, 2) };
    await expectError(await rerank({ query: QUERY, series }), 403, 'wado_root_not_allowed');
    const { wadoRoot: _omit, ...noRoot } = series;
    await expectError(await rerank({ query: QUERY, series: noRoot }), 400, 'no_pacs');
  });

  it('a JSON body over the limit → 413, a wrong content type → 415', async () => {
    await expectError(await rerank(validBody({ query: 'x'.repeat(600 * 1024) })), 413, 'body_too_large');
    const res = await http(origin, { method: 'POST', url: '/api/v1/rerank', headers: { 'content-type': 'text/plain' }, payload: 'nodule' });
    await expectError(res, 415);
  });

  it('a series too short to be a CT stack → 422', async () => {
    const short = { source: 'local', seriesInstanceUID: seriesUID, sopInstanceUIDs: sops.slice(60, 63) };
    await expectError(await rerank(validBody({ series: short })), 422, 'not_ct_stack');
  });

  it('an upload of non-DICOM bytes → 415, an oversized upload → 413, one slice → 422, a good one → 201', async () => {
    const upload = (files: Array<{ name: string; data: Uint8Array }>) => {
      const { body, contentType } = formData(files);
      return http(origin, { method: 'POST', url: '/api/v1/series', headers: { 'content-type': contentType }, payload: body });
    };
    await expectError(await upload([{ name: 'a.dcm', data: Buffer.from('this is not DICOM at all'.repeat(20)) }]), 415, 'not_dicom');
    // Each LIDC slice is about 0.5 MB against the 8 MB limit.
    const files = readdirSync(SAMPLE_DICOM_DIR).sort().slice(0, 17);
    const data = files.map((f) => ({ name: f, data: readFileSync(path.join(SAMPLE_DICOM_DIR, f)) }));
    await expectError(await upload(data), 413);
    await expectError(await upload([{ name: 'big.dcm', data: Buffer.alloc(9 * 1024 * 1024, 1) }]), 413);
    await expectError(await upload(data.slice(0, 1)), 422, 'not_ct_stack');
    const ok = await upload(data.slice(0, 12));
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ seriesInstanceUID: seriesUID, slices: 12 });
    // The good upload is decoded and analysed: seconds on a busy 2-core machine.
  }, 60_000);

  it('unknown paths → 404 JSON; metrics are served', async () => {
    await expectError(await http(origin, { method: 'GET', url: '/api/v1/nope' }), 404, 'not_found');
    const metrics = await http(origin, { method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('slicefinder_http_request_duration_seconds_bucket');
  });

  it('logs and audit lines hold no query text and no raw UIDs', () => {
    const all = `${logs.text}\n${audit.text}`;
    expect(logs.lines.length).toBeGreaterThan(5);
    expect(all).not.toContain(SECRET_WORDS);
    expect(all).not.toContain('spiculated');
    for (const uid of [seriesUID, studyUID, ...sops]) expect(all).not.toContain(uid);
    expect(all).not.toMatch(/\d+\.\d+\.\d+\.\d+\.\d+/);
  });
});
