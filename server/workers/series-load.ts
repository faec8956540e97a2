/**
 * Loading one series through the worker pool while its instances arrive (from the PACS, a folder or
 * an upload): the main thread only queues files and hands them out in batches; workers hash, decode
 * and rescale them in parallel into one shared staging buffer, sized from the first instance's header
 * and the number of instances expected. When every file is in, `decoded()` gives the content hash
 * (the shared cache's key needs it before deciding to analyse), and `finish()` orders the slices in
 * place and, if asked, analyses the volume in the pool (analyse-in-pool.ts: on two threads at once).
 *
 *   const load = new SeriesLoad(pool, { expected: sops.length, reserve });
 *   for await (const part of parts) load.push(part);   // decoding starts with the first batch
 *   load.end();
 *   const { contentHash } = await load.decoded();
 *   const out = await load.finish({ analyse: true });
 */
import { readValues, scanPart10 } from '../series/part10';
import { DEFAULT_MAX_VOXELS } from '../series/assemble';
import { DEFAULT_MAX_FRAMES } from '../series/decode';
import { combineDigests } from '../series/cache';
import type { LoadOptions, NamedBuffer, NamedPath } from '../series/load';
import type { Volume } from '../series/volume';
import { analyseInPool } from './analyse-in-pool';
import type { WorkerPool } from './pool';
import type { Staging } from './staging';
import type { AssembleSeriesOutput, DecodedFile } from './tasks';
import { ownBuffer } from './transfer';
import type { HeldAnalysis, PackedScorerInputs } from './wire';

/** What a load may allocate per byte of DICOM: the files, the HU volume (float32), the analysis. */
export const LOAD_BYTES_PER_FILE_BYTE = 3;

export interface SeriesLoadOptions {
  /** Instances expected (sizes the staging buffer); 0 when unknown (frames then get buffers of their own). */
  expected: number;
  limits?: LoadOptions;
  signal?: AbortSignal;
  /**
   * Holds room in the memory bound before anything is allocated (called once, with an estimate from the
   * first file); what it returns is released when the load ends.
   */
  reserve?: (bytes: number, signal?: AbortSignal) => Promise<{ release(): void }>;
  /** Told of the volume's lesions as soon as the analysis found them (AnalyseInPoolOptions.onLesions). */
  onLesions?: (volume: Volume, lesions: PackedScorerInputs) => void;
}

export interface DecodedSeries {
  /** Order-free sha256 of the files (base64url), as contentHash() computes it. */
  contentHash: string;
  /** Of the first image decoded (the stack check in finish() refuses a mix). */
  seriesInstanceUID?: string;
  files: number;
  bytes: number;
  /** From the first batch handed out to the last one decoded, ms (overlaps the arrival of the files). */
  decodeMs: number;
}

/** The ordered volume, its analysis unless told not to analyse, what was skipped; `timings.analysis`: the analysis' wall time, ms. */
export type FinishedSeries = Omit<AssembleSeriesOutput, 'started' | 'timings'> & { analysis?: HeldAnalysis; timings: { assemble: number; analysis?: number } };

const ROWS = 0x00280010;
const COLUMNS = 0x00280011;
const NUMBER_OF_FRAMES = 0x00280008;
const DIMENSION_TAGS: ReadonlySet<number> = new Set([ROWS, COLUMNS, NUMBER_OF_FRAMES]);

/** Rows × columns × frames from a file's header, when it reads as an uncompressed image (else undefined). */
function peekDimensions(data: Uint8Array): { rows: number; columns: number; frames: number } | undefined {
  try {
    const layout = scanPart10(data, { prefix: true });
    const v = readValues(data, layout, DIMENSION_TAGS);
    const n = (tag: number): number => Number((v[tag.toString(16).toUpperCase().padStart(8, '0')]?.Value ?? [])[0]);
    const rows = n(ROWS);
    const columns = n(COLUMNS);
    const frames = n(NUMBER_OF_FRAMES) || 1;
    return Number.isInteger(rows) && rows > 0 && Number.isInteger(columns) && columns > 0 && Number.isInteger(frames) && frames > 0
      ? { rows, columns, frames }
      : undefined;
  } catch {
    return undefined;
  }
}

