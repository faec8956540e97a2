/**
 * One DICOM Part 10 buffer → its image frames: geometry, rescale and a view of the stored pixels
 * for each frame. Single-frame images give one frame; multi-frame images (enhanced CT with
 * functional groups, or classic multi-frame with GridFrameOffsetVector) give one per frame.
 * Throws only SeriesError subclasses.
 */
import type { RawDict } from './dcmjs-api';
import { item, items, num, nums, str } from './dataset-values';
import {
  InvalidGeometryError,
  MalformedDicomError,
  PixelDataLengthError,
  SeriesError,
  SeriesTooLargeError,
  TruncatedPixelDataError,
  UnsupportedPixelFormatError,
  UnsupportedTransferSyntaxError,
} from './errors';
import { orientationFrom } from './geometry';
import { readValues, scanPart10 } from './part10';
import { CT_FLOOR_HU, type RawPixelArray, type RawPixels } from './rescale';
import { DEFAULT_MAX_VOXELS } from './assemble';
import { classifySopClass } from './sop-class';
import { frameDecoderFor } from './codecs';
import { encapsulatedFrames } from './codecs/encapsulated';
import type { FrameDecoder } from './codecs/frame';
import { EXPLICIT_VR_BIG_ENDIAN, isDecodableTransferSyntax, printableUid, transferSyntaxName } from './transfer-syntax';
import type { Vec3 } from './volume';

export interface DecodedFrame {
  sopInstanceUID: string;
  /** 1-based frame number within the instance. */
  frameNumber: number;
  seriesInstanceUID: string;
  studyInstanceUID: string;
  frameOfReferenceUID: string;
  modality: string;
  rows: number;
  columns: number;
  /** [row spacing, column spacing] in mm. */
  pixelSpacing: [number, number];
  /** ImageOrientationPatient as given (6 numbers), for consistency checks across instances. */
  orientation: number[];
  rowCosines: Vec3;
  columnCosines: Vec3;
  normal: Vec3;
  position: Vec3;
  sliceThickness: number | undefined;
  pixels: RawPixels;
}

export type DecodedInstance =
  | { kind: 'image'; sopInstanceUID: string; frames: DecodedFrame[] }
  /** DICOMDIR and other objects that are never part of a series: skipped silently. */
  | { kind: 'directory' }
  | { kind: 'non-image'; sopClassUID: string };

const T = {
  SOPClassUID: '00080016',
  SOPInstanceUID: '00080018',
  Modality: '00080060',
  SliceThickness: '00180050',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  ImagePositionPatient: '00200032',
  ImageOrientationPatient: '00200037',
  FrameOfReferenceUID: '00200052',
  SamplesPerPixel: '00280002',
  PhotometricInterpretation: '00280004',
  NumberOfFrames: '00280008',
  Rows: '00280010',
  Columns: '00280011',
  PixelSpacing: '00280030',
  BitsAllocated: '00280100',
  BitsStored: '00280101',
  PixelRepresentation: '00280103',
  PixelPaddingValue: '00280120',
  PixelPaddingRangeLimit: '00280121',
  RescaleIntercept: '00281052',
  RescaleSlope: '00281053',
  PixelMeasuresSequence: '00289110',
  PixelValueTransformationSequence: '00289145',
  PlanePositionSequence: '00209113',
  PlaneOrientationSequence: '00209116',
  SharedFunctionalGroupsSequence: '52009229',
  PerFrameFunctionalGroupsSequence: '52009230',
  GridFrameOffsetVector: '3004000C',
  FloatPixelData: '7FE00008',
  DoubleFloatPixelData: '7FE00009',
} as const;

/** The tags the decoder reads (at the top level, and inside the functional group sequences). */
const WANTED_TAGS: ReadonlySet<number> = new Set(Object.values(T).map((t) => parseInt(t, 16)));

/** Bounds that keep every derived number finite and meaningful (coordinates in mm, HU in Float32). */
const MAX_COORDINATE_MM = 1e6;
const MAX_PIXEL_SPACING_MM = 1e3;
/** A micrometre: finer than any CT (micro-CT included); 1e-300 would make every distance meaningless. */
const MIN_PIXEL_SPACING_MM = 1e-3;
const MAX_RESCALE_SLOPE = 1e6;
const MAX_RESCALE_INTERCEPT = 1e9;

