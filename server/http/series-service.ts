/**
 * From a SeriesRef to a decoded, analysed series: pick the source (PACS by DICOMweb, the embedded
 * DICOMweb's folder, the local folder, an upload), enforce the wadoRoot allowlist and the PACS
 * credentials, and go through the cache so that a series is fetched, decoded and analysed once.
 */
import { LRUCache } from 'lru-cache';
import type { Config } from '../config';
import type { FolderIndex } from '../dicomweb/folder-index';
import { SeriesCache, seriesKey } from '../series/cache';
import { fetchDicomwebSeries, type SeriesFile } from '../series/sources/dicomweb';
import { SourceError } from '../series/sources/errors';
import type { Limiter } from '../series/sources/limiter';
import { localSeriesSops, readLocalSeries } from '../series/sources/local';
import type { Volume } from '../series/volume';
import type { Analysis, Engine } from './engine';
import { ApiError } from './errors';
import type { Hasher } from './hash';
import type { ProgressPhase, SeriesRef } from './schemas';

export interface SeriesData {
  volume: Volume;
  analysis: Analysis;
  /** Milliseconds spent loading: fetch, decode, analysis. */
  loadTimings: Record<string, number>;
}

export interface LoadProgress {
  phase: Exclude<ProgressPhase, 'score'>;
  done?: number;
  total?: number;
}

export interface RequestContext {
  /** The caller's Authorization header, when it may be forwarded to the PACS. */
  authorization?: string;
  /** Host header of the request (to recognise the embedded DICOMweb root by absolute URL). */
  host?: string;
}

export interface SeriesResult {
  data: SeriesData;
  cache: 'hit' | 'joined' | 'miss';
  /** The order the viewer shows the instances in, when the request said. */
  sopOrder?: string[];
}

export interface SeriesServiceDeps {
  config: Config;
  engine: Engine;
  cache: SeriesCache<SeriesData, LoadProgress>;
  limiter: Limiter;
  hash: Hasher;
  /** Folder index of the local / embedded DICOM folder. */
  index?: FolderIndex;
  fetch?: typeof fetch;
  onCache?: (result: 'hit' | 'joined' | 'miss') => void;
  onPacs?: (outcome: string) => void;
}

interface Resolved {
  key: string;
  sopOrder?: string[];
  load: (emit: (p: LoadProgress) => void) => Promise<SeriesFile[]>;
  /** For PACS series fetched with the caller's credentials: check them on a cache hit too. */
  verify?: () => Promise<void>;
}

const ACCESS_TTL_MS = 60_000;

export class SeriesService {
  /** Series that arrived by upload: SeriesInstanceUID → their SOP UIDs (the cache holds the data). */
  private readonly uploads = new LRUCache<string, string[]>({ max: 1000 });
  /** Positive PACS access checks, by hashed credential + series key, for a minute. */
  private readonly access = new LRUCache<string, true>({ max: 10_000, ttl: ACCESS_TTL_MS });

  constructor(private readonly deps: SeriesServiceDeps) {}

  get cache(): SeriesCache<SeriesData, LoadProgress> {
    return this.deps.cache;
  }

  async get(ref: SeriesRef, ctx: RequestContext, onProgress?: (p: LoadProgress) => void): Promise<SeriesResult> {
    const r = this.resolve(ref, ctx);
    const result = await this.deps.cache.load(r.key, (emit) => this.loadSeries(r, emit), onProgress);
    this.deps.onCache?.(result.source);
    if (result.source !== 'miss' && r.verify) await r.verify();
    return { data: result.value, cache: result.source, sopOrder: r.sopOrder };
  }

  /** Start loading in the background (series/prepare); the state before the call. */
  prepare(ref: SeriesRef, ctx: RequestContext, onError: (err: unknown) => void): 'ready' | 'loading' {
    const r = this.resolve(ref, ctx);
    const before = this.deps.cache.state(r.key);
    // "ready" tells only that the series is cached; the data still needs the caller's access (get()).
    if (before === 'ready') return 'ready';
    this.get(ref, ctx).catch(onError);
    return 'loading';
  }

