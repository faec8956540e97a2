/**
 * Saving a report in embedded mode (the server's folder as its DICOMweb), and every bad input of
 * POST /api/v1/reports: a series no longer cached is re-analysed, unknown lesions are 404, an upload
 * has nowhere to go (409), malformed bodies 400, roots off the allowlist 403, no token 401.
 */
import type { FastifyInstance } from 'fastify';
import { createClient } from '../../../contract/client';
import type { RerankAnswer } from '../../../contract/schemas';
import { indexFolder, type FolderIndex } from '../../../server/dicomweb/folder-index';
import { dicomwebPlugin } from '../../../server/dicomweb/plugin';
import { buildApp } from '../../../server/http/app';
import { readPart10Dataset } from '../../../server/reports/part10';
import { SAMPLE_DICOM_DIR } from '../../../server/series/sample';
import { http, LineCapture, listen, testConfig } from '../http/helpers';
import { keyObjects, measurementGroups, multipartParts } from './support';

// Chinese on purpose: the key images' description must come back as written (UTF-8, inside a content item).
const QUERY = '左肺实性结节伴毛刺';
const TOKEN = 'a-static-token-of-enough-length';

type Json = Array<Record<string, { Value?: unknown[] }>>;
const tag = (ds: Json[number], t: string): string => String(ds[t]?.Value?.[0] ?? '');

async function embeddedApp(index: FolderIndex, audit = new LineCapture()): Promise<{ app: FastifyInstance; origin: string }> {
  const app = await buildApp(
    testConfig((c) => {
      c.embeddedDicomwebRoot = '/dicom-web';
    }),
    { folderIndex: index, auditStream: audit, logStream: new LineCapture() },
  );
  await app.register(dicomwebPlugin, { prefix: '/dicom-web', index });
  return { app, origin: await listen(app) };
}

