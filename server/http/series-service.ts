/**
 * From a SeriesRef to a decoded, analysed series: pick the source (PACS by DICOMweb, the embedded
 * DICOMweb's folder, the local folder, an upload), enforce the wadoRoot allowlist and the PACS
 * credentials, and go through the cache so that a series is fetched, decoded and analysed once.
 * Cache keys carry the source (`pacs:<root>|…`, `local:…`, `upload:<content hash>`), so an upload
 * that reuses a series' UIDs can never stand in for what the PACS or the folder hold.
 *
 * A load streams: the source hands each instance over as it arrives, and the worker pool decodes it
 * meanwhile (engine.openLoad). Once all are in, the content hash is known; with a shared cache
 * (Redis, see shared-cache.ts) the analysis is taken from there when another replica made it, or made
 * here under a lock that makes the others wait for it, then stored.
 */
import { LRUCache } from 'lru-cache';
import type { Config } from '../config';
import type { FolderIndex } from '../dicomweb/folder-index';
import { SeriesCache, seriesKey } from '../series/cache';
import type { SeriesLoad } from '../workers/series-load';
import { fetchDicomwebSeries, type SeriesFile } from '../series/sources/dicomweb';
import { SourceError } from '../series/sources/errors';
import type { PerKeyLimiter } from '../series/sources/limiter';
import type { NamedPath } from '../series/load';
import { localSeriesFiles } from '../series/sources/local';
import type { Volume } from '../series/volume';
import type { Analysis, Engine } from './engine';
import { ApiError } from './errors';
import type { Hasher } from './hash';
import type { ProgressPhase, SeriesRef, SkipReport } from './schemas';
import { analysisKey, restoreAnalysis, storableAnalysis, type SharedCache } from './shared-cache';

export interface SeriesData {
  volume: Volume;
  analysis: Analysis;
  /** Milliseconds spent loading: fetch, decode, analysis. */
  loadTimings: Record<string, number>;
  /** Files of the series not in the volume, by reason (loader and folder index together). */
  skipped: SkipReport;
  /** Order-free sha256 of the instances' bytes. */
  contentHash: string;
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
  /** Who asks (uploads are visible to their uploader only). */
  user?: string;
  /** Fires when the client went away: it stops waiting, and the load stops when no one else waits. */
  signal?: AbortSignal;
}

export type SeriesLocation =
  | { kind: 'folder' }
  | { kind: 'pacs'; root: string; authorization?: string }
  | { kind: 'upload' };

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
  /** WADO-RS slots, per PACS root. */
  limiter: PerKeyLimiter;
  hash: Hasher;
  /** Folder index of the local / embedded DICOM folder. */
  index?: FolderIndex;
  /** Analyses shared with other replicas (Redis); absent: this replica's cache only. */
  shared?: SharedCache;
  fetch?: typeof fetch;
  onCache?: (result: 'hit' | 'joined' | 'miss') => void;
  onPacs?: (outcome: string) => void;
}

type SkipCounts = Partial<Record<string, number>>;

interface Resolved {
  key: string;
  sopOrder?: string[];
  /** Instances the load will get (sizes the decode buffers). */
  expected: number;
  /**
   * Hands the files to `sink` as they arrive; resolves when all are in, with the files of the series
   * already known to be left out (by the folder index).
   */
  load: (emit: (p: LoadProgress) => void, signal: AbortSignal, sink: (file: SeriesFile | NamedPath) => void) => Promise<{ skipped?: SkipCounts }>;
  /** For PACS series fetched with the caller's credentials: check them on a cache hit too. */
  verify?: () => Promise<void>;
}

interface Upload {
  owner: string;
  seriesInstanceUID: string;
  sops: string[];
}

const ACCESS_TTL_MS = 60_000;

/** A SkipReport from counts by reason (largest first). */
export function skipReport(...counts: Array<SkipCounts | undefined>): SkipReport {
  const merged = new Map<string, number>();
  for (const c of counts) for (const [reason, n] of Object.entries(c ?? {})) if (n) merged.set(reason, (merged.get(reason) ?? 0) + n);
  const reasons = [...merged].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1));
  return { count: reasons.reduce((n, r) => n + r.count, 0), reasons };
}

