/**
 * The series cache: decoded volumes and their analysis, keyed by source and series (see the series
 * service), LRU-bounded by the bytes of their typed arrays together with the bytes that loads in
 * flight have reserved. Concurrent requests for one series share one load (and its progress); a
 * load that fails, times out or loses all its callers leaves nothing behind, so the next request
 * tries afresh.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** Key of a series: its UID plus a digest of the set of SOP instances (order-free: the volume is sorted anyway). */
export function seriesKey(seriesInstanceUID: string, sopInstanceUIDs: readonly string[]): string {
  const digest = createHash('sha256')
    .update([...new Set(sopInstanceUIDs)].sort().join('\n'))
    .digest('base64url');
  return `${seriesInstanceUID}|${digest}`;
}

/** Order-free digest of a set of files (base64url): the sorted sha256 of each, digested. */
export function contentHash(files: ReadonlyArray<{ data: Uint8Array }>): string {
  return combineDigests(files.map((f) => fileDigest(f.data)));
}

/** sha256 of one file (hex); computed where the file is decoded, combined by combineDigests. */
export function fileDigest(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The content hash of files from their fileDigests, in any order. */
export function combineDigests(digests: readonly string[]): string {
  return createHash('sha256').update([...digests].sort().join('\n')).digest('base64url');
}

/**
 * Calls `onBuffer` once for each distinct ArrayBuffer (or SharedArrayBuffer) reachable from `value`
 * through typed arrays, plain objects, arrays and maps, and `onArray` with the length of each array.
 */
export function forEachBuffer(
  value: unknown,
  onBuffer: (buffer: ArrayBufferLike) => void,
  opts: { maxDepth?: number; onArray?: (length: number) => void } = {},
): void {
  const maxDepth = opts.maxDepth ?? 6;
  const seenBuffers = new Set<ArrayBufferLike>();
  const seenObjects = new Set<object>();
  const buffer = (b: ArrayBufferLike): void => {
    if (seenBuffers.has(b)) return;
    seenBuffers.add(b);
    onBuffer(b);
  };
  const walk = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== 'object' || depth > maxDepth) return;
    if (ArrayBuffer.isView(v)) return buffer(v.buffer);
    if (v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) return buffer(v);
    if (seenObjects.has(v)) return;
    seenObjects.add(v);
    if (Array.isArray(v)) {
      opts.onArray?.(v.length);
      for (const item of v) if (item !== null && typeof item === 'object') walk(item, depth + 1);
      return;
    }
    if (v instanceof Map) {
      for (const item of v.values()) walk(item, depth + 1);
      return;
    }
    for (const item of Object.values(v)) walk(item, depth + 1);
  };
  walk(value, 0);
}

/** Bytes held by the typed arrays reachable from `value` (each buffer counted once), plus a small overhead. */
export function typedArrayBytes(value: unknown, maxDepth = 6): number {
  let total = 1024;
  forEachBuffer(value, (b) => (total += b.byteLength), {
    maxDepth,
    // Arrays of plain numbers/strings (positions, UIDs) cost little next to the voxels; sample them.
    onArray: (length) => (total += length * 16),
  });
  return total;
}

export interface SeriesCacheOptions<V> {
  /** Bound on the bytes of cached entries plus the bytes reserved by loads in flight. */
  maxBytes: number;
  /** Bytes an entry costs; typed arrays reachable from it by default. */
  sizeOf?: (value: V) => number;
  /** Told after entries leave the cache (evicted, deleted or replaced), once per entry. */
  onRelease?: (value: V) => void;
  /** Told when its last load in flight has ended (loaded, failed or dropped). */
  onIdle?: () => void;
}

export interface CacheLoadResult<V> {
  value: V;
  /** 'hit': it was cached; 'joined': another request was already loading it; 'miss': this call loaded it. */
  source: 'hit' | 'joined' | 'miss';
}

