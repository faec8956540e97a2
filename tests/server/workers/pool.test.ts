/**
 * The worker pool: results with typed arrays come back (moved, not copied), typed errors keep their
 * status and code, a task past its time limit or its memory limit costs its worker but not the pool,
 * the time limit counts running time (not time in the queue), the workers run at a lower priority
 * than the event loop, and a cancelled task stops.
 */
import path from 'node:path';
import { SAMPLE_DICOM_DIR } from '../../../server/series/sample';
import { DEFAULT_NICE_INCREMENT, WorkerPool, WorkerTaskError } from '../../../server/workers/pool';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import type * as FixtureTasks from './fixture-tasks';

jest.setTimeout(60_000);

const ENTRY = path.join(__dirname, 'fixture-entry.js');

async function rejection(p: Promise<unknown>): Promise<WorkerTaskError> {
  try {
    await p;
  } catch (err) {
    return err as WorkerTaskError;
  }
  throw new Error('expected a rejection');
}

describe('WorkerPool', () => {
  let pool: WorkerPool<typeof FixtureTasks>;

  beforeAll(() => {
    pool = new WorkerPool<typeof FixtureTasks>({ threads: 2, entry: ENTRY, taskTimeoutMs: 1500, maxOldGenerationSizeMb: 64 });
  });

  afterAll(async () => {
    await pool.close();
  });

  it('returns results with their typed arrays, and moves transferred inputs', async () => {
    const data = new Float32Array([1, 2, 3]);
    const out = await pool.run('echo', { n: 7, data }, { transfer: [data.buffer as ArrayBuffer] });
    expect(out.n).toBe(7);
    expect(out.doubled).toBeInstanceOf(Float32Array);
    expect([...out.doubled]).toEqual([2, 4, 6]);
    expect([...out.nested.mask]).toEqual([1, 0, 1]);
    expect(out.nested.ids).toEqual(['a', 'b']);
    expect(data.byteLength).toBe(0); // detached: it moved to the worker
  });

  it('keeps the status and code of typed errors; hides the message of others', async () => {
    const typed = await rejection(pool.run('fail', { typed: true }));
    expect(typed).toBeInstanceOf(WorkerTaskError);
    expect([typed.httpStatus, typed.code, typed.message]).toEqual([422, 'NOT_A_STACK', 'this series is not a stack']);
    const internal = await rejection(pool.run('fail', { typed: false }));
    expect([internal.httpStatus, internal.code, internal.message]).toEqual([500, 'internal', 'internal error']);
    expect(internal.stack).toMatch(/fixture-tasks/); // frames, for the log
  });

  it('stops a task past its time limit, and the pool goes on', async () => {
    const t0 = Date.now();
    const e = await rejection(pool.run('spin', undefined as never, { timeoutMs: 300 }));
    expect([e.httpStatus, e.code]).toEqual([503, 'worker_timeout']);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const out = await pool.run('echo', { n: 1, data: new Float32Array([1]) });
    expect(out.n).toBe(1);
  });

  it('stops a task past its memory limit, and the pool goes on', async () => {
    const e = await rejection(pool.run('hog', undefined as never, { timeoutMs: 30_000 }));
    expect([e.httpStatus, e.code]).toEqual([413, 'worker_out_of_memory']);
    expect((await pool.run('sleep', { ms: 1 })).valueOf()).toBe(1);
  });

  it('counts the time limit from when a task starts, not while it waits for a worker', async () => {
    const one = new WorkerPool<typeof FixtureTasks>({ threads: 1, entry: ENTRY, taskTimeoutMs: 900 });
    try {
      // The second waits ~600 ms for the first: 1200 ms after submission, but only 600 ms running.
      const results = await Promise.all([one.run('sleep', { ms: 600 }), one.run('sleep', { ms: 600 })]);
      expect(results).toEqual([600, 600]);
    } finally {
      await one.close();
    }
  });

  it('runs its workers at a lower priority than the event loop (Linux), leaving the event loop\'s as it was', async () => {
    const before = getPriority();
    const worker = await pool.run('priority', undefined as never);
    expect(getPriority()).toBe(before);
    expect(worker).toBe(process.platform === 'linux' ? Math.min(19, before + DEFAULT_NICE_INCREMENT) : before);
    const level = new WorkerPool<typeof FixtureTasks>({ threads: 1, entry: ENTRY, niceIncrement: 0 });
    try {
      expect(await level.run('priority', undefined as never)).toBe(before);
    } finally {
      await level.close();
    }
  });

  it('a cancelled task stops with the reason given', async () => {
    const controller = new AbortController();
    const running = pool.run('spin', undefined as never, { signal: controller.signal, timeoutMs: 30_000 });
    setTimeout(() => controller.abort(new Error('client went away')), 200);
    const e = await rejection(running);
    expect(e.message).toBe('client went away');
    expect((await pool.run('sleep', { ms: 2 })).valueOf()).toBe(2);
  });
});

describe('the server tasks', () => {
  let pool: WorkerPool;

  beforeAll(() => {
    pool = new WorkerPool({ threads: 1 });
  });

  afterAll(async () => {
    await pool.close();
  });

  const files = () =>
    readdirSync(SAMPLE_DICOM_DIR)
      .sort()
      .slice(60, 72)
      .map((f) => ({ name: f, data: new Uint8Array(readFileSync(path.join(SAMPLE_DICOM_DIR, f))) }));

  it('loadSeries decodes and analyses in a worker; the volume comes back as typed arrays', async () => {
    const out = await pool.run('loadSeries', { files: files() });
    expect(out.volume.slices).toBe(12);
    expect(out.volume.hu).toBeInstanceOf(Float32Array);
    expect(out.volume.hu.length).toBe(12 * 512 * 512);
    expect(out.analysis?.slices).toBe(12);
    expect(out.analysis?.volume.hu).toBe(out.volume.hu); // one buffer, not two copies
    expect(out.contentHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(out.timings.decode).toBeGreaterThan(0);
  });

  it('loader errors keep their status and code through the worker', async () => {
    const e = await rejection(pool.run('loadSeries', { files: files().slice(0, 3) }));
    expect([e.httpStatus, e.code]).toEqual([422, 'NOT_CT_STACK']);
  });
});