export class SeriesService {
  /** Uploads by id (the content hash); the cache holds their data under `upload:<id>`. */
  private readonly uploads = new LRUCache<string, Upload>({ max: 1000 });
  /** A caller's latest upload of a SeriesInstanceUID, for `{source: 'local', seriesInstanceUID}` requests. */
  private readonly uploadsByUserSeries = new LRUCache<string, string>({ max: 1000 });
  /** Positive PACS access checks, by hashed credential + series key, for a minute. */
  private readonly access = new LRUCache<string, true>({ max: 10_000, ttl: ACCESS_TTL_MS });

  constructor(private readonly deps: SeriesServiceDeps) {}

  get cache(): SeriesCache<SeriesData, LoadProgress> {
    return this.deps.cache;
  }

  /** A load in flight longer than the PACS and analysis deadlines together is given up. */
  private get loadTimeoutMs(): number {
    const { pacs, workers } = this.deps.config;
    return pacs.queueTimeoutMs + pacs.totalTimeoutMs + workers.taskTimeoutMs + 10_000;
  }

  async get(ref: SeriesRef, ctx: RequestContext, onProgress?: (p: LoadProgress) => void): Promise<SeriesResult> {
    const r = this.resolve(ref, ctx);
    const result = await this.deps.cache.load(r.key, (emit, signal) => this.loadSeries(r, emit, signal), {
      onProgress,
      signal: ctx.signal,
      timeoutMs: this.loadTimeoutMs,
      timeoutError: () => new SourceError(504, 'load_timeout', 'loading the series took too long; try again'),
    });
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
    this.get(ref, { ...ctx, signal: undefined }).catch(onError);
    return 'loading';
  }

  /**
   * Decode and analyse uploaded files, and keep them under a key of their own (the content hash):
   * an upload never replaces what the PACS or the folder serve for the same UIDs.
   */
  async addUpload(files: SeriesFile[], ctx: RequestContext): Promise<{ uploadId: string; data: SeriesData }> {
    const load = this.openLoad(files.length, ctx.signal);
    for (const f of files) load.push(f);
    load.end();
    const data = await this.finishLoad(load, () => undefined, {}, undefined, ctx.signal);
    const uploadId = data.contentHash;
    const owner = ctx.user ?? 'anonymous';
    this.deps.cache.set(`upload:${uploadId}`, data);
    const seriesInstanceUID = data.volume.seriesInstanceUID;
    this.uploads.set(uploadId, { owner, seriesInstanceUID, sops: [...new Set(data.volume.sopInstanceUIDs)] });
    this.uploadsByUserSeries.set(`${owner}|${seriesInstanceUID}`, uploadId);
    return { uploadId, data };
  }

  /**
   * A load in the worker pool that holds room in the cache bound for what decoding and analysis
   * allocate (from the first file), so that several cold series at once cannot take the process past --cache-mb.
   */
  private openLoad(expected: number, signal: AbortSignal | undefined): SeriesLoad {
    return this.deps.engine.openLoad({ expected, signal, reserve: (bytes, s) => this.deps.cache.reserve(bytes, s) });
  }

  private async loadSeries(r: Resolved, emit: (p: LoadProgress) => void, signal: AbortSignal): Promise<SeriesData> {
    const t0 = performance.now();
    const load = this.openLoad(r.expected, signal);
    let skipped: SkipCounts | undefined;
    try {
      ({ skipped } = await r.load(emit, signal, (file) => load.push(file)));
    } catch (err) {
      load.abort(err);
      throw err;
    }
    load.end();
    const fetchMs = performance.now() - t0;
    emit({ phase: 'decode' });
    return this.finishLoad(load, emit, { fetch: fetchMs }, skipped, signal);
  }