export interface CacheLoadOptions<P> {
  onProgress?: (p: P) => void;
  /** This caller's cancellation (its client went away): it stops waiting; the load stops when no caller is left. */
  signal?: AbortSignal;
  /** A load still running after this long is dropped (its callers get `timeoutError`), so the next request starts afresh. */
  timeoutMs?: number;
  timeoutError?: () => Error;
}

/** What a loader gets: progress for every caller, and a signal that fires when the load is given up. */
export type Loader<V, P> = (emit: (p: P) => void, signal: AbortSignal) => Promise<V>;

interface InFlight<V, P> {
  promise: Promise<V>;
  listeners: Set<(p: P) => void>;
  callers: number;
  controller: AbortController;
}

/** A hold on cache bytes for a load in flight; release it once the load has ended. */
export interface Reservation {
  readonly bytes: number;
  release(): void;
}

interface ReservationWaiter {
  bytes: number;
  grant(): void;
}

export class SeriesCache<V extends object, P = unknown> {
  private readonly lru: LRUCache<string, V>;
  private readonly inFlight = new Map<string, InFlight<V, P>>();
  private reservedBytes = 0;
  private readonly reservationQueue: ReservationWaiter[] = [];
  hits = 0;
  misses = 0;

  private readonly onIdle?: () => void;