/** A file as queued for decoding: its bytes, or its path for the worker to read. */
export type QueuedFile = (NamedBuffer | NamedPath) & { index: number };

export class SeriesLoad {
  private readonly queue: QueuedFile[] = [];
  private readonly results: DecodedFile[] = [];
  private readonly controller = new AbortController();
  private staging?: Staging;
  private reservation?: { release(): void };
  private starting?: Promise<void>;
  private nextIndex = 0;
  private inFlight = 0;
  private ended = false;
  private failed?: unknown;
  private usedFrames = 0;
  private usedVoxels = 0;
  private firstDispatch?: number;
  private lastDone = 0;
  private flushTimer?: NodeJS.Timeout;
  private settle!: { resolve: () => void; reject: (err: unknown) => void };
  private readonly allDecoded: Promise<void>;
  private readonly maxInFlight: number;
  private readonly batchFiles: number;

  constructor(
    private readonly pool: WorkerPool,
    private readonly opts: SeriesLoadOptions,
  ) {
    this.allDecoded = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.allDecoded.catch(() => undefined);
    this.maxInFlight = pool.threads + 1;
    // Enough batches to keep every worker busy, few enough that a batch is worth a trip.
    this.batchFiles = opts.expected > 0 ? Math.max(1, Math.min(16, Math.ceil(opts.expected / (pool.threads * 4)))) : 8;
    const onAbort = (): void => this.fail(opts.signal?.reason ?? new Error('aborted'));
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  }

  /**
   * Adds one file of the series: its bytes, whose buffer moves to a worker (the caller's view is
   * detached afterwards), or its path, which the worker reads.
   */
  push(file: NamedBuffer | NamedPath): void {
    if (this.ended) throw new Error('push after end');
    if (this.failed) return;
    const index = this.nextIndex++;
    this.queue.push('data' in file ? { name: file.name, data: ownBuffer(file.data), index } : { ...file, index });
    if (!this.starting) this.starting = this.start(this.queue[0]);
    void this.starting.then(() => this.pump(false));
  }

  /** Files pushed so far, and decoded so far (decoding runs while files still arrive). */
  get progress(): { pushed: number; decoded: number } {
    return { pushed: this.nextIndex, decoded: this.results.length };
  }

  /** No more files: the last batch goes out. */
  end(): void {
    this.ended = true;
    if (!this.starting) this.starting = Promise.resolve();
    void this.starting.then(() => this.pump(true));
  }

  /** Resolves when every file is decoded (rejects with the first error). */
  async decoded(): Promise<DecodedSeries> {
    await this.allDecoded;
    const files = this.results.length;
    const image = [...this.results].sort((a, b) => a.index - b.index).find((r) => r.decoded.kind === 'image' && r.decoded.frames.length > 0);
    return {
      contentHash: combineDigests(this.results.map((r) => r.digest)),
      seriesInstanceUID: image?.decoded.kind === 'image' ? image.decoded.frames[0].seriesInstanceUID : undefined,
      files,
      bytes: this.results.reduce((n, r) => n + r.bytes, 0),
      decodeMs: this.firstDispatch === undefined ? 0 : this.lastDone - this.firstDispatch,
    };
  }

  /** Orders the decoded frames into the volume and, with `analyse`, analyses it; ends the load either way. */
  async finish(o: { analyse: boolean; onAnalyse?: () => void; timeoutMs?: number }): Promise<FinishedSeries> {
    try {
      await this.allDecoded;
      const files = [...this.results].sort((a, b) => a.index - b.index);
      const overflow = files.flatMap((f) => (f.decoded.kind === 'image' ? f.decoded.frames.flatMap((fr) => (fr.hu ? [fr.hu.buffer as ArrayBuffer] : [])) : []));
      const staging = this.staging ? { hu: this.staging.hu, rows: this.staging.rows, columns: this.staging.columns } : undefined;
      this.staging = undefined;
      const { started, ...out } = await this.pool.run(
        'assembleSeries',
        { files: files.map((f) => ({ name: f.name, decoded: f.decoded })), staging, limits: this.opts.limits, analyse: o.analyse },
        { signal: this.controller.signal, transfer: overflow, onProgress: () => o.onAnalyse?.(), timeoutMs: o.timeoutMs },
      );
      if (!started) return out;
      const onLesions = this.opts.onLesions;
      const wire = await analyseInPool(this.pool, out.volume, {
        started,
        signal: this.controller.signal,
        timeoutMs: o.timeoutMs,
        onLesions: onLesions && ((lesions) => onLesions(out.volume, lesions)),
      });
      return { ...out, analysis: { volume: out.volume, wire }, timings: { ...out.timings, analysis: wire.timings.analysis } };
    } finally {
      this.release();
    }
  }