  /**
   * Once every file is decoded: the analysis from the shared cache (the volume is only put in order
   * then), or made here and stored there; without a shared cache, made here.
   */
  private async finishLoad(
    load: SeriesLoad,
    emit: (p: LoadProgress) => void,
    timings: Record<string, number>,
    skippedBefore: SkipCounts | undefined,
    signal: AbortSignal | undefined,
  ): Promise<SeriesData> {
    const decoded = await load.decoded();
    const onAnalyse = (): void => emit({ phase: 'analyse' });
    const shared = this.deps.shared;
    const key = shared && decoded.seriesInstanceUID ? analysisKey(decoded.seriesInstanceUID, decoded.contentHash) : undefined;
    let out: Awaited<ReturnType<SeriesLoad['finish']>> | undefined;
    let analysis: Analysis | undefined;
    if (shared && key) {
      const got = await shared.singleFlight(
        key,
        () => shared.getAnalysis(key),
        async () => {
          out = await load.finish({ analyse: true, onAnalyse });
          if (!out.analysis) throw new Error('the load returned no analysis');
          await shared.putAnalysis(key, out.analysis);
          return storableAnalysis(out.analysis);
        },
        signal,
      );
      if (!got.computed) {
        out = await load.finish({ analyse: false });
        analysis = restoreAnalysis(got.value, out.volume);
        if (!analysis) {
          onAnalyse();
          analysis = await this.deps.engine.analyse(out.volume, signal);
        }
      } else analysis = out?.analysis;
      if (analysis) shared.bind(analysis, key);
    } else {
      out = await load.finish({ analyse: true, onAnalyse });
      analysis = out.analysis;
    }
    if (!out || !analysis) throw new Error('the load returned no analysis');
    const loadTimings: Record<string, number> = { ...timings, decode: decoded.decodeMs + out.timings.assemble };
    if (out.timings.analysis !== undefined) loadTimings.analysis = out.timings.analysis;
    return {
      volume: out.volume,
      analysis,
      loadTimings,
      skipped: skipReport(skippedBefore, out.skippedReasons),
      contentHash: decoded.contentHash,
    };
  }

