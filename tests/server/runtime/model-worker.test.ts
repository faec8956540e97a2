/**
 * @jest-environment ./tests/server/runtime/ort-environment.js
 *
 * The models in a worker of their own (ModelWorker): the same models listed as the in-process
 * registry lists them, the same scores as the in-process scorer for the same volume and candidates
 * (the LearnedScorer contract holds across the thread), and an unknown id is a 400.
 */
import pino from 'pino';
import type { ScorerInput } from '../../../server/rerank/learned';
import { UnknownModelError } from '../../../server/runtime/errors';
import { ModelWorker } from '../../../server/runtime/model-worker';
import { openScorer } from '../../../server/runtime/registry';
import { loadSeriesFromBuffers } from '../../../server/series/load';
import { sliceBuffers } from '../series/fixtures';

jest.setTimeout(120_000);

test('scores computed in the model worker equal the in-process ones, without heatmaps', async () => {
  const log = pino({ level: 'silent' });
  const worker = await ModelWorker.open({ executionProviders: ['cpu'], log });
  const local = await openScorer({ executionProviders: 'cpu', log });
  try {
    expect(worker.ids()).toContain('lesion-cnn');
    expect(worker.list().find((m) => m.id === 'lesion-cnn')).toMatchObject({ kind: 'lesion-cnn', executionProvider: 'cpu' });
    const remote = worker.scorer('lesion-cnn');
    expect(remote.info).toEqual(local.scorer.info);
    expect(remote.fingerprint).toMatch(/^[0-9a-f]{16}$/);

    const { volume } = loadSeriesFromBuffers(sliceBuffers(38, 49));
    expect(volume.hu.buffer).toBeInstanceOf(SharedArrayBuffer); // shared with the worker, not copied
    const candidates: ScorerInput[] = [
      { id: 0, centroidPx: { slice: 5.5, row: 366, column: 316 }, diameterMm: 28 },
      { id: 1, centroidPx: { slice: 2, row: 200, column: 150 }, diameterMm: 6 },
      { id: 2, centroidPx: { slice: 9, row: 300, column: 380 }, diameterMm: 10 },
    ];
    const [there, here] = await Promise.all([remote.scoreCandidates(volume, candidates), local.scorer.scoreCandidates(volume, candidates)]);
    expect(there).toHaveLength(3);
    // The same scores, less the heatmaps, which fusion does not read (they stay in the worker).
    expect(here.some((s) => s.heatmap)).toBe(true);
    expect(there).toEqual(here.map(({ heatmap: _h, ...s }) => s));
    expect(() => worker.scorer('no-such-model')).toThrow(UnknownModelError);
  } finally {
    await Promise.all([worker.close(), local.close()]);
  }
});
