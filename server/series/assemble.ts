/**
 * Decoded frames → one Volume: checks that they form a single stack (one series, one size, one
 * orientation, one pixel spacing, one modality), sorts them along the slice normal, derives the
 * slice spacing from the positions, and rescales every frame into one Float32Array of HU (shared
 * memory, so that worker threads read it without a copy). Frames rescaled elsewhere (in parallel,
 * into one staging buffer) are put in order in place by permuteSlices.
 */
import type { DecodedFrame } from './decode';
import { EmptySeriesError, InvalidGeometryError, MixedSeriesError, SeriesTooLargeError } from './errors';
import { dot, maxAbsDiff, median } from './geometry';
import { rescaleInto } from './rescale';
import type { Volume } from './volume';

export interface AssembleOptions {
  /** Refuse volumes with more voxels than this (SeriesTooLargeError, 413). */
  maxVoxels?: number;
}

/** 2^28 voxels: 1 GiB of Float32, e.g. 1024 slices of 512 × 512. */
export const DEFAULT_MAX_VOXELS = 2 ** 28;

/** Orientation cosines may differ by rounding between instances of one series, not more. */
const ORIENTATION_TOLERANCE = 1e-3;
const PIXEL_SPACING_RELATIVE_TOLERANCE = 1e-3;
/** Positions closer than this along the normal are the same slice. */
const DUPLICATE_DISTANCE_MM = 1e-3;
/** A gap may differ from the median by this fraction before the spacing counts as irregular. */
const SPACING_RELATIVE_TOLERANCE = 0.1;
const SPACING_ABSOLUTE_TOLERANCE_MM = 0.01;

/** What ordering needs of a frame: everything but its pixels. */
export type FrameGeometry = Omit<DecodedFrame, 'pixels'>;

/** Frames checked to form one stack, sorted along the normal, with the spacing their positions give. */
export interface OrderedFrames<F extends FrameGeometry> {
  ordered: F[];
  sliceSpacing: number;
}

/**
 * Checks that the frames form a single stack within the voxel bound, sorts them along the slice
 * normal and derives the slice spacing from their positions (irregular gaps and repeated positions
 * are refused). Pixels are not touched: they may still be stored values, or HU already.
 */
export function orderFrames<F extends FrameGeometry>(frames: readonly F[], options: AssembleOptions = {}): OrderedFrames<F> {
  if (frames.length === 0) throw new EmptySeriesError('Empty series: no image frames to load.');
  const first = frames[0];
  for (const f of frames) checkSameStack(first, f);

  const { rows, columns, normal } = first;
  const maxVoxels = options.maxVoxels ?? DEFAULT_MAX_VOXELS;
  if (frames.length * rows * columns > maxVoxels) {
    throw new SeriesTooLargeError(
      `Series too large: ${frames.length} × ${rows} × ${columns} voxels exceed the limit of ${maxVoxels}.`,
    );
  }

  const keyed = frames
    .map((f) => ({ f, d: dot(f.position, normal) }))
    .sort((a, b) => a.d - b.d || a.f.frameNumber - b.f.frameNumber);
  const gaps: number[] = [];
  for (let i = 1; i < keyed.length; i++) {
    const gap = keyed[i].d - keyed[i - 1].d;
    if (gap < DUPLICATE_DISTANCE_MM) {
      throw new InvalidGeometryError(
        `Invalid geometry: two slices lie at the same position (${keyed[i].d.toFixed(3)} mm along the normal); ` +
          'the series holds more than one stack, or frames that are not spatially distinct (cine).',
      );
    }
    gaps.push(gap);
  }
  // One slice has no spacing to measure: its thickness stands in (1 mm when it has no plausible one).
  const t = first.sliceThickness;
  const thickness = t !== undefined && t > 0 && t <= 1000 ? t : 1;
  const sliceSpacing = gaps.length > 0 ? median(gaps) : thickness;
  const tolerance = Math.max(SPACING_RELATIVE_TOLERANCE * sliceSpacing, SPACING_ABSOLUTE_TOLERANCE_MM);
  gaps.forEach((gap, i) => {
    if (Math.abs(gap - sliceSpacing) > tolerance) {
      throw new InvalidGeometryError(
        `Invalid geometry: irregular slice spacing, ${gap.toFixed(3)} mm between slices ${i} and ${i + 1} ` +
          `where the series has ${sliceSpacing.toFixed(3)} mm (a slice may be missing).`,
      );
    }
  });
  return { ordered: keyed.map(({ f }) => f), sliceSpacing };
}

