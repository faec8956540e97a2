/**
 * Counting semaphores for PACS requests: at most `max` holders at once, the rest wait in FIFO order,
 * for at most `queueTimeoutMs` (then `busy()` is thrown: a 503 with Retry-After), and a waiter whose
 * caller went away (its AbortSignal) leaves the queue. `PerKeyLimiter` keeps one per PACS root, so a
 * slow PACS holds only its own slots.
 */
export interface LimiterOptions {
  /** Longest wait for a slot, ms; unbounded when absent. */
  queueTimeoutMs?: number;
  /** The error a waiter gets when its wait runs out. */
  busy?: () => Error;
}

interface Waiter {
  grant(): void;
  fail(err: unknown): void;
}

export class Limiter {
  private active = 0;
  private readonly waiting: Waiter[] = [];
  constructor(
    readonly max: number,
    private readonly opts: LimiterOptions = {},
  ) {
    if (!(max >= 1)) throw new RangeError('Limiter max must be at least 1');
  }

  get pending(): number {
    return this.waiting.length;
  }

  get running(): number {
    return this.active;
  }

  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, or free it.
      const next = this.waiting.shift();
      if (next) next.grant();
      else this.active--;
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.active < this.max) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const leave = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
      };
      const waiter: Waiter = {
        grant: () => {
          leave();
          resolve();
        },
        fail: (err) => {
          leave();
          reject(err);
        },
      };
      const onAbort = (): void => waiter.fail(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.opts.queueTimeoutMs !== undefined) {
        timer = setTimeout(() => waiter.fail(this.opts.busy?.() ?? new Error('no free slot in time')), this.opts.queueTimeoutMs);
      }
      this.waiting.push(waiter);
    });
  }
}

/** One Limiter per key (a PACS root), made on first use. */
export class PerKeyLimiter {
  private readonly limiters = new Map<string, Limiter>();
  constructor(
    readonly maxPerKey: number,
    private readonly opts: LimiterOptions = {},
  ) {}

  for(key: string): Limiter {
    let l = this.limiters.get(key);
    if (!l) {
      l = new Limiter(this.maxPerKey, this.opts);
      this.limiters.set(key, l);
    }
    return l;
  }
}
