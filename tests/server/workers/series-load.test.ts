/**
 * Loading a series through the pool while its files arrive (SeriesLoad): decoding starts before the
 * last file is in; the volume is the one the single-thread loader makes, bit for bit, whatever order
 * the files come in and however many were expected; the content hash is contentHash()'s; skips,
 * multi-frame files and typed errors behave as in the loader; a finished load's staging buffer is the
 * volume (no second copy), a low-dose series' smoothed in place (analysis/noise.ts); and the analysis
 * comes serialized by the worker (no candidate objects on the event loop).
 */
import { gauss, rng } from '../../../models/synthetic/lesion';
import { contentHash, typedArrayBytes } from '../../../server/series/cache';
import { NOISY_HU, pixelNoiseHU, quietened } from '../../../server/rerank/analysis/noise';
import { analyseVolume } from '../../../server/rerank/pipeline';
import { permuteSlices } from '../../../server/series/assemble';
import { loadSeriesFromBuffers, type NamedBuffer } from '../../../server/series/load';
import { WorkerPool, WorkerTaskError } from '../../../server/workers/pool';
import { SeriesLoad } from '../../../server/workers/series-load';
import { anonymousForm, fromWire, scorerInputsOf } from '../../../server/workers/wire';
import path from 'node:path';
import { enhancedCt, newUid, pixelValueOffset, readSlice, sliceBuffers, slicePath } from '../series/fixtures';

jest.setTimeout(120_000);

const copy = (files: NamedBuffer[]): NamedBuffer[] => files.map((f) => ({ name: f.name, data: new Uint8Array(f.data) }));

