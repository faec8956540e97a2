/**
 * The few dcmjs calls the embedded DICOMweb needs, typed here (dcmjs ships no types): read a
 * Part 10 file's header (stopping at PixelData) or the whole file, and turn its element dict
 * into DICOM JSON (PS3.18 F.2) without bulk data.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dcmjs = require('dcmjs') as {
  data: {
    DicomMessage: {
      readFile(
        buffer: ArrayBuffer,
        options?: { untilTag?: string | null; includeUntilTagValue?: boolean; ignoreErrors?: boolean; noCopy?: boolean },
      ): { meta: RawDict; dict: RawDict };
    };
  };
  log: { setLevel?(level: string): void; disableAll?(): void };
};

interface RawElement {
  vr?: string;
  Value?: unknown[];
}
type RawDict = Record<string, RawElement>;

/** One DICOM JSON element; `Value` is absent when the element is empty. */
export interface DicomJsonElement {
  vr: string;
  Value?: unknown[];
  BulkDataURI?: string;
}
export type DicomJsonDataset = Record<string, DicomJsonElement>;

export const PIXEL_DATA_TAG = '7FE00010';
/** Value representations that hold bulk binary data: never inlined into metadata. */
const BINARY_VRS = new Set(['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'UN']);

function toArrayBuffer(buf: Uint8Array): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

export interface ParsedHeader {
  transferSyntaxUID: string;
  dataset: DicomJsonDataset;
  /** True when parsing reached the PixelData element (so nothing before it was cut off). */
  reachedPixelData: boolean;
}

/**
 * Parse a file's header: every element before PixelData. Works on a prefix of the file; the caller
 * retries with the whole file when `reachedPixelData` is false and the prefix was not the file.
 */
export function parseHeader(buf: Uint8Array): ParsedHeader {
  const { meta, dict } = dcmjs.data.DicomMessage.readFile(toArrayBuffer(buf), {
    untilTag: PIXEL_DATA_TAG,
    includeUntilTagValue: false,
  });
  const reachedPixelData = PIXEL_DATA_TAG in dict;
  delete dict[PIXEL_DATA_TAG];
  const ts = meta['00020010']?.Value?.[0];
  if (typeof ts !== 'string') throw new Error('DICOM file meta has no TransferSyntaxUID');
  return { transferSyntaxUID: ts, dataset: toDicomJson(dict), reachedPixelData };
}

export interface PixelFile {
  transferSyntaxUID: string;
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  numberOfFrames: number;
  /** Native pixel data as one buffer, or one buffer per frame when encapsulated. */
  pixelData: ArrayBuffer[];
}

/** Parse a whole file for its pixel data. */
export function parsePixelFile(buf: Uint8Array): PixelFile {
  const { meta, dict } = dcmjs.data.DicomMessage.readFile(toArrayBuffer(buf));
  const num = (tag: string, dflt: number): number => {
    const v = Number(dict[tag]?.Value?.[0]);
    return Number.isFinite(v) && v > 0 ? v : dflt;
  };
  const px = dict[PIXEL_DATA_TAG]?.Value;
  if (!px || px.length === 0) throw new Error('no PixelData');
  return {
    transferSyntaxUID: String(meta['00020010']?.Value?.[0] ?? ''),
    rows: num('00280010', 0),
    columns: num('00280011', 0),
    samplesPerPixel: num('00280002', 1),
    bitsAllocated: num('00280100', 16),
    numberOfFrames: num('00280008', 1),
    pixelData: px as ArrayBuffer[],
  };
}

/** dcmjs's element dict → DICOM JSON: binary elements dropped, empty values omitted. */
export function toDicomJson(dict: RawDict): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const [tag, el] of Object.entries(dict)) {
    const vr = el.vr ?? 'UN';
    if (BINARY_VRS.has(vr)) continue;
    const element: DicomJsonElement = { vr };
    const values = el.Value ?? [];
    if (vr === 'SQ') {
      const items = values.map((item) => toDicomJson(item as RawDict));
      if (items.length > 0) element.Value = items;
    } else if (values.some((v) => v !== '' && v !== null && v !== undefined)) {
      element.Value = values.map((v) => (v === '' ? null : v));
    }
    out[tag] = element;
  }
  return out;
}

/** The first value of an element as a string, or undefined. */
export function stringTag(ds: DicomJsonDataset, tag: string): string | undefined {
  const v = ds[tag]?.Value?.[0];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object' && v !== null && 'Alphabetic' in v) return String((v as { Alphabetic: unknown }).Alphabetic);
  return String(v);
}

/** The first value of an element as a number, or undefined. */
export function numberTag(ds: DicomJsonDataset, tag: string): number | undefined {
  const v = Number(ds[tag]?.Value?.[0]);
  return ds[tag]?.Value?.length && Number.isFinite(v) ? v : undefined;
}