  private resolve(ref: SeriesRef, ctx: RequestContext): Resolved {
    if (ref.source === 'upload') return this.resolveUpload(ref.uploadId, ctx, ref.sopInstanceUIDs);
    if (ref.source === 'local') {
      if (this.deps.index?.series(ref.seriesInstanceUID)) return this.resolveLocal(ref.seriesInstanceUID, ref.sopInstanceUIDs);
      const uploadId = this.uploadsByUserSeries.get(`${ctx.user ?? 'anonymous'}|${ref.seriesInstanceUID}`);
      if (uploadId) return this.resolveUpload(uploadId, ctx, ref.sopInstanceUIDs);
      return this.resolveLocal(ref.seriesInstanceUID, ref.sopInstanceUIDs);
    }
    const { config } = this.deps;
    const where = this.location(ref, ctx);
    if (where.kind === 'folder') return this.resolveLocal(ref.seriesInstanceUID, ref.sopInstanceUIDs, ref.studyInstanceUID);
    if (where.kind !== 'pacs') throw new Error('unreachable: a DICOMweb reference is on a PACS or the folder');
    const { root: pacsRoot, authorization } = where;
    const forwarded = config.pacs.credential === undefined && config.pacs.forwardAuthorization;
    const key = `pacs:${pacsRoot}|${seriesKey(ref.seriesInstanceUID, ref.sopInstanceUIDs)}`;
    const sops = [...ref.sopInstanceUIDs];
    const accessKey = `${this.deps.hash(authorization ?? '')}|${key}`;
    return {
      key,
      sopOrder: sops,
      expected: new Set(sops).size,
      load: async (emit, signal, sink) => {
        const fetchStep = progressThrottle(emit);
        try {
          await fetchDicomwebSeries({
            wadoRoot: pacsRoot,
            studyInstanceUID: ref.studyInstanceUID,
            seriesInstanceUID: ref.seriesInstanceUID,
            sopInstanceUIDs: sops,
            authorization,
            connectTimeoutMs: config.pacs.connectTimeoutMs,
            readTimeoutMs: config.pacs.readTimeoutMs,
            totalTimeoutMs: config.pacs.totalTimeoutMs,
            maxBytes: config.maxSeriesBytes,
            limiter: this.deps.limiter.for(pacsRoot),
            onProgress: fetchStep,
            onFile: sink,
            signal,
            fetch: this.deps.fetch,
          });
          this.deps.onPacs?.('ok');
          this.access.set(accessKey, true);
          return {};
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

  /**
   * Where a series lives: the server's own folder (served as the embedded DICOMweb), a PACS (its
   * root on the allowlist, and the credential to call it with), or an upload. Reports are saved there.
   */
  location(ref: SeriesRef, ctx: RequestContext): SeriesLocation {
    if (ref.source === 'upload') return { kind: 'upload' };
    if (ref.source === 'local') {
      // Not in the folder: the caller's upload of that series, else (folder) a series get() will not find.
      if (this.deps.index?.series(ref.seriesInstanceUID)) return { kind: 'folder' };
      return this.uploadsByUserSeries.has(`${ctx.user ?? 'anonymous'}|${ref.seriesInstanceUID}`) ? { kind: 'upload' } : { kind: 'folder' };
    }
    const { config } = this.deps;
    const root = (ref.wadoRoot ?? config.pacs.url)?.replace(/\/+$/, '');
    if (!root) throw new ApiError(400, 'no_pacs', 'the request names no wadoRoot and no PACS is configured');
    let pacsRoot = root;
    if (this.isEmbeddedRoot(root, ctx.host)) {
      // Our own /dicom-web: the folder index, or (PACS pass-through mode) the PACS behind it.
      if (this.deps.index) return { kind: 'folder' };
      if (config.pacs.url) pacsRoot = config.pacs.url.replace(/\/+$/, '');
    }
    if (!config.pacs.allow.includes(pacsRoot)) {
      throw new ApiError(403, 'wado_root_not_allowed', 'this server may not fetch from that DICOMweb root');
    }
    const forwarded = config.pacs.credential === undefined && config.pacs.forwardAuthorization;
    return { kind: 'pacs', root: pacsRoot, authorization: config.pacs.credential ?? (forwarded ? ctx.authorization : undefined) };
  }

  /** The folder index of the embedded DICOMweb, when this server has one. */
  get folder(): FolderIndex | undefined {
    return this.deps.index;
  }

  /** An upload of this caller; someone else's is as unknown as one never made. */
  private resolveUpload(uploadId: string, ctx: RequestContext, sops: readonly string[] | undefined): Resolved {
    const upload = this.uploads.get(uploadId);
    if (!upload || upload.owner !== (ctx.user ?? 'anonymous')) {
      throw new SourceError(404, 'upload_not_found', 'no such upload; upload the series again');
    }
    if (sops) {
      const held = new Set(upload.sops);
      const missing = new Set(sops).size - [...new Set(sops)].filter((s) => held.has(s)).length;
      if (missing > 0) throw new SourceError(404, 'instances_not_found', `${missing} of the requested instances are not in the upload`);
    }
    return {
      key: `upload:${uploadId}`,
      sopOrder: sops ? [...sops] : undefined,
      expected: upload.sops.length,
      load: async () => {
        // Only reached once the cache has evicted the upload.
        throw new SourceError(404, 'upload_not_found', 'this upload is no longer held; upload the series again');
      },
    };
  }

  private resolveLocal(seriesInstanceUID: string, sops: readonly string[] | undefined, studyInstanceUID?: string): Resolved {
    const index = this.deps.index;
    const series = index?.series(seriesInstanceUID);
    const known = sops ? [...sops] : series?.instances.map((i) => i.sopInstanceUID);
    if (!index || !series || !known) throw new SourceError(404, 'series_not_found', 'this series is not in the local folder');
    // Files of the series the index could not use: an error when asked for by name, reported otherwise.
    const held = new Set(series.instances.map((i) => i.sopInstanceUID));
    const unreadableAsked = sops ? series.unreadable.filter((u) => u.sopInstanceUID !== undefined && sops.includes(u.sopInstanceUID) && !held.has(u.sopInstanceUID)) : [];
    if (unreadableAsked.length > 0) {
      throw new SourceError(
        422,
        'instance_unreadable',
        `${unreadableAsked.length} of the requested instances cannot be read (${[...new Set(unreadableAsked.map((u) => u.reason))].join(', ')})`,
      );
    }
    const skipped: SkipCounts = {};
    if (!sops) for (const u of series.unreadable) skipped[u.reason] = (skipped[u.reason] ?? 0) + 1;
    return {
      key: `local:${seriesKey(seriesInstanceUID, known)}`,
      sopOrder: sops ? [...sops] : undefined,
      expected: known.length,
      load: async (emit, _signal, sink) => {
        // Named, not read: the decoding workers read the files.
        const files = localSeriesFiles(index, { seriesInstanceUID, studyInstanceUID, sopInstanceUIDs: sops });
        emit({ phase: 'fetch', done: 0, total: files.length });
        for (const f of files) sink(f);
        emit({ phase: 'fetch', done: files.length, total: files.length });
        return { skipped };
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
