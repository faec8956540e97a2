/**
 * The tasks the worker pool runs (loaded in the worker threads only; the main thread imports its
 * types). Each is a plain function wrapped by defineTask; its result's typed arrays move back to
 * the caller without a copy.
 */
import { contentHash } from '../series/cache';
import { analyseVolume, type VolumeAnalysis } from '../rerank/pipeline';
import { loadSeriesFromBuffers, type LoadOptions, type NamedBuffer, type SkipReason } from '../series/load';
import type { Volume } from '../series/volume';
import { defineTask } from './task';

export interface LoadSeriesInput {
  /** The instances of one series (their buffers are usually transferred to the worker). */
  files: NamedBuffer[];
  limits?: LoadOptions;
  /** Stop after decoding (no analysis). */
  decodeOnly?: boolean;
}

export interface LoadSeriesOutput {
  volume: Volume;
  /** analyseVolume(volume); absent with decodeOnly. */
  analysis?: VolumeAnalysis;
  skipped: number;
  skippedReasons: Partial<Record<SkipReason, number>>;
  /** sha256 over the instances' bytes, independent of their order (base64url). */
  contentHash: string;
  timings: { decode: number; analysis?: number };
}

/** Decode a series into a Volume and (unless decodeOnly) analyse it, in one trip to a worker. */
export const loadSeries = defineTask((input: LoadSeriesInput, ctx): LoadSeriesOutput => {
  const t0 = performance.now();
  const hash = contentHash(input.files);
  const { volume, skipped, skippedReasons } = loadSeriesFromBuffers(input.files, input.limits);
  const t1 = performance.now();
  if (input.decodeOnly) return { volume, skipped, skippedReasons, contentHash: hash, timings: { decode: t1 - t0 } };
  ctx.progress('analyse');
  const analysis = analyseVolume(volume);
  return { volume, analysis, skipped, skippedReasons, contentHash: hash, timings: { decode: t1 - t0, analysis: performance.now() - t1 } };
});
