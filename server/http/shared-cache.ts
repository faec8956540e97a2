/**
 * Analyses shared by the replicas of a deployment through Redis (`--redis URL`), so that a series
 * analysed on one replica is warm on all, and a cold analysis runs once across them.
 *
 * What is stored, under keys that are hashes only:
 * - `sf:a:<key>`: a series' analysis less what identifies it or is pixel data: no Series or SOP
 *   Instance UIDs (each replica takes them from its own decoded volume), no volume, and not the
 *   analysis' anatomy (its grid is block-averaged HU: pixel data; its masks are only for drawing);
 *   answering a query needs none of these;
 * - `sf:s:<key>:<model>`: a learned model's scores for the candidates of that analysis (the model
 *   reads the volume, which is never stored: a replica that has the scores need not run it).
 * `<key>` = sha256(pipeline version, SeriesInstanceUID, content hash of the instances); `<model>` =
 * sha256(model id, version, digest of its files). Values are v8-serialised and gzipped, with a TTL.
 *
 * Single flight: a replica that misses takes a Redis lock for the key (redis-semaphore's Mutex: SET NX
 * PX with auto-refresh and a compare-and-delete release), looks again, and only then analyses; the
 * others wait on the lock and find the result when they get it.
 *
 * Redis down (or never up): every call answers "miss" or runs the work locally at once; the replica
 * keeps serving from its own LRU cache, and says so in its log once (and once more when Redis is back).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import { gunzip, gzip } from 'node:zlib';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Mutex } from 'redis-semaphore';
import type { CandidateScore } from '../rerank/learned';
import type { ModelInfo } from '../rerank/response';
import type { Volume } from '../series/volume';
import type { AnalysisWire, HeldAnalysis } from '../workers/wire';

const gzipP = promisify(gzip);
const gunzipP = promisify(gunzip);

/** Bump when the stored shape changes. */
const FORMAT = 2;

export interface SharedCacheOptions {
  url: string;
  /** How long an entry lives, seconds. */
  ttlSeconds: number;
  log: Logger;
  /** Longest a replica waits for another's analysis of the same series before doing it itself, ms. */
  waitTimeoutMs: number;
  /** Lock expiry (refreshed while held), ms: how long a crashed replica's lock blocks the others. */
  lockTimeoutMs?: number;
  /** Each Redis command's deadline, ms (a command past it counts as a miss). */
  commandTimeoutMs?: number;
}

/** The stored part of an analysis (see the module comment): its wire form, which holds no identifiers. */
interface StoredAnalysis {
  format: number;
  wire: AnalysisWire;
}

let pipelineVersionMemo: string | undefined;

/**
 * A digest of the code that decodes and analyses a series (and of the runtime adapters that feed the
 * models): replicas running other code never share entries, and nobody has to remember a version bump.
 */
export function pipelineVersion(): string {
  if (pipelineVersionMemo) return pipelineVersionMemo;
  const root = path.resolve(__dirname, '..');
  const h = createHash('sha256').update(`format ${FORMAT}`);
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|json)$/.test(name)) h.update(path.relative(root, p)).update(readFileSync(p));
    }
  };
  for (const d of ['rerank', 'series', 'runtime']) walk(path.join(root, d));
  pipelineVersionMemo = h.digest('hex').slice(0, 16);
  return pipelineVersionMemo;
}

