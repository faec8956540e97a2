/**
 * A structural walk over a DICOM Part 10 buffer, done before dcmjs sees it: it reads the file meta
 * (preamble, "DICM", group 0002), checks that every element, sequence and item of the data set
 * lies inside the buffer, and finds the top-level PixelData element. dcmjs then parses only the
 * header before PixelData, and the pixels are read as a view; a hostile length can neither make
 * dcmjs read past the end nor loop for long, and truncation is seen precisely (dcmjs would return
 * short pixel data silently).
 */
import { MalformedDicomError, NotDicomError, TruncatedPixelDataError } from './errors';
import { lookupVr, type RawDict, type RawElement } from './dcmjs-api';

/** Value representations whose explicit-VR length field is 32 bits (after 2 reserved bytes). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);
const SHORT_VRS = new Set([
  'AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FL', 'FD', 'IS', 'LO', 'LT', 'PN', 'SH', 'SL', 'SS', 'ST', 'TM', 'UI', 'UL', 'US',
]);
const UNDEFINED_LENGTH = 0xffffffff;
const MAX_DEPTH = 32;
const PIXEL_DATA = 0x7fe00010;
const ITEM = 0xfffee000;
const ITEM_DELIMITER = 0xfffee00d;
const SEQUENCE_DELIMITER = 0xfffee0dd;
const META_START = 132;

export interface PixelDataLocation {
  /** Offset of the element's tag. */
  elementOffset: number;
  /** Offset of the first value byte. */
  valueOffset: number;
  /** Declared value length; undefined length means encapsulated (compressed) pixel data. */
  length: number;
  encapsulated: boolean;
}

export interface Part10Layout {
  transferSyntaxUID: string;
  mediaStorageSopClassUID: string | undefined;
  /** Offset of the first data set element after the file meta. */
  datasetOffset: number;
  /** The top-level PixelData element, when the file has one. */
  pixelData: PixelDataLocation | undefined;
  /** Where the header ends: PixelData's tag, or the end of the buffer. */
  headerEnd: number;
  /** Every top-level element before headerEnd, in file order (to check that a parse kept them all). */
  headerTags: number[];
  /**
   * Byte ranges [start, end) of top-level UN elements that hold sequences (undefined length, or a
   * tag the dictionary calls SQ): their content is implicit VR, which dcmjs misreads; the caller
   * leaves them out of what dcmjs parses.
   */
  unSequences: Array<[number, number]>;
  /**
   * With `salvage`: the structural fault that stopped the walk (headerEnd is then the end of the last
   * whole top-level element before it, so the elements up to there can still be read).
   */
  broken?: MalformedDicomError;
}

export interface ScanOptions {
  /** `buf` is the start of a longer file: pixel data running past its end is not truncation. */
  prefix?: boolean;
  /** Report a structural fault in `broken` instead of throwing (the folder index reads the UIDs before it). */
  salvage?: boolean;
}

interface TopLevel {
  onPixelData(loc: PixelDataLocation): void;
  onElement(tag: number, start: number, end: number, unSequence: boolean): void;
}

interface Syntax {
  explicit: boolean;
  little: boolean;
}

export function hasDicomMagic(buf: Uint8Array): boolean {
  return buf.length >= META_START && buf[128] === 0x44 && buf[129] === 0x49 && buf[130] === 0x43 && buf[131] === 0x4d;
}

export function tagString(tag: number): string {
  const h = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `(${h.slice(0, 4)},${h.slice(4)})`;
}

class Walker {
  private readonly dv: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  u16(pos: number, little: boolean): number {
    return this.dv.getUint16(pos, little);
  }

  u32(pos: number, little: boolean): number {
    return this.dv.getUint32(pos, little);
  }

  tag(pos: number, little: boolean): number {
    return ((this.u16(pos, little) << 16) | this.u16(pos + 2, little)) >>> 0;
  }

  vr(pos: number): string {
    return String.fromCharCode(this.buf[pos], this.buf[pos + 1]);
  }

  ascii(pos: number, len: number): string {
    let s = '';
    for (let i = 0; i < len; i++) s += String.fromCharCode(this.buf[pos + i]);
    return s.replace(/[\0 ]+$/, '').trim();
  }

