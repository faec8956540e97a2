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
});