function sha256(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

/** The key of a series' analysis: hashes only. */
export function analysisKey(seriesInstanceUID: string, contentHash: string, version = pipelineVersion()): string {
  return sha256('analysis', version, seriesInstanceUID, contentHash);
}

/** A model (id, version, digest of its files), and the candidates it scored when `ids` is given. */
export function modelKey(model: ModelInfo, fingerprint: string, ids?: readonly number[]): string {
  return sha256('model', model.id, model.version, fingerprint, ids ? ids.join(',') : '').slice(0, 32);
}

/** The shareable part of an analysis. */
export function storableAnalysis(a: HeldAnalysis): StoredAnalysis {
  return { format: FORMAT, wire: a.wire };
}

/** An analysis read back, with this replica's decoded series (its identifiers and pixels); undefined if it does not fit. */
export function restoreAnalysis(stored: StoredAnalysis, volume: Volume): HeldAnalysis | undefined {
  const { format, wire } = stored;
  if (format !== FORMAT || wire?.slices !== volume.slices || wire.rows !== volume.rows || wire.columns !== volume.columns) return undefined;
  return { volume, wire };
}

async function pack(value: unknown): Promise<Buffer> {
  return gzipP(serialize(value), { level: 1 });
}

async function unpack<T>(buf: Buffer): Promise<T> {
  return deserialize(await gunzipP(buf)) as T;
}

export class SharedCache {
  private readonly redis: Redis;
  private down = false;
  private readonly lockTimeoutMs: number;
  private readonly keys = new WeakMap<object, string>();

  constructor(private readonly opts: SharedCacheOptions) {
    this.lockTimeoutMs = opts.lockTimeoutMs ?? 15_000;
    this.redis = new Redis(opts.url, {
      // Fail fast while disconnected instead of queueing: the local cache answers meanwhile.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: opts.commandTimeoutMs ?? 5000,
      retryStrategy: (times) => Math.min(200 * times, 2000),
      lazyConnect: false,
    });
    this.redis.on('error', () => this.markDown());
    this.redis.on('end', () => this.markDown());
    this.redis.on('close', () => this.markDown());
    this.redis.on('ready', () => {
      if (this.down) opts.log.info('shared cache: Redis is reachable again');
      this.down = false;
    });
  }

  /** Whether Redis answers now. */
  get available(): boolean {
    return this.redis.status === 'ready';
  }

  private markDown(): void {
    if (this.down) return;
    this.down = true;
    // Once per outage: the replica goes on with its own cache.
    this.opts.log.warn('shared cache: Redis is unreachable; serving from this replica\'s cache until it is back');
  }

  private async get<T>(key: string): Promise<T | undefined> {
    if (!this.available) return undefined;
    try {
      const buf = await this.redis.getBuffer(key);
      return buf ? await unpack<T>(buf) : undefined;
    } catch (err) {
      // A slow or failed command is a miss; an outage is reported by the connection's own events.
      this.opts.log.debug({ err: (err as Error).name }, 'shared cache: read failed');
      return undefined;
    }
  }

  private async put(key: string, value: unknown): Promise<void> {
    if (!this.available) return;
    try {
      await this.redis.set(key, await pack(value), 'EX', this.opts.ttlSeconds);
    } catch (err) {
      this.opts.log.debug({ err: (err as Error).name }, 'shared cache: write failed');
    }
  }

  async getAnalysis(key: string): Promise<StoredAnalysis | undefined> {
    return this.get<StoredAnalysis>(`sf:a:${key}`);
  }

  async putAnalysis(key: string, analysis: HeldAnalysis): Promise<void> {
    await this.put(`sf:a:${key}`, storableAnalysis(analysis));
  }

  async getScores(key: string, model: string): Promise<CandidateScore[] | undefined> {
    return this.get<CandidateScore[]>(`sf:s:${key}:${model}`);
  }

  async putScores(key: string, model: string, scores: readonly CandidateScore[]): Promise<void> {
    await this.put(`sf:s:${key}:${model}`, scores);
  }

  /**
   * `lookup`, else `compute` under the key's lock, at most once across replicas while Redis is up:
   * a replica that gets the lock after another computed finds the result by `lookup`. Without Redis,
   * or when the wait runs out, `compute` runs here.
   */
  async singleFlight<T>(key: string, lookup: () => Promise<T | undefined>, compute: () => Promise<T>, signal?: AbortSignal): Promise<{ value: T; computed: boolean }> {
    const found = await lookup();
    if (found !== undefined) return { value: found, computed: false };
    if (!this.available) return { value: await compute(), computed: true };
    const mutex = new Mutex(this.redis, `sf:lock:${key}`, {
      lockTimeout: this.lockTimeoutMs,
      acquireTimeout: this.opts.waitTimeoutMs,
      retryInterval: 50,
      // Redis went away while we held the lock: the work goes on here; another replica may repeat it.
      onLockLost: () => this.opts.log.debug('shared cache: lock lost'),
    });
    const acquiring = mutex.acquire().then(
      () => true,
      () => false,
    );
    let gotIt: boolean;
    try {
      gotIt = await raceAbort(acquiring, signal);
    } catch (err) {
      // The caller left while waiting: a lock granted after that is given back at once.
      void acquiring.then((ok) => {
        if (ok) void mutex.release().catch(() => undefined);
      });
      throw err;
    }
    if (!gotIt) return { value: await compute(), computed: true };
    try {
      const now = await lookup();
      if (now !== undefined) return { value: now, computed: false };
      return { value: await compute(), computed: true };
    } finally {
      await mutex.release().catch(() => undefined);
    }
  }

  /** Remembers the key an analysis is stored under (for its learned scores). */
  bind(analysis: object, key: string): void {
    this.keys.set(analysis, key);
  }

  keyOf(analysis: object): string | undefined {
    return this.keys.get(analysis);
  }

  async close(): Promise<void> {
    this.redis.removeAllListeners('error');
    this.redis.on('error', () => undefined);
    this.redis.disconnect();
  }
}

/** `p`, unless `signal` fires first (its reason is thrown; a lock taken later is released by the caller's finally). */
async function raceAbort<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) throw signal.reason;
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([p, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
