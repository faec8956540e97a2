/**
 * clip-dual adapter: a CLIP-style dual encoder (e.g. BiomedCLIP exported to ONNX) dropped into
 * models/<id>/ with vision.onnx, text.onnx, tokenizer.json and a manifest. Slices are windowed,
 * resampled to the model's input size and embedded; the query text is tokenised (Hugging Face
 * tokenizer.json, @huggingface/tokenizers) and embedded; a slice's score is the cosine similarity of the
 * two. When the vision model exposes patch tokens, the best-matching patches give the region.
 */
import fs from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import type { Logger } from 'pino';
import type { ModelInfo } from '../rerank/response';
import { ModelFileCorruptError, ModelInputError } from './errors';
import { tensorByRole, type LoadedManifest, type ModelManifest, type TensorSpec } from './manifest';
import type { ExecutionProvider } from './providers';
import { growFromSeed } from './grid-region';
import { openSession, type SharedSession } from './sessions';
import { applyWindow, type HuGrid } from './lesion-cnn/patches';

type ImageSpec = NonNullable<ModelManifest['preprocessing']['image']>;
type TokenizerSpec = NonNullable<ModelManifest['tokenizer']>;

export interface ClipDualOptions {
  order: ExecutionProvider[];
  log: Logger;
  threads?: number;
  /** Slices per vision run (default 16). */
  maxBatch?: number;
}

export interface TokenisedText {
  ids: number[];
  mask: number[];
  tokens: string[];
}

export interface SliceMatch {
  slice: number;
  /** Cosine similarity of image and text embeddings, -1..1. */
  similarity: number;
  /** Pixel box on the slice from patch-token similarity, when the model exposes patch tokens. */
  region?: { x: number; y: number; w: number; h: number; score: number };
}

export function l2normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i] * v[i];
  const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i] * inv;
  return out;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/**
 * One slice as the model's input: HU window → 0..1, the slice's physical field fitted (aspect kept,
 * centred, padded with 0) into size×size by bilinear sampling, then per-channel mean/std, repeated over
 * the channels. Returns the mapping too, so patch cells can be mapped back to pixels.
 */
export function sliceToPixels(g: HuGrid, slice: number, img: ImageSpec, channels: number, out: Float32Array, offset: number): void {
  const [rowSp, colSp] = [g.pixelSpacing[0], g.pixelSpacing[1]];
  const fieldMm = Math.max(g.rows * rowSp, g.columns * colSp);
  fieldToPixels(g, { slice, row: (g.rows - 1) / 2, column: (g.columns - 1) / 2 }, fieldMm, img, channels, out, offset);
}

/**
 * A square field of `fieldMm` centred on (row, column) of one slice as the model's input (windowed,
 * bilinear, 0 outside the slice, mean/std, repeated over the channels).
 */
