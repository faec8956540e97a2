/**
 * The installed models, run in a worker thread of their own. onnxruntime-node runs a session
 * synchronously on the thread that calls it (about 0.5–1 s for a cold series on 2 cores, plus patch
 * extraction): on the event loop that held /healthz and every warm query behind it. Here the models
 * are opened in one dedicated worker (one session per model, as before: runs stay serialised), and a
 * `RemoteScorer` implements the pipeline's LearnedScorer contract by sending the candidates there;
 * the volume travels as its SharedArrayBuffer, not as a copy.
 *
 * In-process scorers (`openScorer` in registry.ts) stay what scripts and tests use with
 * `rerankSlices(analysis, query, { scorer })`.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { CandidateScore, LearnedScorer, ScorerInput } from '../rerank/learned';
import type { ModelInfo } from '../rerank/response';
import type { Volume } from '../series/volume';
import { WorkerPool } from '../workers/pool';
import { UnknownModelError } from './errors';
import type { ModelListEntry } from './registry';

type ModelTasks = typeof import('./model-tasks');

export interface ModelWorkerOptions {
  modelsDir?: string;
  executionProviders: string[];
  threads?: number;
  log: Logger;
  /** Longest one scoring run may take, ms. */
  timeoutMs?: number;
}

/** A model's scores, computed in the model worker. */
export class RemoteScorer implements LearnedScorer {
  constructor(
    readonly info: ModelInfo,
    /** Changes when the model's files do (for cache keys). */
    readonly fingerprint: string,
    private readonly pool: WorkerPool<ModelTasks>,
  ) {}

  scoreCandidates(volume: Volume, candidates: readonly ScorerInput[]): Promise<CandidateScore[]> {
    // only what a scorer reads crosses to the worker: cloning whole candidates held the event loop 3-8 ms
    const input = candidates.map(({ id, centroidPx, diameterMm }) => ({ id, centroidPx, diameterMm }));
    return this.pool.run('scoreCandidates', { model: this.info.id, volume, candidates: input });
  }
}

export class ModelWorker {
  private readonly scorers = new Map<string, RemoteScorer>();

  private constructor(
    private readonly pool: WorkerPool<ModelTasks>,
    private readonly entries: ModelListEntry[],
    readonly defaultId: string,
    fingerprints: Record<string, string>,
  ) {
    for (const m of entries) {
      const info: ModelInfo = { id: m.id, version: m.version, executionProvider: m.executionProvider };
      this.scorers.set(m.id, new RemoteScorer(info, fingerprints[m.id] ?? '', pool));
    }
  }

  /** Starts the worker and opens every model folder there (validated, sessions created, warmed up). */
  static async open(o: ModelWorkerOptions): Promise<ModelWorker> {
    const pool = new WorkerPool<ModelTasks>({
      threads: 1,
      entry: path.join(__dirname, 'model-entry.js'),
      taskTimeoutMs: o.timeoutMs ?? 120_000,
      // Scoring requests wait their turn rather than fail: each is short.
      maxQueue: 1024,
      // The sessions' memory is native; the heap holds candidates and patches.
      maxOldGenerationSizeMb: 2048,
    });
    try {
      const out = await pool.run('openModels', {
        modelsDir: o.modelsDir,
        executionProviders: o.executionProviders,
        threads: o.threads,
        logLevel: o.log.level,
      });
      for (const { msg, level, ...rest } of out.logs) {
        const at = level === 60 || level === 50 ? 'error' : level === 40 ? 'warn' : level === 20 ? 'debug' : 'info';
        o.log[at](rest, typeof msg === 'string' ? msg : 'model worker');
      }
      return new ModelWorker(pool, out.models, out.defaultId, out.fingerprints);
    } catch (err) {
      await pool.close();
      throw err;
    }
  }

  ids(): string[] {
    return this.entries.map((m) => m.id);
  }

  list(): ModelListEntry[] {
    return this.entries;
  }

  /** The scorer of model `id` (the default model when absent); UnknownModelError (400) otherwise. */
  scorer(id?: string): RemoteScorer {
    const s = this.scorers.get(id ?? this.defaultId);
    if (!s) throw new UnknownModelError(id ?? this.defaultId, this.ids());
    return s;
  }

  async close(): Promise<void> {
    await this.pool.run('closeModels', undefined as never).catch(() => undefined);
    await this.pool.close();
  }
}
