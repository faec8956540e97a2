/**
 * The service against a real PACS: Debian's Orthanc with its DICOMweb plugin on a free loopback port,
 * LIDC-IDRI-0001 uploaded. Same ranking through DICOMweb as through the local folder; PACS down → 502,
 * PACS hanging → 504 within the configured timeout; Basic auth passed through; concurrency bounded.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { indexFolder, type FolderIndex } from '../../../server/dicomweb/folder-index';
import { buildApp } from '../../../server/http/app';
import { createClient, type Progress } from '../../../server/http/client';
import type { RerankResponse } from '../../../server/rerank/response';
import { SAMPLE_DICOM_DIR } from '../../../server/series/sample';
import { startOrthanc, type OrthancHandle } from '../../support/orthanc';
import { describeWithSystem } from '../../support/system';
import { http, LineCapture, listen, testConfig } from './helpers';

const QUERY = '8 mm spiculated solid nodule, left lower lobe';
const TIMEOUT_MS = 1500;

function listenOn(server: Server | HttpServer): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

describeWithSystem(['orthanc', 'orthancDicomWeb'])('service against a real Orthanc', () => {
  let orthanc: OrthancHandle;
  let index: FolderIndex;
  let pacsApp: FastifyInstance;
  let localApp: FastifyInstance;
  let pacsOrigin: string;
  let localOrigin: string;
  let study: string;
  let series: string;
  /** The viewer's order: reversed from the index, so `index` in results must follow it. */
  let viewerOrder: string[];
  const logs = new LineCapture();
  const audit = new LineCapture();
  // A PACS that accepts connections and never answers, and one that sends half a body and stalls.
  let hanging: Server;
  let hangingRoot: string;
  let stalling: HttpServer;
  let stallingRoot: string;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    [orthanc, index] = await Promise.all([startOrthanc(), indexFolder(SAMPLE_DICOM_DIR)]);
    expect(await orthanc.uploadDir(SAMPLE_DICOM_DIR)).toBe(readdirSync(SAMPLE_DICOM_DIR).length);
    const s = index.studies[0].series[0];
    study = s.studyInstanceUID;
    series = s.seriesInstanceUID;
    viewerOrder = s.instances.map((i) => i.sopInstanceUID).reverse();

    hanging = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    hangingRoot = `http://127.0.0.1:${await listenOn(hanging)}/dicom-web`;
    stalling = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'multipart/related; type="application/dicom"; boundary=xyz' });
      res.write('--xyz\r\nContent-Type: application/dicom\r\n\r\n');
      res.write(Buffer.alloc(1000));
      // ...and nothing more.
    });
    stallingRoot = `http://127.0.0.1:${await listenOn(stalling)}/dicom-web`;

    pacsApp = await buildApp(
      testConfig((c) => {
        c.pacs.url = orthanc.wadoRoot;
        c.pacs.allow = [orthanc.wadoRoot, hangingRoot, stallingRoot];
        c.pacs.connectTimeoutMs = TIMEOUT_MS;
        c.pacs.readTimeoutMs = TIMEOUT_MS;
      }),
      { logStream: logs, auditStream: audit },
    );
    localApp = await buildApp(testConfig(), { folderIndex: index, logStream: logs, auditStream: audit });
    pacsOrigin = await listen(pacsApp);
    localOrigin = await listen(localApp);
  }, 120_000);

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    stalling?.closeAllConnections();
    await Promise.all([
      pacsApp?.close(),
      localApp?.close(),
      orthanc?.stop(),
      new Promise((r) => (hanging ? hanging.close(r) : r(undefined))),
      new Promise((r) => (stalling ? stalling.close(r) : r(undefined))),
    ]);
  });

  const dicomweb = (sops: string[], wadoRoot?: string) => ({
    source: 'dicomweb' as const,
    ...(wadoRoot ? { wadoRoot } : {}),
    studyInstanceUID: study,
    seriesInstanceUID: series,
    sopInstanceUIDs: sops,
  });

  const ranking = (r: RerankResponse) => r.results.map((x) => ({ sop: x.sopInstanceUID, index: x.index, score: x.score }));

  it('ranks the same through DICOMweb (streamed, with progress) as through the local folder', async () => {
    const progress: Progress[] = [];
    const viaPacs = await createClient(pacsOrigin).rerank(
      { query: QUERY, series: dicomweb(viewerOrder, orthanc.wadoRoot), topK: 20 },
      { onProgress: (p) => progress.push(p) },
    );
    const viaLocal = await createClient(localOrigin).rerank({
      query: QUERY,
      series: { source: 'local', seriesInstanceUID: series, sopInstanceUIDs: viewerOrder },
      topK: 20,
    });
    expect(viaPacs.results.length).toBeGreaterThan(0);
    expect(ranking(viaPacs)).toEqual(ranking(viaLocal));
    // index refers to the viewer's order
    for (const r of viaPacs.results) expect(viewerOrder[r.index]).toBe(r.sopInstanceUID);

    const phases = progress.map((p) => p.phase);
    expect(phases.indexOf('fetch')).toBe(0);
    expect(phases.indexOf('decode')).toBeGreaterThan(phases.lastIndexOf('fetch'));
    expect(phases.indexOf('analyse')).toBeGreaterThan(phases.indexOf('decode'));
    expect(phases[phases.length - 1]).toBe('score');
    const lastFetch = progress.filter((p) => p.phase === 'fetch').pop();
    expect(lastFetch).toEqual({ phase: 'fetch', done: viewerOrder.length, total: viewerOrder.length });
    expect(viaPacs.timings.fetch).toBeGreaterThan(0);
  }, 120_000);

  it('answers a second query on the series from the cache', async () => {
    const res = await http(pacsOrigin, {
      method: 'POST',
      url: '/api/v1/rerank',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ query: 'ground-glass opacity right upper lobe', series: dicomweb(viewerOrder) }),
    });
    expect(res.statusCode).toBe(200);
    const body = res.json() as RerankResponse;
    expect(body.timings.fetch).toBeUndefined(); // nothing fetched
    const metrics = (await http(pacsOrigin, { url: '/metrics' })).body;
    expect(metrics).toMatch(/slicefinder_cache_requests_total\{result="hit"\} [1-9]/);
    expect(metrics).toMatch(/slicefinder_cache_bytes [1-9]/);
  }, 60_000);

  it('keeps only the SOP instances the viewer sent', async () => {
    const subset = viewerOrder.slice(40, 52);
    const r = await createClient(pacsOrigin).rerank({ query: QUERY, series: dicomweb(subset), topK: 100 });
    expect(r.results.length).toBeGreaterThan(0);
    for (const x of r.results) expect(subset).toContain(x.sopInstanceUID);
    const lines = audit.json();
    expect(lines[lines.length - 1]).toMatchObject({ slices: subset.length });
  }, 60_000);

  it('bounds the wait on a PACS that never answers: 504 within the timeout', async () => {
    const t0 = Date.now();
    const res = await http(pacsOrigin, {
      method: 'POST',
      url: '/api/v1/rerank',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ query: QUERY, series: dicomweb(viewerOrder.slice(0, 3), hangingRoot) }),
    });
    const elapsed = Date.now() - t0;
    expect(res.statusCode).toBe(504);
    expect(res.json()).toMatchObject({ statusCode: 504, code: 'pacs_timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 2000);
  }, 30_000);

  it('and on one that stalls mid-body: 504 through the stream', async () => {
    const err = await createClient(pacsOrigin)
      .rerank({ query: QUERY, series: dicomweb(viewerOrder.slice(0, 3), stallingRoot) }, { onProgress: () => undefined })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode: 504, code: 'pacs_timeout' });
  }, 30_000);

  it('bounds concurrent PACS requests', async () => {
    let inFlight = 0;
    let peak = 0;
    const slow = createHttpServer((_req, res) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(404).end();
      }, 200);
    });
    const root = `http://127.0.0.1:${await listenOn(slow)}/dicom-web`;
    const app = await buildApp(
      testConfig((c) => {
        c.pacs.allow = [root];
        c.pacs.maxConcurrent = 2;
      }),
      { logStream: logs, auditStream: audit },
    );
    const origin = await listen(app);
    try {
      const statuses = await Promise.all(
        [0, 1, 2, 3, 4].map((i) =>
          http(origin, {
            method: 'POST',
            url: '/api/v1/rerank',
            headers: { 'content-type': 'application/json' },
            payload: JSON.stringify({ query: QUERY, series: dicomweb([viewerOrder[i]], root) }),
          }).then((r) => r.statusCode),
        ),
      );
      expect(statuses).toEqual([404, 404, 404, 404, 404]);
      expect(peak).toBe(2);
    } finally {
      await app.close();
      await new Promise((r) => slow.close(r));
    }
  }, 30_000);

  it('passes Basic auth through: 401 without credentials, ranks with them', async () => {
    const secured = await startOrthanc({ users: { radiologist: 'change-me' } });
    try {
      const few = readdirSync(SAMPLE_DICOM_DIR).sort().slice(60, 72);
      for (const f of few) await secured.upload(readFileSync(path.join(SAMPLE_DICOM_DIR, f)));
      const sops = index.studies[0].series[0].instances
        .filter((i) => few.includes(path.basename(i.path)))
        .map((i) => i.sopInstanceUID);
      expect(sops).toHaveLength(few.length);
      const app = await buildApp(testConfig((c) => {
        c.pacs.url = secured.wadoRoot;
        c.pacs.allow = [secured.wadoRoot];
      }), { logStream: logs, auditStream: audit });
      const origin = await listen(app);
      try {
        const body = { query: QUERY, series: dicomweb(sops) };
        const anonymous = await createClient(origin).rerank(body).catch((e: unknown) => e);
        expect(anonymous).toMatchObject({ statusCode: 401, code: 'pacs_unauthorized' });
        const withAuth = await createClient(origin, { auth: secured.authorization }).rerank(body);
        expect(withAuth.results.length).toBeGreaterThan(0);
        // Cached now, but a caller without credentials still gets the PACS's 401, not the pixels.
        const again = await createClient(origin).rerank(body).catch((e: unknown) => e);
        expect(again).toMatchObject({ statusCode: 401 });
        const wrong = await createClient(origin, { auth: 'Basic cmFkaW9sb2dpc3Q6d3Jvbmc=' }).rerank(body).catch((e: unknown) => e);
        expect(wrong).toMatchObject({ statusCode: 401 });
      } finally {
        await app.close();
      }
    } finally {
      await secured.stop();
    }
  }, 90_000);

  it('gives 502 once the PACS is down, within the timeout', async () => {
    await orthanc.stop();
    const t0 = Date.now();
    const err = await createClient(pacsOrigin)
      .rerank({ query: QUERY, series: dicomweb(viewerOrder.slice(0, 5)) })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode: 502, code: 'pacs_unreachable' });
    expect(Date.now() - t0).toBeLessThan(TIMEOUT_MS + 1000);
    // And the service itself is fine.
    expect((await http(pacsOrigin, { url: '/healthz' })).statusCode).toBe(200);
  }, 30_000);

  it('logged no query text and no raw UIDs', () => {
    const all = `${logs.text}\n${audit.text}`;
    expect(audit.lines.length).toBeGreaterThanOrEqual(3);
    expect(all).not.toContain('spiculated');
    expect(all).not.toContain(series);
    expect(all).not.toContain(study);
    expect(all).not.toMatch(/\d+\.\d+\.\d+\.\d+\.\d+/);
  });
});
