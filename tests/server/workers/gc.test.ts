import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterRelease } from '../../../server/workers/gc';

/** Resolves true once `done()` holds, false after `ms`. */
async function within(ms: number, done: () => boolean): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (done()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return done();
}

describe('the collection after the cache lets volumes go', () => {
  it('gives back shared memory whose views have grown old', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let freed = false;
    const registry = new FinalizationRegistry<string>(() => (freed = true));
    const cache = new Map<string, { hu: Float32Array }>();
    (() => {
      const hu = new Float32Array(new SharedArrayBuffer(1 << 20));
      registry.register(hu.buffer, 'volume');
      cache.set('series', { hu });
    })();
    // held a while: the views are promoted to the old generation
    gc();
    gc();
    await new Promise((r) => setImmediate(r));
    cache.delete('series');
    afterRelease();
    expect(await within(3000, () => freed)).toBe(true);
    expect(registry).toBeDefined();
  });
});