  /** Decode and analyse uploaded files, and keep them as a `local` series. */
  async addUpload(files: SeriesFile[]): Promise<{ data: SeriesData; skipped: number }> {
    const { data, skipped } = this.decodeAndAnalyse(files, () => undefined, {});
    const sops = data.volume.sopInstanceUIDs;
    const key = seriesKey(data.volume.seriesInstanceUID, sops);
    this.deps.cache.set(key, data);
    this.uploads.set(data.volume.seriesInstanceUID, [...new Set(sops)]);
    return { data, skipped };
  }

  private async loadSeries(r: Resolved, emit: (p: LoadProgress) => void): Promise<SeriesData> {
    const t0 = performance.now();
    const files = await r.load(emit);
    const fetchMs = performance.now() - t0;
    return this.decodeAndAnalyse(files, emit, { fetch: fetchMs }).data;
  }

  private decodeAndAnalyse(
    files: SeriesFile[],
    emit: (p: LoadProgress) => void,
    timings: Record<string, number>,
  ): { data: SeriesData; skipped: number } {
    emit({ phase: 'decode' });
    const t1 = performance.now();
    const { volume, skipped } = this.deps.engine.decode(files);
    const t2 = performance.now();
    emit({ phase: 'analyse' });
    const analysis = this.deps.engine.analyse(volume);
    const t3 = performance.now();
    return { data: { volume, analysis, loadTimings: { ...timings, decode: t2 - t1, analysis: t3 - t2 } }, skipped };
  }

  private resolve(ref: SeriesRef, ctx: RequestContext): Resolved {
    if (ref.source === 'local') return this.resolveLocal(ref.seriesInstanceUID, ref.sopInstanceUIDs);
    const { config } = this.deps;
    const root = (ref.wadoRoot ?? config.pacs.url)?.replace(/\/+$/, '');
    if (!root) throw new ApiError(400, 'no_pacs', 'the request names no wadoRoot and no PACS is configured');
    let pacsRoot = root;
    if (this.isEmbeddedRoot(root, ctx.host)) {
      // Our own /dicom-web: the folder index, or (PACS pass-through mode) the PACS behind it.
      if (this.deps.index) return this.resolveLocal(ref.seriesInstanceUID, ref.sopInstanceUIDs, ref.studyInstanceUID);
      if (config.pacs.url) pacsRoot = config.pacs.url.replace(/\/+$/, '');
    }
    if (!config.pacs.allow.includes(pacsRoot)) {
      throw new ApiError(403, 'wado_root_not_allowed', 'this server may not fetch from that DICOMweb root');
    }
    const forwarded = config.pacs.credential === undefined && config.pacs.forwardAuthorization;
    const authorization = config.pacs.credential ?? (forwarded ? ctx.authorization : undefined);
    const key = seriesKey(ref.seriesInstanceUID, ref.sopInstanceUIDs);
    const sops = [...ref.sopInstanceUIDs];
    const accessKey = `${this.deps.hash(authorization ?? '')}|${key}`;
    return {
      key,
      sopOrder: sops,
      load: async (emit) => {
        const fetchStep = progressThrottle(emit);
        try {
          const files = await fetchDicomwebSeries({
            wadoRoot: pacsRoot,
            studyInstanceUID: ref.studyInstanceUID,
            seriesInstanceUID: ref.seriesInstanceUID,
            sopInstanceUIDs: sops,
            authorization,
            connectTimeoutMs: config.pacs.connectTimeoutMs,
            readTimeoutMs: config.pacs.readTimeoutMs,
            maxBytes: config.maxSeriesBytes,
            limiter: this.deps.limiter,
            onProgress: fetchStep,
            fetch: this.deps.fetch,
          });
          this.deps.onPacs?.('ok');
          this.access.set(accessKey, true);
          return files;
        } catch (err) {
          this.deps.onPacs?.(err instanceof SourceError ? err.code : 'error');
          throw err;
        }
      },
      verify: forwarded
        ? async () => {
            if (this.access.has(accessKey)) return;
            await this.checkPacsAccess(pacsRoot, ref.studyInstanceUID, ref.seriesInstanceUID, authorization);
            this.access.set(accessKey, true);
          }
        : undefined,
    };
  }

