/**
 * @jest-environment ./tests/server/runtime/ort-environment.js
 */
/**
 * The committed lesion model on a real onnxruntime session: a sphere reads as a lesion, a vessel does
 * not; batching gives the same outputs as one by one; the scorer and the registry report model and
 * provider. Synthetic volumes only (built here), so nothing depends on the evaluation case.
 */
import path from 'node:path';
import pino from 'pino';
import type { Candidate } from '../../../server/rerank/analysis/types';
import { heatmapBox, LesionModel } from '../../../server/runtime/lesion-cnn/model';
import { DEFAULT_PATCH_SPEC, extractPatches, type HuGrid, type PatchCentre } from '../../../server/runtime/lesion-cnn/patches';
import { heatmapRegion, LesionCnnScorer } from '../../../server/runtime/lesion-cnn/scorer';
import { loadManifest } from '../../../server/runtime/manifest';
import { ModelRegistry } from '../../../server/runtime/registry';
import type { Volume } from '../../../server/series/volume';

const MODELS = path.resolve(__dirname, '..', '..', '..', 'models');

/** Lung-like noisy background (seeded), 0.7 mm pixels, 2.5 mm slices, with one object drawn by `inside`. */
function grid(inside: (x: number, y: number, z: number) => number, objectHu: number): HuGrid {
  const slices = 15;
  const rows = 96;
  const columns = 96;
  const ps = 0.7;
  const ss = 2.5;
  const hu = new Float32Array(slices * rows * columns);
  let seed = 99;
  const noise = (): number => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return (seed / 2 ** 32 - 0.5) * 60;
  };
  for (let s = 0; s < slices; s++) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < columns; c++) {
        // mm from the centre voxel
        const occ = inside((c - 48) * ps, (r - 48) * ps, (s - 7) * ss);
        hu[(s * rows + r) * columns + c] = -860 * (1 - occ) + objectHu * occ + noise();
      }
    }
  }
  return { slices, rows, columns, pixelSpacing: [ps, ps], sliceSpacing: ss, hu };
}

const soft = (d: number): number => 1 / (1 + Math.exp(d / 0.5));
/** A 12 mm solid sphere. */
const sphere = grid((x, y, z) => soft(Math.hypot(x, y, z) - 6), 40);
/** A 4 mm vessel running obliquely in-plane. */
const vessel = grid((x, y, z) => soft(Math.hypot((x - y) / Math.SQRT2, z) - 2), 40);
const CENTRE: PatchCentre = { slice: 7, row: 48, column: 48 };

let model: LesionModel;

beforeAll(async () => {
  model = await LesionModel.open(await loadManifest(path.join(MODELS, 'lesion-cnn')), { order: ['cpu'], log: pino({ enabled: false }), maxBatch: 256 });
});

afterAll(async () => {
  await model?.close();
});

describe('lesion-cnn on onnxruntime', () => {
  it('gives a sphere a higher lesion probability than a vessel', async () => {
    const [s] = await model.predict(sphere, [CENTRE]);
    const [v] = await model.predict(vessel, [CENTRE]);
    expect(s.lesion).toBeGreaterThan(0.5);
    expect(s.lesion).toBeGreaterThan(v.lesion + 0.2);
    expect(s.texture!.solid).toBeGreaterThan(s.texture!['ground-glass']);
  });

  it('outlines the sphere from its heatmap, around the centre and about its size', async () => {
    const [s] = await model.predict(sphere, [CENTRE]);
    const box = heatmapBox(s, sphere, CENTRE, model.spec, 0.5)!;
    expect(box).toBeDefined();
    // 12 mm at 0.7 mm/px is ~17 px; heat cells are 4.8 mm, so allow a cell either side.
    expect(box.x).toBeLessThan(48);
    expect(box.x + box.w).toBeGreaterThan(48);
    expect(box.y).toBeLessThan(48);
    expect(box.y + box.h).toBeGreaterThan(48);
    expect(box.w).toBeGreaterThan(8);
    expect(box.w).toBeLessThan(40);
  });

  it('gives the same outputs batched as one by one', async () => {
    const centres: PatchCentre[] = [CENTRE, { slice: 6.5, row: 40, column: 52 }, { slice: 8, row: 55, column: 45 }];
    const grids = [sphere, vessel];
    const singles: number[] = [];
    for (const g of grids) for (const c of centres) singles.push((await model.predict(g, [c]))[0].lesion);
    const batched: number[] = [];
    for (const g of grids) batched.push(...(await model.predict(g, centres)).map((p) => p.lesion));
    batched.forEach((b, i) => expect(b).toBeCloseTo(singles[i], 4));
    // Patch extraction is pure: the same centre gives the same patch.
    expect(Array.from(extractPatches(sphere, [CENTRE], DEFAULT_PATCH_SPEC).subarray(0, 50))).toEqual(
      Array.from(extractPatches(sphere, [CENTRE], model.spec).subarray(0, 50)),
    );
  });

  it('splits large inputs into runs of maxBatch and keeps the order', async () => {
    const small = await LesionModel.open(await loadManifest(path.join(MODELS, 'lesion-cnn')), { order: ['cpu'], log: pino({ enabled: false }), maxBatch: 2 });
    const centres = [CENTRE, CENTRE, { slice: 7, row: 30, column: 30 }, CENTRE, { slice: 7, row: 60, column: 60 }];
    const a = await small.predict(vessel, centres);
    const b = await model.predict(vessel, centres);
    expect(a.map((p) => p.lesion.toFixed(4))).toEqual(b.map((p) => p.lesion.toFixed(4)));
    await small.close();
  });
});

