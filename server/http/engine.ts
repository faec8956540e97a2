/**
 * The one place where the service meets the imaging code: the loader (server/series), the query parser
 * (server/query), the rerank pipeline (server/rerank) and the learned models (server/runtime).
 * Decoding and analysis run in the worker pool (server/workers), the learned models in a worker of
 * their own (server/runtime/model-worker.ts): never on the event loop. With a shared cache (Redis),
 * learned scores are shared across replicas too. The default model starts on a cold series' lesions as
 * soon as the lesion search has found them (see `early`). Routes and tests only see the `Engine` interface.
 */
import type { Logger } from 'pino';
import type { ParsedQuery } from '../query/finding';
import { loadLexiconFile } from '../query/lexicon/extension';
import { createQueryParser } from '../query/parse';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { CLASSICAL_MODEL, type CandidateScore } from '../rerank/learned';
import { PRESETS, type Preset } from '../rerank/pipeline';
import type { RerankResponse } from '../rerank/response';
import { ModelWorker, type RemoteScorer } from '../runtime/model-worker';
import type { LoadOptions } from '../series/load';
import type { Volume } from '../series/volume';
import { analyseInPool } from '../workers/analyse-in-pool';
import { WorkerPool } from '../workers/pool';
import { SeriesLoad, type SeriesLoadOptions } from '../workers/series-load';
import { scorerInputsOf, type HeldAnalysis, type PackedScorerInputs } from '../workers/wire';
import type { ModelEntry } from './schemas';
import { modelKey, type SharedCache } from './shared-cache';
import { warmUp } from './warm-up';

type QueryTasks = typeof import('../workers/query-tasks');

