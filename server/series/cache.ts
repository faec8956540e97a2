/**
 * The series cache: decoded volumes and their analysis, keyed by SeriesInstanceUID plus the SOP UIDs,
 * LRU-bounded by the bytes of their typed arrays. Concurrent requests for one series share one load
 * (and its progress); a load that fails leaves nothing behind, so the next request tries afresh.
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
  const each = files.map((f) => createHash('sha256').update(f.data).digest('hex')).sort();
  return createHash('sha256').update(each.join('\n')).digest('base64url');
}

/** Bytes held by the typed arrays reachable from `value` (each buffer counted once), plus a small overhead. */
export function typedArrayBytes(value: unknown, maxDepth = 6): number {
  const seenBuffers = new Set<ArrayBufferLike>();
  const seenObjects = new Set<object>();
  let total = 0;
  const walk = (v: unknown, depth: number): void => {
    if (v === null || typeof v !== 'object' || depth > maxDepth) return;
    if (ArrayBuffer.isView(v)) {
      if (!seenBuffers.has(v.buffer)) {
        seenBuffers.add(v.buffer);
        total += v.buffer.byteLength;
      }
      return;
    }
    if (v instanceof ArrayBuffer) {
      if (!seenBuffers.has(v)) {
        seenBuffers.add(v);
        total += v.byteLength;
      }
      return;
    }
    if (seenObjects.has(v)) return;
    seenObjects.add(v);
    if (Array.isArray(v)) {
      // Arrays of plain numbers/strings (positions, UIDs) cost little next to the voxels; sample them.
      total += v.length * 16;
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
  return total + 1024;
}

export interface SeriesCacheOptions<V> {
  maxBytes: number;
  /** Bytes an entry costs; typed arrays reachable from it by default. */
  sizeOf?: (value: V) => number;
}

export interface CacheLoadResult<V> {
  value: V;
  /** 'hit': it was cached; 'joined': another request was already loading it; 'miss': this call loaded it. */
  source: 'hit' | 'joined' | 'miss';
}

interface InFlight<V, P> {
  promise: Promise<V>;
  listeners: Set<(p: P) => void>;
}

export class SeriesCache<V extends object, P = unknown> {
  private readonly lru: LRUCache<string, V>;
  private readonly inFlight = new Map<string, InFlight<V, P>>();
  hits = 0;
  misses = 0;

  constructor(options: SeriesCacheOptions<V>) {
    const sizeOf = options.sizeOf ?? ((v: V) => typedArrayBytes(v));
    this.lru = new LRUCache<string, V>({
      maxSize: options.maxBytes,
      // lru-cache needs a positive integer.
      sizeCalculation: (v) => Math.max(1, Math.ceil(sizeOf(v))),
    });
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  get entries(): number {
    return this.lru.size;
  }

  get maxBytes(): number {
    return this.lru.maxSize;
  }

  state(key: string): 'ready' | 'loading' | 'absent' {
    if (this.lru.has(key)) return 'ready';
    return this.inFlight.has(key) ? 'loading' : 'absent';
  }

  /** Store a value loaded elsewhere (an upload). */
  set(key: string, value: V): void {
    this.lru.set(key, value);
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  /**
   * The cached value, or the one being loaded, or a new load by `loader`. `onProgress` sees the
   * progress of whichever load serves this call, from the moment it joins.
   */
  async load(key: string, loader: (emit: (p: P) => void) => Promise<V>, onProgress?: (p: P) => void): Promise<CacheLoadResult<V>> {
    const cached = this.lru.get(key);
    if (cached !== undefined) {
      this.hits++;
      return { value: cached, source: 'hit' };
    }
    const running = this.inFlight.get(key);
    if (running) {
      this.hits++;
      if (onProgress) running.listeners.add(onProgress);
      try {
        return { value: await running.promise, source: 'joined' };
      } finally {
        if (onProgress) running.listeners.delete(onProgress);
      }
    }
    this.misses++;
    const listeners = new Set<(p: P) => void>();
    if (onProgress) listeners.add(onProgress);
    const emit = (p: P): void => {
      for (const l of listeners) {
        try {
          l(p);
        } catch {
          // A listener that throws (a closed stream) must not break the shared load.
        }
      }
    };
    const promise = (async () => {
      try {
        const value = await loader(emit);
        this.lru.set(key, value);
        return value;
      } finally {
        this.inFlight.delete(key);
      }
    })();
    this.inFlight.set(key, { promise, listeners });
    return { value: await promise, source: 'miss' };
  }
}
