import Fastify, { type FastifyInstance } from 'fastify';
import path from 'node:path';
import { dicomwebProxyPlugin } from '../../../server/dicomweb/proxy';
import { SAMPLE_DICOM_DIR } from '../../../server/series/sample';
import { freePort, startOrthanc, type OrthancHandle } from '../../support/orthanc';
import { describeWithSystem } from '../../support/system';

describeWithSystem(['orthanc', 'orthancDicomWeb'])('DICOMweb pass-through to a real Orthanc', () => {
  let orthanc: OrthancHandle;
  let app: FastifyInstance;
  let base: string;
  let sop = '';

  beforeAll(async () => {
    orthanc = await startOrthanc({ users: { reader: 'reader-password-1234' } });
    const first = await import('node:fs/promises').then((fs) => fs.readFile(path.join(SAMPLE_DICOM_DIR, '1-001.dcm')));
    await orthanc.upload(first);
    app = Fastify({ forceCloseConnections: true }); // some responses below are never read
    await app.register(dicomwebProxyPlugin, { prefix: '/dicom-web', upstream: orthanc.wadoRoot, forwardAuthorization: true, timeoutMs: 5000 });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    await orthanc?.stop();
  });

  const auth = (): Record<string, string> => ({ authorization: orthanc.authorization! });

  it('passes QIDO searches through with the caller\'s Authorization header', async () => {
    expect((await fetch(`${base}/dicom-web/studies`)).status).toBe(401);
    const res = await fetch(`${base}/dicom-web/studies?PatientID=LIDC-IDRI-0001`, { headers: { ...auth(), accept: 'application/dicom+json' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/dicom+json');
    const studies = (await res.json()) as Array<Record<string, { Value?: string[] }>>;
    expect(studies).toHaveLength(1);
    const study = studies[0]['0020000D'].Value![0];
    const inst = (await (await fetch(`${base}/dicom-web/studies/${study}/instances`, { headers: auth() })).json()) as Array<
      Record<string, { Value?: string[] }>
    >;
    sop = inst[0]['00080018'].Value![0];
    const series = inst[0]['0020000E'].Value![0];
    // Frames come back as Orthanc sends them: multipart, the pixel bytes inside.
    const frame = await fetch(`${base}/dicom-web/studies/${study}/series/${series}/instances/${sop}/frames/1`, {
      headers: { ...auth(), accept: 'multipart/related; type=application/octet-stream; transfer-syntax=*' },
    });
    expect(frame.status).toBe(200);
    expect(frame.headers.get('content-type')).toContain('multipart/related');
    expect((await frame.arrayBuffer()).byteLength).toBeGreaterThan(512 * 512 * 2);
  });

  it('answers 502 when the PACS is gone, and refuses path tricks', async () => {
    expect((await fetch(`${base}/dicom-web/studies%2F..%2F..%2Fsystem`, { headers: auth() })).status).toBe(400);
    const gone = Fastify();
    await gone.register(dicomwebProxyPlugin, { prefix: '/dicom-web', upstream: `http://127.0.0.1:${await freePort()}/dicom-web` });
    const goneBase = await gone.listen({ port: 0, host: '127.0.0.1' });
    try {
      const res = await fetch(`${goneBase}/dicom-web/studies`);
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({ statusCode: 502, code: 'PACS_UNREACHABLE' });
    } finally {
      await gone.close();
    }
  });
});