/** Per-series analysis, as the event loop holds it (serialized; only the query worker reads it). */
export type Analysis = HeldAnalysis;

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
  /** Resolves once the models are loaded and warm, and the analysis warmed up where asked (readyz). */
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
  /** Rounds of the warm-up (warm-up.ts) ready() waits for; none by default. */
  warmUpRuns?: number;
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

  // Fusion (rerankSlices) runs in a worker of its own that keeps the analyses it was sent; at the
  // event loop's priority, so that warm queries are not kept waiting by the analyses of cold series.
  const queries = new WorkerPool<QueryTasks>({
    threads: 1,
    niceIncrement: 0,
    entry: path.join(__dirname, '..', 'workers', 'query-entry.js'),
    taskTimeoutMs: opts.workers.taskTimeoutMs,
    maxQueue: 4096,
  });
  const ids = new WeakMap<Analysis, string>();
  /** Analyses the query worker was sent. */
  const sent = new WeakSet<Analysis>();
  /** Learned scores per analysis, model and set of candidates, computed once (as the pipeline does in-process). */
  const learned = new WeakMap<Analysis, Map<string, Promise<CandidateScore[]>>>();
  /**
   * The default model's scores of a volume's lesions, started as soon as the lesion search ended, so
   * that scoring overlaps the findings search instead of waiting for the join and the first query; the
   * first scoresOf asking for them under the same key takes them over. Undefined if that run failed.
   */
  const early = new WeakMap<Volume, { key: string; scores: Promise<CandidateScore[] | undefined> }>();

  /** The learned model a rerank without `model` uses; undefined for the classical pipeline. */
  const defaultScorer = (reg: ModelWorker): RemoteScorer | undefined => (reg.ids().length > 0 ? reg.scorer() : undefined);

  /** Starts the default model on the lesions of a volume being analysed (not before the registry is open). */
  const scoreEarly = (volume: Volume, lesions: PackedScorerInputs): void => {
    const scorer = registry && defaultScorer(registry);
    if (!scorer || lesions.ids.length === 0) return;
    // what the query worker will ask for: every lesion, in candidate order (pipeline.ts learnedScores)
    const want = Array.from(lesions.ids);
    const scores = scorer.scoreCandidates(volume, scorerInputsOf(lesions, want)).catch(() => undefined);
    early.set(volume, { key: modelKey(scorer.info, scorer.fingerprint, want), scores });
  };

  /** The early scores of `volume` under `key`, handed out once (the learned cache keeps them from then on). */
  const takeEarly = (volume: Volume, key: string): Promise<CandidateScore[] | undefined> | undefined => {
    const e = early.get(volume);
    if (e?.key !== key) return undefined;
    early.delete(volume);
    return e.scores;
  };

  /**
   * The model's scores of the candidates `want` (ids) of an analysis: this process's, else the shared
   * cache's, else the early run's or computed in the model worker (and shared).
   */
  const scoresOf = (analysis: Analysis, scorer: RemoteScorer, want: readonly number[]): Promise<CandidateScore[]> => {
    let byModel = learned.get(analysis);
    if (!byModel) learned.set(analysis, (byModel = new Map()));
    const key = modelKey(scorer.info, scorer.fingerprint, want);
    let p = byModel.get(key);
    if (!p) {
      const sharedKey = opts.shared?.keyOf(analysis);
      const candidates = scorerInputsOf(analysis.wire.scorerInputs, want);
      p = (async () => {
        const hit = sharedKey ? await opts.shared?.getScores(sharedKey, key) : undefined;
        if (hit && hit.length === candidates.length) return hit;
        const scores = (await takeEarly(analysis.volume, key)) ?? (await scorer.scoreCandidates(analysis.volume, candidates));
        if (sharedKey) void opts.shared?.putScores(sharedKey, key, scores);
        return scores;
      })();
      const m = byModel;
      p.catch(() => m.delete(key)); // a failed run is not kept
      byModel.set(key, p);
    }
    return p;
  };

  const models = (): ModelEntry[] => {
    const learned = registry?.list() ?? [];
    return [...learned, { ...CLASSICAL_ENTRY, default: learned.every((m) => !m.default) }];
  };

  const engine: Engine = {
    openLoad: (o) => new SeriesLoad(pool, { ...o, limits: opts.limits, onLesions: scoreEarly }),
    analyse: async (volume, signal) => ({ volume, wire: await analyseInPool(pool, volume, { signal, onLesions: (lesions) => scoreEarly(volume, lesions) }) }),
    parse: (text) => parseQuery(text),
    async rerank(analysis, query, o) {
      let scorer: RemoteScorer | undefined;
      // The classical pipeline needs no model files: it works even while (or if) the registry fails to open.
      if (o.model !== CLASSICAL_MODEL.id) {
        const reg = await opening;
        scorer = o.model === undefined ? defaultScorer(reg) : reg.scorer(o.model); // UnknownModelError → 400
      }
      let id = ids.get(analysis);
      if (!id) ids.set(analysis, (id = randomUUID()));
      const modelKeyOf = scorer ? modelKey(scorer.info, scorer.fingerprint) : undefined;
      const opts2 = { topK: o.topK, minScore: o.minScore, preset: o.preset as Preset | undefined, sopOrder: o.sopOrder };
      let withAnalysis = !sent.has(analysis);
      let scores: { ids: number[]; scores: CandidateScore[] } | undefined;
      let scoringMs = 0;
      // The query worker asks for what it lacks: the analysis (new or evicted there), or the model's
      // scores of the candidates the pipeline has the model judge.
      for (let round = 0; round < 3; round++) {
        const out = await queries.run('rerank', {
          id,
          analysis: withAnalysis ? { bytes: analysis.wire.bytes, seriesInstanceUID: analysis.volume.seriesInstanceUID, sopInstanceUIDs: analysis.volume.sopInstanceUIDs } : undefined,
          query,
          opts: opts2,
          model: scorer && modelKeyOf ? { info: scorer.info, key: modelKeyOf, ...scores } : undefined,
        });
        sent.add(analysis);
        withAnalysis = false;
        scores = undefined;
        if ('response' in out) {
          if (scorer) out.response.timings.scoring = Math.round(scoringMs * 10) / 10;
          return out.response;
        }
        if (out.missing === 'analysis') withAnalysis = true;
        else if (scorer) {
          const t = performance.now();
          scores = { ids: out.ids, scores: await scoresOf(analysis, scorer, out.ids) };
          scoringMs += performance.now() - t;
        }
      }
      throw new Error('the query worker did not take the analysis and its scores');
    },
    presets: PRESETS,
    models,
    ready: async () => {
      await opening;
      await warmed;
    },
    async close() {
      // a warm-up under way ends first: its tasks would fail on closed pools, and be logged as its failure
      await warmed;
      await Promise.all([pool.close(), queries.close()]);
      const reg = await opening.catch(() => undefined);
      await reg?.close();
    },
  };
  const warmed = opts.warmUpRuns ? warmUp(engine, { runs: opts.warmUpRuns, threads: pool.threads, log: opts.log.child({ component: 'warm-up' }) }) : Promise.resolve();
  return engine;
}
