/**
 * The one place where the service meets the imaging code: the loader (server/series), the query parser
 * (server/query), the rerank pipeline (server/rerank) and the learned models (server/runtime).
 * Decoding and analysis run in the worker pool (server/workers), never on the event loop.
 * Routes and tests only see the `Engine` interface.
 */
import type { Logger } from 'pino';
import type { ParsedQuery } from '../query/finding';
import { loadLexiconFile } from '../query/lexicon/extension';
import { createQueryParser } from '../query/parse';
import { CLASSICAL_MODEL, type LearnedScorer } from '../rerank/learned';
import { PRESETS, rerankSlices, type Analysis as PipelineAnalysis, type Preset } from '../rerank/pipeline';
import type { RerankResponse } from '../rerank/response';
import { ModelRegistry } from '../runtime/registry';
import type { LoadOptions, NamedBuffer, SkipReason } from '../series/load';
import type { Volume } from '../series/volume';
import { WorkerPool } from '../workers/pool';
import { ownBuffer } from '../workers/transfer';
import type { ModelEntry } from './schemas';

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

/** A decoded, analysed series, as the worker hands it back. */
export interface LoadedSeries {
  volume: Volume;
  analysis: Analysis;
  skipped: number;
  skippedReasons: Partial<Record<SkipReason, number>>;
  /** Order-free sha256 of the instances' bytes. */
  contentHash: string;
  timings: { decode: number; analysis: number };
}

export interface EngineLoadOptions {
  /** Stops the work (its worker is stopped when it already runs). */
  signal?: AbortSignal;
  /** Called when decoding is done and the analysis starts. */
  onAnalyse?: () => void;
}

export interface Engine {
  /**
   * Decode and analyse the files of one series in a worker thread. The files' buffers are moved
   * there (the caller's views are detached afterwards).
   */
  load(files: NamedBuffer[], opts?: EngineLoadOptions): Promise<LoadedSeries>;
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
}

const CLASSICAL_ENTRY: Omit<ModelEntry, 'default'> = { ...CLASSICAL_MODEL, kind: 'classical' };

/** The real engine: the project's loader, parser, pipeline and the models under models/. */
export function createEngine(opts: EngineOptions): Engine {
  const parseQuery = createQueryParser(opts.lexiconFile ? loadLexiconFile(opts.lexiconFile) : []);
  let registry: ModelRegistry | undefined;
  const opening = ModelRegistry.open({
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

  const models = (): ModelEntry[] => {
    const learned = registry?.list() ?? [];
    return [...learned, { ...CLASSICAL_ENTRY, default: learned.every((m) => !m.default) }];
  };

  return {
    async load(files, o = {}) {
      const own = files.map((f) => ({ name: f.name, data: ownBuffer(f.data) }));
      const out = await pool.run(
        'loadSeries',
        { files: own, limits: opts.limits },
        { signal: o.signal, transfer: own.map((f) => f.data.buffer as ArrayBuffer), onProgress: () => o.onAnalyse?.() },
      );
      const { analysis } = out;
      if (!analysis) throw new Error('the worker returned no analysis');
      return { ...out, analysis, timings: { decode: out.timings.decode, analysis: out.timings.analysis ?? 0 } };
    },
    parse: (text) => parseQuery(text),
    async rerank(analysis, query, o) {
      let scorer: LearnedScorer | undefined;
      // The classical pipeline needs no model files: it works even while (or if) the registry fails to open.
      if (o.model !== CLASSICAL_MODEL.id) {
        const reg = await opening;
        const wanted = o.model ?? (reg.ids().length > 0 ? undefined : CLASSICAL_MODEL.id);
        if (wanted !== CLASSICAL_MODEL.id) scorer = reg.scorer(wanted); // UnknownModelError → 400
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
