import Fastify, { FastifyInstance } from 'fastify';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { indexFolder } from '../../../server/dicomweb/folder-index';
import { dicomwebPlugin } from '../../../server/dicomweb/plugin';
import { SAMPLE_CASE_DIR, SAMPLE_DICOM_DIR } from '../../../server/series/sample';

interface GroundTruth {
  study_instance_uid: string;
  series_instance_uid: string;
  slices: number;
}
type Json = Array<Record<string, { vr: string; Value?: unknown[] }>>;

describe('embedded DICOMweb', () => {
  let app: FastifyInstance;
  let gt: GroundTruth;
  let base = '';
  beforeAll(async () => {
    gt = JSON.parse(await readFile(path.join(SAMPLE_CASE_DIR, 'ground-truth.json'), 'utf8')) as GroundTruth;
    app = Fastify({ forceCloseConnections: true }); // some responses below are never read
    await app.register(dicomwebPlugin, { prefix: '/dicom-web', index: await indexFolder(SAMPLE_DICOM_DIR) });
    // Real HTTP on a loopback port (light-my-request's inject pulls an ES-only dependency under Jest).
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app.close());

  const get = async (url: string) => {
    const res = await fetch(base + url);
    const rawPayload = Buffer.from(await res.arrayBuffer());
    return {
      statusCode: res.status,
      headers: Object.fromEntries(res.headers.entries()),
      rawPayload,
      json: () => JSON.parse(rawPayload.toString()) as unknown,
    };
  };

  it('searches studies, with UID and wildcard filters and paging', async () => {
    const all = await get('/dicom-web/studies');
    expect(all.statusCode).toBe(200);
    expect(all.headers['content-type']).toContain('application/dicom+json');
    const studies = all.json() as Json;
    expect(studies).toHaveLength(1);
    expect(studies[0]['0020000D'].Value).toEqual([gt.study_instance_uid]);
    expect(studies[0]['00201208'].Value).toEqual([gt.slices]);
    expect((await get(`/dicom-web/studies?StudyInstanceUID=${gt.study_instance_uid}`)).json()).toHaveLength(1);
    expect((await get('/dicom-web/studies?StudyInstanceUID=1.2.3')).json()).toHaveLength(0);
    expect((await get('/dicom-web/studies?PatientID=LIDC*')).json()).toHaveLength(1);
    expect((await get('/dicom-web/studies?PatientID=XYZ*')).json()).toHaveLength(0);
    expect((await get('/dicom-web/studies?StudyDate=19990101-20001231')).json()).toHaveLength(1);
    expect((await get('/dicom-web/studies?StudyDate=20010101-')).json()).toHaveLength(0);
    expect((await get('/dicom-web/studies?offset=1')).json()).toHaveLength(0);
  });

  it('lists series and instances of the study', async () => {
    const series = (await get(`/dicom-web/studies/${gt.study_instance_uid}/series`)).json() as Json;
    expect(series.map((s) => s['0020000E'].Value?.[0])).toEqual([gt.series_instance_uid]);
    const inst = (await get(`/dicom-web/studies/${gt.study_instance_uid}/series/${gt.series_instance_uid}/instances?limit=5`)).json() as Json;
    expect(inst).toHaveLength(5);
    expect(inst[0]['00080018'].Value?.[0]).toMatch(/^[0-9.]+$/);
  });

  it('returns series metadata as DICOM JSON without pixel data, 404 for unknown UIDs', async () => {
    const res = await get(`/dicom-web/studies/${gt.study_instance_uid}/series/${gt.series_instance_uid}/metadata`);
    const meta = res.json() as Json;
    expect(meta).toHaveLength(gt.slices);
    expect(meta[0]['7FE00010']).toBeUndefined();
    expect(meta[0]['00200032'].Value).toHaveLength(3);
    expect((await get(`/dicom-web/studies/${gt.study_instance_uid}/series/1.2.3/metadata`)).statusCode).toBe(404);
    expect((await get(`/dicom-web/studies/1.2.3/series/${gt.series_instance_uid}/metadata`)).statusCode).toBe(404);
  });

  it('serves a frame as multipart/related octet-stream with the raw pixel bytes', async () => {
    const meta = (await get(`/dicom-web/studies/${gt.study_instance_uid}/series/${gt.series_instance_uid}/metadata`)).json() as Json;
    const sop = String(meta[0]['00080018'].Value?.[0]);
    const inst = `/dicom-web/studies/${gt.study_instance_uid}/series/${gt.series_instance_uid}/instances/${sop}`;
    const res = await get(`${inst}/frames/1`);
    expect(res.statusCode).toBe(200);
    const ct = String(res.headers['content-type']);
    expect(ct).toMatch(/^multipart\/related; type="application\/octet-stream"; boundary=/);
    const boundary = ct.split('boundary=')[1];
    const body = res.rawPayload;
    const headerEnd = body.indexOf('\r\n\r\n') + 4;
    const end = body.lastIndexOf(Buffer.from(`\r\n--${boundary}--`));
    const rows = Number(meta[0]['00280010'].Value?.[0]);
    const cols = Number(meta[0]['00280011'].Value?.[0]);
    const bits = Number(meta[0]['00280100'].Value?.[0]);
    expect(end - headerEnd).toBe((rows * cols * bits) / 8);
    expect(body.subarray(0, headerEnd).toString()).toContain('transfer-syntax=1.2.840.10008.1.2.1');
    expect((await get(`${inst}/frames/2`)).statusCode).toBe(404);
    expect((await get(`${inst}/frames/x`)).statusCode).toBe(400);
  });
});
