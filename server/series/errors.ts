/**
 * Typed errors of the series loader. Each carries a stable `code` and the HTTP status the service
 * answers with; the loader lets nothing else escape, so a caller can map every failure.
 * `source` names the file or buffer at fault (a path relative to the loaded folder, or the
 * caller's buffer name) and is kept out of `message` so callers decide whether to show or log it.
 */

export abstract class SeriesError extends Error {
  abstract readonly code: string;
  abstract readonly httpStatus: number;
  readonly source?: string;

  constructor(message: string, source?: string) {
    super(message);
    this.name = new.target.name;
    if (source !== undefined) this.source = source;
  }
}

/** A file or buffer that is not DICOM Part 10 (no "DICM" after the preamble, or an unreadable meta header). */
export class NotDicomError extends SeriesError {
  readonly code = 'NOT_DICOM';
  readonly httpStatus = 415;
}

/** DICOM whose structure is broken: an element running past the end, a bad value representation, ... */
export class MalformedDicomError extends SeriesError {
  readonly code = 'DICOM_MALFORMED';
  readonly httpStatus = 422;
}

/** Pixel data missing or shorter than Rows × Columns × frames × bytes per sample. */
export class TruncatedPixelDataError extends SeriesError {
  readonly code = 'PIXEL_DATA_TRUNCATED';
  readonly httpStatus = 422;
}

/**
 * Pixel data longer than Rows × Columns × samples × frames × bytes per sample (plus one pad byte):
 * the header does not describe these pixels (e.g. BitsAllocated 8 on 16-bit data), so any reading
 * of them would be a misreading.
 */
export class PixelDataLengthError extends SeriesError {
  readonly code = 'PIXEL_DATA_LENGTH_MISMATCH';
  readonly httpStatus = 422;
}

/** A DICOM object that holds no image (structured report, segmentation, presentation state, ...). */
export class NonImageSopClassError extends SeriesError {
  readonly code = 'NON_IMAGE_SOP_CLASS';
  readonly httpStatus = 422;
  constructor(
    message: string,
    readonly sopClassUID: string,
    source?: string,
  ) {
    super(message, source);
  }
}

export type MixedField =
  | 'SeriesInstanceUID'
  | 'StudyInstanceUID'
  | 'Modality'
  | 'size'
  | 'ImageOrientationPatient'
  | 'PixelSpacing'
  | 'FrameOfReferenceUID';

/** Instances that cannot form one volume: different series, sizes, orientations, spacings or modalities. */
export class MixedSeriesError extends SeriesError {
  readonly code = 'MIXED_SERIES';
  readonly httpStatus = 422;
  constructor(
    message: string,
    readonly field: MixedField,
    source?: string,
  ) {
    super(message, source);
  }
}

/** A transfer syntax the loader cannot decode (compressed or encapsulated pixel data, ...). */
export class UnsupportedTransferSyntaxError extends SeriesError {
  readonly code = 'UNSUPPORTED_TRANSFER_SYNTAX';
  readonly httpStatus = 415;
  constructor(
    message: string,
    readonly transferSyntaxUID: string,
    source?: string,
  ) {
    super(message, source);
  }
}

/** Pixels that are not a single grey channel of 8 or 16 bits (colour, 32-bit, float, 1-bit). */
export class UnsupportedPixelFormatError extends SeriesError {
  readonly code = 'UNSUPPORTED_PIXEL_FORMAT';
  readonly httpStatus = 422;
}

/** Geometry that does not describe a stack: missing or degenerate orientation, position or pixel spacing,
 * two slices at one position, or irregular slice spacing. */
export class InvalidGeometryError extends SeriesError {
  readonly code = 'INVALID_GEOMETRY';
  readonly httpStatus = 422;
}

/** Nothing to load: an empty folder, or only files that are skipped. */
export class EmptySeriesError extends SeriesError {
  readonly code = 'EMPTY_SERIES';
  readonly httpStatus = 422;
}

/** More voxels than the configured limit. */
export class SeriesTooLargeError extends SeriesError {
  readonly code = 'SERIES_TOO_LARGE';
  readonly httpStatus = 413;
}

/** The folder to load does not exist or is not a folder. */
export class SeriesNotFoundError extends SeriesError {
  readonly code = 'SERIES_NOT_FOUND';
  readonly httpStatus = 404;
}

/** The file system failed while reading (permissions, I/O errors). */
export class SeriesReadError extends SeriesError {
  readonly code = 'SERIES_READ_FAILED';
  readonly httpStatus = 500;
}

/** A volume the chest CT pipeline cannot judge: another modality, or too few slices to be a stack. */
export class NotCtStackError extends SeriesError {
  readonly code = 'NOT_CT_STACK';
  readonly httpStatus = 422;
}