  /** Reads an element header; returns [tag, vr, length, headerLength]. */
  header(pos: number, end: number, sx: Syntax): [number, string, number, number] {
    if (pos + 8 > end) throw malformed(`the data set ends inside an element header at byte ${pos}`);
    const tag = this.tag(pos, sx.little);
    if (tag >>> 16 === 0xfffe) return [tag, '', this.u32(pos + 4, sx.little), 8];
    if (!sx.explicit) return [tag, lookupVr(tag) ?? 'UN', this.u32(pos + 4, sx.little), 8];
    const vr = this.vr(pos + 4);
    if (LONG_VRS.has(vr)) {
      if (pos + 12 > end) throw malformed(`the data set ends inside the header of ${tagString(tag)}`);
      return [tag, vr, this.u32(pos + 8, sx.little), 12];
    }
    if (SHORT_VRS.has(vr)) return [tag, vr, this.u16(pos + 6, sx.little), 8];
    throw malformed(`element ${tagString(tag)} has an invalid value representation`);
  }

  /**
   * Walks a data set from `pos` to `end` (or to an item delimiter when `delimited`); returns the
   * offset after it. At the top level it stops at PixelData and reports it through `onPixelData`.
   */
  dataset(
    pos: number,
    end: number,
    sx: Syntax,
    depth: number,
    delimited: boolean,
    top?: TopLevel,
  ): number {
    if (depth > MAX_DEPTH) throw malformed('sequences are nested too deeply');
    for (;;) {
      if (pos === end) {
        if (delimited) throw malformed('an item has no delimiter before the end of the data');
        return pos;
      }
      const [tag, vr, length, headerLength] = this.header(pos, end, sx);
      if (tag === ITEM_DELIMITER && delimited) return pos + 8;
      if (tag >>> 16 === 0xfffe) throw malformed(`unexpected item tag ${tagString(tag)} in a data set`);
      const valueOffset = pos + headerLength;
      if (top && tag === PIXEL_DATA) {
        top.onPixelData({ elementOffset: pos, valueOffset, length, encapsulated: length === UNDEFINED_LENGTH });
        return pos;
      }
      if (length === UNDEFINED_LENGTH) {
        if (vr === 'SQ' || vr === 'UN') {
          // A UN sequence of undefined length is encoded as implicit VR little endian (PS3.5 6.2.2).
          const inner = vr === 'UN' ? { explicit: false, little: true } : sx;
          pos = this.items(valueOffset, end, inner, depth + 1, true);
        } else if (vr === 'OB' || vr === 'OW' || vr === 'ox') {
          pos = this.fragments(valueOffset, end, sx);
        } else {
          throw malformed(`element ${tagString(tag)} (${vr}) has an undefined length`);
        }
      } else {
        if (length > end - valueOffset) {
          throw malformed(`element ${tagString(tag)} runs past the end of the data (the file is truncated or corrupt)`);
        }
        if (vr === 'SQ') this.items(valueOffset, valueOffset + length, sx, depth + 1, false);
        pos = valueOffset + length;
      }
      if (top) top.onElement(tag, valueOffset - headerLength, pos, vr === 'UN' && (length === UNDEFINED_LENGTH || lookupVr(tag) === 'SQ'));
    }
  }

  /**
   * Walks the items of a sequence; returns the offset after the sequence. `item` walks one item's data
   * set from `from` to `to` (or to its delimiter) and returns where it ended: `dataset` by default.
   */
  items(
    pos: number,
    end: number,
    sx: Syntax,
    depth: number,
    delimited: boolean,
    item: (from: number, to: number, delimited: boolean) => number = (from, to, d) => this.dataset(from, to, sx, depth + 1, d),
  ): number {
    if (depth > MAX_DEPTH) throw malformed('sequences are nested too deeply');
    for (;;) {
      if (pos === end) {
        if (delimited) throw malformed('a sequence has no delimiter before the end of the data');
        return pos;
      }
      if (pos + 8 > end) throw malformed(`the data ends inside an item header at byte ${pos}`);
      const tag = this.tag(pos, sx.little);
      const length = this.u32(pos + 4, sx.little);
      if (tag === SEQUENCE_DELIMITER && delimited) return pos + 8;
      if (tag !== ITEM) throw malformed(`expected a sequence item, found ${tagString(tag)}`);
      if (length === UNDEFINED_LENGTH) {
        pos = item(pos + 8, end, true);
      } else {
        if (length > end - pos - 8) throw malformed('a sequence item runs past the end of the data (truncated or corrupt)');
        item(pos + 8, pos + 8 + length, false);
        pos = pos + 8 + length;
      }
    }
  }