export function fieldToPixels(
  g: HuGrid,
  centre: { slice: number; row: number; column: number },
  fieldMm: number,
  img: ImageSpec,
  channels: number,
  out: Float32Array,
  offset: number,
): void {
  const { rows, columns, hu } = g;
  const size = img.size;
  const [rowSp, colSp] = [g.pixelSpacing[0], g.pixelSpacing[1]];
  const mmPerOut = fieldMm / size;
  const slice = Math.max(0, Math.min(g.slices - 1, Math.round(centre.slice)));
  // Output pixel centre (u, v) → mm from the field centre → source pixel.
  const base = slice * rows * columns;
  const plane = size * size;
  const grey = new Float32Array(plane);
  for (let v = 0; v < size; v++) {
    const r = ((v + 0.5) * mmPerOut - fieldMm / 2) / rowSp + centre.row;
    for (let u = 0; u < size; u++) {
      const c = ((u + 0.5) * mmPerOut - fieldMm / 2) / colSp + centre.column;
      if (r < -0.5 || r > rows - 0.5 || c < -0.5 || c > columns - 0.5) continue;
      const r0 = Math.max(0, Math.min(rows - 1, Math.floor(r)));
      const c0 = Math.max(0, Math.min(columns - 1, Math.floor(c)));
      const r1 = Math.min(rows - 1, r0 + 1);
      const c1 = Math.min(columns - 1, c0 + 1);
      const fr = Math.max(0, Math.min(1, r - r0));
      const fc = Math.max(0, Math.min(1, c - c0));
      const h =
        (hu[base + r0 * columns + c0] * (1 - fc) + hu[base + r0 * columns + c1] * fc) * (1 - fr) +
        (hu[base + r1 * columns + c0] * (1 - fc) + hu[base + r1 * columns + c1] * fc) * fr;
      grey[v * size + u] = applyWindow(h, img.window);
    }
  }
  for (let ch = 0; ch < channels; ch++) {
    const m = img.mean[Math.min(ch, img.mean.length - 1)];
    const s = img.std[Math.min(ch, img.std.length - 1)];
    const o = offset + ch * plane;
    for (let i = 0; i < plane; i++) out[o + i] = (grey[i] - m) / s;
  }
}

export class ClipDualModel {
  readonly info: ModelInfo;
  readonly kind = 'clip-dual' as const;
  readonly image: ImageSpec;
  private readonly vision: SharedSession;
  private readonly text: SharedSession;
  private readonly tokenizer: Tokenizer;
  private readonly tok: TokenizerSpec;
  private readonly io: {
    pixels: TensorSpec;
    ids: TensorSpec;
    mask?: TensorSpec;
    imageEmb: TensorSpec;
    patchEmb?: TensorSpec;
    textEmb: TensorSpec;
  };
  private readonly channels: number;
  private readonly maxBatch: number;

  private constructor(m: ModelManifest, vision: SharedSession, text: SharedSession, tokenizer: Tokenizer, maxBatch: number) {
    this.vision = vision;
    this.text = text;
    this.tokenizer = tokenizer;
    this.tok = m.tokenizer as TokenizerSpec;
    this.image = m.preprocessing.image as ImageSpec;
    this.io = {
      pixels: tensorByRole(m.inputs, 'pixels') as TensorSpec,
      ids: tensorByRole(m.inputs, 'input-ids') as TensorSpec,
      mask: tensorByRole(m.inputs, 'attention-mask'),
      imageEmb: tensorByRole(m.outputs, 'image-embedding') as TensorSpec,
      patchEmb: tensorByRole(m.outputs, 'patch-embeddings'),
      textEmb: tensorByRole(m.outputs, 'text-embedding') as TensorSpec,
    };
    const c = this.io.pixels.shape[1];
    this.channels = typeof c === 'number' ? c : 3;
    this.maxBatch = maxBatch;
    this.info = { id: m.id, version: m.version, executionProvider: vision.executionProvider };
  }

  static async open(m: LoadedManifest, o: ClipDualOptions): Promise<ClipDualModel> {
    const { manifest } = m;
    if (manifest.kind !== 'clip-dual') throw new ModelInputError(`${m.dir}: kind ${manifest.kind} is not clip-dual`);
    const tokSpec = manifest.tokenizer as TokenizerSpec;
    const tokFile = m.paths[tokSpec.file];
    let tokenizer: Tokenizer;
    try {
      const json = JSON.parse(await fs.readFile(tokFile, 'utf8'));
      const cfgFile = m.paths.tokenizerConfig;
      const cfg = cfgFile ? JSON.parse(await fs.readFile(cfgFile, 'utf8')) : {};
      tokenizer = new Tokenizer(json, cfg);
      tokenizer.encode('probe');
    } catch (e) {
      throw new ModelFileCorruptError(tokFile, `not a usable tokenizer.json (${(e as Error).message})`, e);
    }
    const common = { order: o.order, log: o.log, threads: o.threads };
    const byFile = (f: string) => ({ inputs: manifest.inputs.filter((t) => t.file === f), outputs: manifest.outputs.filter((t) => t.file === f) });
    const vision = await openSession(m.paths.vision, { ...common, ...byFile('vision'), warmUpDims: { batch: 1 } });
    const text = await openSession(m.paths.text, { ...common, ...byFile('text'), warmUpDims: { batch: 1, seq: tokSpec.maxLength } });
    return new ClipDualModel(manifest, vision, text, tokenizer, o.maxBatch ?? 16);
  }

