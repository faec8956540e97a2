/**
 * prepare + rerank on one series share one load; the stream reports phases in order; the embedded
 * DICOMweb root (as a path or an absolute URL on this host) is read from the folder, not over HTTP.
 */
import type { FastifyInstance } from 'fastify';
import { indexFolder, type FolderIndex } from '../../../server/dicomweb/folder-index';
import { buildApp } from '../../../server/http/app';
import { createClient, type Progress } from '../../../server/http/client';
import { SAMPLE_DICOM_DIR } from '../../../server/series/sample';
import { http, LineCapture, listen, testConfig } from './helpers';

let app: FastifyInstance;
let origin: string;
let index: FolderIndex;
let study: string;
let series: string;
let sops: string[];

beforeAll(async () => {
  index = await indexFolder(SAMPLE_DICOM_DIR);
  const s = index.studies[0].series[0];
  study = s.studyInstanceUID;
  series = s.seriesInstanceUID;
  sops = s.instances.map((i) => i.sopInstanceUID);
  app = await buildApp(
    testConfig((c) => {
      c.embeddedDicomwebRoot = '/dicom-web';
    }),
    { folderIndex: index, logStream: new LineCapture(), auditStream: new LineCapture() },
  );
  origin = await listen(app);
}, 60_000);

afterAll(async () => {
  await app.close();
});

async function cacheCount(result: string): Promise<number> {
  const text = (await http(origin, { url: '/metrics' })).body;
  const m = new RegExp(`slicefinder_cache_requests_total\\{result="${result}"\\} (\\d+)`).exec(text);
  return m ? Number(m[1]) : 0;
}

describe('series routes', () => {
  it('prepare starts one load that a rerank joins; prepare then says ready', async () => {
    const subset = sops.slice(50, 62);
    const ref = { source: 'local' as const, seriesInstanceUID: series, sopInstanceUIDs: subset };
    const client = createClient(origin);
    const misses = await cacheCount('miss');
    expect(await client.prepare(ref)).toEqual({ status: 'loading' });
    const r = await client.rerank({ query: 'solid nodule', series: ref, topK: 5 });
    expect(r.results.length).toBeGreaterThan(0);
    expect(await client.prepare(ref)).toEqual({ status: 'ready' });
    expect((await cacheCount('miss')) - misses).toBe(1);
    expect(await cacheCount('joined')).toBeGreaterThanOrEqual(1);
    const metrics = (await http(origin, { url: '/metrics' })).body;
    for (const stage of ['fetch', 'decode', 'analysis', 'parse', 'total']) {
      expect(metrics).toMatch(new RegExp(`slicefinder_stage_duration_seconds_count\\{stage="${stage}"\\} [1-9]`));
    }
    expect(metrics).toMatch(/slicefinder_model_info\{model="[^"]+",version="[^"]+",execution_provider="[^"]+"\} 1/);
    expect(metrics).toMatch(/slicefinder_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/rerank",status_code="200"\} [1-9]/);
  }, 60_000);

  it('resolves the embedded DICOMweb root locally, by path or absolute URL on this host', async () => {
    const subset = sops.slice(20, 32);
    const progress: Progress[] = [];
    const host = new URL(origin).host;
    for (const wadoRoot of ['/dicom-web', `http://${host}/dicom-web/`]) {
      const r = await createClient(origin).rerank(
        { query: 'nodule', series: { source: 'dicomweb', wadoRoot, studyInstanceUID: study, seriesInstanceUID: series, sopInstanceUIDs: subset } },
        { onProgress: (p) => progress.push(p) },
      );
      for (const x of r.results) expect(subset[x.index]).toBe(x.sopInstanceUID);
    }
    // First call loaded (fetch from the folder, decode, analyse, score); the second was a cache hit (score only).
    expect(progress.map((p) => p.phase).filter((p, i, a) => a.indexOf(p) === i)).toEqual(['fetch', 'decode', 'analyse', 'score']);
    expect(progress.filter((p) => p.phase === 'score')).toHaveLength(2);
    // The wrong study for the series is not found, even on the embedded root.
    const wrong = await createClient(origin)
      .rerank({ query: 'nodule', series: { source: 'dicomweb', wadoRoot: '/dicom-web', studyInstanceUID: '1.2.3.4', seriesInstanceUID: series, sopInstanceUIDs: subset.slice(0, 2) } })
      .catch((e: unknown) => e);
    expect(wrong).toMatchObject({ statusCode: 404 });
  }, 60_000);

  it('a failed load is not cached: the same request fails the same way again', async () => {
    const ref = { source: 'local' as const, seriesInstanceUID: series, sopInstanceUIDs: [sops[0], '1.2.3.4.5.6'] };
    for (let i = 0; i < 2; i++) {
      await expect(createClient(origin).rerank({ query: 'nodule', series: ref })).rejects.toMatchObject({ statusCode: 404, code: 'instances_not_found' });
    }
  });
});
