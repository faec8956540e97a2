/**
 * The API's answer in lesions, end to end over HTTP on the sample study: findings per parsed finding in
 * the viewport's order, serialised by the contract's schemas without losing a field, the same on the
 * NDJSON stream (each line valid against its event schema); and Cancel: a client that aborts a cold
 * search stops the load made only for it.
 */
import type { FastifyInstance } from 'fastify';
import { Value } from '@sinclair/typebox/value';
import { createClient, type Progress } from '../../../contract/client';
import { ErrorEvent, ProgressEvent, RerankAnswer, ResultEvent } from '../../../contract/schemas';
import { indexFolder, type FolderIndex } from '../../../server/dicomweb/folder-index';
import { buildApp } from '../../../server/http/app';
import { SAMPLE_DICOM_DIR } from '../../../server/series/sample';
import { http, LineCapture, listen, testConfig } from './helpers';

jest.setTimeout(180_000);

const REPORT = 'spiculated solid nodule in the left lung. ground-glass nodule in the right upper lobe';

let app: FastifyInstance;
let origin: string;
let index: FolderIndex;
let seriesUID: string;
let reversed: string[];

beforeAll(async () => {
  index = await indexFolder(SAMPLE_DICOM_DIR);
  const s = index.studies[0].series[0];
  seriesUID = s.seriesInstanceUID;
  // The viewport shows the instances in reverse acquisition order: indices must follow it.
  reversed = s.instances.map((i) => i.sopInstanceUID).reverse();
  app = await buildApp(testConfig(), { folderIndex: index, logStream: new LineCapture(), auditStream: new LineCapture() });
  origin = await listen(app);
}, 60_000);

afterAll(async () => {
  await app.close();
});

async function metric(name: string, labels = ''): Promise<number> {
  const text = (await http(origin, { url: '/metrics' })).body;
  const m = new RegExp(`^${name}${labels.replace(/[{}]/g, '\\$&')} (\\d+(?:\\.\\d+)?)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

test('Cancel: aborting a cold search stops its load (nothing cached; the next search loads afresh)', async () => {
  const ref = { source: 'local' as const, seriesInstanceUID: seriesUID, sopInstanceUIDs: reversed.slice(20, 90) };
  const client = createClient(origin);
  const abort = new AbortController();
  const misses = await metric('slicefinder_cache_requests_total', '{result="miss"}');
  const seen: Progress[] = [];
  const search = client.rerank({ query: 'solid nodule', series: ref }, { signal: abort.signal, onProgress: (p) => { seen.push(p); abort.abort(); } });
  await expect(search).rejects.toMatchObject({ code: 'aborted' });
  expect(seen.length).toBeGreaterThan(0);
  // The load is given up, not finished into the cache.
  await new Promise((r) => setTimeout(r, 3000));
  expect(await metric('slicefinder_cache_entries')).toBe(0);
  // The next search on the same series is a new load, not a cache hit nor a join of the abandoned one
  // (a request is counted once it has its series, so the aborted one is not).
  const answer = await client.rerank({ query: 'solid nodule', series: ref });
  expect(answer.timings.decode).toBeGreaterThan(0);
  expect((await metric('slicefinder_cache_requests_total', '{result="miss"}')) - misses).toBe(1);
  expect(await metric('slicefinder_cache_requests_total', '{result="joined"}')).toBe(0);
});

test('a two-finding report answers with two groups, indices in the viewport order, nothing lost in serialisation', async () => {
  const ref = { source: 'local' as const, seriesInstanceUID: seriesUID, sopInstanceUIDs: reversed };
  const res = await http(origin, {
    method: 'POST',
    url: '/api/v1/rerank',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ query: REPORT, series: ref, topK: 5 }),
  });
  expect(res.statusCode).toBe(200);
  const body = res.json() as RerankAnswer;
  expect([...Value.Errors(RerankAnswer, body)].map((e) => `${e.path} ${e.message}`)).toEqual([]);
  expect(body.findings.map((g) => g.finding)).toEqual([0, 1]);
  const [lesion] = body.findings[0].lesions;
  expect(lesion.confident).toBe(true);
  expect(lesion.slices.last - lesion.slices.first).toBeGreaterThanOrEqual(4);
  // Reversed order: the best slice's SOP UID is the one the caller listed at that index.
  const best = body.results[0];
  expect(reversed[best.index]).toBe(best.sopInstanceUID);
  // it lies on a finding's best lesion (whichever answers more strongly: the scan's ground-glass haze by the azygos arch may)
  expect(body.findings.flatMap((g) => g.lesions[0]?.regions.map((r) => r.index) ?? [])).toContain(best.index);
  for (const g of body.findings) expect(g.lesions.length).toBeLessThanOrEqual(5);

  // Everything the engine answered is on the wire (the schema-driven serialiser drops undeclared fields).
  const got = await app.sliceFinder.series.get(ref, {});
  const direct = await app.sliceFinder.engine.rerank(got.data.analysis, app.sliceFinder.engine.parse(REPORT), { topK: 5, sopOrder: got.sopOrder });
  const strip = (r: object) => ({ ...JSON.parse(JSON.stringify(r)), timings: undefined, slices: undefined, skipped: undefined });
  expect(strip(body)).toEqual(strip(direct));

  // The stream's lines are each valid against their event schema, and its result is the same answer.
  const lines: unknown[] = [];
  const stream = await fetch(`${origin}/api/v1/rerank/stream`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: REPORT, series: ref, topK: 5 }),
  });
  for (const line of (await stream.text()).split('\n').filter((l) => l !== '')) lines.push(JSON.parse(line));
  const last = lines.pop() as { type: string; response: RerankAnswer };
  for (const l of lines) expect(Value.Check(ProgressEvent, l)).toBe(true);
  expect(Value.Check(ResultEvent, last)).toBe(true);
  expect(strip(last.response)).toEqual(strip(body));
  expect(Value.Check(ErrorEvent, { type: 'error', statusCode: 504, code: 'pacs_timeout', message: 'x' })).toBe(true);
});