  get executionProvider(): ExecutionProvider {
    return this.vision.executionProvider;
  }

  /** Token ids padded/truncated to maxLength (the closing special token kept when truncating). */
  tokenise(text: string): TokenisedText {
    const prompt = this.tok.prompt ? this.tok.prompt.replace('{}', text) : text;
    const enc = this.tokenizer.encode(prompt);
    const max = this.tok.maxLength;
    let ids = enc.ids;
    let tokens = enc.tokens;
    if (ids.length > max) {
      ids = [...ids.slice(0, max - 1), ids[ids.length - 1]];
      tokens = [...tokens.slice(0, max - 1), tokens[tokens.length - 1]];
    }
    const pad = this.tok.padId ?? 0;
    const mask = ids.map(() => 1);
    while (ids.length < max) {
      ids = [...ids, pad];
      mask.push(0);
    }
    return { ids, mask, tokens };
  }

  /** L2-normalised text embeddings, one run for all texts. */
  async encodeTexts(texts: string[]): Promise<Float32Array[]> {
    if (!texts.length) return [];
    const toks = texts.map((t) => this.tokenise(t));
    const max = this.tok.maxLength;
    const asTensor = (spec: TensorSpec, rows: number[][]): ort.Tensor => {
      const flat = rows.flat();
      return spec.dtype === 'int64'
        ? new ort.Tensor('int64', BigInt64Array.from(flat, (x) => BigInt(x)), [rows.length, max])
        : new ort.Tensor('int32', Int32Array.from(flat), [rows.length, max]);
    };
    const feeds: Record<string, ort.Tensor> = { [this.io.ids.name]: asTensor(this.io.ids, toks.map((t) => t.ids)) };
    if (this.io.mask) feeds[this.io.mask.name] = asTensor(this.io.mask, toks.map((t) => t.mask));
    const out = await this.text.run(feeds, [this.io.textEmb.name]);
    const emb = out[this.io.textEmb.name];
    const dim = Number(emb.dims[emb.dims.length - 1]);
    const data = emb.data as Float32Array;
    return texts.map((_, i) => l2normalise(data.subarray(i * dim, (i + 1) * dim)));
  }

  /** L2-normalised image embeddings (and patch-token embeddings when exposed) of the given slices. */
  encodeSlices(g: HuGrid, slices: number[]): Promise<{ image: Float32Array[]; patches?: Float32Array[][] }> {
    return this.encodeImages(slices.length, (i, out, offset) => sliceToPixels(g, slices[i], this.image, this.channels, out, offset));
  }

  /** Embeddings of square fields (fieldMm wide) around points, e.g. lesion candidates. */
  encodeFields(g: HuGrid, fields: Array<{ slice: number; row: number; column: number; fieldMm: number }>): Promise<{ image: Float32Array[]; patches?: Float32Array[][] }> {
    return this.encodeImages(fields.length, (i, out, offset) => fieldToPixels(g, fields[i], fields[i].fieldMm, this.image, this.channels, out, offset));
  }

