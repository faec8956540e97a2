/**
 * Hostile DICOM files written byte by byte (dcmjs would refuse to write them): a sequence nested
 * thousands of items deep, a deflated data set that inflates a thousandfold. For the folder-index
 * test and the fuzz bench.
 */
import { deflateRawSync } from 'node:zlib';

const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const DEFLATED = '1.2.840.10008.1.2.1.99';
const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';

function even(s: string): Buffer {
  const b = Buffer.from(s, 'latin1');
  return b.length % 2 === 0 ? b : Buffer.concat([b, Buffer.from([0])]);
}

/** One explicit VR little endian element with a short (16-bit) length. */
function shortElement(group: number, element: number, vr: string, value: string): Buffer {
  const v = even(value);
  const h = Buffer.alloc(8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(element, 2);
  h.write(vr, 4, 'latin1');
  h.writeUInt16LE(v.length, 6);
  return Buffer.concat([h, v]);
}

/** Preamble, "DICM" and the file meta group (with its group length). */
function fileMeta(transferSyntax: string, sopInstanceUID: string): Buffer {
  const elements = Buffer.concat([
    shortElement(0x0002, 0x0002, 'UI', CT_IMAGE),
    shortElement(0x0002, 0x0003, 'UI', sopInstanceUID),
    shortElement(0x0002, 0x0010, 'UI', transferSyntax),
  ]);
  const groupLength = Buffer.alloc(12);
  groupLength.writeUInt16LE(0x0002, 0);
  groupLength.writeUInt16LE(0x0000, 2);
  groupLength.write('UL', 4, 'latin1');
  groupLength.writeUInt16LE(4, 6);
  groupLength.writeUInt32LE(elements.length, 8);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), groupLength, elements]);
}

function uidElements(study: string, series: string, sop: string): Buffer {
  return Buffer.concat([
    shortElement(0x0008, 0x0016, 'UI', CT_IMAGE),
    shortElement(0x0008, 0x0018, 'UI', sop),
    shortElement(0x0008, 0x0060, 'CS', 'CT'),
    shortElement(0x0020, 0x000d, 'UI', study),
    shortElement(0x0020, 0x000e, 'UI', series),
  ]);
}

/** A CT header whose (0008,1115) sequence nests `depth` items deep, all of undefined length. */
export function nestedSequenceFile(depth: number, uids: { study: string; series: string; sop: string }): Buffer {
  const open = Buffer.alloc(20);
  open.writeUInt16LE(0x0008, 0);
  open.writeUInt16LE(0x1115, 2);
  open.write('SQ', 4, 'latin1');
  open.writeUInt32LE(0xffffffff, 8);
  open.writeUInt16LE(0xfffe, 12);
  open.writeUInt16LE(0xe000, 14);
  open.writeUInt32LE(0xffffffff, 16);
  const close = Buffer.alloc(16);
  close.writeUInt16LE(0xfffe, 0);
  close.writeUInt16LE(0xe00d, 2);
  close.writeUInt16LE(0xfffe, 8);
  close.writeUInt16LE(0xe0dd, 10);
  const body = Buffer.concat([...Array<Buffer>(depth).fill(open), ...Array<Buffer>(depth).fill(close)]);
  return Buffer.concat([fileMeta(EXPLICIT_LE, uids.sop), uidElements(uids.study, uids.series, uids.sop), body]);
}

/** A deflated data set: the UIDs, then `elements` private LO elements that inflate to ~10 bytes each. */
export function deflateBombFile(elements: number, uids: { study: string; series: string; sop: string }): Buffer {
  const one = shortElement(0x0009, 0x1010, 'LO', 'xx');
  const filler = Buffer.alloc(one.length * elements);
  for (let i = 0; i < elements; i++) one.copy(filler, i * one.length);
  const dataset = Buffer.concat([uidElements(uids.study, uids.series, uids.sop), filler]);
  return Buffer.concat([fileMeta(DEFLATED, uids.sop), deflateRawSync(dataset, { level: 9 })]);
}
