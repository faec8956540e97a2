/**
 * Writing and reading back the documents this server makes, through dcmjs (which ships no types;
 * the few calls used are typed here). A document is built as a dcmjs "naturalized" dataset (keyword
 * keys, sequences as arrays of items) and written as Part 10, explicit VR little endian.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dcmjs = require('dcmjs') as {
  data: {
    ReadBufferStream: { prototype: { more(length: number): { setDecoder(d: unknown): void }; decoder?: unknown } };
    DicomDict: new (meta: Record<string, unknown>) => { dict: Record<string, unknown>; write(): ArrayBuffer };
    DicomMessage: { readFile(buffer: ArrayBuffer): { meta: Record<string, unknown>; dict: Record<string, unknown> } };
    DicomMetaDictionary: {
      denaturalizeDataset(ds: Record<string, unknown>): Record<string, unknown>;
      naturalizeDataset(ds: Record<string, unknown>): Record<string, unknown>;
    };
  };
};

/** A dcmjs naturalized dataset: keyword → value, a sequence is an array of such datasets. */
export type Dataset = Record<string, unknown>;

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** This product's implementation class UID (under the UUID-derived root 2.25, PS3.5 B.2). */
export const IMPLEMENTATION_CLASS_UID = '2.25.248870912034859133064418734405119470871';
export const IMPLEMENTATION_VERSION = 'SLICEFINDER_1';

/** A Part 10 file of `ds`, which must carry SOPClassUID and SOPInstanceUID. */
export function writePart10(ds: Dataset): Uint8Array {
  const meta = dcmjs.data.DicomMetaDictionary.denaturalizeDataset({
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: ds.SOPClassUID,
    MediaStorageSOPInstanceUID: ds.SOPInstanceUID,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION,
  });
  const dict = new dcmjs.data.DicomDict(meta);
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds);
  return new Uint8Array(dict.write());
}

/**
 * The naturalized dataset of a Part 10 file (for reading documents back, and tests). dcmjs 0.51
 * reads each sequence item from a new stream that decodes text as Latin-1 whatever the data set's
 * SpecificCharacterSet says (a Chinese query in a content item would come back garbled); for the
 * length of this synchronous call, item streams inherit their parent's decoder.
 */
export function readPart10Dataset(bytes: Uint8Array): Dataset {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const proto = dcmjs.data.ReadBufferStream.prototype;
  const more = proto.more;
  proto.more = function (this: typeof proto, length: number) {
    const item = more.call(this, length);
    if (this.decoder) item.setDecoder(this.decoder);
    return item;
  };
  try {
    return dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(ab).dict);
  } finally {
    proto.more = more;
  }
}

/** DICOM JSON (PS3.18 F.2) of a dataset this server built: what the embedded DICOMweb answers as its metadata. */
export function toDicomJson(ds: Dataset): Record<string, { vr: string; Value?: unknown[] }> {
  const dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(ds) as Record<string, { vr: string; Value?: unknown[] }>;
  const walk = (d: Record<string, { vr: string; Value?: unknown[] }>): Record<string, { vr: string; Value?: unknown[] }> => {
    const out: Record<string, { vr: string; Value?: unknown[] }> = {};
    for (const [tag, el] of Object.entries(d)) {
      if (!/^[0-9A-F]{8}$/i.test(tag)) continue; // dcmjs bookkeeping (_vrMap)
      const values = (el.Value ?? []).map((v) => (el.vr === 'SQ' ? walk(v as Record<string, { vr: string; Value?: unknown[] }>) : v));
      out[tag.toUpperCase()] = values.length > 0 && values.some((v) => v !== '') ? { vr: el.vr, Value: values } : { vr: el.vr };
    }
    return out;
  };
  return walk(dict);
}

/** A naturalized dataset of DICOM JSON (PS3.18 F.2), e.g. WADO-RS metadata of the source image. */
export function naturalize(json: Record<string, unknown>): Dataset {
  return dcmjs.data.DicomMetaDictionary.naturalizeDataset(json);
}

/** A new UID under 2.25 from 128 random bits (PS3.5 B.2), never more than 64 characters. */
export function newUid(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return `2.25.${n.toString()}`;
}