  /** Walks encapsulated fragments (defined-length items up to a sequence delimiter). */
  fragments(pos: number, end: number, sx: Syntax): number {
    for (;;) {
      if (pos + 8 > end) throw malformed('encapsulated data has no sequence delimiter before the end of the data');
      const tag = this.tag(pos, sx.little);
      const length = this.u32(pos + 4, sx.little);
      if (tag === SEQUENCE_DELIMITER) return pos + 8;
      if (tag !== ITEM || length === UNDEFINED_LENGTH || length > end - pos - 8) {
        throw malformed('encapsulated data has a broken fragment (truncated or corrupt)');
      }
      pos += 8 + length;
    }
  }

  /**
   * Reads the values of the `wanted` tags of a data set already walked by `dataset` (so its structure
   * is known to be sound), into `out`; sequences among them become lists of item dicts holding their
   * wanted tags in turn. Returns the offset after the data set (or after its item delimiter).
   */
  collect(pos: number, end: number, sx: Syntax, depth: number, delimited: boolean, wanted: ReadonlySet<number>, out: RawDict): number {
    if (depth > MAX_DEPTH) throw malformed('sequences are nested too deeply');
    while (pos < end) {
      const [tag, vr, length, headerLength] = this.header(pos, end, sx);
      if (tag === ITEM_DELIMITER && delimited) return pos + 8;
      const valueOffset = pos + headerLength;
      // An element written as UN is read with the dictionary's VR; a UN sequence is implicit VR little endian.
      const realVr = vr === 'UN' ? (lookupVr(tag) ?? 'UN') : vr;
      const inner = vr === 'UN' ? IMPLICIT_LE : sx;
      const want = wanted.has(tag);
      if (length === UNDEFINED_LENGTH) {
        if (vr !== 'SQ' && vr !== 'UN') {
          pos = this.fragments(valueOffset, end, sx);
        } else if (want && realVr === 'SQ') {
          const items: RawDict[] = [];
          pos = this.collectItems(valueOffset, end, inner, depth + 1, true, wanted, items);
          out[tagKey(tag)] = { vr: 'SQ', Value: items };
        } else {
          pos = this.items(valueOffset, end, inner, depth + 1, true);
        }
        continue;
      }
      if (length > end - valueOffset) throw malformed(`element ${tagString(tag)} runs past the end of the data`);
      if (want) {
        if (realVr === 'SQ') {
          const items: RawDict[] = [];
          this.collectItems(valueOffset, valueOffset + length, inner, depth + 1, false, wanted, items);
          out[tagKey(tag)] = { vr: 'SQ', Value: items };
        } else {
          out[tagKey(tag)] = this.value(realVr, valueOffset, length, vr === 'UN' ? true : sx.little);
        }
      }
      pos = valueOffset + length;
    }
    if (delimited) throw malformed('an item has no delimiter before the end of the data');
    return pos;
  }

  private collectItems(pos: number, end: number, sx: Syntax, depth: number, delimited: boolean, wanted: ReadonlySet<number>, items: RawDict[]): number {
    return this.items(pos, end, sx, depth, delimited, (from, to, d) => {
      const item: RawDict = {};
      items.push(item);
      return this.collect(from, to, sx, depth + 1, d, wanted, item);
    });
  }

  /** One element's value: strings split at backslashes (raw as written in `_rawValue`), binary numbers as numbers. */
  private value(vr: string, offset: number, length: number, little: boolean): RawElement {
    if (STRING_VRS.has(vr)) {
      const text = Buffer.from(this.buf.buffer, this.buf.byteOffset + offset, length).toString('latin1');
      const raw = vr === 'LT' || vr === 'ST' || vr === 'UT' ? [text] : text.split('\\');
      return { vr, Value: raw.map((v) => v.replace(/[\0 ]+$/, '').trimStart()), _rawValue: raw };
    }
    const size = BINARY_SIZES[vr];
    if (size === undefined) return { vr, Value: [] };
    const values: number[] = [];
    for (let at = offset; at + size <= offset + length; at += size) values.push(readNumber(this.dv, vr, at, little));
    return { vr, Value: values };
  }
}

const IMPLICIT_LE: Syntax = { explicit: false, little: true };
const STRING_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT']);
/** Bytes per value of the binary VRs read; "xs" (US or SS, implicit VR) reads unsigned, the caller re-signs it. */
const BINARY_SIZES: Record<string, number | undefined> = { US: 2, xs: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8 };

function readNumber(dv: DataView, vr: string, at: number, little: boolean): number {
  switch (vr) {
    case 'SS':
      return dv.getInt16(at, little);
    case 'UL':
      return dv.getUint32(at, little);
    case 'SL':
      return dv.getInt32(at, little);
    case 'FL':
      return dv.getFloat32(at, little);
    case 'FD':
      return dv.getFloat64(at, little);
    default:
      return dv.getUint16(at, little);
  }
}

