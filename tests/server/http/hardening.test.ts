/**
 * Regression tests of issue #12 at the API: uploads cannot replace what the folder or the PACS
 * serve (own cache key, visible to the uploader only, audited); answers say how many slices were
 * ranked and which files were left out; decoding and analysis leave the event loop free; a large
 * upload whose first part is not DICOM gets its 415.
 */
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { indexFolder } from '../../../server/dicomweb/folder-index';
import { buildApp } from '../../../server/http/app';
import * as pipeline from '../../../server/rerank/pipeline';
import { SAMPLE_DICOM_DIR } from '../../../server/series/sample';
import { pixelValueOffset } from '../series/fixtures';
import { formData, http, LineCapture, listen, testConfig } from './helpers';

jest.setTimeout(120_000);

const ALICE = 'alice-token-0123456789abcdef';
const BOB = 'bob-token-0123456789abcdefgh';
const names = readdirSync(SAMPLE_DICOM_DIR).sort();
const slice = (i: number): Buffer => readFileSync(path.join(SAMPLE_DICOM_DIR, names[i]));

describe('uploads are isolated', () => {
  let app: FastifyInstance;
  let origin: string;
  let seriesUID: string;
  let sops: string[];
  const audit = new LineCapture();

  beforeAll(async () => {
    const index = await indexFolder(SAMPLE_DICOM_DIR);
    const s = index.studies[0].series[0];
    seriesUID = s.seriesInstanceUID;
    sops = s.instances.slice(60, 72).map((i) => i.sopInstanceUID);
    app = await buildApp(
      testConfig((c) => {
        c.auth.tokens = [
          { name: 'alice', token: ALICE },
          { name: 'bob', token: BOB },
        ];
      }),
      { folderIndex: index, logStream: new LineCapture(), auditStream: audit },
    );
    origin = await listen(app);
  }, 60_000);

  afterAll(async () => {
    await app.close();
  });

  const rerank = (token: string, series: unknown) =>
    http(origin, {
      method: 'POST',
      url: '/api/v1/rerank',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ query: 'solid nodule', series, topK: 5 }),
    });

  it('an upload reusing a series\u2019 Series and SOP UIDs does not change what the folder serves', async () => {
    const local = { source: 'local', seriesInstanceUID: seriesUID, sopInstanceUIDs: sops };
    const before = await rerank(BOB, local);
    expect(before.statusCode).toBe(200);

    // Same UIDs, every pixel air.
    const forged = names.slice(60, 72).map((f, i) => {
      const data = Buffer.from(slice(60 + i));
      data.fill(0, pixelValueOffset(data));
      return { name: f, data };
    });
    const { body, contentType } = formData(forged);
    const up = await http(origin, { method: 'POST', url: '/api/v1/series', headers: { authorization: `Bearer ${ALICE}`, 'content-type': contentType }, payload: body });
    expect(up.statusCode).toBe(201);
    const uploaded = up.json() as { uploadId: string; seriesInstanceUID: string; slices: number; skipped: unknown };
    expect(uploaded).toMatchObject({ seriesInstanceUID: seriesUID, slices: 12, skipped: { count: 0, reasons: [] } });
    expect(uploaded.uploadId).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const after = await rerank(BOB, local);
    expect(after.statusCode).toBe(200);
    expect((after.json() as { results: unknown }).results).toEqual((before.json() as { results: unknown }).results);
    // Alice asking by UID gets the folder's series too: it exists there.
    expect((await rerank(ALICE, local)).json()).toMatchObject({ results: (before.json() as { results: unknown }).results });

    // The upload is Alice's, by its id.
    const mine = await rerank(ALICE, { source: 'upload', uploadId: uploaded.uploadId });
    expect(mine.statusCode).toBe(200);
    expect(mine.json()).toMatchObject({ slices: 12 });
    const theirs = await rerank(BOB, { source: 'upload', uploadId: uploaded.uploadId });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json()).toMatchObject({ code: 'upload_not_found' });

    // Audited like a rerank: who, hashed UIDs, no raw UID.
    const line = audit.json().find((l) => l.type === 'upload');
    expect(line).toMatchObject({ user: 'alice', slices: 12, skipped: 0 });
    expect(audit.text).not.toContain(seriesUID);
  });
});

