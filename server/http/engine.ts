/**
 * The one place where the service meets the imaging code: the loader (server/series), the query parser
 * (server/query), the rerank pipeline (server/rerank) and the learned models (server/runtime).
 * Routes and tests only see the `Engine` interface.
 */
import type { ParsedQuery } from '../query/finding';
import { parseQuery } from '../query/parse';
import { loadSeriesFromBuffers } from '../series/load';
import type { RerankResponse } from '../rerank/response';
import type { Volume } from '../series/volume';
import { ApiError } from './errors';
import type { ModelEntry } from './schemas';

/** Opaque per-series analysis (masks, candidates); only the pipeline reads it. */
export type Analysis = object;

export interface EngineRerankOptions {
  topK?: number;
  minScore?: number;
  preset?: string;
  /** The viewport's order of SOP UIDs; result.index refers to it. */
  sopOrder?: string[];
  /** A model id from `models()`; the default model when absent. */
  model?: string;
}

export interface Engine {
  decode(files: Array<{ name: string; data: Uint8Array }>): { volume: Volume; skipped: number };
  parse(text: string): ParsedQuery;
  analyse(volume: Volume): Analysis;
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
}

/** Load a module of another helper; undefined while it has not landed yet. */
function optional<T>(load: () => T): T | undefined {
  try {
    return load();
  } catch (err) {
    if ((err as { code?: string }).code === 'MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

function unavailable(what: string): never {
  throw new ApiError(503, 'not_available', `${what} is not available in this build`);
}

interface PipelineModule {
  analyseVolume(volume: Volume): Analysis;
  rerankSlices(analysis: Analysis, query: ParsedQuery, opts: Record<string, unknown>): Promise<RerankResponse>;
  PRESETS?: readonly string[];
}

/** The real engine over the project's modules. */
export function createEngine(_opts: EngineOptions): Engine {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- until server/rerank/pipeline.ts lands
  const pipeline = optional(() => require('../rerank/pipeline') as PipelineModule);
  const presets = pipeline?.PRESETS ?? ['report-match', 'lesion-search', 'strict'];
  const models: ModelEntry[] = [];

  return {
    decode: (files) => loadSeriesFromBuffers(files),
    parse: (text) => parseQuery(text),
    analyse: (volume) => (pipeline ? pipeline.analyseVolume(volume) : unavailable('the rerank pipeline')),
    async rerank(analysis, query, opts) {
      if (!pipeline) unavailable('the rerank pipeline');
      if (opts.model !== undefined && !models.some((m) => m.id === opts.model)) {
        throw new ApiError(400, 'unknown_model', 'no model with this id; see GET /api/v1/models');
      }
      return pipeline.rerankSlices(analysis, query, {
        topK: opts.topK,
        minScore: opts.minScore,
        preset: opts.preset,
        sopOrder: opts.sopOrder,
      });
    },
    presets,
    models: () => models,
    ready: async () => undefined,
  };
}
