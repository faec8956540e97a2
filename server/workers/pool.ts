/**
 * A pool of worker threads for CPU-heavy work (decoding series, analysing volumes), so the event
 * loop stays free: Piscina underneath, with a memory limit per worker (resourceLimits), a time limit
 * per task counted from when it starts running, a bounded queue, cancellation by AbortSignal, and
 * errors mapped to the API's {httpStatus, code}. Tasks are plain functions in a module that a worker
 * loads (by default server/workers/tasks.ts); the types of their inputs and outputs follow them here.
 *
 *   const pool = new WorkerPool<ServerTasks>({ threads: 2 });
 *   const out = await pool.run('loadSeries', { files }, { transfer: files.map((f) => f.data.buffer) });
 *
 * A task that runs past its time limit or out of memory costs its worker, which Piscina replaces.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import { NICE_INCREMENT, TASK_PROGRESS, TASK_STARTED, type TaskEnvelope, type TaskHandler, type TaskOutcome } from './task';

/** A module of tasks: every export a handler made by defineTask. */
export type TaskTable = Record<string, (envelope: never) => Promise<unknown>>;
export type TaskInput<H> = H extends TaskHandler<infer I, unknown> ? I : never;
export type TaskOutput<H> = H extends { readonly __output?: infer O } ? O : never;

/** The project's tasks (type only: the module itself is loaded in the workers). */
export type ServerTasks = typeof import('./tasks');

export interface WorkerPoolOptions {
  /** Worker threads; default: the machine's available parallelism. */
  threads?: number;
  /** V8 old-generation heap limit per worker, MiB (typed arrays live outside it and are bounded by the loader). */
  maxOldGenerationSizeMb?: number;
  /** Longest a task may run once started, ms. */
  taskTimeoutMs?: number;
  /** Tasks that may wait for a worker; beyond that run() answers 503 at once. */
  maxQueue?: number;
  /** Start the workers (and load the task module) now rather than on the first task. */
  warm?: boolean;
  /** Worker entry file (a .js that can load TypeScript); server/workers/entry.js by default. */
  entry?: string;
  /**
   * How far the workers lower their scheduling priority (nice increment, Linux; 0: not at all); 10 by
   * default, so that the event loop's thread gets a core at once while the workers keep every core busy.
   */
  niceIncrement?: number;
}

export interface RunOptions {
  /** Cancels the task: taken out of the queue, or its worker stopped. */
  signal?: AbortSignal;
  /** Overrides the pool's time limit for this run. */
  timeoutMs?: number;
  /** ArrayBuffers of the input to move to the worker instead of copying (they are detached here). */
  transfer?: ArrayBuffer[];
  /** What the task reports with ctx.progress(). */
  onProgress?: (value: unknown) => void;
}

/** A task's failure, with the HTTP status and code the API answers with. */
export class WorkerTaskError extends Error {
  readonly httpStatus: number;
  readonly code: string;
  /** Seconds after which a retry may succeed (503s). */
  readonly retryAfterSeconds?: number;
  constructor(httpStatus: number, code: string, message: string, opts: { name?: string; frames?: string[]; retryAfterSeconds?: number } = {}) {
    super(message);
    this.name = opts.name ?? 'WorkerTaskError';
    this.httpStatus = httpStatus;
    this.code = code;
    this.retryAfterSeconds = opts.retryAfterSeconds;
    if (opts.frames) this.stack = [`${this.name}: ${message}`, ...opts.frames.map((f) => `    ${f}`)].join('\n');
  }
}

export const DEFAULT_ENTRY = path.join(__dirname, 'entry.js');
export const DEFAULT_NICE_INCREMENT = 10;

export class WorkerPool<T extends TaskTable = ServerTasks> {
  readonly threads: number;
  readonly taskTimeoutMs: number;
  readonly maxOldGenerationSizeMb: number;
  private readonly piscina: Piscina;
  private nextId = 1;
  /** Runs waiting for their start message, by id: starts the time limit. */
  private readonly starting = new Map<number, () => void>();
  /** Progress listeners of running tasks, by id. */
  private readonly progress = new Map<number, (value: unknown) => void>();

