/**
 * models/<id>/manifest.json: what a model is, how to feed it and where it came from. Read and validated
 * here (TypeBox schema plus the rules a schema cannot say), so a broken model folder fails at startup
 * with the file and the problem named, not at the first request.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ManifestInvalidError, ModelFileCorruptError, ModelFileMissingError } from './errors';

export const MANIFEST_FILE = 'manifest.json';
export const MODEL_KINDS = ['lesion-cnn', 'clip-dual', 'cross-encoder'] as const;

const Dim = Type.Union([Type.Integer({ minimum: 1 }), Type.String({ minLength: 1 })]);

export const TensorSpecSchema = Type.Object({
  /** Name in the ONNX graph. */
  name: Type.String({ minLength: 1 }),
  /** What the adapter uses it for (e.g. 'patches', 'lesion-probability', 'pixels', 'text-embedding'). */
  role: Type.String({ minLength: 1 }),
  /** Key into `files`: which ONNX file has it. */
  file: Type.String({ minLength: 1 }),
  dtype: Type.Union([Type.Literal('float32'), Type.Literal('int64'), Type.Literal('int32')]),
  /** Integers are fixed, strings are symbolic (e.g. "batch", "seq", "tokens"). */
  shape: Type.Array(Dim, { minItems: 1 }),
  labels: Type.Optional(Type.Array(Type.String())),
  /** False for an output the model exports but whose held-out quality is too low to fuse (default true). */
  fuse: Type.Optional(Type.Boolean()),
});

const WindowSchema = Type.Object({ center: Type.Number(), width: Type.Number({ exclusiveMinimum: 0 }) });

export const PatchPreprocessingSchema = Type.Object({
  size: Type.Integer({ minimum: 4, maximum: 512 }),
  mmPerPixel: Type.Number({ exclusiveMinimum: 0 }),
  sliceOffsetsMm: Type.Array(Type.Number(), { minItems: 1, maxItems: 32 }),
  windows: Type.Array(WindowSchema, { minItems: 1, maxItems: 8 }),
  mean: Type.Array(Type.Number(), { minItems: 1 }),
  std: Type.Array(Type.Number({ exclusiveMinimum: 0 }), { minItems: 1 }),
});

export const ImagePreprocessingSchema = Type.Object({
  /** The HU window that maps a slice to 0..1 before mean/std. */
  window: WindowSchema,
  /** Square input side in pixels (the slice is resampled to it). */
  size: Type.Integer({ minimum: 8, maximum: 2048 }),
  /** Per-channel mean/std after windowing (3 for RGB-trained models: the grey slice is repeated). */
  mean: Type.Array(Type.Number(), { minItems: 1, maxItems: 3 }),
  std: Type.Array(Type.Number({ exclusiveMinimum: 0 }), { minItems: 1, maxItems: 3 }),
  /** Side of the square grid of patch tokens, when the model exposes them (e.g. 14 for ViT-B/16 at 224). */
  patchGrid: Type.Optional(Type.Integer({ minimum: 1 })),
});

export const TokenizerSchema = Type.Object({
  /** Key into `files` of a Hugging Face tokenizer.json. */
  file: Type.String({ minLength: 1 }),
  /** Sequence length the text model takes (padded/truncated to it). */
  maxLength: Type.Integer({ minimum: 1, maximum: 4096 }),
  padId: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Prompt wrapped around the query text, with "{}" for it (e.g. "a CT slice showing {}"). */
  prompt: Type.Optional(Type.String()),
});

export const ManifestSchema = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' }),
  kind: Type.Union(MODEL_KINDS.map((k) => Type.Literal(k))),
  version: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String()),
  /** Logical name → file name in the model folder. */
  files: Type.Record(Type.String(), Type.String({ minLength: 1 })),
  /** Optional checksums by file name; a mismatch is a corrupt file. */
  sha256: Type.Optional(Type.Record(Type.String(), Type.String({ pattern: '^[0-9a-f]{64}$' }))),
  inputs: Type.Array(TensorSpecSchema, { minItems: 1 }),
  outputs: Type.Array(TensorSpecSchema, { minItems: 1 }),
  preprocessing: Type.Object({
    patch: Type.Optional(PatchPreprocessingSchema),
    image: Type.Optional(ImagePreprocessingSchema),
  }),
  tokenizer: Type.Optional(TokenizerSchema),
  licence: Type.Object({ weights: Type.String({ minLength: 1 }), data: Type.Optional(Type.String()) }),
  provenance: Type.Record(Type.String(), Type.Unknown()),
  metrics: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
});

export type ModelKind = (typeof MODEL_KINDS)[number];
export type TensorSpec = Static<typeof TensorSpecSchema>;
export type ModelManifest = Static<typeof ManifestSchema>;

/** A validated manifest with the absolute path of every file it names. */
export interface LoadedManifest {
  dir: string;
  manifest: ModelManifest;
  /** Logical file name → absolute path. */
  paths: Record<string, string>;
}

/** Roles each kind needs: [inputs, outputs], each role with the logical file it must live in. */
const REQUIRED: Record<ModelKind, { files: string[]; inputs: string[]; outputs: string[] }> = {
  'lesion-cnn': { files: ['model'], inputs: ['patches'], outputs: ['lesion-probability'] },
  'clip-dual': { files: ['vision', 'text', 'tokenizer'], inputs: ['pixels', 'input-ids'], outputs: ['image-embedding', 'text-embedding'] },
  'cross-encoder': { files: ['model', 'tokenizer'], inputs: ['pixels', 'input-ids'], outputs: ['score'] },
};