/** Frames (slices) of one series, over all its instances: far beyond any real CT series. */
export const DEFAULT_MAX_FRAMES = 10_000;

/**
 * What a series may hold, checked against header values before anything is allocated from them.
 * `used` accumulates over the instances of one load, so many small instances cannot add up past it.
 */
export interface DecodeBudget {
  maxFrames: number;
  maxVoxels: number;
  used: { frames: number; voxels: number };
}

export function newDecodeBudget(maxFrames: number, maxVoxels: number): DecodeBudget {
  return { maxFrames, maxVoxels, used: { frames: 0, voxels: 0 } };
}

/** DICOM UIDs (PS3.5 9.1): digits and dots, at most 64 characters. Anything else never becomes a key or a path. */
const UID_PATTERN = /^[0-9]+(\.[0-9]+)*$/;

export function isValidUid(uid: string): boolean {
  return uid.length <= 64 && UID_PATTERN.test(uid);
}

/**
 * A UID as the file holds it. dcmjs drops characters that a UID may not hold ("1.2.x3" reads as
 * "1.2.3", another instance's UID); the raw value is what must be valid.
 */
function uid(ds: RawDict, tag: string): string | undefined {
  const raw = (ds[tag] as { _rawValue?: unknown[] } | undefined)?._rawValue?.[0];
  if (typeof raw === 'string') {
    const t = raw.replace(/\0/g, '').trim();
    return t === '' ? undefined : t;
  }
  return str(ds, tag);
}

/** Decodes one buffer; `source` names it in errors. Without a budget, one instance alone gets the default bounds. */
export function decodeInstance(data: Uint8Array, source: string, budget?: DecodeBudget): DecodedInstance {
  try {
    return decode(data, budget ?? newDecodeBudget(DEFAULT_MAX_FRAMES, DEFAULT_MAX_VOXELS));
  } catch (err) {
    // Parser messages can quote file content: keep them out of what reaches users and logs.
    const e = err instanceof SeriesError ? err : new MalformedDicomError('Malformed DICOM: the header could not be parsed.');
    if (e.source === undefined) (e as { source?: string }).source = source;
    throw e;
  }
}

function decode(data: Uint8Array, budget: DecodeBudget): DecodedInstance {
  const layout = scanPart10(data);
  const ts = layout.transferSyntaxUID;
  const metaClass = layout.mediaStorageSopClassUID ?? '';
  if (!isDecodableTransferSyntax(ts)) {
    const kind = classifySopClass(metaClass);
    if (kind === 'directory') return { kind };
    if (kind === 'non-image') return { kind, sopClassUID: metaClass };
    throw new UnsupportedTransferSyntaxError(
      `Unsupported transfer syntax ${printableUid(ts)} (${transferSyntaxName(ts)}): only uncompressed, JPEG Lossless, JPEG-LS, JPEG 2000 and RLE images can be read; ` +
        'ask the archive for Explicit VR Little Endian.',
      ts,
    );
  }
  const ds = readValues(data, layout, WANTED_TAGS);
  const sopClassUID = str(ds, T.SOPClassUID) ?? metaClass;
  const kind = classifySopClass(sopClassUID);
  if (kind === 'directory') return { kind };
  if (kind === 'non-image') return { kind, sopClassUID };
  if (ds[T.FloatPixelData] || ds[T.DoubleFloatPixelData]) {
    throw new UnsupportedPixelFormatError('Unsupported pixel format: floating-point pixel data.');
  }
  const px = layout.pixelData;
  if (!px) {
    if (kind === 'image') throw new TruncatedPixelDataError('Truncated DICOM: the image has no pixel data.');
    return { kind: 'non-image', sopClassUID };
  }
  const codec = frameDecoderFor(ts);
  if (px.encapsulated !== !!codec) {
    throw new MalformedDicomError(`Malformed DICOM: ${codec ? 'native' : 'encapsulated'} pixel data in ${codec ? 'a compressed' : 'an uncompressed'} transfer syntax.`);
  }
  return { kind: 'image', ...decodeImage(data, ds, px.valueOffset, px.length, { bigEndian: ts === EXPLICIT_VR_BIG_ENDIAN, codec }, budget) };
}