describe('saving a report in embedded mode, and what bad input gets', () => {
  let index: FolderIndex;
  let warm: { app: FastifyInstance; origin: string };
  let study: string;
  let series: string;
  let sops: string[];
  let answer: RerankAnswer;
  const ref = () => ({ source: 'dicomweb' as const, wadoRoot: '/dicom-web', studyInstanceUID: study, seriesInstanceUID: series, sopInstanceUIDs: sops });
  const post = (origin: string, body: unknown, headers: Record<string, string> = {}) =>
    http(origin, { method: 'POST', url: '/api/v1/reports', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });
  const modalities = async (origin: string): Promise<string[]> => {
    const res = await http(origin, { url: `/dicom-web/studies/${study}/series` });
    return (res.json() as Json).map((s) => tag(s, '00080060')).sort();
  };

  beforeAll(async () => {
    index = await indexFolder(SAMPLE_DICOM_DIR);
    const s = index.studies[0].series[0];
    study = s.studyInstanceUID;
    series = s.seriesInstanceUID;
    sops = s.instances.map((i) => i.sopInstanceUID);
    warm = await embeddedApp(index);
    answer = await createClient(warm.origin).rerank({ query: QUERY, series: ref() });
  }, 180_000);
  afterAll(async () => {
    await warm?.app.close();
  });

  it('refuses what it cannot save before storing anything', async () => {
    const id = answer.findings[0].lesions[0].id;
    const before = await modalities(warm.origin);
    // An id no lesion of this answer has.
    const unknown = await post(warm.origin, { series: ref(), query: QUERY, lesions: [id, 99_999] });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'lesion_not_found' });
    expect((unknown.json() as { message: string }).message).toContain('99999');
    // An upload belongs to no PACS study.
    const upload = await post(warm.origin, { series: { source: 'upload', uploadId: 'q3Lr2mJ0x4Yb8c9dZ1k7uV5wT6sN0pH2aB4eF8gC1iQ' }, query: QUERY, lesions: [id] });
    expect(upload.statusCode).toBe(409);
    expect(upload.json()).toMatchObject({ code: 'report_no_pacs' });
    // A series the folder does not hold.
    const missing = await post(warm.origin, { series: { ...ref(), seriesInstanceUID: '1.2.3.4.5.6' }, query: QUERY, lesions: [id] });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'series_not_found' });
    // A DICOMweb root off the allowlist.
    const offList = await post(warm.origin, { series: { ...ref(), wadoRoot: 'http://elsewhere.example/dicom-web' }, query: QUERY, lesions: [id] });
    expect(offList.statusCode).toBe(403);
    expect(offList.json()).toMatchObject({ code: 'wado_root_not_allowed' });
    // Malformed bodies: no lesions, a lesion twice, an unknown field, a measurement sent along, an unknown preset, no query.
    for (const body of [
      { series: ref(), query: QUERY, lesions: [] },
      { series: ref(), query: QUERY, lesions: [id, id] },
      { series: ref(), query: QUERY, lesions: [id], sizeMm: { long: 3, short: 2 } },
      { series: ref(), query: QUERY, lesions: ['0'] },
      { series: ref(), lesions: [id] },
    ]) {
      const res = await post(warm.origin, body);
      expect({ body, status: res.statusCode, code: (res.json() as { code: string }).code }).toEqual({ body, status: 400, code: 'invalid_request' });
    }
    const preset = await post(warm.origin, { series: ref(), query: QUERY, lesions: [id], preset: 'no-such-preset' });
    expect(preset.statusCode).toBe(400);
    expect(preset.json()).toMatchObject({ code: 'unknown_preset' });
    // Nothing was written by any of these.
    expect(await modalities(warm.origin)).toEqual(before);
  }, 60_000);

  it('needs a token when auth is on (the route is not public)', async () => {
    const app = await buildApp(testConfig((c) => (c.auth.tokens = [{ name: 'ris', token: TOKEN }])), { folderIndex: index, logStream: new LineCapture(), auditStream: new LineCapture() });
    const origin = await listen(app);
    try {
      const res = await post(origin, { series: ref(), query: QUERY, lesions: [0] });
      expect(res.statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('re-analyses a series no longer cached, stores both documents in the embedded DICOMweb, and QIDO/WADO answer them', async () => {
    // A fresh server: nothing cached, the lesions come from the other server's answer.
    const audit = new LineCapture();
    const cold = await embeddedApp(index, audit);
    try {
      const lesion = answer.findings[0].lesions[0];
      const saved = await createClient(cold.origin).saveReport({ series: ref(), query: QUERY, lesions: [lesion.id] });
      expect(saved.studyInstanceUID).toBe(study);
      const metrics = await http(cold.origin, { url: '/metrics' });
      expect(metrics.body).toMatch(/slicefinder_cache_requests_total\{result="miss"\} 1/);

      expect(await modalities(cold.origin)).toEqual(['CT', 'KO', 'SR']);
      const instances = async (seriesUid: string) => (await http(cold.origin, { url: `/dicom-web/studies/${study}/series/${seriesUid}/instances` })).json() as Json;
      expect((await instances(saved.seriesInstanceUIDs[0])).map((i) => tag(i, '00080018'))).toEqual([saved.sopInstanceUIDs[0]]);
      expect((await instances(saved.seriesInstanceUIDs[1])).map((i) => tag(i, '00080018'))).toEqual([saved.sopInstanceUIDs[1]]);

      // WADO-RS: the Part 10 files, and the metadata OHIF reads (the content tree included).
      const wado = async (seriesUid: string, sop: string) => {
        const res = await fetch(`${cold.origin}/dicom-web/studies/${study}/series/${seriesUid}/instances/${sop}`);
        expect(res.status).toBe(200);
        return readPart10Dataset(new Uint8Array(multipartParts(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type') ?? '')[0]));
      };
      const sr = await wado(saved.seriesInstanceUIDs[0], saved.sopInstanceUIDs[0]);
      const [group] = measurementGroups(sr);
      expect(group.referencedSop).toBe(sops[lesion.slices.best]);
      expect(group.longMm).toBeCloseTo(lesion.sizeMm.long, 1);
      expect(keyObjects(await wado(saved.seriesInstanceUIDs[1], saved.sopInstanceUIDs[1]))).toEqual({ description: QUERY, sops: [sops[lesion.slices.best]] });
      const metadata = (await http(cold.origin, { url: `/dicom-web/studies/${study}/series/${saved.seriesInstanceUIDs[0]}/metadata` })).json() as Json;
      expect(metadata).toHaveLength(1);
      expect(metadata[0]['0040A730']?.Value?.length).toBeGreaterThan(0); // ContentSequence
      // The KOS metadata OHIF reads: its description (a TEXT item's TextValue) is the query as typed.
      const koMetadata = (await http(cold.origin, { url: `/dicom-web/studies/${study}/series/${saved.seriesInstanceUIDs[1]}/metadata` })).json() as Json;
      const items = koMetadata[0]['0040A730']?.Value as Json;
      expect(items.map((i) => tag(i, '0040A160')).filter((t) => t !== '')).toEqual([QUERY]);

      const line = audit.json().find((l) => l.type === 'report');
      expect(line).toMatchObject({ lesions: 1, images: 1, instances: 2, destination: 'folder' });
      expect(audit.text).not.toContain(study);
      expect(audit.text).not.toContain('结节');
    } finally {
      await cold.app.close();
    }
  }, 180_000);
});