  constructor(opts: WorkerPoolOptions = {}) {
    this.threads = Math.max(1, opts.threads ?? availableParallelism());
    this.taskTimeoutMs = opts.taskTimeoutMs ?? 120_000;
    this.maxOldGenerationSizeMb = opts.maxOldGenerationSizeMb ?? 1024;
    this.piscina = new Piscina({
      filename: opts.entry ?? DEFAULT_ENTRY,
      minThreads: opts.warm === false ? 0 : this.threads,
      maxThreads: this.threads,
      maxQueue: opts.maxQueue ?? this.threads * 16,
      idleTimeout: opts.warm === false ? 10_000 : Number.MAX_SAFE_INTEGER,
      concurrentTasksPerWorker: 1,
      resourceLimits: { maxOldGenerationSizeMb: this.maxOldGenerationSizeMb },
      // Applied by the worker itself when it loads its tasks (task.ts): Piscina's own niceIncrement needs a native module.
      workerData: { [NICE_INCREMENT]: opts.niceIncrement ?? DEFAULT_NICE_INCREMENT },
      // A worker never inherits the loaders of a `tsx` parent: entry.js registers its own.
      execArgv: [],
    });
    this.piscina.on('message', (m: unknown) => {
      const msg = (typeof m === 'object' && m !== null ? m : {}) as Record<string, unknown>;
      const started = msg[TASK_STARTED];
      if (typeof started === 'number') this.starting.get(started)?.();
      const progressOf = msg[TASK_PROGRESS];
      if (typeof progressOf === 'number') this.progress.get(progressOf)?.(msg.value);
    });
    // A worker that fails to start is reported through the tasks it was given; keep the pool alive.
    this.piscina.on('error', () => undefined);
  }

  /** Tasks waiting for a worker. */
  get queued(): number {
    return this.piscina.queueSize;
  }

  async run<K extends keyof T & string>(name: K, input: TaskInput<T[K]>, opts: RunOptions = {}): Promise<TaskOutput<T[K]>> {
    const id = this.nextId++;
    const limitMs = opts.timeoutMs ?? this.taskTimeoutMs;
    const controller = new AbortController();
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    this.starting.set(id, () => {
      this.starting.delete(id);
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, limitMs);
    });
    if (opts.onProgress) this.progress.set(id, opts.onProgress);
    const onAbort = (): void => controller.abort();
    if (opts.signal?.aborted) controller.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const envelope: TaskEnvelope<TaskInput<T[K]>> = { id, input };
      const outcome = (await this.piscina.run(envelope, { name, signal: controller.signal, transferList: opts.transfer })) as TaskOutcome<TaskOutput<T[K]>>;
      if (outcome.ok) return outcome.value;
      const e = outcome.error;
      if (e.httpStatus !== undefined && e.code !== undefined) throw new WorkerTaskError(e.httpStatus, e.code, e.message, { name: e.name, frames: e.frames });
      throw new WorkerTaskError(500, 'internal', 'internal error', { name: e.name, frames: e.frames });
    } catch (err) {
      if (err instanceof WorkerTaskError) throw err;
      if (timedOut) {
        throw new WorkerTaskError(503, 'worker_timeout', `the ${name} task ran past its time limit of ${Math.round(limitMs / 1000)} s`, {
          retryAfterSeconds: 30,
        });
      }
      if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : err;
      const code = (err as { code?: unknown }).code;
      if (code === 'ERR_WORKER_OUT_OF_MEMORY') {
        throw new WorkerTaskError(413, 'worker_out_of_memory', `the ${name} task needed more memory than a worker may use (${this.maxOldGenerationSizeMb} MiB)`);
      }
      if (/queue is at limit/i.test((err as Error | undefined)?.message ?? '')) {
        throw new WorkerTaskError(503, 'workers_busy', 'the server is busy analysing other series; try again shortly', { retryAfterSeconds: 5 });
      }
      throw err;
    } finally {
      clearTimeout(timer);
      this.starting.delete(id);
      this.progress.delete(id);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
