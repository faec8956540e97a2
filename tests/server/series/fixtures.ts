/** Real LIDC slices, read once, and helpers that rewrite them with dcmjs to make bad or unusual inputs. */
import fs from 'node:fs';
import path from 'node:path';
import { SAMPLE_CASE_DIR, SAMPLE_DICOM_DIR } from '../../../server/series/sample';
import type { NamedBuffer } from '../../../server/series/load';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const dcmjs = require('dcmjs') as {
  data: { DicomMessage: { readFile(b: ArrayBuffer): DicomDict } };
  log: { getLogger(name: string): { setLevel(level: string): void } };
};
// As in the loader: dcmjs's validation logger complains about every implicit-VR "xs"/"ox" tag.
dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');

export interface RawElement {
  vr: string;
  Value: unknown[];
}
export type Dict = Record<string, RawElement>;
interface DicomDict {
  meta: Dict;
  dict: Dict;
  write(): ArrayBuffer;
}

export const SEG_FILE = path.join(SAMPLE_CASE_DIR, 'annotations', 'LIDC-IDRI-0001_Combined_SEG.dcm');

/** File `n` of the series (1-based, files 1-001 … 1-133 follow InstanceNumber). */
export function slicePath(n: number): string {
  return path.join(SAMPLE_DICOM_DIR, `1-${String(n).padStart(3, '0')}.dcm`);
}

const cache = new Map<number, Uint8Array>();
export function readSlice(n: number): Uint8Array {
  let b = cache.get(n);
  if (!b) {
    b = new Uint8Array(fs.readFileSync(slicePath(n)));
    cache.set(n, b);
  }
  return b;
}

/** Slices `from`..`to` (inclusive) as named buffers. */
export function sliceBuffers(from: number, to: number): NamedBuffer[] {
  const out: NamedBuffer[] = [];
  for (let n = from; n <= to; n++) out.push({ name: path.basename(slicePath(n)), data: readSlice(n) });
  return out;
}

function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

export function parse(b: Uint8Array): DicomDict {
  return dcmjs.data.DicomMessage.readFile(toArrayBuffer(b));
}

/** Parses `b` with dcmjs, lets `edit` change the meta and data set, and writes a new Part 10 file. */
export function rewrite(b: Uint8Array, edit: (d: DicomDict) => void): Uint8Array {
  const d = parse(b);
  edit(d);
  return new Uint8Array(d.write());
}

export function set(dict: Dict, tag: string, vr: string, values: unknown[]): void {
  dict[tag] = { vr, Value: values };
}

/** The stored pixel values of a parsed file, as Int16 (the LIDC slices are signed 16-bit). */
export function pixelsOf(d: DicomDict): Int16Array {
  return new Int16Array((d.dict['7FE00010'].Value as ArrayBuffer[])[0]);
}

/** Offset of the first byte of the top-level PixelData value in an explicit VR little endian file. */
export function pixelValueOffset(b: Uint8Array): number {
  for (let i = b.length - 12; i >= 132; i--) {
    if (b[i] === 0xe0 && b[i + 1] === 0x7f && b[i + 2] === 0x10 && b[i + 3] === 0x00 && b[i + 4] === 0x4f && b[i + 5] === 0x57) {
      return i + 12;
    }
  }
  throw new Error('no PixelData element');
}

let uidCounter = 0;
/** A fresh UID under a test root (2.25 is the UUID-derived root; these never collide with real ones here). */
export function newUid(): string {
  uidCounter++;
  return `2.25.${Date.now()}${process.pid}${uidCounter}`;
}

const ENHANCED_CT = '1.2.840.10008.5.1.4.1.1.2.1';
const item = (d: Dict): Dict => d;
const seq = (...items: Dict[]): { vr: string; Value: unknown[] } => ({ vr: 'SQ', Value: items });

/**
 * An enhanced CT file built from real slices: frame f holds slice `first + order[f]`, with its
 * position and its own rescale intercept (stored values shifted to match) in the per-frame groups,
 * orientation and pixel measures shared.
 */
export function enhancedCt(first: number, order: readonly number[], uid: string): Uint8Array {
  const COUNT = order.length;
  const slices = order.map((k) => parse(readSlice(first + k)));
  const base = slices[0].dict;
  const frameLength = 512 * 512;
  const all = new Int16Array(frameLength * COUNT);
  const perFrame: Dict[] = slices.map((s, f) => {
    // Store each frame with its own offset and a matching intercept: same HU, different stored values.
    const shift = 10 * f;
    const px = pixelsOf(s);
    for (let i = 0; i < frameLength; i++) all[f * frameLength + i] = px[i] - shift;
    return item({
      '00209113': seq(item({ '00200032': s.dict['00200032'] as never })),
      '00289145': seq(
        item({
          '00281052': { vr: 'DS', Value: [Number(s.dict['00281052'].Value[0]) + shift] },
          '00281053': { vr: 'DS', Value: [1] },
          '00281054': { vr: 'LO', Value: ['HU'] },
        }),
      ),
    });
  });
  return rewrite(readSlice(first), (d) => {
    for (const tag of ['00200032', '00200037', '00280030', '00281052', '00281053', '00180050', '00280120']) delete d.dict[tag];
    set(d.dict, '00080016', 'UI', [ENHANCED_CT]);
    set(d.meta, '00020002', 'UI', [ENHANCED_CT]);
    set(d.dict, '00080018', 'UI', [uid]);
    set(d.meta, '00020003', 'UI', [uid]);
    set(d.dict, '00280008', 'IS', [COUNT]);
    d.dict['52009229'] = seq(
      item({
        '00209116': seq(item({ '00200037': base['00200037'] })),
        '00289110': seq(item({ '00280030': base['00280030'], '00180050': base['00180050'] })),
      }),
    );
    d.dict['52009230'] = { vr: 'SQ', Value: perFrame };
    d.dict['7FE00010'] = { vr: 'OW', Value: [all.buffer] };
  });
}
