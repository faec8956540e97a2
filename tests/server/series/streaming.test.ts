/**
 * Decoding streams with the PACS: instances of a WADO-RS answer are handed to the worker pool as each
 * part arrives, so decoding is under way before the PACS has sent the rest; what comes out is the
 * series the viewer asked for.
 */
import { loadSeriesFromBuffers } from '../../../server/series/load';
import { fetchDicomwebSeries, type SeriesFile } from '../../../server/series/sources/dicomweb';
import { Limiter } from '../../../server/series/sources/limiter';
import { mediaStorageSopInstanceUid } from '../../../server/series/sources/sop-uid';
import { WorkerPool } from '../../../server/workers/pool';
import { SeriesLoad } from '../../../server/workers/series-load';
import { sliceBuffers } from './fixtures';

jest.setTimeout(120_000);

test('instances are decoded while the rest of the WADO-RS answer is still arriving', async () => {
  const files = sliceBuffers(60, 83);
  const sops = files.map((f) => mediaStorageSopInstanceUid(f.data) as string);
  const pool = new WorkerPool({ threads: 2 });
  const load = new SeriesLoad(pool, { expected: files.length });
  const boundary = 'sf-test-boundary';
  const enc = new TextEncoder();
  let decodedBeforeEnd = 0;
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const [i, f] of files.entries()) {
        controller.enqueue(enc.encode(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`));
        controller.enqueue(f.data.slice());
        controller.enqueue(enc.encode('\r\n'));
        if (i === files.length - 2) {
          // The PACS holds the last instance back until the first ones are decoded.
          const deadline = Date.now() + 60_000;
          while (load.progress.decoded === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
          decodedBeforeEnd = load.progress.decoded;
        }
      }
      controller.enqueue(enc.encode(`--${boundary}--\r\n`));
      controller.close();
    },
  });
  const fakeFetch = (async () =>
    new Response(body, { headers: { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` } })) as unknown as typeof fetch;
  try {
    const handed: SeriesFile[] = [];
    const returned = await fetchDicomwebSeries({
      wadoRoot: 'http://pacs.invalid/dicom-web',
      studyInstanceUID: '1.2.3',
      seriesInstanceUID: '1.2.3.4',
      sopInstanceUIDs: sops,
      connectTimeoutMs: 10_000,
      readTimeoutMs: 70_000,
      maxBytes: 2 ** 30,
      limiter: new Limiter(1),
      onFile: (f) => {
        handed.push(f);
        load.push(f);
      },
      fetch: fakeFetch,
    });
    load.end();
    expect(returned).toEqual([]);
    expect(handed.map((f) => f.name)).toEqual(sops.map((s) => `${s}.dcm`));
    expect(decodedBeforeEnd).toBeGreaterThan(0);
    const v = (await load.finish({ analyse: false })).volume;
    const reference = loadSeriesFromBuffers(files).volume;
    expect(v.sopInstanceUIDs).toEqual(reference.sopInstanceUIDs);
    expect(Buffer.from(v.hu.buffer, v.hu.byteOffset, v.hu.byteLength).equals(Buffer.from(reference.hu.buffer))).toBe(true);
  } finally {
    await pool.close();
  }
});
