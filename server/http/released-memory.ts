/**
 * Gives back the memory of the series the cache lets go. A cached volume is shared memory whose views the
 * event loop has held for minutes (in the old generation), and only a full collection of its heap lets go of
 * them (workers/gc.ts); V8 does not count that memory against the heap, so no collection of its own comes
 * for it. Loaded one after another without a full collection, 133-slice series stayed in memory without end
 * (16 loads: RSS 0.46 → 2.5 GiB; with one between loads, flat at 0.6 GiB).
 *
 * A full collection holds the event loop for 30–55 ms on a busy two-core machine (as long as /healthz may
 * take), so it waits until no series has loaded for `idleMs`; under load that never pauses, until what was
 * let go reaches `maxBytes` (app.ts: twice the cache's bound, so the process holds at most that much of
 * series let go, besides the cache and the loads in flight).
 */
import { afterRelease } from '../workers/gc';

export interface ReleasedMemoryOptions {
  /** Bytes let go after which they are collected even while series load. */
  maxBytes: number;
  /** Whether a series is loading now. */
  loading: () => boolean;
  /** How long no series must have loaded before a collection, ms. */
  idleMs?: number;
  /** The collection (a full one of this thread by default). */
  collect?: () => void;
}

export class ReleasedMemory {
  private pending = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly o: ReleasedMemoryOptions) {}

  /** `bytes` were let go. */
  add(bytes: number): void {
    this.pending += bytes;
    if (this.pending >= this.o.maxBytes) this.collect();
    else this.idle();
  }

  /** No series may be loading any more: collect once none has loaded for a while. */
  idle(): void {
    clearTimeout(this.timer);
    if (this.pending === 0 || this.o.loading()) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.pending > 0 && !this.o.loading()) this.collect();
    }, this.o.idleMs ?? 1000).unref();
  }

  /** Bytes let go and not collected yet. */
  get waiting(): number {
    return this.pending;
  }

  private collect(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = 0;
    (this.o.collect ?? afterRelease)();
  }
}
