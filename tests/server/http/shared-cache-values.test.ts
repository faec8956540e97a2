/**
 * What the shared cache stores of an analysis, and what a replica makes of it: no UIDs, no volume,
 * no anatomy (grid HU is pixel data) in the stored value; read back with the replica's own volume it
 * is the analysis fusion needs, field for field. Keys are hashes that change with the content and the
 * pipeline's code.
 */
import { deserialize, serialize } from 'node:v8';
import { analysisKey, modelKey, pipelineVersion, restoreAnalysis, storableAnalysis } from '../../../server/http/shared-cache';
import { analyseVolume } from '../../../server/rerank/pipeline';
import { loadSeriesFromBuffers } from '../../../server/series/load';
import { toWire } from '../../../server/workers/wire';
import { sliceBuffers } from '../series/fixtures';

jest.setTimeout(120_000);

test('an analysis stored without identifiers, volume or anatomy comes back whole with the local volume', () => {
  const { volume } = loadSeriesFromBuffers(sliceBuffers(30, 53));
  const held = { volume, wire: toWire(analyseVolume(volume)) };
  const stored = deserialize(serialize(storableAnalysis(held))) as ReturnType<typeof storableAnalysis>;
  const text = Buffer.from(serialize(stored)).toString('latin1');
  expect(text.includes(volume.seriesInstanceUID)).toBe(false);
  for (const sop of volume.sopInstanceUIDs) expect(text.includes(sop)).toBe(false);
  expect(text.length).toBeLessThan(volume.hu.byteLength / 20);

  const restored = restoreAnalysis(stored, volume);
  expect(restored).toEqual(held);
  // Another series' volume (other size) does not take it.
  expect(restoreAnalysis(stored, { ...volume, slices: volume.slices - 1 })).toBeUndefined();
});

test('keys are hashes of the series, the content and the code, never the UID itself', () => {
  const uid = '1.2.840.113654.2.55.1';
  const key = analysisKey(uid, 'content-a');
  expect(key).toMatch(/^[0-9a-f]{64}$/);
  expect(key).not.toContain(uid);
  expect(analysisKey(uid, 'content-b')).not.toBe(key);
  expect(analysisKey(uid, 'content-a', 'other-code')).not.toBe(key);
  expect(pipelineVersion()).toMatch(/^[0-9a-f]{16}$/);
  const info = { id: 'lesion-cnn', version: '1.1.0', executionProvider: 'cpu' };
  expect(modelKey(info, 'files-a')).not.toBe(modelKey(info, 'files-b'));
  expect(modelKey(info, 'files-a')).toBe(modelKey({ ...info, executionProvider: 'webgpu' }, 'files-a'));
});
