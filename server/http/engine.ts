/**
 * The one place where the service meets the imaging code: the loader (server/series), the query parser
 * (server/query), the rerank pipeline (server/rerank) and the learned models (server/runtime).
 * Decoding and analysis run in the worker pool (server/workers), the learned models in a worker of
 * their own (server/runtime/model-worker.ts): never on the event loop. With a shared cache (Redis),
 * learned scores are shared across replicas too. Routes and tests only see the `Engine` interface.
 */
import type { Logger } from 'pino';
import type { ParsedQuery } from '../query/finding';
import { loadLexiconFile } from '../query/lexicon/extension';
import { createQueryParser } from '../query/parse';
import { CLASSICAL_MODEL, type LearnedScorer } from '../rerank/learned';
import { PRESETS, rerankSlices, type Analysis as PipelineAnalysis, type Preset } from '../rerank/pipeline';
import type { RerankResponse } from '../rerank/response';
import { ModelWorker, type RemoteScorer } from '../runtime/model-worker';
import type { LoadOptions } from '../series/load';
import type { Volume } from '../series/volume';
import { WorkerPool } from '../workers/pool';
import { SeriesLoad, type SeriesLoadOptions } from '../workers/series-load';
import type { ModelEntry } from './schemas';
import { modelKey, type SharedCache } from './shared-cache';

/** Per-series analysis (masks, candidates); only the pipeline reads it. */
export type Analysis = PipelineAnalysis;

export interface EngineRerankOptions {
  topK?: number;
  minScore?: number;
  preset?: string;
  /** The viewport's order of SOP UIDs; result.index refers to it. */
  sopOrder?: string[];
  /** A model id from `models()`; the default model when absent. */
  model?: string;
}

export interface EngineLoadOptions {
  /** Instances expected (sizes the decode buffers). */
  expected: number;
  /** Stops the work (its workers are stopped when they already run). */
  signal?: AbortSignal;
  /** Holds room in the memory bound before decoding allocates (see SeriesLoad). */
  reserve?: SeriesLoadOptions['reserve'];
}

export interface Engine {
  /**
   * Starts loading one series in the worker pool: files pushed to it are decoded while the rest
   * arrive (their buffers move to the workers); see SeriesLoad.
   */
  openLoad(opts: EngineLoadOptions): SeriesLoad;
  /** Analyse a decoded volume in a worker. */
  analyse(volume: Volume, signal?: AbortSignal): Promise<Analysis>;
  parse(text: string): ParsedQuery;
  /** The route has already checked the preset and model against `presets` and `models()`. */
  rerank(analysis: Analysis, query: ParsedQuery, opts: EngineRerankOptions): Promise<RerankResponse>;
  readonly presets: readonly string[];
  models(): ModelEntry[];
  /** Resolves once the models are loaded and warm (readyz). */
  ready(): Promise<void>;
  close?(): Promise<void>;
}

export interface EngineOptions {
  executionProviders: string[];
  modelsDir?: string;
  /** Extra vocabulary rows; a bad file fails the start (LexiconError). */
  lexiconFile?: string;
  log: Logger;
  /** The decode + analysis workers. */
  workers: { threads: number; maxOldGenerationSizeMb: number; taskTimeoutMs: number };
  /** Bounds of what one series may hold (frames, voxels). */
  limits?: LoadOptions;
  /** Learned scores shared across replicas (the analyses are shared by the series service). */
  shared?: SharedCache;
}

const CLASSICAL_ENTRY: Omit<ModelEntry, 'default'> = { ...CLASSICAL_MODEL, kind: 'classical' };

/** The real engine: the project's loader, parser, pipeline and the models under models/. */
export function createEngine(opts: EngineOptions): Engine {
  const parseQuery = createQueryParser(opts.lexiconFile ? loadLexiconFile(opts.lexiconFile) : []);
  let registry: ModelWorker | undefined;
  const opening = ModelWorker.open({
    modelsDir: opts.modelsDir,
    executionProviders: opts.executionProviders,
    log: opts.log.child({ component: 'runtime' }),
  }).then((r) => {
    registry = r;
    return r;
  });
  // Failure is reported by ready() (readyz stays 503) and by each rerank; never an unhandled rejection.
  opening.catch(() => undefined);

  const pool = new WorkerPool({
    threads: opts.workers.threads,
    maxOldGenerationSizeMb: opts.workers.maxOldGenerationSizeMb,
    taskTimeoutMs: opts.workers.taskTimeoutMs,
  });

  /** A remote scorer whose scores are looked up in (and stored to) the shared cache, for an analysis stored there. */
  const sharedScorer = (inner: RemoteScorer, analysis: Analysis): LearnedScorer => {
    const key = opts.shared?.keyOf(analysis);
    const shared = opts.shared;
    if (!shared || !key) return inner;
    const model = modelKey(inner.info, inner.fingerprint);
    return {
      info: inner.info,
      async scoreCandidates(volume, candidates) {
        const hit = await shared.getScores(key, model);
        if (hit && hit.length === candidates.length) return hit;
        const scores = await inner.scoreCandidates(volume, candidates);
        void shared.putScores(key, model, scores);
        return scores;
      },
    };
  };

  const models = (): ModelEntry[] => {
    const learned = registry?.list() ?? [];
    return [...learned, { ...CLASSICAL_ENTRY, default: learned.every((m) => !m.default) }];
  };

  return {
    openLoad: (o) => new SeriesLoad(pool, { ...o, limits: opts.limits }),
    analyse: (volume, signal) => pool.run('analyseSeries', { volume }, { signal }),
    parse: (text) => parseQuery(text),
    async rerank(analysis, query, o) {
      let scorer: LearnedScorer | undefined;
      // The classical pipeline needs no model files: it works even while (or if) the registry fails to open.
      if (o.model !== CLASSICAL_MODEL.id) {
        const reg = await opening;
        const wanted = o.model ?? (reg.ids().length > 0 ? undefined : CLASSICAL_MODEL.id);
        if (wanted !== CLASSICAL_MODEL.id) scorer = sharedScorer(reg.scorer(wanted), analysis); // UnknownModelError → 400
      }
      return rerankSlices(analysis, query, {
        topK: o.topK,
        minScore: o.minScore,
        preset: o.preset as Preset | undefined,
        sopOrder: o.sopOrder,
        scorer,
      });
    },
    presets: PRESETS,
    models,
    ready: async () => {
      await opening;
    },
    async close() {
      await pool.close();
      const reg = await opening.catch(() => undefined);
      await reg?.close();
    },
  };
}