describe('answers say what was ranked and what was left out', () => {
  let dir: string;
  let app: FastifyInstance;
  let origin: string;
  let seriesUID: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sf-skipped-'));
    for (const f of names.slice(40, 52)) await copyFile(path.join(SAMPLE_DICOM_DIR, f), path.join(dir, f));
    const cut = await readFile(path.join(SAMPLE_DICOM_DIR, names[52]));
    await writeFile(path.join(dir, names[52]), cut.subarray(0, cut.length - 5000)); // truncated in its pixel data
    const index = await indexFolder(dir);
    seriesUID = index.studies[0].series[0].seriesInstanceUID;
    app = await buildApp(testConfig(), { folderIndex: index, logStream: new LineCapture(), auditStream: new LineCapture() });
    origin = await listen(app);
  }, 60_000);

  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a folder with one truncated file: 200 over 12 slices, and the 13th reported as skipped', async () => {
    const res = await http(origin, {
      method: 'POST',
      url: '/api/v1/rerank',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ query: 'solid nodule', series: { source: 'local', seriesInstanceUID: seriesUID } }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ slices: 12, skipped: { count: 1, reasons: [{ reason: 'pixel_data_truncated', count: 1 }] } });
  });
});

describe('decoding and analysis stay off the event loop', () => {
  let app: FastifyInstance;
  let origin: string;
  let seriesUID: string;

  beforeAll(async () => {
    const index = await indexFolder(SAMPLE_DICOM_DIR);
    seriesUID = index.studies[0].series[0].seriesInstanceUID;
    app = await buildApp(testConfig((c) => (c.upload.maxBytes = 64 * 1024 * 1024)), { folderIndex: index, logStream: new LineCapture(), auditStream: new LineCapture() });
    origin = await listen(app);
  }, 60_000);

  afterAll(async () => {
    await app.close();
  });

  it('healthz answers while a cold series is analysed, and the analysis never runs on the main thread', async () => {
    const onMain = jest.spyOn(pipeline, 'analyseVolume');
    const order: string[] = [];
    let health: Promise<void> | undefined;
    const res = await fetch(`${origin}/api/v1/rerank/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'solid nodule', series: { source: 'local', seriesInstanceUID: seriesUID } }),
    });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (!health && text.includes('"phase":"analyse"')) {
        health = http(origin, { url: '/healthz' }).then((h) => {
          expect(h.statusCode).toBe(200);
          order.push('healthz');
        });
      }
    }
    order.push('result');
    await health;
    expect(text).toContain('"type":"result"');
    expect(order).toEqual(['healthz', 'result']);
    expect(onMain).not.toHaveBeenCalled();
    onMain.mockRestore();
  });

  it('a large upload whose first part is not DICOM gets 415, not a reset connection', async () => {
    const parts = [{ name: 'report.pdf', data: Buffer.alloc(1024 * 1024, 0x25) }, ...names.slice(0, 60).map((f, i) => ({ name: f, data: slice(i) }))];
    const { body, contentType } = formData(parts);
    // Sent as a client on a slow link would: in pieces, still sending when the server has decided.
    const res = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(`${origin}/api/v1/series`, { method: 'POST', headers: { 'content-type': contentType, 'content-length': body.length } }, (r) => {
        let text = '';
        r.on('data', (c: Buffer) => (text += c.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, text }));
        r.on('error', reject);
      });
      req.on('error', reject);
      let at = 0;
      const pump = (): void => {
        if (at >= body.length) return void req.end();
        const n = Math.min(256 * 1024, body.length - at);
        const more = req.write(body.subarray(at, at + n));
        at += n;
        if (more) setTimeout(pump, 2);
        else req.once('drain', pump);
      };
      pump();
    });
    expect(res.status).toBe(415);
    expect(JSON.parse(res.text)).toMatchObject({ code: 'not_dicom' });
  });
});