function positiveInt(ds: RawDict, tag: string, name: string, dflt?: number): number {
  const v = num(ds, tag) ?? dflt;
  if (v === undefined || !Number.isInteger(v) || v < 1) {
    throw new MalformedDicomError(`Malformed DICOM: ${name} is ${v === undefined ? 'missing' : 'invalid'}.`);
  }
  return v;
}

function decodeImage(
  data: Uint8Array,
  ds: RawDict,
  valueOffset: number,
  valueLength: number,
  syntax: { bigEndian: boolean; codec?: FrameDecoder },
  budget: DecodeBudget,
): { sopInstanceUID: string; frames: DecodedFrame[] } {
  const sopInstanceUID = uid(ds, T.SOPInstanceUID);
  const seriesInstanceUID = uid(ds, T.SeriesInstanceUID);
  const studyInstanceUID = uid(ds, T.StudyInstanceUID) ?? '';
  if (!sopInstanceUID) throw new MalformedDicomError('Malformed DICOM: the image has no SOPInstanceUID.');
  if (!seriesInstanceUID) throw new MalformedDicomError('Malformed DICOM: the image has no SeriesInstanceUID.');
  // UIDs become cache keys, index entries and URL segments: "../../etc/passwd" is none of these.
  if (!isValidUid(sopInstanceUID) || !isValidUid(seriesInstanceUID) || (studyInstanceUID !== '' && !isValidUid(studyInstanceUID))) {
    throw new MalformedDicomError('Malformed DICOM: a Study, Series or SOP Instance UID is not a valid UID.');
  }

  const samples = positiveInt(ds, T.SamplesPerPixel, 'SamplesPerPixel', 1);
  const photometric = str(ds, T.PhotometricInterpretation) ?? 'MONOCHROME2';
  if (samples !== 1 || !/^MONOCHROME[12]$/.test(photometric)) {
    throw new UnsupportedPixelFormatError(`Unsupported pixel format: ${photometric} with ${samples} samples per pixel; a CT stack is greyscale.`);
  }
  const rows = positiveInt(ds, T.Rows, 'Rows');
  const columns = positiveInt(ds, T.Columns, 'Columns');
  const bitsAllocated = positiveInt(ds, T.BitsAllocated, 'BitsAllocated');
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    throw new UnsupportedPixelFormatError(`Unsupported pixel format: ${bitsAllocated} bits allocated per pixel (8 or 16 are read).`);
  }
  const bitsStored = positiveInt(ds, T.BitsStored, 'BitsStored', bitsAllocated);
  if (bitsStored > bitsAllocated) throw new MalformedDicomError('Malformed DICOM: BitsStored exceeds BitsAllocated.');
  const pixelRepresentation = num(ds, T.PixelRepresentation) ?? 0;
  if (pixelRepresentation !== 0 && pixelRepresentation !== 1) {
    throw new MalformedDicomError('Malformed DICOM: PixelRepresentation must be 0 or 1.');
  }
  const signed = pixelRepresentation === 1;
  const frameCount = positiveInt(ds, T.NumberOfFrames, 'NumberOfFrames', 1);

  // Sizes come from the header: bound them, then check them against the bytes present, before
  // anything is allocated (or looped over) per frame.
  const frameLength = rows * columns;
  const { used } = budget;
  if (used.frames + frameCount > budget.maxFrames) {
    throw new SeriesTooLargeError(`Series too large: more than the limit of ${budget.maxFrames} frames (this instance declares ${frameCount}).`);
  }
  if (used.voxels + frameLength * frameCount > budget.maxVoxels) {
    throw new SeriesTooLargeError(`Series too large: more than the limit of ${budget.maxVoxels} voxels (this instance declares ${rows}×${columns}×${frameCount}).`);
  }
  const bytesPerPixel = bitsAllocated / 8;
  const needed = frameLength * frameCount * bytesPerPixel;
  // Native pixel data is exactly what the header describes, or one byte more to make an odd length even (PS3.5
  // 8.1.1); compressed frames are checked against the header one by one, before each is decoded.
  if (!syntax.codec) {
    if (valueLength < needed) {
      throw new TruncatedPixelDataError(
        `Truncated DICOM: pixel data holds ${valueLength} bytes, ${rows}×${columns}×${frameCount} frames need ${needed}.`,
      );
    }
    if (valueLength > needed && !(needed % 2 === 1 && valueLength === needed + 1)) {
      throw new PixelDataLengthError(
        `Pixel data does not match the header: ${valueLength} bytes where ${rows}×${columns}×${frameCount} frames ` +
          `of ${bitsAllocated} bits need ${needed}.`,
      );
    }
  }
  used.frames += frameCount;
  used.voxels += frameLength * frameCount;
  const all = syntax.codec
    ? decodedFrames(syntax.codec, encapsulatedFrames(data, valueOffset, frameCount), rows, columns, bitsAllocated, signed)
    : pixelArray(data, valueOffset, frameLength * frameCount, bitsAllocated, signed, syntax.bigEndian);

  const shared = item(ds, T.SharedFunctionalGroupsSequence);
  const perFrame = items(ds, T.PerFrameFunctionalGroupsSequence);
  if (perFrame.length > 0 && perFrame.length !== frameCount) {
    throw new MalformedDicomError(`Malformed DICOM: ${perFrame.length} per-frame functional groups for ${frameCount} frames.`);
  }
  const gridOffsets = perFrame.length === 0 && frameCount > 1 ? nums(ds, T.GridFrameOffsetVector, frameCount) : undefined;
  const padding = paddingRange(ds, signed, bitsAllocated);
  const floor = (str(ds, T.Modality) ?? '').toUpperCase() === 'CT' ? CT_FLOOR_HU : -Infinity;
  const common = {
    sopInstanceUID,
    seriesInstanceUID,
    studyInstanceUID,
    frameOfReferenceUID: str(ds, T.FrameOfReferenceUID) ?? '',
    modality: str(ds, T.Modality) ?? '',
    rows,
    columns,
  };

  const frames: DecodedFrame[] = [];
  for (let f = 0; f < frameCount; f++) {
    const groups = perFrame[f];
    // A functional group macro sits in the per-frame item, else in the shared one, else (legacy) at the top level.
    const macro = (seq: string): RawDict | undefined => item(groups, seq) ?? item(shared, seq);
    const measures = macro(T.PixelMeasuresSequence);
    const transform = macro(T.PixelValueTransformationSequence);
    const iop = nums(macro(T.PlaneOrientationSequence), T.ImageOrientationPatient, 6) ?? nums(ds, T.ImageOrientationPatient, 6);
    const ipp = nums(macro(T.PlanePositionSequence), T.ImagePositionPatient, 3) ?? nums(ds, T.ImagePositionPatient, 3);
    const spacing = nums(measures, T.PixelSpacing, 2) ?? nums(ds, T.PixelSpacing, 2);
    const where = frameCount > 1 ? ` (frame ${f + 1})` : '';
    if (!iop) throw new InvalidGeometryError(`Invalid geometry: no ImageOrientationPatient${where}.`);
    const orientation = orientationFrom(iop);
    if (!orientation) throw new InvalidGeometryError(`Invalid geometry: ImageOrientationPatient is not two orthogonal unit vectors${where}.`);
    if (!ipp) throw new InvalidGeometryError(`Invalid geometry: no ImagePositionPatient${where}.`);
    if (!spacing || !(spacing[0] > 0) || !(spacing[1] > 0)) {
      throw new InvalidGeometryError(`Invalid geometry: PixelSpacing is missing or not positive${where}.`);
    }
    if (spacing[0] > MAX_PIXEL_SPACING_MM || spacing[1] > MAX_PIXEL_SPACING_MM) {
      throw new InvalidGeometryError(`Invalid geometry: PixelSpacing is implausibly large${where}.`);
    }
    if (spacing[0] < MIN_PIXEL_SPACING_MM || spacing[1] < MIN_PIXEL_SPACING_MM) {
      throw new InvalidGeometryError(`Invalid geometry: PixelSpacing is implausibly small${where}.`);
    }
    let position: Vec3 = [ipp[0], ipp[1], ipp[2]];
    if (gridOffsets) {
      const o = gridOffsets[f];
      const n = orientation.normal;
      position = [ipp[0] + o * n[0], ipp[1] + o * n[1], ipp[2] + o * n[2]];
    }
    if (!position.every((x) => Math.abs(x) <= MAX_COORDINATE_MM)) {
      throw new InvalidGeometryError(`Invalid geometry: ImagePositionPatient is out of range${where}.`);
    }
    const slope = num(transform, T.RescaleSlope) ?? num(ds, T.RescaleSlope) ?? 1;
    const intercept = num(transform, T.RescaleIntercept) ?? num(ds, T.RescaleIntercept) ?? 0;
    if (slope === 0 || !(Math.abs(slope) <= MAX_RESCALE_SLOPE) || !(Math.abs(intercept) <= MAX_RESCALE_INTERCEPT)) {
      throw new MalformedDicomError(`Malformed DICOM: RescaleSlope or RescaleIntercept is out of range${where}.`);
    }
    frames.push({
      ...common,
      frameNumber: f + 1,
      pixelSpacing: [spacing[0], spacing[1]],
      orientation: iop,
      rowCosines: orientation.rowCosines,
      columnCosines: orientation.columnCosines,
      normal: orientation.normal,
      position,
      sliceThickness: num(measures, T.SliceThickness) ?? num(ds, T.SliceThickness),
      pixels: {
        data: all.subarray(f * frameLength, (f + 1) * frameLength),
        bitsAllocated,
        bitsStored,
        signed,
        slope,
        intercept,
        padding,
        floor,
      },
    });
  }
  return { sopInstanceUID, frames };
}

