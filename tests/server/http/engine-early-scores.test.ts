/**
 * @jest-environment ./tests/server/runtime/ort-environment.js
 *
 * The engine starts the default model on a cold series' lesions as soon as the lesion search has found
 * them (engine.ts `early`): the model has been asked once the analysis is back, before any query, for
 * exactly the candidates the first query has it judge, and the queries after reuse that run instead of
 * scoring again. A failed early run costs nothing but itself: the analysis stands and the query scores.
 */
import pino from 'pino';
import { createEngine, type Engine } from '../../../server/http/engine';
import { RemoteScorer } from '../../../server/runtime/model-worker';
import type { Volume } from '../../../server/series/volume';
import { inSharedMemory } from '../../../server/workers/transfer';
import { fromWire, type HeldAnalysis } from '../../../server/workers/wire';
import { chestVolume, LUNG_X } from '../rerank/synthetic';
import { sliceBuffers } from '../series/fixtures';

jest.setTimeout(180_000);

const lesionIds = (a: HeldAnalysis): number[] =>
  fromWire(a.wire.bytes, a.volume)
    .candidates.filter((c) => c.kind === 'lesion')
    .map((c) => c.id);

describe('early scoring of the lesions', () => {
  let engine: Engine;
  let score: jest.SpyInstance<ReturnType<RemoteScorer['scoreCandidates']>, Parameters<RemoteScorer['scoreCandidates']>>;
  beforeAll(async () => {
    engine = createEngine({
      executionProviders: ['cpu'],
      log: pino({ level: 'silent' }),
      workers: { threads: 2, maxOldGenerationSizeMb: 1024, taskTimeoutMs: 120_000 },
    });
    await engine.ready();
  });
  beforeEach(() => {
    score = jest.spyOn(RemoteScorer.prototype, 'scoreCandidates');
  });
  afterEach(() => score.mockRestore());
  afterAll(async () => engine.close?.());

  it('scores a loaded series once, during its analysis, and the queries reuse it', async () => {
    const load = engine.openLoad({ expected: 12 });
    for (const f of sliceBuffers(38, 49)) load.push(f);
    load.end();
    await load.decoded();
    const { analysis } = await load.finish({ analyse: true });
    if (!analysis) throw new Error('no analysis');
    const want = lesionIds(analysis);
    expect(want.length).toBeGreaterThan(0);
    // asked before any query: while the analysis was still being made
    expect(score).toHaveBeenCalledTimes(1);
    expect(score.mock.calls[0][0]).toBe(analysis.volume);
    expect(score.mock.calls[0][1].map((c) => c.id)).toEqual(want);

    const first = await engine.rerank(analysis, engine.parse('28 mm mass'), { topK: 5 });
    await engine.rerank(analysis, engine.parse('6 mm nodule, left lung'), { topK: 5 });
    expect(first.model.id).toBe('lesion-cnn');
    expect(score).toHaveBeenCalledTimes(1);
  });

  it('drops a failed early run: the analysis stands and the first query scores', async () => {
    score.mockRejectedValueOnce(new Error('model worker down'));
    const v: Volume = inSharedMemory(chestVolume({ spheres: [{ centre: [LUNG_X, 10, 60], diameter: 10, hu: 30 }] }));
    const analysis = await engine.analyse(v);
    expect(score).toHaveBeenCalledTimes(1);
    const res = await engine.rerank(analysis, engine.parse('10 mm nodule'), { topK: 5 });
    expect(res.model.id).toBe('lesion-cnn');
    expect(score).toHaveBeenCalledTimes(2);
    expect(score.mock.calls[1][1].map((c) => c.id)).toEqual(lesionIds(analysis));
  });
});