/** The Volume of ordered frames over `hu` (slice-major HU in that order). */
export function volumeOf(o: OrderedFrames<FrameGeometry>, hu: Float32Array): Volume {
  const first = o.ordered[0];
  return {
    slices: o.ordered.length,
    rows: first.rows,
    columns: first.columns,
    pixelSpacing: first.pixelSpacing,
    sliceSpacing: o.sliceSpacing,
    rowCosines: first.rowCosines,
    columnCosines: first.columnCosines,
    normal: first.normal,
    positions: o.ordered.map((f) => f.position),
    sopInstanceUIDs: o.ordered.map((f) => f.sopInstanceUID),
    frames: o.ordered.map((f) => f.frameNumber),
    studyInstanceUID: first.studyInstanceUID,
    seriesInstanceUID: first.seriesInstanceUID,
    modality: first.modality,
    hu,
  };
}

/**
 * HU volumes live in SharedArrayBuffers: worker threads (analysis, the model) read them without a copy.
 * A Float32Array over `length` values, zero-filled.
 */
export function sharedFloat32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT));
}

export function assembleVolume(frames: readonly DecodedFrame[], options: AssembleOptions = {}): Volume {
  const o = orderFrames(frames, options);
  const frameLength = o.ordered[0].rows * o.ordered[0].columns;
  const hu = sharedFloat32(o.ordered.length * frameLength);
  o.ordered.forEach((f, i) => rescaleInto(hu, i * frameLength, f.pixels));
  return volumeOf(o, hu);
}

/**
 * Reorders the slices of `hu` in place so that slice i holds what slice `from[i]` held: each slice
 * moves once, following the permutation's cycles with one slice of scratch space (a reversed series,
 * the usual case, costs one pass over the volume and no second volume).
 */
export function permuteSlices(hu: Float32Array, frameLength: number, from: readonly number[]): void {
  const n = from.length;
  const done = new Uint8Array(n);
  const scratch = new Float32Array(frameLength);
  for (let start = 0; start < n; start++) {
    if (done[start] || from[start] === start) {
      done[start] = 1;
      continue;
    }
    scratch.set(hu.subarray(start * frameLength, (start + 1) * frameLength));
    let i = start;
    for (;;) {
      done[i] = 1;
      const j = from[i];
      if (j === start) {
        hu.set(scratch, i * frameLength);
        break;
      }
      hu.copyWithin(i * frameLength, j * frameLength, (j + 1) * frameLength);
      i = j;
    }
  }
}

function checkSameStack(a: FrameGeometry, b: FrameGeometry): void {
  if (a.seriesInstanceUID !== b.seriesInstanceUID) {
    throw new MixedSeriesError('Mixed series: the instances belong to more than one series.', 'SeriesInstanceUID');
  }
  if (a.modality !== b.modality) {
    throw new MixedSeriesError(`Mixed series: modalities ${a.modality || '(none)'} and ${b.modality || '(none)'}.`, 'Modality');
  }
  if (a.rows !== b.rows || a.columns !== b.columns) {
    throw new MixedSeriesError(`Mixed series: image sizes ${a.rows}×${a.columns} and ${b.rows}×${b.columns}.`, 'size');
  }
  if (maxAbsDiff(a.orientation, b.orientation) > ORIENTATION_TOLERANCE) {
    throw new MixedSeriesError('Mixed series: the images have different orientations.', 'ImageOrientationPatient');
  }
  const ds = maxAbsDiff(a.pixelSpacing, b.pixelSpacing);
  if (ds > PIXEL_SPACING_RELATIVE_TOLERANCE * Math.max(a.pixelSpacing[0], a.pixelSpacing[1])) {
    throw new MixedSeriesError('Mixed series: the images have different pixel spacings.', 'PixelSpacing');
  }
}