/** A typed view of the stored values; copied (one memcpy) only when unaligned or big endian. */
function pixelArray(
  data: Uint8Array,
  offset: number,
  count: number,
  bitsAllocated: number,
  signed: boolean,
  bigEndian: boolean,
): RawPixelArray {
  const buffer = data.buffer as ArrayBuffer;
  const start = data.byteOffset + offset;
  if (bitsAllocated === 8) return signed ? new Int8Array(buffer, start, count) : new Uint8Array(buffer, start, count);
  const Ctor = signed ? Int16Array : Uint16Array;
  if (start % 2 === 0 && !bigEndian) return new Ctor(buffer, start, count);
  // Buffers cut from a multipart body can start at any byte: copy to an aligned one.
  const bytes = new Uint8Array(count * 2);
  bytes.set(data.subarray(offset, offset + count * 2));
  if (bigEndian) {
    const words = new Uint16Array(bytes.buffer);
    for (let i = 0; i < count; i++) {
      const w = words[i];
      words[i] = ((w & 0xff) << 8) | (w >>> 8);
    }
  }
  return new Ctor(bytes.buffer);
}

/** The frames' compressed images decoded into one array of stored values, read signed where the pixels are. */
function decodedFrames(codec: FrameDecoder, images: Uint8Array[], rows: number, columns: number, bitsAllocated: number, signed: boolean): RawPixelArray {
  const frameLength = rows * columns;
  let all: Uint8Array | Uint16Array;
  // one frame (a slice an instance): the codec's own array, not a copy of it
  if (images.length === 1) all = codec(images[0], rows, columns, bitsAllocated);
  else {
    all = bitsAllocated === 8 ? new Uint8Array(frameLength * images.length) : new Uint16Array(frameLength * images.length);
    for (const [f, image] of images.entries()) all.set(codec(image, rows, columns, bitsAllocated), f * frameLength);
  }
  // the images hold the stored bit patterns: signed pixels are the same bits read as two's complement
  if (!signed) return all;
  return all instanceof Uint8Array ? new Int8Array(all.buffer, all.byteOffset, all.length) : new Int16Array(all.buffer, all.byteOffset, all.length);
}

/** PixelPaddingValue (and range limit) as stored values; dcmjs may read them unsigned when the VR says US. */
function paddingRange(ds: RawDict, signed: boolean, bitsAllocated: number): [number, number] | undefined {
  const toStored = (v: number | undefined): number | undefined => {
    if (v === undefined || !Number.isInteger(v)) return undefined;
    const full = 2 ** bitsAllocated;
    if (signed && v >= full / 2 && v < full) return v - full;
    return v;
  };
  const value = toStored(num(ds, T.PixelPaddingValue));
  if (value === undefined) return undefined;
  const limit = toStored(num(ds, T.PixelPaddingRangeLimit)) ?? value;
  return [Math.min(value, limit), Math.max(value, limit)];
}