function tagKey(tag: number): string {
  return (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

function malformed(detail: string): MalformedDicomError {
  return new MalformedDicomError(`Malformed DICOM: ${detail}.`);
}

/** Walks a whole Part 10 buffer; throws NotDicomError, MalformedDicomError or TruncatedPixelDataError. */
export function scanPart10(buf: Uint8Array, opts: ScanOptions = {}): Part10Layout {
  if (!hasDicomMagic(buf)) throw new NotDicomError('Not a DICOM file: no "DICM" marker after the 128-byte preamble.');
  const w = new Walker(buf);
  const le = { explicit: true, little: true };
  const [firstTag, firstVr, firstLen] = w.header(META_START, buf.length, le);
  if (firstTag !== 0x00020000 || firstVr !== 'UL' || firstLen !== 4 || META_START + 12 > buf.length) {
    throw malformed('the file meta information has no group length');
  }
  const metaEnd = META_START + 12 + w.u32(META_START + 8, true);
  if (metaEnd > buf.length) throw malformed('the file meta information runs past the end of the file');
  let transferSyntaxUID: string | undefined;
  let mediaStorageSopClassUID: string | undefined;
  for (let pos = META_START + 12; pos < metaEnd; ) {
    const [tag, vr, length, headerLength] = w.header(pos, metaEnd, le);
    if (tag >>> 16 !== 0x0002 || length === UNDEFINED_LENGTH || length > metaEnd - pos - headerLength) {
      throw malformed('the file meta information is broken');
    }
    if (tag === 0x00020010 && vr === 'UI') transferSyntaxUID = w.ascii(pos + headerLength, length);
    if (tag === 0x00020002 && vr === 'UI') mediaStorageSopClassUID = w.ascii(pos + headerLength, length);
    pos += headerLength + length;
  }
  if (!transferSyntaxUID) throw malformed('the file meta information has no transfer syntax');

  const layout: Part10Layout = {
    transferSyntaxUID,
    mediaStorageSopClassUID,
    datasetOffset: metaEnd,
    pixelData: undefined,
    headerEnd: buf.length,
    headerTags: [],
    unSequences: [],
  };
  // Deflated data sets cannot be walked before inflating; the caller refuses that syntax anyway.
  if (transferSyntaxUID === '1.2.840.10008.1.2.1.99') return layout;
  const sx: Syntax = {
    explicit: transferSyntaxUID !== '1.2.840.10008.1.2',
    little: transferSyntaxUID !== '1.2.840.10008.1.2.2',
  };
  let lastEnd = metaEnd;
  const top: TopLevel = {
    onPixelData(loc) {
      layout.pixelData = loc;
      layout.headerEnd = loc.elementOffset;
    },
    onElement(tag, start, end, unSequence) {
      if (unSequence) layout.unSequences.push([start, end]);
      else layout.headerTags.push(tag);
      lastEnd = end;
    },
  };
  try {
    w.dataset(metaEnd, buf.length, sx, 0, false, top);
  } catch (err) {
    if (!opts.salvage || !(err instanceof MalformedDicomError)) throw err;
    layout.broken = err;
    layout.headerEnd = lastEnd;
    return layout;
  }
  const px = layout.pixelData;
  if (!opts.prefix && px && !px.encapsulated && px.length > buf.length - px.valueOffset) {
    throw new TruncatedPixelDataError(
      `Truncated DICOM: pixel data declares ${px.length} bytes but the file holds only ${buf.length - px.valueOffset}.`,
    );
  }
  return layout;
}

/**
 * The values of `wanted` tags in the header of a buffer scanned by scanPart10 (everything before
 * PixelData), read straight from the bytes: strings as written, binary values as numbers, sequences
 * as lists of item dicts. This replaces a full dcmjs parse of every instance, which cost about
 * 0.8 ms per CT slice, five times the structural walk.
 */
export function readValues(buf: Uint8Array, layout: Part10Layout, wanted: ReadonlySet<number>): RawDict {
  const ts = layout.transferSyntaxUID;
  const sx: Syntax = { explicit: ts !== '1.2.840.10008.1.2', little: ts !== '1.2.840.10008.1.2.2' };
  const out: RawDict = {};
  new Walker(buf).collect(layout.datasetOffset, layout.headerEnd, sx, 0, false, wanted, out);
  return out;
}
