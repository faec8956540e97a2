/**
 * Decoded frames → one Volume: checks that they form a single stack (one series, one size, one
 * orientation, one pixel spacing, one modality), sorts them along the slice normal, derives the
 * slice spacing from the positions, and rescales every frame into one Float32Array of HU.
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

export function assembleVolume(frames: readonly DecodedFrame[], options: AssembleOptions = {}): Volume {
  if (frames.length === 0) throw new EmptySeriesError('Empty series: no image frames to load.');
  const first = frames[0];
  for (const f of frames) checkSameStack(first, f);

  const { rows, columns, normal } = first;
  const maxVoxels = options.maxVoxels ?? DEFAULT_MAX_VOXELS;
  const frameLength = rows * columns;
  if (frames.length * frameLength > maxVoxels) {
    throw new SeriesTooLargeError(
      `Series too large: ${frames.length} × ${rows} × ${columns} voxels exceed the limit of ${maxVoxels}.`,
    );
  }

  const ordered = frames
    .map((f) => ({ f, d: dot(f.position, normal) }))
    .sort((a, b) => a.d - b.d || a.f.frameNumber - b.f.frameNumber);
  const gaps: number[] = [];
  for (let i = 1; i < ordered.length; i++) {
    const gap = ordered[i].d - ordered[i - 1].d;
    if (gap < DUPLICATE_DISTANCE_MM) {
      throw new InvalidGeometryError(
        `Invalid geometry: two slices lie at the same position (${ordered[i].d.toFixed(3)} mm along the normal); ` +
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

  const hu = new Float32Array(ordered.length * frameLength);
  ordered.forEach(({ f }, i) => rescaleInto(hu, i * frameLength, f.pixels));

  return {
    slices: ordered.length,
    rows,
    columns,
    pixelSpacing: first.pixelSpacing,
    sliceSpacing,
    rowCosines: first.rowCosines,
    columnCosines: first.columnCosines,
    normal,
    positions: ordered.map(({ f }) => f.position),
    sopInstanceUIDs: ordered.map(({ f }) => f.sopInstanceUID),
    frames: ordered.map(({ f }) => f.frameNumber),
    studyInstanceUID: first.studyInstanceUID,
    seriesInstanceUID: first.seriesInstanceUID,
    modality: first.modality,
    hu,
  };
}

function checkSameStack(a: DecodedFrame, b: DecodedFrame): void {
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