  private resolveLocal(seriesInstanceUID: string, sops: readonly string[] | undefined, studyInstanceUID?: string): Resolved {
    const index = this.deps.index;
    const known = sops ? [...sops] : (this.uploads.get(seriesInstanceUID) ?? (index && localSeriesSops(index, seriesInstanceUID)));
    if (!known) throw new SourceError(404, 'series_not_found', 'this series is not in the local folder');
    const key = seriesKey(seriesInstanceUID, known);
    return {
      key,
      sopOrder: sops ? [...sops] : undefined,
      load: async (emit) => {
        if (!index || !index.series(seriesInstanceUID)) {
          // An upload that the cache has since evicted.
          throw new SourceError(404, 'series_not_found', 'this series is no longer held; upload it again');
        }
        return readLocalSeries(index, {
          seriesInstanceUID,
          studyInstanceUID,
          sopInstanceUIDs: sops,
          onProgress: progressThrottle(emit),
        });
      },
    };
  }

  /** The embedded DICOMweb root, given as a path ("/dicom-web") or as an absolute URL on this host. */
  private isEmbeddedRoot(root: string, host: string | undefined): boolean {
    const embedded = this.deps.config.embeddedDicomwebRoot?.replace(/\/+$/, '');
    if (!embedded) return false;
    if (root === embedded) return true;
    let url: URL;
    try {
      url = new URL(root);
    } catch {
      return false;
    }
    return url.pathname.replace(/\/+$/, '') === embedded && host !== undefined && url.host === host;
  }

  /** A QIDO search for the series with the caller's credentials: 401/403 as the PACS says, 404 if it is not visible. */
  private async checkPacsAccess(root: string, study: string, series: string, authorization?: string): Promise<void> {
    const { config } = this.deps;
    const doFetch = this.deps.fetch ?? fetch;
    const headers: Record<string, string> = { accept: 'application/dicom+json' };
    if (authorization) headers.authorization = authorization;
    const url = `${root}/studies/${encodeURIComponent(study)}/series?SeriesInstanceUID=${encodeURIComponent(series)}`;
    let res: Response;
    try {
      res = await doFetch(url, { headers, signal: AbortSignal.timeout(config.pacs.connectTimeoutMs), redirect: 'error' });
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new SourceError(504, 'pacs_timeout', 'the PACS did not answer in time');
      throw new SourceError(502, 'pacs_unreachable', 'the PACS could not be reached');
    }
    if (!res.ok) await res.body?.cancel().catch(() => undefined);
    const body = res.ok ? await res.text() : '';
    if (res.status === 401) throw new SourceError(401, 'pacs_unauthorized', 'the PACS asks for credentials');
    if (res.status === 403) throw new SourceError(403, 'pacs_forbidden', 'the PACS refused access to this series');
    if (!res.ok) throw new SourceError(502, 'pacs_error', `the PACS answered with status ${res.status}`);
    if (!body.includes(series)) throw new SourceError(404, 'series_not_found', 'the PACS does not have this series');
  }
}

/** Pass fetch progress on at most about 100 times per series. */
function progressThrottle(emit: (p: LoadProgress) => void): (done: number, total: number) => void {
  let last = -1;
  return (done, total) => {
    const step = Math.max(1, Math.floor(total / 100));
    if (done === 0 || done === total || done - last >= step) {
      last = done;
      emit({ phase: 'fetch', done, total });
    }
  };
}
