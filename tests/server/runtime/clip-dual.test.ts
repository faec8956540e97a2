/**
 * @jest-environment ./tests/server/runtime/ort-environment.js
 */
/**
 * The clip-dual adapter with the tiny random-weight model that models/train/make_tiny_clip.py generates:
 * plumbing, shapes, tokenisation and determinism (its scores mean nothing).
 */
import path from 'node:path';
import pino from 'pino';
import { ClipDualModel, dot, sliceToPixels } from '../../../server/runtime/clip-dual';
import { ClipCandidateScorer } from '../../../server/runtime/clip-dual-scorer';
import { ModelRegistry } from '../../../server/runtime/registry';
import type { Candidate } from '../../../server/rerank/analysis/types';
import type { Volume } from '../../../server/series/volume';
import fs from 'node:fs';
import os from 'node:os';
import type { HuGrid } from '../../../server/runtime/lesion-cnn/patches';
import { loadManifest } from '../../../server/runtime/manifest';

const TINY = path.resolve(__dirname, '..', '..', 'fixtures', 'tiny-clip');

/** A small CT-like volume: air outside a body disc, lung fields, a dense blob moving across slices. */
function volume(): HuGrid {
  const slices = 5;
  const rows = 48;
  const columns = 64;
  const hu = new Float32Array(slices * rows * columns);
  for (let s = 0; s < slices; s++) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < columns; c++) {
        const inBody = ((c - 32) / 30) ** 2 + ((r - 24) / 22) ** 2 < 1;
        const inLung = ((Math.abs(c - 32) - 14) / 9) ** 2 + ((r - 24) / 15) ** 2 < 1;
        const blob = (c - 10 - s * 8) ** 2 + (r - 24) ** 2 < 16;
        hu[(s * rows + r) * columns + c] = !inBody ? -1000 : blob ? 40 : inLung ? -850 : 30;
      }
    }
  }
  return { slices, rows, columns, pixelSpacing: [0.8, 0.8], sliceSpacing: 2, hu };
}

let model: ClipDualModel;

beforeAll(async () => {
  model = await ClipDualModel.open(await loadManifest(TINY), { order: ['cpu'], log: pino({ enabled: false }), maxBatch: 2 });
});

afterAll(async () => {
  await model?.close();
});