describe('LesionCnnScorer and the registry', () => {
  function candidate(id: number, c: PatchCentre): Candidate {
    return { id, centroidPx: c } as unknown as Candidate;
  }

  it('scores candidates in order with texture, margin and a heatmap box on the centre slice', async () => {
    const v = { ...sphere, rows: sphere.rows, columns: sphere.columns } as unknown as Volume;
    const scorer = new LesionCnnScorer(model);
    const scores = await scorer.scoreCandidates(v, [candidate(1, CENTRE), candidate(2, { slice: 7, row: 10, column: 10 })]);
    expect(scores).toHaveLength(2);
    expect(scores[0].lesionProbability).toBeGreaterThan(scores[1].lesionProbability);
    expect(scores[0].texture!.solid + scores[0].texture!.partSolid + scores[0].texture!.groundGlass).toBeCloseTo(1, 4);
    const h = scores[0].heatmap!;
    expect(h.slice).toBe(7);
    expect(h.data).toHaveLength(h.size * h.size);
    // The box is the patch field: 48 mm at 0.7 mm/px around the centre.
    expect(h.box[2] - h.box[0]).toBeCloseTo((DEFAULT_PATCH_SPEC.size * DEFAULT_PATCH_SPEC.mmPerPixel) / 0.7, 3);
    expect(scorer.info).toEqual({ id: 'lesion-cnn', version: model.info.version, executionProvider: 'cpu' });
    // The heatmap outlines the sphere (12 mm ≈ 17 px) around the centroid.
    const r = heatmapRegion(h)!;
    expect(r.slice).toBe(7);
    expect(r.x).toBeLessThan(48);
    expect(r.x + r.w).toBeGreaterThan(48);
    expect(r.w).toBeGreaterThan(8);
    expect(r.w).toBeLessThan(45);
  });

  it('heatmapRegion grows from the central peak, ignores blobs that do not touch it, and maps cells to pixels', () => {
    const data = new Float32Array(100);
    for (const [x, y] of [[4, 4], [5, 4], [4, 5], [5, 5], [6, 5]]) data[y * 10 + x] = 0.9;
    data[0] = 0.99; // a corner blob, not connected
    const r = heatmapRegion({ slice: 3, box: [100, 200, 150, 250], size: 10, data })!;
    expect(r).toEqual({ slice: 3, x: 120, y: 220, w: 15, h: 10, score: expect.closeTo(0.9, 5) });
    expect(heatmapRegion({ slice: 0, box: [0, 0, 10, 10], size: 10, data: new Float32Array(100) })).toBeUndefined();
  });

  it('passes an optional head to fusion only when the manifest does not mark it fuse: false', async () => {
    const m = await loadManifest(path.join(MODELS, 'lesion-cnn'));
    const withMargin = async (fuse: boolean): Promise<number | undefined> => {
      const copy = structuredClone(m);
      for (const o of copy.manifest.outputs) if (o.role === 'margin-irregularity') o.fuse = fuse;
      const lm = await LesionModel.open(copy, { order: ['cpu'], log: pino({ enabled: false }) });
      const [p] = await lm.predict(sphere, [CENTRE]);
      await lm.close();
      return p.margin;
    };
    const on = await withMargin(true);
    expect(on).toBeGreaterThanOrEqual(0);
    expect(on).toBeLessThanOrEqual(1);
    expect(await withMargin(false)).toBeUndefined();
  });

  it('loads every model folder, lists them with the provider that ran, and refuses unknown ids', async () => {
    const reg = await ModelRegistry.open({ modelsDir: MODELS, executionProviders: 'cpu', log: pino({ enabled: false }) });
    expect(reg.list()).toEqual([expect.objectContaining({ id: 'lesion-cnn', kind: 'lesion-cnn', executionProvider: 'cpu', default: true })]);
    expect(reg.scorer()?.info.id).toBe('lesion-cnn');
    expect(() => reg.get('biomedclip')).toThrow(expect.objectContaining({ code: 'UNKNOWN_MODEL', httpStatus: 400 }));
    await reg.close();
  });
});