/** Rules beyond the schema; returns problems as "path: message". */
export function manifestProblems(m: ModelManifest): string[] {
  const p: string[] = [];
  const req = REQUIRED[m.kind];
  for (const f of req.files) if (!m.files[f]) p.push(`/files/${f}: required for kind ${m.kind}`);
  for (const [k, v] of Object.entries(m.files)) {
    if (path.isAbsolute(v) || v.split(/[\\/]/).includes('..')) p.push(`/files/${k}: must be a path inside the model folder`);
  }
  for (const [list, roles] of [
    ['inputs', req.inputs],
    ['outputs', req.outputs],
  ] as const) {
    const have = m[list];
    for (const r of roles) if (!have.some((t) => t.role === r)) p.push(`/${list}: no tensor with role "${r}" (required for kind ${m.kind})`);
    have.forEach((t, i) => {
      if (!m.files[t.file]) p.push(`/${list}/${i}/file: "${t.file}" is not a key of files`);
    });
  }
  if (m.kind === 'lesion-cnn') {
    const spec = m.preprocessing.patch;
    if (!spec) p.push('/preprocessing/patch: required for kind lesion-cnn');
    else {
      const channels = spec.windows.length * spec.sliceOffsetsMm.length;
      if (spec.mean.length !== channels) p.push(`/preprocessing/patch/mean: needs ${channels} entries (windows x slice offsets)`);
      if (spec.std.length !== channels) p.push(`/preprocessing/patch/std: needs ${channels} entries (windows x slice offsets)`);
      const input = m.inputs.find((t) => t.role === 'patches');
      if (input) {
        const [, c, h, w] = input.shape;
        if (input.shape.length !== 4) p.push('/inputs (patches): shape must be [batch, channels, size, size]');
        else if ((typeof c === 'number' && c !== channels) || (typeof h === 'number' && h !== spec.size) || (typeof w === 'number' && w !== spec.size)) {
          p.push(`/inputs (patches): shape ${JSON.stringify(input.shape)} does not match preprocessing (${channels} x ${spec.size} x ${spec.size})`);
        }
        if (input.dtype !== 'float32') p.push('/inputs (patches): dtype must be float32');
      }
    }
  }
  if (m.kind === 'clip-dual' || m.kind === 'cross-encoder') {
    const img = m.preprocessing.image;
    if (!img) p.push(`/preprocessing/image: required for kind ${m.kind}`);
    else if (img.mean.length !== img.std.length) p.push('/preprocessing/image: mean and std need the same length');
    if (!m.tokenizer) p.push(`/tokenizer: required for kind ${m.kind}`);
    else if (!m.files[m.tokenizer.file]) p.push(`/tokenizer/file: "${m.tokenizer.file}" is not a key of files`);
  }
  return p;
}

/** Parses and validates a manifest object (no file access): throws ManifestInvalidError listing every problem. */
export function parseManifest(data: unknown, file: string): ModelManifest {
  if (!Value.Check(ManifestSchema, data)) {
    const problems = [...Value.Errors(ManifestSchema, data)].slice(0, 20).map((e) => `${e.path || '/'}: ${e.message}`);
    throw new ManifestInvalidError(file, problems);
  }
  const problems = manifestProblems(data);
  if (problems.length) throw new ManifestInvalidError(file, problems);
  return data;
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * Reads models/<id>/manifest.json, validates it, and checks every file it names is present (and matches
 * its checksum when one is given). Errors name the file.
 */
export async function loadManifest(dir: string, opts: { verifyChecksums?: boolean } = {}): Promise<LoadedManifest> {
  const file = path.join(dir, MANIFEST_FILE);
  if (!(await exists(file))) throw new ModelFileMissingError(file, 'the model folder has no manifest.json');
  let data: unknown;
  try {
    data = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    throw new ModelFileCorruptError(file, `not valid JSON (${(e as Error).message})`, e);
  }
  const manifest = parseManifest(data, file);
  const paths: Record<string, string> = {};
  for (const [key, name] of Object.entries(manifest.files)) {
    const p = path.join(dir, name);
    if (!(await exists(p))) throw new ModelFileMissingError(p, `files.${key} of ${file}`);
    paths[key] = p;
  }
  if (opts.verifyChecksums !== false && manifest.sha256) {
    for (const [name, want] of Object.entries(manifest.sha256)) {
      const p = path.join(dir, name);
      if (!(await exists(p))) throw new ModelFileMissingError(p, `sha256 entry of ${file}`);
      const got = createHash('sha256').update(await fs.readFile(p)).digest('hex');
      if (got !== want) throw new ModelFileCorruptError(p, `sha256 ${got} does not match the manifest's ${want}`);
    }
  }
  return { dir, manifest, paths };
}

/** Model folders under `modelsDir` (those that have a manifest.json), sorted by name. */
export async function listModelDirs(modelsDir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await fs.readdir(modelsDir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries.sort()) {
    if (await exists(path.join(modelsDir, e, MANIFEST_FILE))) out.push(path.join(modelsDir, e));
  }
  return out;
}

/** The tensor spec with a role, or undefined. */
export function tensorByRole(list: TensorSpec[], role: string): TensorSpec | undefined {
  return list.find((t) => t.role === role);
}