  constructor(options: SeriesCacheOptions<V>) {
    this.onIdle = options.onIdle;
    const sizeOf = options.sizeOf ?? ((v: V) => typedArrayBytes(v));
    this.lru = new LRUCache<string, V>({
      maxSize: options.maxBytes,
      // lru-cache needs a positive integer.
      sizeCalculation: (v) => Math.max(1, Math.ceil(sizeOf(v))),
      ...(options.onRelease ? { disposeAfter: options.onRelease } : {}),
    });
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  /** Bytes held for loads in flight. */
  get reserved(): number {
    return this.reservedBytes;
  }

  get entries(): number {
    return this.lru.size;
  }

  /** Loads in flight. */
  get loading(): number {
    return this.inFlight.size;
  }

  get maxBytes(): number {
    return this.lru.maxSize;
  }

  state(key: string): 'ready' | 'loading' | 'absent' {
    if (this.lru.has(key)) return 'ready';
    return this.inFlight.has(key) ? 'loading' : 'absent';
  }

  /** Store a value loaded elsewhere. */
  set(key: string, value: V): void {
    this.lru.set(key, value);
    this.trim();
  }

  get(key: string): V | undefined {
    return this.lru.get(key);
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  /**
   * Holds `bytes` of the bound for a load about to allocate them (decoded volume, analysis): least
   * recently used entries are evicted to make room, and while other loads hold the room this one
   * waits (first come, first served), so cache plus loads in flight stay within maxBytes. A load
   * larger than the bound is let through alone.
   */
  reserve(bytes: number, signal?: AbortSignal): Promise<Reservation> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const want = Math.max(1, Math.ceil(bytes));
    const granted = (): Reservation => {
      this.reservedBytes += want;
      let released = false;
      return {
        bytes: want,
        release: () => {
          if (released) return;
          released = true;
          this.reservedBytes -= want;
          this.admitWaiting();
        },
      };
    };
    if (this.reservationQueue.length === 0 && this.makeRoom(want)) return Promise.resolve(granted());
    return new Promise<Reservation>((resolve, reject) => {
      const waiter: ReservationWaiter = {
        bytes: want,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(granted());
        },
      };
      const onAbort = (): void => {
        const i = this.reservationQueue.indexOf(waiter);
        if (i >= 0) this.reservationQueue.splice(i, 1);
        reject(signal?.reason);
        this.admitWaiting();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.reservationQueue.push(waiter);
    });
  }

  /** Evicts LRU entries until `bytes` more fit; false when other reservations hold the room. */
  private makeRoom(bytes: number): boolean {
    while (this.lru.calculatedSize + this.reservedBytes + bytes > this.lru.maxSize && this.lru.size > 0) this.lru.pop();
    return this.reservedBytes === 0 || this.lru.calculatedSize + this.reservedBytes + bytes <= this.lru.maxSize;
  }

  private admitWaiting(): void {
    while (this.reservationQueue.length > 0 && this.makeRoom(this.reservationQueue[0].bytes)) {
      (this.reservationQueue.shift() as ReservationWaiter).grant();
    }
  }

  /** Evicts LRU entries while entries plus reservations exceed the bound. */
  private trim(): void {
    while (this.lru.calculatedSize + this.reservedBytes > this.lru.maxSize && this.lru.size > 1) this.lru.pop();
  }

  /**
   * The cached value, or the one being loaded, or a new load by `loader`. `onProgress` sees the
   * progress of whichever load serves this call, from the moment it joins.
   */
  async load(key: string, loader: Loader<V, P>, options: CacheLoadOptions<P> | ((p: P) => void) = {}): Promise<CacheLoadResult<V>> {
    const opts: CacheLoadOptions<P> = typeof options === 'function' ? { onProgress: options } : options;
    const cached = this.lru.get(key);
    if (cached !== undefined) {
      this.hits++;
      return { value: cached, source: 'hit' };
    }
    let flight = this.inFlight.get(key);
    const source = flight ? 'joined' : 'miss';
    if (flight) this.hits++;
    else {
      this.misses++;
      flight = this.start(key, loader, opts);
    }
    return { value: await this.wait(flight, opts), source };
  }

  /** A load of `key` is over (or dropped): it leaves the loads in flight. */
  private landed(key: string, flight: InFlight<V, P>): void {
    if (this.inFlight.get(key) !== flight) return;
    this.inFlight.delete(key);
    if (this.inFlight.size === 0) this.onIdle?.();
  }

  private start(key: string, loader: Loader<V, P>, opts: CacheLoadOptions<P>): InFlight<V, P> {
    // The first caller hears the loader's first events too (the loader starts before wait() runs).
    const listeners = new Set<(p: P) => void>(opts.onProgress ? [opts.onProgress] : []);
    const controller = new AbortController();
    const emit = (p: P): void => {
      for (const l of listeners) {
        try {
          l(p);
        } catch {
          // A listener that throws (a closed stream) must not break the shared load.
        }
      }
    };
    let timer: NodeJS.Timeout | undefined;
    const flight: InFlight<V, P> = { promise: undefined as unknown as Promise<V>, listeners, callers: 0, controller };
    const dropped = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    dropped.catch(() => undefined);
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => controller.abort(opts.timeoutError?.() ?? new Error('load timed out')), opts.timeoutMs);
    }
    flight.promise = (async () => {
      try {
        // Raced, so a loader that ignores its signal cannot keep callers (and the key) waiting.
        const value = await Promise.race([loader(emit, controller.signal), dropped]);
        this.lru.set(key, value);
        this.trim();
        return value;
      } finally {
        clearTimeout(timer);
        this.landed(key, flight);
      }
    })();
    flight.promise.catch(() => undefined);
    // A dropped load leaves at once: the next request for the key starts afresh.
    controller.signal.addEventListener('abort', () => this.landed(key, flight));
    this.inFlight.set(key, flight);
    return flight;
  }

  /** One caller's wait on a load: it may leave (its signal); the load is given up when the last one leaves. */
  private async wait(flight: InFlight<V, P>, opts: CacheLoadOptions<P>): Promise<V> {
    const { signal, onProgress } = opts;
    if (signal?.aborted) {
      if (flight.callers === 0) flight.controller.abort(signal.reason);
      throw signal.reason;
    }
    flight.callers++;
    if (onProgress) flight.listeners.add(onProgress);
    let onAbort: (() => void) | undefined;
    const left = new Promise<never>((_, reject) => {
      onAbort = () => reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    left.catch(() => undefined);
    try {
      return await Promise.race([flight.promise, left]);
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      if (onProgress) flight.listeners.delete(onProgress);
      flight.callers--;
      if (flight.callers === 0 && signal?.aborted) flight.controller.abort(signal.reason);
    }
  }
}
