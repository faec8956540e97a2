import { SeriesCache, seriesKey, typedArrayBytes } from '../../../server/series/cache';

interface Entry {
  hu: Float32Array;
  analysis: { mask: Uint8Array };
}

function entry(voxels: number): Entry {
  return { hu: new Float32Array(voxels), analysis: { mask: new Uint8Array(voxels) } };
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('series cache', () => {
  it('keys by series UID and the set of SOP UIDs', () => {
    expect(seriesKey('1.2.3', ['1.1', '1.2'])).toBe(seriesKey('1.2.3', ['1.2', '1.1']));
    expect(seriesKey('1.2.3', ['1.1', '1.2'])).not.toBe(seriesKey('1.2.3', ['1.1']));
    expect(seriesKey('1.2.3', ['1.1'])).not.toBe(seriesKey('1.2.4', ['1.1']));
  });

  it('counts the bytes of typed arrays reachable from an entry, each buffer once', () => {
    const e = entry(1000);
    const shared = { a: e.hu, b: e.hu.subarray(10), nested: [{ m: e.analysis.mask }] };
    expect(typedArrayBytes(e)).toBeGreaterThanOrEqual(5000);
    expect(typedArrayBytes(e)).toBeLessThan(5000 + 4096);
    expect(typedArrayBytes(shared)).toBeLessThan(5000 + 4096);
  });

  it('shares one load between concurrent requests, with progress for each', async () => {
    const cache = new SeriesCache<Entry, number>({ maxBytes: 1 << 20 });
    const gate = deferred<Entry>();
    let loads = 0;
    const loader = async (emit: (p: number) => void): Promise<Entry> => {
      loads++;
      emit(1);
      const e = await gate.promise;
      emit(2);
      return e;
    };
    const seenA: number[] = [];
    const seenB: number[] = [];
    const a = cache.load('k', loader, (p) => seenA.push(p));
    const b = cache.load('k', loader, (p) => seenB.push(p));
    expect(cache.state('k')).toBe('loading');
    gate.resolve(entry(100));
    const [ra, rb] = await Promise.all([a, b]);
    expect(loads).toBe(1);
    expect(ra.value).toBe(rb.value);
    expect([ra.source, rb.source]).toEqual(['miss', 'joined']);
    expect(seenA).toEqual([1, 2]);
    expect(seenB).toEqual([2]); // joined after the first event
    const rc = await cache.load('k', loader);
    expect(rc.source).toBe('hit');
    expect(loads).toBe(1);
  });

  it('leaves nothing behind when a load fails, so the next request loads again', async () => {
    const cache = new SeriesCache<Entry>({ maxBytes: 1 << 20 });
    const failing = cache.load('k', async () => {
      throw new Error('PACS down');
    });
    const joined = cache.load('k', async () => entry(1));
    await expect(failing).rejects.toThrow('PACS down');
    await expect(joined).rejects.toThrow('PACS down');
    expect(cache.state('k')).toBe('absent');
    expect(cache.entries).toBe(0);
    const again = await cache.load('k', async () => entry(10));
    expect(again.source).toBe('miss');
    expect(cache.state('k')).toBe('ready');
  });

  it('evicts least recently used series to stay within its byte bound', async () => {
    const perEntry = typedArrayBytes(entry(100_000)); // ~500 kB
    const cache = new SeriesCache<Entry>({ maxBytes: Math.floor(perEntry * 2.5) });
    await cache.load('a', async () => entry(100_000));
    await cache.load('b', async () => entry(100_000));
    await cache.load('a', async () => entry(100_000)); // touch a: b is now the oldest
    await cache.load('c', async () => entry(100_000));
    expect(cache.bytes).toBeLessThanOrEqual(cache.maxBytes);
    expect(cache.state('a')).toBe('ready');
    expect(cache.state('b')).toBe('absent');
    expect(cache.state('c')).toBe('ready');
    // An entry bigger than the whole bound is served but not kept.
    const big = await cache.load('big', async () => entry(1_000_000));
    expect(big.value.hu.length).toBe(1_000_000);
    expect(cache.state('big')).toBe('absent');
    expect(cache.bytes).toBeLessThanOrEqual(cache.maxBytes);
  });

  it('tells which entries it let go, evicted or deleted, each once, and when no load is left in flight', async () => {
    const perEntry = typedArrayBytes(entry(100_000));
    const released: Entry[] = [];
    let idle = 0;
    const cache = new SeriesCache<Entry>({ maxBytes: Math.floor(perEntry * 2.5), onRelease: (e) => released.push(e), onIdle: () => idle++ });
    const a = (await cache.load('a', async () => entry(100_000))).value;
    await cache.load('b', async () => entry(100_000));
    expect(idle).toBe(2);
    const gates = [deferred<Entry>(), deferred<Entry>()];
    const c = cache.load('c', () => gates[0].promise);
    const d = cache.load('d', () => gates[1].promise);
    expect(cache.loading).toBe(2);
    gates[0].resolve(entry(100_000));
    await c;
    expect(idle).toBe(2); // d still loads
    gates[1].reject(new Error('unreadable'));
    await expect(d).rejects.toThrow('unreadable');
    expect(cache.loading).toBe(0);
    expect(idle).toBe(3);
    expect(released).toEqual([a]); // the oldest, evicted for c
    const b = cache.get('b');
    cache.delete('b');
    cache.delete('b');
    expect(released).toEqual([a, b]);
  });

  it('gives up a load that runs past its deadline, so the next request starts afresh', async () => {
    const cache = new SeriesCache<Entry>({ maxBytes: 1 << 20 });
    let sawAbort = false;
    const stuck = cache.load(
      'k',
      (_emit, signal) =>
        new Promise<Entry>(() => {
          signal.addEventListener('abort', () => (sawAbort = true));
        }),
      { timeoutMs: 100, timeoutError: () => new Error('load timed out') },
    );
    const joined = cache.load('k', async () => entry(1));
    await expect(stuck).rejects.toThrow('load timed out');
    await expect(joined).rejects.toThrow('load timed out');
    expect(sawAbort).toBe(true);
    expect(cache.state('k')).toBe('absent');
    expect((await cache.load('k', async () => entry(10))).source).toBe('miss');
  });

  it('a caller that leaves stops waiting; the load stops when the last caller has left', async () => {
    const cache = new SeriesCache<Entry>({ maxBytes: 1 << 20 });
    let aborted: unknown;
    const loader = (_emit: unknown, signal: AbortSignal) =>
      new Promise<Entry>((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          aborted = signal.reason;
          reject(signal.reason);
        });
      });
    const a = new AbortController();
    const b = new AbortController();
    const pa = cache.load('k', loader, { signal: a.signal });
    const pb = cache.load('k', loader, { signal: b.signal });
    a.abort(new Error('client a left'));
    await expect(pa).rejects.toThrow('client a left');
    expect(aborted).toBeUndefined(); // b still waits
    b.abort(new Error('client b left'));
    await expect(pb).rejects.toThrow('client b left');
    expect((aborted as Error).message).toBe('client b left');
    expect(cache.state('k')).toBe('absent');
  });

  it('loads in flight reserve room in the bound: old entries are evicted for them, and a second load waits', async () => {
    const perEntry = typedArrayBytes(entry(100_000));
    const cache = new SeriesCache<Entry>({ maxBytes: perEntry * 3 });
    await cache.load('a', async () => entry(100_000));
    await cache.load('b', async () => entry(100_000));
    const first = await cache.reserve(perEntry * 2);
    expect(cache.state('a')).toBe('absent'); // evicted for the load, least recently used first
    expect(cache.state('b')).toBe('ready');
    expect(cache.bytes + cache.reserved).toBeLessThanOrEqual(cache.maxBytes);
    let second: { release(): void } | undefined;
    const waiting = cache.reserve(perEntry * 2).then((r) => (second = r));
    await new Promise((r) => setTimeout(r, 20));
    expect(second).toBeUndefined(); // no room while the first load holds it
    first.release();
    await waiting;
    expect(second).toBeDefined();
    expect(cache.bytes + cache.reserved).toBeLessThanOrEqual(cache.maxBytes);
    second?.release();
    // A waiting reservation whose caller leaves is dropped.
    const hold = await cache.reserve(perEntry * 3);
    const gone = new AbortController();
    const dropped = cache.reserve(perEntry, gone.signal);
    gone.abort(new Error('client left'));
    await expect(dropped).rejects.toThrow('client left');
    hold.release();
    expect(cache.reserved).toBe(0);
  });
});
