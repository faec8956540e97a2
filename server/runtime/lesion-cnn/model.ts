/**
 * The lesion CNN adapter: patches around candidate centres in, per-candidate lesion probability,
 * texture, margin irregularity and a coarse heatmap out. All candidates go through a few batched runs.
 */
import type { Logger } from 'pino';
import type { ModelInfo } from '../../rerank/response';
import { ModelInputError } from '../errors';
import { tensorByRole, type LoadedManifest, type TensorSpec } from '../manifest';
import type { ExecutionProvider } from '../providers';
import { checkedTensor, openSession, type SharedSession } from '../sessions';
import { centralPeak, growFromSeed } from '../grid-region';
import { channelCount, checkPatchSpec, extractPatches, heatCellToPixels, patchLength, type HuGrid, type PatchCentre, type PatchSpec } from './patches';

export type LesionTexture = 'solid' | 'part-solid' | 'ground-glass';

export interface LesionPrediction {
  /** 0..1: how much the patch looks like a lesion (nodule/mass) rather than vessel, airway, pleura. */
  lesion: number;
  /** Probabilities per texture (sum 1), when the model has that head. */
  texture?: Record<LesionTexture, number>;
  /** 0 smooth … 0.5 lobulated … 1 spiculated, when the model has that head. */
  margin?: number;
  /** Row-major heatSize×heatSize lesion map over the patch (0..1), when the model has that head. */
  heatmap?: Float32Array;
  heatSize?: number;
}

export interface LesionModelOptions {
  order: ExecutionProvider[];
  log: Logger;
  threads?: number;
  /** Largest batch per run (memory bound; default 256). */
  maxBatch?: number;
}

const TEXTURE_LABELS: LesionTexture[] = ['solid', 'part-solid', 'ground-glass'];

/** An optional head is used only when the manifest does not mark it `fuse: false` (too weak on held-out data). */
const fused = (t: TensorSpec | undefined): TensorSpec | undefined => (t && t.fuse !== false ? t : undefined);

export class LesionModel {
  readonly info: ModelInfo;
  readonly spec: PatchSpec;
  readonly kind = 'lesion-cnn' as const;
  private readonly session: SharedSession;
  private readonly input: TensorSpec;
  private readonly outputs: { lesion: TensorSpec; texture?: TensorSpec; margin?: TensorSpec; heatmap?: TensorSpec };
  private readonly maxBatch: number;

  private constructor(m: LoadedManifest, session: SharedSession, maxBatch: number) {
    const { manifest } = m;
    this.session = session;
    this.spec = manifest.preprocessing.patch as PatchSpec;
    this.input = tensorByRole(manifest.inputs, 'patches') as TensorSpec;
    this.outputs = {
      lesion: tensorByRole(manifest.outputs, 'lesion-probability') as TensorSpec,
      texture: fused(tensorByRole(manifest.outputs, 'texture-probabilities')),
      margin: fused(tensorByRole(manifest.outputs, 'margin-irregularity')),
      heatmap: fused(tensorByRole(manifest.outputs, 'heatmap')),
    };
    this.maxBatch = maxBatch;
    this.info = { id: manifest.id, version: manifest.version, executionProvider: session.executionProvider };
  }

  /** Opens the session (fallback over providers, warm-up run) for a validated lesion-cnn manifest. */
  static async open(m: LoadedManifest, o: LesionModelOptions): Promise<LesionModel> {
    if (m.manifest.kind !== 'lesion-cnn') throw new ModelInputError(`${m.dir}: kind ${m.manifest.kind} is not lesion-cnn`);
    checkPatchSpec(m.manifest.preprocessing.patch as PatchSpec);
    const file = m.paths.model;
    const session = await openSession(file, {
      order: o.order,
      log: o.log,
      threads: o.threads,
      inputs: m.manifest.inputs.filter((t) => t.file === 'model'),
      outputs: m.manifest.outputs.filter((t) => t.file === 'model'),
      warmUpDims: { batch: 4 },
    });
    return new LesionModel(m, session, o.maxBatch ?? 256);
  }

  get executionProvider(): ExecutionProvider {
    return this.session.executionProvider;
  }

  /** Predictions for `count` normalised patches laid out [count, C, size, size], in batches of maxBatch. */
  async predictPatches(patches: Float32Array, count: number): Promise<LesionPrediction[]> {
    const len = patchLength(this.spec);
    if (patches.length !== count * len) throw new ModelInputError(`patches: ${patches.length} values for ${count} patches of ${len}`);
    const out: LesionPrediction[] = [];
    const c = channelCount(this.spec);
    const size = this.spec.size;
    for (let start = 0; start < count; start += this.maxBatch) {
      const n = Math.min(this.maxBatch, count - start);
      const data = patches.subarray(start * len, (start + n) * len);
      const feeds = { [this.input.name]: checkedTensor(this.input.name, data, [n, c, size, size]) };
      const res = await this.session.run(feeds);
      const lesion = res[this.outputs.lesion.name].data as Float32Array;
      const texture = this.outputs.texture ? (res[this.outputs.texture.name].data as Float32Array) : undefined;
      const margin = this.outputs.margin ? (res[this.outputs.margin.name].data as Float32Array) : undefined;
      const heat = this.outputs.heatmap ? res[this.outputs.heatmap.name] : undefined;
      const heatSize = heat ? Number(heat.dims[heat.dims.length - 1]) : 0;
      const labels = (this.outputs.texture?.labels ?? TEXTURE_LABELS) as LesionTexture[];
      for (let i = 0; i < n; i++) {
        const p: LesionPrediction = { lesion: lesion[i] };
        if (texture) {
          const t = {} as Record<LesionTexture, number>;
          labels.forEach((l, k) => (t[l] = texture[i * labels.length + k]));
          p.texture = t;
        }
        if (margin) p.margin = margin[i];
        if (heat) {
          const hd = heat.data as Float32Array;
          p.heatmap = hd.slice(i * heatSize * heatSize, (i + 1) * heatSize * heatSize);
          p.heatSize = heatSize;
        }
        out.push(p);
      }
    }
    return out;
  }

  /** Extracts the patches (same code as training) and predicts them. */
  async predict(grid: HuGrid, centres: readonly PatchCentre[]): Promise<LesionPrediction[]> {
    if (!centres.length) return [];
    return this.predictPatches(extractPatches(grid, centres, this.spec), centres.length);
  }

  async close(): Promise<void> {
    await this.session.close();
  }
}

/**
 * The pixel box (on the centre slice) covered by heatmap cells at or above `threshold` that connect to
 * the strongest cell near the patch centre; undefined when the map has no cell over the threshold.
 */
export function heatmapBox(
  p: LesionPrediction,
  grid: Pick<HuGrid, 'pixelSpacing'>,
  centre: PatchCentre,
  spec: PatchSpec,
  threshold = 0.5,
): { x: number; y: number; w: number; h: number; score: number } | undefined {
  const { heatmap, heatSize } = p;
  if (!heatmap || !heatSize) return undefined;
  const seed = centralPeak(heatmap, heatSize, threshold);
  if (seed < 0) return undefined;
  const best = heatmap[seed];
  const { x0, y0, x1, y1 } = growFromSeed(heatmap, heatSize, seed, threshold);
  const a = heatCellToPixels(grid, centre, spec, heatSize, x0, y0);
  const b = heatCellToPixels(grid, centre, spec, heatSize, x1, y1);
  return { x: Math.round(a.x0), y: Math.round(a.y0), w: Math.round(b.x1 - a.x0), h: Math.round(b.y1 - a.y0), score: best };
}