function shuffled<T>(xs: readonly T[], seed = 7): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('SeriesLoad', () => {
  let pool: WorkerPool;
  beforeAll(() => {
    pool = new WorkerPool({ threads: 2 });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('decodes while files arrive, in any order, into the volume the loader makes', async () => {
    const files = sliceBuffers(20, 59);
    const reference = loadSeriesFromBuffers(files).volume;
    const load = new SeriesLoad(pool, { expected: files.length });
    const arriving = shuffled(copy(files));
    const last = arriving.pop() as NamedBuffer;
    for (const f of arriving) load.push(f);
    // Files are decoded while the last one has not arrived yet.
    const deadline = Date.now() + 60_000;
    while (load.progress.decoded === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(load.progress.decoded).toBeGreaterThan(0);
    load.push(last);
    load.end();
    const decoded = await load.decoded();
    expect(decoded.contentHash).toBe(contentHash(files));
    expect(decoded.files).toBe(files.length);
    expect(decoded.seriesInstanceUID).toBe(reference.seriesInstanceUID);
    const out = await load.finish({ analyse: false });
    const v = out.volume;
    expect(out.analysis).toBeUndefined();
    expect([v.slices, v.rows, v.columns, v.sliceSpacing]).toEqual([reference.slices, reference.rows, reference.columns, reference.sliceSpacing]);
    expect(v.sopInstanceUIDs).toEqual(reference.sopInstanceUIDs);
    expect(v.positions).toEqual(reference.positions);
    expect(Buffer.from(v.hu.buffer, v.hu.byteOffset, v.hu.byteLength).equals(Buffer.from(reference.hu.buffer))).toBe(true);
    // The shared staging buffer became the volume: one buffer of exactly its size.
    expect(v.hu.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(v.hu.buffer.byteLength).toBe(v.hu.byteLength);
  });

  it('makes the loader\'s volume of files that come head down or feet up, more or fewer than expected', async () => {
    const files = sliceBuffers(40, 51);
    const reference = loadSeriesFromBuffers(files).volume;
    for (const [arriving, expected] of [[files, files.length], [[...files].reverse(), files.length], [files, files.length + 5], [[...files].reverse(), files.length - 4]] as const) {
      const load = new SeriesLoad(pool, { expected });
      for (const f of copy(arriving)) load.push(f);
      load.end();
      const v = (await load.finish({ analyse: false })).volume;
      expect(v.sopInstanceUIDs).toEqual(reference.sopInstanceUIDs);
      expect(Buffer.from(v.hu.buffer, v.hu.byteOffset, v.hu.byteLength).equals(Buffer.from(reference.hu.buffer))).toBe(true);
      // in place in the staging buffer wherever it had a slot for every frame
      if (expected >= files.length) expect(v.hu.buffer.byteLength).toBe(expected * v.rows * v.columns * 4);
    }
  });

  it('reads a low-dose series as the analysis does: smoothed in place, the loader\'s volume quietened', async () => {
    // 70 HU of noise on the stored values (slope 1): a low-dose screening scan's
    const r = rng(5);
    const files = sliceBuffers(20, 39).map((f) => {
      const data = new Uint8Array(f.data);
      const at = pixelValueOffset(data);
      const px = new Int16Array(data.buffer, data.byteOffset + at, (data.byteLength - at) >> 1);
      for (let i = 0; i < px.length; i++) px[i] += Math.round(70 * gauss(r));
      return { name: f.name, data };
    });
    const raw = loadSeriesFromBuffers(copy(files)).volume;
    expect(pixelNoiseHU(raw)).toBeGreaterThan(NOISY_HU);
    const load = new SeriesLoad(pool, { expected: files.length });
    for (const f of copy(files)) load.push(f);
    load.end();
    const v = (await load.finish({ analyse: false })).volume;
    expect(pixelNoiseHU(v)).toBeLessThan(NOISY_HU);
    expect(Buffer.from(v.hu.buffer, v.hu.byteOffset, v.hu.byteLength).equals(Buffer.from(quietened(raw).hu.buffer))).toBe(true);
    expect(v.hu.buffer.byteLength).toBe(v.hu.byteLength); // no second copy
  });

  it('reads files named by path in the workers (a folder\'s): the same volume and hash, and a read error is a 500', async () => {
    const files = sliceBuffers(20, 35);
    const load = new SeriesLoad(pool, { expected: files.length });
    for (let n = 20; n <= 35; n++) load.push({ name: path.basename(slicePath(n)), path: slicePath(n), image: { rows: 512, columns: 512, frames: 1 } });
    load.end();
    expect((await load.decoded()).contentHash).toBe(contentHash(files));
    const out = await load.finish({ analyse: false });
    const reference = loadSeriesFromBuffers(files).volume;
    expect(out.volume.sopInstanceUIDs).toEqual(reference.sopInstanceUIDs);
    expect(Buffer.from(out.volume.hu.buffer, out.volume.hu.byteOffset, out.volume.hu.byteLength).equals(Buffer.from(reference.hu.buffer))).toBe(true);

    const gone = new SeriesLoad(pool, { expected: 2 });
    gone.push({ name: 'a.dcm', path: slicePath(20) });
    gone.push({ name: 'b.dcm', path: path.join(path.dirname(slicePath(20)), 'no-such-file.dcm') });
    gone.end();
    await expect(gone.decoded()).rejects.toMatchObject({ httpStatus: 500, code: 'SERIES_READ_FAILED' });
  });

  it('skips repeated instances and non-DICOM files as the loader does, and analyses when asked', async () => {
    const files = [...sliceBuffers(30, 45), { name: 'again.dcm', data: readSlice(31) }, { name: 'notes.txt', data: new TextEncoder().encode('not dicom') }];
    const load = new SeriesLoad(pool, { expected: files.length });
    for (const f of copy(files)) load.push(f);
    load.end();
    const out = await load.finish({ analyse: true });
    expect(out.skipped).toBe(2);
    expect(out.skippedReasons).toEqual({ duplicate_instance: 1, not_dicom: 1 });
    expect(out.volume.slices).toBe(16);
    expect(out.analysis?.wire.slices).toBe(16);
    expect(out.analysis?.volume).toBe(out.volume);
    expect(out.timings.analysis).toBeGreaterThan(0);
    // What the event loop holds: bytes and typed arrays only, none of the analysis' objects.
    const { wire } = out.analysis as NonNullable<typeof out.analysis>;
    expect(Object.values(wire).every((v) => typeof v === 'number' || ArrayBuffer.isView(v) || Object.values(v).every((x) => typeof x === 'number' || ArrayBuffer.isView(x)))).toBe(true);
    // The bytes are the analysis the single-thread pipeline makes of the same volume, less its volume,
    // anatomy and identifiers; the query worker gets those from the volume.
    const reference = analyseVolume(loadSeriesFromBuffers(files).volume);
    const { timings: _t, ...restored } = fromWire(wire.bytes, out.volume);
    const { timings: _r, ...expected } = anonymousForm(reference);
    expect(restored).toEqual({ ...structuredClone(expected), seriesInstanceUID: reference.seriesInstanceUID, sopInstanceUIDs: reference.sopInstanceUIDs });
    expect(Object.keys(fromWire(wire.bytes, out.volume))).not.toEqual(expect.arrayContaining(['volume', 'anatomy']));
    const text = Buffer.from(wire.bytes).toString('latin1');
    expect(text.includes(out.volume.seriesInstanceUID)).toBe(false);
    // What the learned model is sent of the candidates it is asked about, in the order asked.
    const ids = reference.candidates.map((c) => c.id).reverse();
    expect(wire.candidates).toBe(reference.candidates.length);
    expect(scorerInputsOf(wire.scorerInputs, [...ids, 1e6])).toEqual(
      [...reference.candidates].reverse().map(({ id, centroidPx, diameterMm }) => ({ id, centroidPx, diameterMm })),
    );
    // What the cache charges: the volume and the serialized analysis.
    expect(typedArrayBytes(out.analysis)).toBeLessThan(typedArrayBytes(out.volume) + wire.bytes.byteLength * 1.1 + 64 * 1024);
  });

  it('takes multi-frame files (more frames than instances expected) and matches the loader', async () => {
    const files = [{ name: 'enhanced.dcm', data: enhancedCt(40, [2, 0, 4, 1, 3], newUid()) }];
    const reference = loadSeriesFromBuffers(files).volume;
    const load = new SeriesLoad(pool, { expected: 1 });
    for (const f of copy(files)) load.push(f);
    load.end();
    const v = (await load.finish({ analyse: false })).volume;
    expect(v.frames).toEqual(reference.frames);
    expect(Buffer.from(v.hu.buffer, v.hu.byteOffset, v.hu.byteLength).equals(Buffer.from(reference.hu.buffer))).toBe(true);
  });

  it('fails with the loader\'s typed error, and holds no reservation afterwards', async () => {
    const truncated = readSlice(50).slice(0, 200_000);
    let reserved = 0;
    const load = new SeriesLoad(pool, {
      expected: 3,
      reserve: async (bytes) => {
        reserved += bytes;
        return { release: () => (reserved -= bytes) };
      },
    });
    for (const f of copy([...sliceBuffers(48, 49), { name: 'cut.dcm', data: truncated }])) load.push(f);
    load.end();
    const err = await load.decoded().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkerTaskError);
    expect([(err as WorkerTaskError).httpStatus, (err as WorkerTaskError).code]).toEqual([422, 'PIXEL_DATA_TRUNCATED']);
    expect(reserved).toBe(0);
  });
});

test('permuteSlices puts every slice where the permutation says, in place', () => {
  const n = 9;
  const len = 4;
  const hu = Float32Array.from({ length: n * len }, (_, i) => Math.floor(i / len));
  const from = shuffled([...Array(n).keys()], 3);
  permuteSlices(hu, len, from);
  for (let i = 0; i < n; i++) expect([...hu.subarray(i * len, (i + 1) * len)]).toEqual(Array(len).fill(from[i]));
});
