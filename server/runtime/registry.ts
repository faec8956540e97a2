/**
 * The installed models: every folder under models/ with a manifest.json, loaded once at startup
 * (validated, sessions created on the first execution provider that works, warmed up) and shared.
 * A broken folder is a startup error that names the file.
 */
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { ClipDualModel } from './clip-dual';
import { ClipCandidateScorer } from './clip-dual-scorer';
import { ModelError, UnknownModelError } from './errors';
import { LesionModel } from './lesion-cnn/model';
import { LesionCnnScorer } from './lesion-cnn/scorer';
import type { LearnedScorer } from '../rerank/learned';
import { listModelDirs, loadManifest, type ModelKind } from './manifest';
import { resolveEpOrder, type ExecutionProvider } from './providers';

export const DEFAULT_MODELS_DIR = path.resolve(__dirname, '..', '..', 'models');
export const DEFAULT_MODEL_ID = 'lesion-cnn';

export type LoadedModel = LesionModel | ClipDualModel;

export interface ModelListEntry {
  id: string;
  kind: ModelKind;
  version: string;
  executionProvider: ExecutionProvider;
  default: boolean;
}

export interface RegistryOptions {
  modelsDir?: string;
  /** "cuda,webgpu,cpu", "webgpu", "cpu", "auto" or a list; else SLICE_FINDER_EP; else cuda → webgpu → cpu. */
  executionProviders?: string | string[];
  log?: Logger;
  /** CPU intra-op threads. */
  threads?: number;
  /** Load only these ids (default: every folder). */
  only?: string[];
  defaultModel?: string;
}

export class ModelRegistry {
  private readonly models = new Map<string, LoadedModel>();
  private readonly scorers = new Map<string, LearnedScorer>();
  readonly defaultId: string;

  private constructor(models: LoadedModel[], defaultId: string) {
    for (const m of models) this.models.set(m.info.id, m);
    this.defaultId = this.models.has(defaultId) ? defaultId : (models[0]?.info.id ?? defaultId);
  }

  static async open(o: RegistryOptions = {}): Promise<ModelRegistry> {
    const log = o.log ?? pino({ name: 'runtime' });
    const order = resolveEpOrder(Array.isArray(o.executionProviders) ? o.executionProviders.join(',') : o.executionProviders);
    const dirs = await listModelDirs(o.modelsDir ?? DEFAULT_MODELS_DIR);
    const loaded: LoadedModel[] = [];
    for (const dir of dirs) {
      if (o.only && !o.only.includes(path.basename(dir))) continue;
      const m = await loadManifest(dir);
      const common = { order, log, threads: o.threads };
      let model: LoadedModel;
      if (m.manifest.kind === 'lesion-cnn') model = await LesionModel.open(m, common);
      else if (m.manifest.kind === 'clip-dual') model = await ClipDualModel.open(m, common);
      else throw new ModelError('MODEL_KIND_UNSUPPORTED', 503, `${path.join(dir, 'manifest.json')}: kind ${m.manifest.kind} has no adapter in this version`);
      log.info({ model: model.info.id, version: model.info.version, executionProvider: model.info.executionProvider }, 'model loaded');
      loaded.push(model);
    }
    return new ModelRegistry(loaded, o.defaultModel ?? DEFAULT_MODEL_ID);
  }

  ids(): string[] {
    return [...this.models.keys()];
  }

  /** The model with this id (the default one when absent); UnknownModelError (400) otherwise. */
  get(id?: string): LoadedModel {
    const m = this.models.get(id ?? this.defaultId);
    if (!m) throw new UnknownModelError(id ?? this.defaultId, this.ids());
    return m;
  }

  /**
   * The pipeline's learned stage for this model id (default model when absent): the lesion CNN, or a
   * clip-dual model used zero-shot on the candidates' fields (server/runtime/clip-dual-scorer.ts).
   */
  scorer(id?: string): LearnedScorer | undefined {
    const m = this.get(id);
    let s = this.scorers.get(m.info.id);
    if (!s) {
      s = m.kind === 'lesion-cnn' ? new LesionCnnScorer(m) : new ClipCandidateScorer(m);
      this.scorers.set(m.info.id, s);
    }
    return s;
  }

  /** For GET /api/v1/models. */
  list(): ModelListEntry[] {
    return [...this.models.values()].map((m) => ({
      id: m.info.id,
      kind: m.kind,
      version: m.info.version,
      executionProvider: m.executionProvider,
      default: m.info.id === this.defaultId,
    }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.models.values()].map((m) => m.close()));
    this.models.clear();
  }
}

/**
 * One model for a command-line run (rerank, eval, benchmarks): loads only that folder, returns its
 * candidate scorer (lesion-cnn) and a close(). The id defaults to the default model.
 */
export async function openScorer(o: RegistryOptions & { id?: string } = {}): Promise<{ scorer: LearnedScorer; registry: ModelRegistry; close: () => Promise<void> }> {
  const id = o.id ?? o.defaultModel ?? DEFAULT_MODEL_ID;
  const registry = await ModelRegistry.open({ ...o, only: [id], defaultModel: id });
  const scorer = registry.scorer(id);
  if (!scorer) {
    await registry.close();
    throw new ModelError('MODEL_KIND_UNSUPPORTED', 400, `model "${id}" does not score candidates (kind ${registry.get(id).kind})`);
  }
  return { scorer, registry, close: () => registry.close() };
}
