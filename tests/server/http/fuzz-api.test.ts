/**
 * The API under fuzzed series (seeded, small): uploads and a local folder of series with one hostile
 * file each (tests/support/fuzz-series.ts). No 5xx, no answer over 10 s, no volume that silently
 * took the hostile file in. `npm run -s bench:fuzz` runs the same with 1,000 series and measures RSS.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { indexFolder } from '../../../server/dicomweb/folder-index';
import { buildApp } from '../../../server/http/app';
import { fuzzCall, fuzzProblem, fuzzSeries, type FuzzAnswer, type FuzzSeries } from '../../support/fuzz-series';
import { formData, LineCapture, listen, testConfig } from './helpers';

jest.setTimeout(180_000);

const COUNT = 48;
const SEED = 0x12f022;

let series: FuzzSeries[];
let dir: string;
let app: FastifyInstance;
let origin: string;

const call = (url: string, init: RequestInit): Promise<FuzzAnswer> => fuzzCall(origin, url, init);

beforeAll(async () => {
  series = fuzzSeries(COUNT, SEED);
  dir = await mkdtemp(path.join(os.tmpdir(), 'sf-fuzz-api-'));
  for (const s of series) {
    await mkdir(path.join(dir, String(s.id)));
    for (const f of s.files) await writeFile(path.join(dir, String(s.id), f.name), f.data);
  }
  const index = await indexFolder(dir);
  app = await buildApp(testConfig(), { folderIndex: index, logStream: new LineCapture(), auditStream: new LineCapture() });
  origin = await listen(app);
});

afterAll(async () => {
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

test(`${COUNT} fuzzed series through upload and a local folder: no 5xx, no hang, no misread`, async () => {
  const problems: string[] = [];
  const statuses = new Map<string, number>();
  for (const s of series) {
    const { body, contentType } = formData(s.files);
    const up = await call('/api/v1/series', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(body) });
    const local = await call('/api/v1/rerank', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'nodule', series: { source: 'local', seriesInstanceUID: s.seriesInstanceUID } }),
    });
    for (const [via, a] of [['upload', up], ['local', local]] as const) {
      statuses.set(`${via} ${a.status}`, (statuses.get(`${via} ${a.status}`) ?? 0) + 1);
      const p = a.status === 0 ? 'no answer (connection failed)' : fuzzProblem(s, via, a);
      if (p) problems.push(`series ${s.id} via ${via}: ${p}`);
    }
  }
  expect(problems).toEqual([]);
  // The mutations reach past the first check: both refusals and accepted volumes on both paths.
  expect([...statuses.keys()].filter((k) => k.startsWith('upload 4')).length).toBeGreaterThan(0);
  expect(statuses.get('upload 201') ?? 0).toBeGreaterThan(0);
  expect(statuses.get('local 200') ?? 0).toBeGreaterThan(0);
});
