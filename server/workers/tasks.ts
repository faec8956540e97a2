/**
 * The tasks the worker pool runs (loaded in the worker threads only; the main thread imports its
 * types). Each is a plain function wrapped by defineTask; its result's typed arrays move back to
 * the caller without a copy.
 *
 * A series is loaded in two kinds of task (see series-load.ts for the main thread's side):
 * - `decodeBatch`, on the instances as they arrive, in parallel: each file is hashed, decoded, and
 *   its frames rescaled to HU straight into a slot of one shared staging buffer (staging.ts: the slot
 *   it is expected to end up in);
 * - `assembleSeries`, once: the frames checked to form one stack and put in order in place (the
 *   staging buffer becomes the volume), then, unless the analysis came from the shared cache, the first
 *   stage of its analysis (grid and lungs, in shared memory).
 *
 * The rest of the analysis is three more tasks (see analyse-in-pool.ts for the main thread's side):
 * `analysisLesions` and `analysisFindings`, the two searches, at once on two threads, and
 * `analysisJoin`. Their results cross threads as bytes (v8 serialization) and shared memory.
 */
import { readFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { orderFrames, volumeOf } from '../series/assemble';
import { contentHash, fileDigest } from '../series/cache';
import type { DecodedFrame } from '../series/decode';
import { newDecodeBudget } from '../series/decode';
import { rescaleInto } from '../series/rescale';
import {
  asSeriesError,
  collectFrames,
  decodeOrSkip,
  loadSeriesFromBuffers,
  type DecodedOrSkipped,
  type LoadOptions,
  type NamedBuffer,
  type NamedPath,
  type SkipReason,
} from '../series/load';
import type { Volume } from '../series/volume';
import type { LesionFreeFindings } from '../rerank/analysis/findings';
import type { LungMasks } from '../rerank/analysis/lungs';
import { quietened } from '../rerank/analysis/noise';
import { analyseLungs, analyseVolume, joinAnalysis, searchFindings, searchLesions, servedAnalysis, type LesionStage, type LungStage } from '../rerank/pipeline';
import { afterTask } from './gc';
import { defineTask } from './task';
import { inSharedMemory, ownBuffer } from './transfer';
import { expectedSlots, newStaging, orderedHu, takeSlot, type FrameHu, type Staging } from './staging';
import { packScorerInputs, toWire, type AnalysisWire, type PackedScorerInputs } from './wire';


export interface DecodeBatchInput {
  /** Files (bytes or paths to read) with their position in the series' file order (duplicates and errors are judged in that order). */
  files: Array<(NamedBuffer | NamedPath) & { index: number }>;
  staging?: Staging;
  /** What this batch may still declare (the series' bounds less what earlier batches used). */
  limits: { maxFrames: number; maxVoxels: number };
}

export interface DecodedFile {
  index: number;
  name: string;
  /** fileDigest of its bytes. */
  digest: string;
  bytes: number;
  decoded: DecodedOrSkipped<FrameHu>;
}

export interface DecodeBatchOutput {
  files: DecodedFile[];
}

function toFrameHu(f: DecodedFrame, staging: Staging | undefined, slotWanted: number | undefined): FrameHu {
  const { pixels, ...geometry } = f;
  const length = f.rows * f.columns;
  if (staging && f.rows === staging.rows && f.columns === staging.columns) {
    const slot = takeSlot(staging, slotWanted);
    if (slot >= 0) {
      rescaleInto(staging.hu, slot * length, pixels);
      return { ...geometry, slot };
    }
  }
  // No staging, a frame of another size (the stack check refuses it later), or more frames than expected.
  const hu = new Float32Array(length);
  rescaleInto(hu, 0, pixels);
  return { ...geometry, hu };
}

/** A staging buffer of `frames` slots of rows × columns (see series-load.ts: not allocated on the event loop). */
export const allocateStaging = defineTask(newStaging);

/** Hash, decode and rescale a batch of files of one series. */
export const decodeBatch = defineTask((input: DecodeBatchInput): DecodeBatchOutput => {
  const budget = newDecodeBudget(input.limits.maxFrames, input.limits.maxVoxels);
  try {
    const read = input.files.map((file) => {
      // A folder's file is read here, not on the event loop (series/sources/local.ts); a read error is a SeriesReadError (500).
      const data = 'data' in file ? file.data : readFileSync(file.path);
      return { file, data, decoded: decodeOrSkip(data, file.name, budget) };
    });
    const slots = input.staging ? expectedSlots(read.map((r) => ({ index: r.file.index, decoded: r.decoded })), input.staging.taken.length) : new Map<number, number>();
    // each file hashed right before its pixels are rescaled: its bytes are still in the cache
    const files = read.map(({ file, data, decoded: d }): DecodedFile => {
      const digest = fileDigest(data);
      const decoded: DecodedOrSkipped<FrameHu> = d.kind === 'image' ? { ...d, frames: d.frames.map((f) => toFrameHu(f, input.staging, slots.get(file.index))) } : d;
      return { index: file.index, name: file.name, digest, bytes: data.byteLength, decoded };
    });
    afterTask('minor');
    return { files };
  } catch (err) {
    throw asSeriesError(err);
  }
});

export interface AssembleSeriesInput {
  /** Every decoded file of the series, in file order. */
  files: Array<Pick<DecodedFile, 'name' | 'decoded'>>;
  staging?: Pick<Staging, 'hu' | 'rows' | 'columns'>;
  limits?: LoadOptions;
  /** Start the volume's analysis too (false when the analysis came from the shared cache). */
  analyse: boolean;
}

export interface AssembleSeriesOutput {
  volume: Volume;
  /** With `analyse`: the analysis' first stage, for the rest (analyse-in-pool.ts). */
  started?: StartedAnalysis;
  skipped: number;
  skippedReasons: Partial<Record<SkipReason, number>>;
  timings: { assemble: number };
}

/** An analysis' grid and lungs in shared memory (every thread that goes on with it reads the same), and when it started. */
export interface StartedAnalysis {
  stage: LungStage;
  /** performance.timeOrigin + performance.now() (ms): comparable across threads. */
  startedAt: number;
}

const clockMs = (): number => performance.timeOrigin + performance.now();

function startAnalysis(volume: Volume): StartedAnalysis {
  const startedAt = clockMs();
  return { stage: inSharedMemory(analyseLungs(volume)), startedAt };
}

/** A stage's result as bytes of its own (the event loop passes them on without reading them). */
function asBytes(value: unknown): Uint8Array {
  const b = serialize(value);
  return ownBuffer(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
}

/** Check, order and (unless told not to) analyse the decoded frames of a series. */
export const assembleSeries = defineTask((input: AssembleSeriesInput, ctx): AssembleSeriesOutput => {
  const t0 = performance.now();
  let volume: Volume;
  let collected;
  try {
    collected = collectFrames(
      input.files.map((f) => f.name),
      input.files.map((f) => f.decoded),
    );
    const o = orderFrames(collected.frames, input.limits);
    const assembled = volumeOf(o, orderedHu(o.ordered, input.staging));
    // the volume every later stage and the cache hold is the one the analysis reads (noise.ts), smoothed in place
    volume = quietened(assembled, assembled.hu);
  } catch (err) {
    throw asSeriesError(err);
  }
  const { skipped, skippedReasons } = collected;
  const timings = { assemble: performance.now() - t0 };
  afterTask(input.analyse ? 'major' : 'minor');
  if (!input.analyse) return { volume, skipped, skippedReasons, timings };
  ctx.progress('analyse');
  return { volume, started: startAnalysis(volume), skipped, skippedReasons, timings };
});

/** The first stage of the analysis of a volume decoded earlier (its HU is shared memory, not copied). */
export const analysisLungs = defineTask((input: { volume: Volume }): StartedAnalysis => {
  afterTask('major');
  return startAnalysis(input.volume);
});

/** The lesion search's result: its bytes, and what the learned model reads of its lesions (their ids are final). */
export interface LesionsOutput {
  bytes: Uint8Array;
  scorerInputs: PackedScorerInputs;
}

/** The lesion search (pipeline.ts searchLesions), as bytes; its lesions' scorer inputs let scoring start before the join. */
export const analysisLesions = defineTask((input: { volume: Volume; lungs: LungStage }): LesionsOutput => {
  afterTask('major');
  const stage = searchLesions(input.volume, input.lungs);
  return { bytes: asBytes(stage), scorerInputs: packScorerInputs(stage.candidates.filter((c) => c.kind === 'lesion')) };
});

/** The chest-findings search (pipeline.ts searchFindings, less its compartments), as bytes. */
export const analysisFindings = defineTask((input: { volume: Volume; lungs: LungStage }): Uint8Array => {
  afterTask('major');
  const { findings, timings } = searchFindings(input.volume, input.lungs);
  return asBytes({ findings, timings });
});

export interface JoinInput {
  volume: Volume;
  masks: LungMasks;
  /** analysisLesions' bytes. */
  lesions: Uint8Array;
  /** analysisFindings' bytes. */
  findings: Uint8Array;
  /** The first stage's timings, and when it started (StartedAnalysis). */
  timings: Record<string, number>;
  startedAt: number;
}

/** Both searches joined into the analysis, serialized here (wire.ts): the event loop never rebuilds its candidates. */
export const analysisJoin = defineTask((input: JoinInput): AnalysisWire => {
  afterTask('minor');
  const lesions = deserialize(input.lesions) as LesionStage;
  const found = deserialize(input.findings) as { findings: LesionFreeFindings; timings: Record<string, number> };
  const analysis = joinAnalysis(input.volume, input.masks, lesions, found.findings, { ...input.timings, ...lesions.timings, ...found.timings });
  analysis.timings.analysis = Math.round((clockMs() - input.startedAt) * 10) / 10;
  return toWire(analysis);
});

/** Decode and analyse a whole series in one task, on one thread (tests; the service streams with the tasks above). */
export const loadSeries = defineTask((input: { files: NamedBuffer[]; limits?: LoadOptions }) => {
  const t0 = performance.now();
  const hash = contentHash(input.files);
  const { volume: raw, skipped, skippedReasons } = loadSeriesFromBuffers(input.files, input.limits);
  const t1 = performance.now();
  // the volume as the analysis read it (quietened: noise.ts)
  const analysed = analyseVolume(raw);
  const analysis = servedAnalysis(analysed);
  return { volume: analysed.volume, analysis, skipped, skippedReasons, contentHash: hash, timings: { decode: t1 - t0, analysis: performance.now() - t1 } };
});