  /** Stops the load: queued files are dropped, running batches stopped, the reservation released. */
  abort(reason: unknown): void {
    this.fail(reason);
  }

  private release(): void {
    clearTimeout(this.flushTimer);
    this.reservation?.release();
    this.reservation = undefined;
    this.queue.length = 0;
  }

  private fail(err: unknown): void {
    if (this.failed) return;
    this.failed = err ?? new Error('aborted');
    this.controller.abort(this.failed);
    this.settle.reject(this.failed);
    this.release();
  }

  /** Reserves memory and allocates the staging buffer from the first file's header (or its index entry), before any decoding. */
  private async start(first: QueuedFile): Promise<void> {
    try {
      const dims = 'data' in first ? peekDimensions(first.data) : first.image;
      const maxVoxels = this.opts.limits?.maxVoxels ?? DEFAULT_MAX_VOXELS;
      const expectedFrames = dims ? this.opts.expected * dims.frames : 0;
      const frameLength = dims ? dims.rows * dims.columns : 0;
      const fileBytes = 'data' in first ? first.data.byteLength : 0;
      const estimate = Math.max(fileBytes, frameLength * 2 * (dims?.frames ?? 1)) * Math.max(1, this.opts.expected) * LOAD_BYTES_PER_FILE_BYTE;
      if (this.opts.reserve) this.reservation = await this.opts.reserve(estimate, this.controller.signal);
      if (this.failed) return this.release();
      if (dims && expectedFrames > 0 && expectedFrames * frameLength <= maxVoxels) {
        // Allocated in a worker: shared memory is zero-filled, and with freed memory kept for reuse
        // (malloc.ts) that meant writing 140 MB, 60-70 ms of the event loop, for each series.
        this.staging = await this.pool.run('allocateStaging', { frames: expectedFrames, rows: dims.rows, columns: dims.columns }, { signal: this.controller.signal });
        if (this.failed) return this.release();
      }
    } catch (err) {
      this.fail(err);
    }
  }

  /** Hands out batches while workers are free; `flush` sends a partial batch (no more files are coming, or a pause). */
  private pump(flush: boolean): void {
    if (this.failed) return;
    clearTimeout(this.flushTimer);
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight && (flush || this.ended || this.queue.length >= this.batchFiles)) {
      this.dispatch(this.queue.splice(0, this.batchFiles));
    }
    if (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      // Files that trickle in are not held back waiting for a full batch.
      this.flushTimer = setTimeout(() => this.pump(true), 10);
    }
    if (this.ended && this.queue.length === 0 && this.inFlight === 0 && !this.failed) this.settle.resolve();
  }

  private dispatch(batch: QueuedFile[]): void {
    this.inFlight++;
    this.firstDispatch ??= performance.now();
    const limits = {
      maxFrames: (this.opts.limits?.maxFrames ?? DEFAULT_MAX_FRAMES) - this.usedFrames,
      maxVoxels: (this.opts.limits?.maxVoxels ?? DEFAULT_MAX_VOXELS) - this.usedVoxels,
    };
    this.pool
      .run('decodeBatch', { files: batch, staging: this.staging, limits }, { signal: this.controller.signal, transfer: batch.flatMap((f) => ('data' in f ? [f.data.buffer as ArrayBuffer] : [])) })
      .then((out) => {
        for (const f of out.files) {
          this.results.push(f);
          if (f.decoded.kind === 'image') {
            this.usedFrames += f.decoded.frames.length;
            for (const fr of f.decoded.frames) this.usedVoxels += fr.rows * fr.columns;
          }
        }
        this.lastDone = performance.now();
        this.inFlight--;
        this.pump(false);
      })
      .catch((err: unknown) => {
        this.inFlight--;
        this.fail(err);
      });
  }
}
