/**
 * The model worker's tasks (loaded in that worker thread only): the installed models are opened there
 * once, and candidates are scored there, so onnxruntime's synchronous session runs and the patch
 * extraction never hold the event loop. The volume comes in a SharedArrayBuffer (not copied).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { CandidateScore, ScorerInput } from '../rerank/learned';
import type { Volume } from '../series/volume';
import { defineTask } from '../workers/task';
import { afterTask } from '../workers/gc';
import { listModelDirs, MANIFEST_FILE } from './manifest';
import { DEFAULT_MODELS_DIR, ModelRegistry, type ModelListEntry } from './registry';

let registry: Promise<ModelRegistry> | undefined;

export interface OpenModelsInput {
  modelsDir?: string;
  executionProviders: string[];
  /** CPU intra-op threads per session. */
  threads?: number;
  logLevel: string;
}

export interface OpenModelsOutput {
  models: ModelListEntry[];
  defaultId: string;
  /** Per model id: sha256 over the files of its folder (a model changed under the same version is another model). */
  fingerprints: Record<string, string>;
  /** What the registry logged while opening (providers tried, models loaded), for the server's own log. */
  logs: Array<Record<string, unknown>>;
}

function folderDigest(dir: string): string {
  const h = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    const file = path.join(dir, name);
    if (!statSync(file).isFile()) continue;
    h.update(name).update(readFileSync(file));
  }
  return h.digest('hex').slice(0, 16);
}

/** Opens every model folder (once per worker; later calls list what is open). */
export const openModels = defineTask(async (input: OpenModelsInput): Promise<OpenModelsOutput> => {
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  registry ??= ModelRegistry.open({
    modelsDir: input.modelsDir,
    executionProviders: input.executionProviders,
    threads: input.threads,
    log: pino({ level: input.logLevel, base: undefined }, sink),
  });
  registry.catch(() => (registry = undefined));
  const reg = await registry;
  const fingerprints: Record<string, string> = {};
  for (const dir of await listModelDirs(input.modelsDir ?? DEFAULT_MODELS_DIR)) {
    const id = (JSON.parse(readFileSync(path.join(dir, MANIFEST_FILE), 'utf8')) as { id?: unknown }).id;
    if (typeof id === 'string' && reg.ids().includes(id)) fingerprints[id] = folderDigest(dir);
  }
  return { models: reg.list(), defaultId: reg.defaultId, fingerprints, logs };
});

export interface ScoreInput {
  model: string;
  volume: Volume;
  candidates: ScorerInput[];
}

/** One score per candidate with the model `model` (see LearnedScorer), without heatmaps. */
export const scoreCandidates = defineTask(async (input: ScoreInput): Promise<CandidateScore[]> => {
  if (!registry) throw new Error('the models are not open in this worker');
  const scorer = (await registry).scorer(input.model);
  if (!scorer) throw new Error(`model ${input.model} does not score candidates`);
  // Lets go of this thread's view of the volume soon after (server/workers/gc.ts).
  afterTask('minor');
  // Fusion reads no heatmap; a few hundred of them, cloned onto the event loop and on to the query
  // worker, cost it 1-2 ms a hop.
  return (await scorer.scoreCandidates(input.volume, input.candidates)).map(({ heatmap: _h, ...s }) => s);
});

export const closeModels = defineTask(async (): Promise<true> => {
  const reg = await registry?.catch(() => undefined);
  registry = undefined;
  await reg?.close();
  return true;
});
