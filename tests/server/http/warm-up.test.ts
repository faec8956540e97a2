/**
 * @jest-environment ./tests/server/runtime/ort-environment.js
 *
 * The warm-up before the service reports ready (server/http/warm-up.ts): as many analyses of the synthetic
 * chest at once as the pool has threads, then its descriptions, each round; readiness waits for it; a failure
 * is logged and the service starts all the same; `--warm-up-runs` / SLICE_FINDER_WARM_UP_RUNS set the rounds.
 */
import pino from 'pino';
import { ConfigError, loadConfig } from '../../../server/config';
import { createEngine, type Engine } from '../../../server/http/engine';
import { warmUp } from '../../../server/http/warm-up';
import type { Volume } from '../../../server/series/volume';
import { LineCapture } from './helpers';

jest.setTimeout(180_000);

describe('warmUp', () => {
  it('analyses the chest on every worker at once, then asks its descriptions, each round', async () => {
    const calls: string[] = [];
    let running = 0, most = 0;
    const engine = {
      analyse: async () => {
        calls.push('analyse');
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        return {} as Awaited<ReturnType<Engine['analyse']>>;
      },
      parse: (text: string) => ({ text }) as unknown as ReturnType<Engine['parse']>,
      rerank: async () => {
        calls.push('rerank');
        return {} as Awaited<ReturnType<Engine['rerank']>>;
      },
    };
    await warmUp(engine, { runs: 2, threads: 3, log: pino({ level: 'silent' }), volume: () => ({}) as Volume });
    expect(most).toBe(3);
    const round = [...Array(3).fill('analyse'), ...Array(5).fill('rerank')];
    expect(calls).toEqual([...round, ...round]);
  });

  it('logs what failed and resolves: the service starts without it', async () => {
    const capture = new LineCapture();
    const engine = { analyse: async () => Promise.reject(new Error('worker died')), parse: () => ({}) as ReturnType<Engine['parse']>, rerank: async () => ({}) as Awaited<ReturnType<Engine['rerank']>> };
    await expect(warmUp(engine, { runs: 1, threads: 2, log: pino(capture), volume: () => ({}) as Volume })).resolves.toBeUndefined();
    expect(capture.lines.map((l) => JSON.parse(l).msg)).toEqual(['warm-up failed; the first series compiles the analysis']);
  });
});

describe('an engine that warms up', () => {
  it('is ready only once its workers have analysed the chest and answered its descriptions', async () => {
    const capture = new LineCapture();
    const engine = createEngine({
      executionProviders: ['cpu'],
      log: pino(capture),
      workers: { threads: 2, maxOldGenerationSizeMb: 1024, taskTimeoutMs: 120_000 },
      warmUpRuns: 1,
    });
    try {
      await engine.ready();
      const warmed = capture.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'analysis warmed up');
      expect(warmed).toMatchObject({ component: 'warm-up', runs: 1, threads: 2 });
      expect(capture.lines.some((l) => JSON.parse(l).msg.startsWith('warm-up failed'))).toBe(false);
    } finally {
      await engine.close?.();
    }
  });
});

describe('--warm-up-runs', () => {
  it('is 4 rounds unless set, by flag or environment, from 0 (none) to 10', () => {
    expect(loadConfig([], {}).workers.warmUpRuns).toBe(4);
    expect(loadConfig(['--warm-up-runs', '0'], {}).workers.warmUpRuns).toBe(0);
    expect(loadConfig([], { SLICE_FINDER_WARM_UP_RUNS: '2' }).workers.warmUpRuns).toBe(2);
    expect(() => loadConfig(['--warm-up-runs', '11'], {})).toThrow(ConfigError);
  });
});