  private async encodeImages(count: number, fill: (i: number, out: Float32Array, offset: number) => void): Promise<{ image: Float32Array[]; patches?: Float32Array[][] }> {
    const size = this.image.size;
    const len = this.channels * size * size;
    const image: Float32Array[] = [];
    const patches: Float32Array[][] = [];
    for (let start = 0; start < count; start += this.maxBatch) {
      const batch = Array.from({ length: Math.min(this.maxBatch, count - start) }, (_, k) => start + k);
      const data = new Float32Array(batch.length * len);
      batch.forEach((idx, i) => fill(idx, data, i * len));
      const names = [this.io.imageEmb.name, ...(this.io.patchEmb ? [this.io.patchEmb.name] : [])];
      const out = await this.vision.run({ [this.io.pixels.name]: new ort.Tensor('float32', data, [batch.length, this.channels, size, size]) }, names);
      const emb = out[this.io.imageEmb.name];
      const dim = Number(emb.dims[emb.dims.length - 1]);
      const ed = emb.data as Float32Array;
      batch.forEach((_, i) => image.push(l2normalise(ed.subarray(i * dim, (i + 1) * dim))));
      if (this.io.patchEmb) {
        const pt = out[this.io.patchEmb.name];
        const [, tokens, pdim] = pt.dims.map(Number);
        const pd = pt.data as Float32Array;
        batch.forEach((_, i) => {
          const list: Float32Array[] = [];
          for (let k = 0; k < tokens; k++) list.push(l2normalise(pd.subarray((i * tokens + k) * pdim, (i * tokens + k + 1) * pdim)));
          patches.push(list);
        });
      }
    }
    return { image, patches: this.io.patchEmb ? patches : undefined };
  }

  /** Cosine similarity of each slice with the text, plus a region from patch tokens when available. */
  async scoreSlices(g: HuGrid, text: string, slices?: number[]): Promise<SliceMatch[]> {
    const list = slices ?? Array.from({ length: g.slices }, (_, i) => i);
    const [t] = await this.encodeTexts([text]);
    const { image, patches } = await this.encodeSlices(g, list);
    return list.map((slice, i) => {
      const m: SliceMatch = { slice, similarity: dot(image[i], t) };
      if (patches) m.region = this.patchRegion(g, patches[i], t);
      return m;
    });
  }

  /**
   * Patch tokens with similarity near the best one (within a third of the best-to-mean gap), grown from
   * the best cell over 4-neighbours, as a pixel box on the slice. Leading tokens beyond the grid (a CLS
   * token) are skipped.
   */
  patchRegion(g: HuGrid, tokens: Float32Array[], t: Float32Array): SliceMatch['region'] {
    const grid = this.image.patchGrid ?? Math.round(Math.sqrt(tokens.length));
    const skip = tokens.length - grid * grid;
    if (skip < 0) return undefined;
    const sims = tokens.slice(skip).map((p) => dot(p, t));
    let best = 0;
    for (let i = 1; i < sims.length; i++) if (sims[i] > sims[best]) best = i;
    const mean = sims.reduce((a, b) => a + b, 0) / sims.length;
    const cut = sims[best] - (sims[best] - mean) / 3;
    const { x0, y0, x1, y1 } = growFromSeed(sims, grid, best, cut);
    // Cell edges in mm from the field centre → slice pixels.
    const [rowSp, colSp] = [g.pixelSpacing[0], g.pixelSpacing[1]];
    const fieldMm = Math.max(g.rows * rowSp, g.columns * colSp);
    const cellMm = fieldMm / grid;
    const px = (mm: number): number => (mm - fieldMm / 2) / colSp + g.columns / 2;
    const py = (mm: number): number => (mm - fieldMm / 2) / rowSp + g.rows / 2;
    const x = Math.max(0, px(x0 * cellMm));
    const y = Math.max(0, py(y0 * cellMm));
    const xe = Math.min(g.columns, px((x1 + 1) * cellMm));
    const ye = Math.min(g.rows, py((y1 + 1) * cellMm));
    return { x: Math.round(x), y: Math.round(y), w: Math.round(xe - x), h: Math.round(ye - y), score: sims[best] };
  }

  async close(): Promise<void> {
    await Promise.all([this.vision.close(), this.text.close()]);
  }
}
