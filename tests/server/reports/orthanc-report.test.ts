/**
 * Saving lesions to a real PACS: Debian's Orthanc with its DICOMweb plugin on a free loopback port,
 * LIDC-IDRI-0001 uploaded. Rerank, save, then Orthanc's own QIDO finds one SR and one KO in the
 * study, its WADO returns them, and dcmjs reads back the measurements on the lesions' best slices.
 * A PACS that refuses STOW-RS (a proxy in front of the same Orthanc that refuses POSTs) gives a 502
 * with its status, and the key images are never sent before the report is stored.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createClient } from '../../../contract/client';
import type { Lesion, RerankAnswer, ReportResponse } from '../../../contract/schemas';
import { indexFolder } from '../../../server/dicomweb/folder-index';
import { buildApp } from '../../../server/http/app';
import { readPart10Dataset } from '../../../server/reports/part10';
import { SAMPLE_DICOM_DIR } from '../../../server/series/sample';
import { startOrthanc, type OrthancHandle } from '../../support/orthanc';
import { describeWithSystem } from '../../support/system';
import { http, LineCapture, listen, testConfig } from '../http/helpers';
import { keyObjects, measurementGroups, multipartParts } from './support';

const QUERY = 'spiculated solid nodule in the left lung. ground-glass nodule in the right upper lobe';
const SR_CLASS = '1.2.840.10008.5.1.4.1.1.88.22';
const KO_CLASS = '1.2.840.10008.5.1.4.1.1.88.59';

type Json = Array<Record<string, { Value?: unknown[] }>>;
const tag = (ds: Json[number], t: string): string => String(ds[t]?.Value?.[0] ?? '');

/** A PACS front that forwards everything to Orthanc but answers the STOW-RS POSTs named in `refuse` (1-based) itself. */
interface RefusingFront {
  root: string;
  refuse: Map<number, number>;
  posts: Buffer[];
  /** The Authorization header of each POST ('' when none). */
  postAuth: string[];
  close(): Promise<void>;
}
async function refusingFront(target: string): Promise<RefusingFront> {
  const state = { refuse: new Map<number, number>(), posts: [] as Buffer[], postAuth: [] as string[] };
  const read = (req: IncomingMessage): Promise<Buffer> =>
    new Promise((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
    });
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await read(req);
      if (req.method === 'POST') {
        state.posts.push(body);
        state.postAuth.push(req.headers.authorization ?? '');
        const status = state.refuse.get(state.posts.length);
        if (status !== undefined) {
          res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
          return;
        }
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
      const upstream = await fetch(`${target}${req.url}`, { method: req.method, headers, body: req.method === 'POST' ? new Uint8Array(body) : undefined });
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' });
      res.end(Buffer.from(await upstream.arrayBuffer()));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    root: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dicom-web`,
    refuse: state.refuse,
    posts: state.posts,
    postAuth: state.postAuth,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

describeWithSystem(['orthanc', 'orthancDicomWeb'])('saving a report to a real Orthanc', () => {
  let orthanc: OrthancHandle;
  let front: RefusingFront;
  let app: FastifyInstance;
  let origin: string;
  let study: string;
  let series: string;
  /** The viewer's order: reversed from the index, so lesion slice indices must be read through it. */
  let viewerOrder: string[];
  const audit = new LineCapture();
  const logs = new LineCapture();

  beforeAll(async () => {
    const [o, index] = await Promise.all([startOrthanc(), indexFolder(SAMPLE_DICOM_DIR)]);
    orthanc = o;
    await orthanc.uploadDir(SAMPLE_DICOM_DIR);
    const s = index.studies[0].series[0];
    study = s.studyInstanceUID;
    series = s.seriesInstanceUID;
    viewerOrder = s.instances.map((i) => i.sopInstanceUID).reverse();
    front = await refusingFront(orthanc.url);
    app = await buildApp(
      testConfig((c) => {
        c.pacs.url = orthanc.wadoRoot;
        c.pacs.allow = [orthanc.wadoRoot, front.root];
      }),
      { logStream: logs, auditStream: audit },
    );
    origin = await listen(app);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([app?.close(), front?.close(), orthanc?.stop()]);
  });

  const ref = (wadoRoot: string) => ({ source: 'dicomweb' as const, wadoRoot, studyInstanceUID: study, seriesInstanceUID: series, sopInstanceUIDs: viewerOrder });
  const qido = async (path: string): Promise<Json> => {
    const res = await fetch(`${orthanc.wadoRoot}${path}`, { headers: { accept: 'application/dicom+json' } });
    expect(res.status).toBe(200);
    const text = await res.text();
    return text.trim() === '' ? [] : (JSON.parse(text) as Json);
  };
  const seriesOf = async (modality: string): Promise<Json> =>
    (await qido(`/studies/${study}/series`)).filter((s) => tag(s, '00080060') === modality);

  it('reranks, saves, and the PACS holds one SR and one KO that read back as the lesions on their best slices', async () => {
    const client = createClient(origin);
    const answer: RerankAnswer = await client.rerank({ query: QUERY, series: ref(orthanc.wadoRoot) });
    // The best lesion of each finding (two different lesions).
    const chosen: Lesion[] = [];
    for (const g of answer.findings) {
      const l = g.lesions.find((x) => !chosen.some((c) => c.id === x.id));
      if (l) chosen.push(l);
    }
    expect(chosen.length).toBe(2);

    const saved: ReportResponse = await client.saveReport({ series: ref(orthanc.wadoRoot), query: QUERY, lesions: chosen.map((l) => l.id) });
    expect(saved.studyInstanceUID).toBe(study);
    expect(saved.seriesInstanceUIDs).toHaveLength(2);
    expect(new Set(saved.seriesInstanceUIDs).size).toBe(2);
    expect(saved.seriesInstanceUIDs).not.toContain(series);

    // QIDO: exactly one SR and one KO series in the study, one instance each, the ones answered.
    const [srSeries, koSeries] = [await seriesOf('SR'), await seriesOf('KO')];
    expect(srSeries).toHaveLength(1);
    expect(koSeries).toHaveLength(1);
    expect(tag(srSeries[0], '0020000E')).toBe(saved.seriesInstanceUIDs[0]);
    expect(tag(koSeries[0], '0020000E')).toBe(saved.seriesInstanceUIDs[1]);
    const srInstances = await qido(`/studies/${study}/series/${saved.seriesInstanceUIDs[0]}/instances`);
    const koInstances = await qido(`/studies/${study}/series/${saved.seriesInstanceUIDs[1]}/instances`);
    expect(srInstances.map((i) => tag(i, '00080018'))).toEqual([saved.sopInstanceUIDs[0]]);
    expect(koInstances.map((i) => tag(i, '00080018'))).toEqual([saved.sopInstanceUIDs[1]]);
    expect(tag(srInstances[0], '00080016')).toBe(SR_CLASS);
    expect(tag(koInstances[0], '00080016')).toBe(KO_CLASS);

    // WADO-RS returns them; dcmjs reads them back.
    const wado = async (seriesUid: string, sop: string) => {
      const res = await fetch(`${orthanc.wadoRoot}/studies/${study}/series/${seriesUid}/instances/${sop}`, {
        headers: { accept: 'multipart/related; type="application/dicom"' },
      });
      expect(res.status).toBe(200);
      const parts = multipartParts(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type') ?? '');
      expect(parts).toHaveLength(1);
      return readPart10Dataset(new Uint8Array(parts[0]));
    };
    const sr = await wado(saved.seriesInstanceUIDs[0], saved.sopInstanceUIDs[0]);
    const ko = await wado(saved.seriesInstanceUIDs[1], saved.sopInstanceUIDs[1]);

    const bestSops = chosen.map((l) => viewerOrder[l.slices.best]);
    const groups = measurementGroups(sr);
    expect(groups).toHaveLength(2);
    groups.forEach((g, i) => {
      const l = chosen[i];
      expect(g.referencedSop).toBe(bestSops[i]);
      expect(g.longMm).toBeCloseTo(l.sizeMm.long, 1);
      expect(g.shortMm).toBeCloseTo(l.sizeMm.short, 1);
      expect(g.text).toBe(l.label);
      expect(g.trackingIdentifier).toBe(`Slice Finder lesion ${l.id}`);
      expect(g.algorithm).toEqual([answer.model.id, answer.model.version]);
      // The image region is the lesion's box on its best slice, closed.
      const box = l.regions.find((r) => r.index === l.slices.best)!;
      expect(g.points).toEqual([box.x, box.y, box.x + box.w, box.y, box.x + box.w, box.y + box.h, box.x, box.y + box.h, box.x, box.y]);
    });
    expect(sr.StudyInstanceUID).toBe(study);
    expect(sr.Modality).toBe('SR');
    const source = readPart10Dataset(new Uint8Array((await (async () => {
      const res = await fetch(`${orthanc.wadoRoot}/studies/${study}/series/${series}/instances/${bestSops[0]}`, { headers: { accept: 'multipart/related; type="application/dicom"' } });
      return multipartParts(Buffer.from(await res.arrayBuffer()), res.headers.get('content-type') ?? '')[0];
    })())));
    expect(sr.FrameOfReferenceUID).toBe(source.FrameOfReferenceUID);
    expect(sr.PatientID).toBe(source.PatientID);
    expect(ko.FrameOfReferenceUID).toBe(source.FrameOfReferenceUID);
    const kos = keyObjects(ko);
    expect(kos.description).toBe(QUERY);
    expect(new Set(kos.sops)).toEqual(new Set(bestSops));

    // One audit line for the save: counts and hashed UIDs, no UID, no query text.
    const line = audit.json().find((l) => l.type === 'report');
    expect(line).toMatchObject({ lesions: 2, images: new Set(bestSops).size, instances: 2, destination: 'pacs' });
    const everything = `${audit.text}\n${logs.text}`;
    for (const secret of [study, series, ...saved.sopInstanceUIDs, ...saved.seriesInstanceUIDs, 'spiculated']) expect(everything).not.toContain(secret);
  }, 180_000);

  it('passes a PACS refusal on as 502 with its status, and sends no key images without a stored report; STOW-RS carries the user\'s Authorization', async () => {
    const srBefore = (await seriesOf('SR')).length;
    const koBefore = (await seriesOf('KO')).length;
    const answer = await createClient(origin).rerank({ query: QUERY, series: ref(front.root) });
    const id = answer.findings[0].lesions[0].id;
    // The user's own credential (no auth on this server: the header is the user's, passed on to the PACS).
    const USER_AUTH = 'Basic dXNlcjpzZWNyZXQ=';
    const save = () =>
      http(origin, {
        method: 'POST',
        url: '/api/v1/reports',
        headers: { 'content-type': 'application/json', authorization: USER_AUTH },
        payload: JSON.stringify({ series: ref(front.root), query: QUERY, lesions: [id] }),
      });

    // The SR is refused: 502 naming the status, and the KOS is never sent.
    front.refuse.set(front.posts.length + 1, 403);
    const postsBefore = front.posts.length;
    const refused = await save();
    expect(refused.statusCode).toBe(502);
    expect(refused.json()).toMatchObject({ code: 'pacs_refused' });
    expect((refused.json() as { message: string }).message).toContain('403');
    expect(front.posts.length - postsBefore).toBe(1);
    expect(front.posts[postsBefore].includes(Buffer.from(SR_CLASS))).toBe(true);
    expect((await seriesOf('SR')).length).toBe(srBefore);
    expect((await seriesOf('KO')).length).toBe(koBefore);

    // The KOS is refused after the SR was stored: the SR went first, and the answer says what is in the PACS.
    front.refuse.set(front.posts.length + 2, 409);
    const second = await save();
    expect(second.statusCode).toBe(502);
    expect((second.json() as { message: string }).message).toMatch(/report was stored, but not the key images.*409/);
    expect(front.posts[front.posts.length - 2].includes(Buffer.from(SR_CLASS))).toBe(true);
    expect(front.posts[front.posts.length - 1].includes(Buffer.from(KO_CLASS))).toBe(true);
    expect((await seriesOf('SR')).length).toBe(srBefore + 1);
    expect((await seriesOf('KO')).length).toBe(koBefore);
    expect(front.postAuth.slice(postsBefore)).toEqual([USER_AUTH, USER_AUTH, USER_AUTH]);
  }, 180_000);

  it('with a service credential configured, STOW-RS uses it instead of the user\'s header (the series re-analysed on a fresh server)', async () => {
    const SERVICE = 'Basic c2VydmljZTpjcmVkZW50aWFs';
    const withCredential = await buildApp(
      testConfig((c) => {
        c.pacs.url = orthanc.wadoRoot;
        c.pacs.allow = [orthanc.wadoRoot, front.root];
        c.pacs.credential = SERVICE;
      }),
      { logStream: new LineCapture(), auditStream: new LineCapture() },
    );
    try {
      const other = await listen(withCredential);
      const answer = await createClient(origin).rerank({ query: QUERY, series: ref(front.root) });
      const before = front.posts.length;
      const res = await http(other, {
        method: 'POST',
        url: '/api/v1/reports',
        headers: { 'content-type': 'application/json', authorization: 'Basic dXNlcjpzZWNyZXQ=' },
        payload: JSON.stringify({ series: ref(front.root), query: QUERY, lesions: [answer.findings[0].lesions[0].id] }),
      });
      expect(res.statusCode).toBe(201);
      expect(front.postAuth.slice(before)).toEqual([SERVICE, SERVICE]);
    } finally {
      await withCredential.close();
    }
  }, 180_000);
});