describe('tokenisation (tokenizer.json through @huggingface/tokenizers)', () => {
  it('wraps the prompt in [CLS] … [SEP], lowercases, splits word pieces and pads to maxLength', () => {
    const t = model.tokenise('Spiculated lobes');
    expect(t.tokens).toEqual(['[CLS]', 'a', 'chest', 'ct', 'slice', 'showing', 'spiculated', 'lobe', '##s', '[SEP]']);
    expect(t.ids).toHaveLength(16);
    expect(t.mask).toEqual([...Array(10).fill(1), ...Array(6).fill(0)]);
    expect(t.ids.slice(10)).toEqual(Array(6).fill(0));
  });

  it('splits Chinese into characters and maps unknown words to [UNK]', () => {
    const t = model.tokenise('左肺结节 zebra');
    expect(t.tokens).toEqual(expect.arrayContaining(['左', '肺', '结', '节']));
    // "zebra" has no whole-word entry: WordPiece falls back to pieces, never drops it.
    expect(t.tokens.join(' ')).toMatch(/z ##e ##b ##r ##a|\[UNK\]/);
  });

  it('truncates long text to maxLength and keeps the closing [SEP]', () => {
    const t = model.tokenise('nodule '.repeat(40));
    expect(t.ids).toHaveLength(16);
    expect(t.tokens[t.tokens.length - 1]).toBe('[SEP]');
    expect(t.mask.every((m) => m === 1)).toBe(true);
  });
});

describe('embeddings and scores', () => {
  it('embeds texts as unit vectors of the declared size, deterministically', async () => {
    const [a, b, a2] = await model.encodeTexts(['solid nodule', 'pleural effusion', 'solid nodule']);
    expect(a).toHaveLength(16);
    expect(dot(a, a)).toBeCloseTo(1, 5);
    expect(Array.from(a2)).toEqual(Array.from(a));
    expect(dot(a, b)).toBeLessThan(0.9999);
  });

  it('maps a slice to size×size×3 normalised pixels keeping the aspect ratio (padding is the window floor)', () => {
    const g = volume();
    const img = model.image;
    const out = new Float32Array(3 * img.size * img.size);
    sliceToPixels(g, 0, img, 3, out, 0);
    const plane = img.size * img.size;
    expect(Array.from(out.subarray(0, plane))).toEqual(Array.from(out.subarray(plane, 2 * plane)));
    // The top rows fall outside the 48-row slice of a 64-column field: padded with 0 before mean/std.
    expect(out[0]).toBeCloseTo((0 - img.mean[0]) / img.std[0], 5);
  });

  it('scores every slice by cosine similarity with a region inside the slice, the same batched or one by one', async () => {
    const g = volume();
    const all = await model.scoreSlices(g, 'solid nodule');
    expect(all.map((m) => m.slice)).toEqual([0, 1, 2, 3, 4]);
    for (const m of all) {
      expect(m.similarity).toBeGreaterThanOrEqual(-1);
      expect(m.similarity).toBeLessThanOrEqual(1);
      const r = m.region!;
      expect(r.x).toBeGreaterThanOrEqual(0);
      expect(r.y).toBeGreaterThanOrEqual(0);
      expect(r.w).toBeGreaterThan(0);
      expect(r.h).toBeGreaterThan(0);
      expect(r.x + r.w).toBeLessThanOrEqual(g.columns);
      expect(r.y + r.h).toBeLessThanOrEqual(g.rows);
    }
    // The blob moves between slices, so the slices must not all embed the same.
    expect(new Set(all.map((m) => m.similarity.toFixed(6))).size).toBeGreaterThan(1);
    const one = await model.scoreSlices(g, 'solid nodule', [3]);
    expect(one[0].similarity).toBeCloseTo(all[3].similarity, 5);
    expect(one[0].region).toEqual(all[3].region);
    const again = await model.scoreSlices(g, 'solid nodule');
    expect(again).toEqual(all);
  });

  it('reports the model and the provider that ran', () => {
    expect(model.info).toEqual({ id: 'tiny-clip', version: '0.0.1-test', executionProvider: 'cpu' });
  });
});

describe('clip-dual as the learned stage (zero-shot prompts on candidate fields)', () => {
  const cand = (slice: number, row: number, column: number, diameterMm: number): Candidate =>
    ({ centroidPx: { slice, row, column }, diameterMm }) as unknown as Candidate;

  it('scores candidates in order with probabilities that sum as they should, deterministically', async () => {
    const g = volume() as unknown as Volume;
    const scorer = new ClipCandidateScorer(model);
    const cs = [cand(1, 24, 18, 6), cand(3, 24, 34, 6), cand(2, 10, 10, 30)];
    const a = await scorer.scoreCandidates(g, cs);
    expect(a).toHaveLength(3);
    for (const s of a) {
      expect(s.lesionProbability).toBeGreaterThanOrEqual(0);
      expect(s.lesionProbability).toBeLessThanOrEqual(1);
      expect(s.texture!.solid + s.texture!.partSolid + s.texture!.groundGlass).toBeCloseTo(1, 5);
      expect(s.marginIrregularity).toBeGreaterThanOrEqual(0);
      expect(s.marginIrregularity).toBeLessThanOrEqual(1);
    }
    const single = await scorer.scoreCandidates(g, [cs[1]]);
    expect(single[0].lesionProbability).toBeCloseTo(a[1].lesionProbability, 5);
    expect(await scorer.scoreCandidates(g, cs)).toEqual(a);
    expect(scorer.info.id).toBe('tiny-clip');
  });

  it('is what the registry hands the pipeline for a clip-dual folder', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-models-'));
    fs.cpSync(TINY, path.join(root, 'tiny-clip'), { recursive: true });
    const reg = await ModelRegistry.open({ modelsDir: root, executionProviders: 'cpu', log: pino({ enabled: false }) });
    expect(reg.list()).toEqual([{ id: 'tiny-clip', kind: 'clip-dual', version: '0.0.1-test', executionProvider: 'cpu', default: true }]);
    expect(reg.scorer('tiny-clip')).toBeInstanceOf(ClipCandidateScorer);
    await reg.close();
  });
});
