/**
 * The worker side of the pool: `defineTask` turns a plain function into a handler Piscina can call.
 * The handler tells the pool when it starts (so the time limit counts running time, not time in the
 * queue), returns typed errors as data (structured clone keeps no class or `code`), and transfers
 * the typed arrays of its result instead of copying them.
 */
import { getPriority, setPriority } from 'node:os';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { transferables } from './transfer';

/** Message a task posts when it starts running. */
export const TASK_STARTED = 'slice-finder:task-started';
/** Message a task posts to report progress (`{[TASK_PROGRESS]: id, value}`). */
export const TASK_PROGRESS = 'slice-finder:task-progress';

/** Key of the pool's workerData: how far its worker threads lower their scheduling priority (a nice increment). */
export const NICE_INCREMENT = 'slice-finder:nice-increment';

/**
 * Lowers this worker thread's priority by the pool's nice increment, once, when the task module loads.
 * On Linux a priority is per thread (setpriority of pid 0 is the calling thread only), so the event
 * loop's thread keeps its own and takes a core from a busy worker as soon as it has something to do,
 * instead of waiting its turn behind the decodes and analyses. Elsewhere the call would lower the whole
 * process: left alone there.
 */
function lowerThreadPriority(): void {
  if (isMainThread || process.platform !== 'linux') return;
  const increment = (workerData as Record<string, unknown> | null | undefined)?.[NICE_INCREMENT];
  if (typeof increment !== 'number' || !(increment > 0)) return;
  try {
    setPriority(Math.min(19, getPriority() + Math.round(increment)));
  } catch {
    // Not permitted here: the thread keeps its priority.
  }
}
lowerThreadPriority();

/** What a task function gets besides its input. */
export interface TaskContext {
  /** Passed to the caller's onProgress (structured-cloneable values only). */
  progress(value: unknown): void;
}

export interface TaskEnvelope<I> {
  /** Pool-unique run id, echoed in the start message. */
  id: number;
  input: I;
}

export interface TaskFailure {
  name: string;
  /** Typed errors of the project carry an HTTP status and a code; anything else is internal. */
  httpStatus?: number;
  code?: string;
  message: string;
  /** Stack frames only ("at ..." lines): the message may quote input. */
  frames: string[];
}

export type TaskOutcome<O> = { ok: true; value: O } | { ok: false; error: TaskFailure };

/** A task as the pool sees it; the phantom fields carry the input and output types to the main thread. */
export interface TaskHandler<I, O> {
  (envelope: TaskEnvelope<I>): Promise<unknown>;
  readonly __input?: I;
  readonly __output?: O;
}

function failure(err: unknown): TaskFailure {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; httpStatus?: unknown; code?: unknown; message?: unknown; stack?: unknown };
  const typed = typeof e.httpStatus === 'number' && typeof e.code === 'string';
  return {
    name: typeof e.name === 'string' ? e.name : 'Error',
    httpStatus: typed ? (e.httpStatus as number) : undefined,
    code: typed ? (e.code as string) : undefined,
    message: typed && typeof e.message === 'string' ? e.message : 'internal error',
    frames: (typeof e.stack === 'string' ? e.stack : '').split('\n').filter((l) => /^\s+at /.test(l)).slice(0, 8).map((l) => l.trim()),
  };
}

/**
 * Wraps `fn` for the pool. The result's typed arrays are transferred: a task must not keep (in a
 * module-level cache, say) a typed array it returns, since the worker's copy is detached.
 */
export function defineTask<I, O>(fn: (input: I, ctx: TaskContext) => O | Promise<O>): TaskHandler<I, O> {
  return async (envelope: TaskEnvelope<I>) => {
    parentPort?.postMessage({ [TASK_STARTED]: envelope.id });
    const ctx: TaskContext = { progress: (value) => parentPort?.postMessage({ [TASK_PROGRESS]: envelope.id, value }) };
    let outcome: TaskOutcome<O>;
    try {
      outcome = { ok: true, value: await fn(envelope.input, ctx) };
    } catch (err) {
      return { ok: false, error: failure(err) } satisfies TaskOutcome<O>;
    }
    return move({ [transferableSymbol]: transferables(outcome.value), [valueSymbol]: outcome });
  };
}
