/** Seeded mutations of real DICOM files: byte flips, corrupted lengths, splices, truncation, odd attribute values. */
import { rewrite, set } from '../fixtures';

/** mulberry32: small, fast, deterministic. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

export interface Base {
  name: string;
  data: Uint8Array;
  /** Where PixelData starts: mutations favour the header before it. */
  headerEnd: number;
}

/** Offset of the top-level PixelData tag (searched from the end), or the length when there is none. */
export function headerEndOf(b: Uint8Array): number {
  for (let i = b.length - 8; i >= 132; i--) {
    if (b[i] === 0xe0 && b[i + 1] === 0x7f && b[i + 2] === 0x10 && b[i + 3] === 0x00) return i;
  }
  return b.length;
}

const LONG_VRS = ['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT'];
const SHORT_VRS = ['AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FL', 'FD', 'IS', 'LO', 'LT', 'PN', 'SH', 'SL', 'SS', 'ST', 'TM', 'UI', 'UL', 'US'];

function position(rng: Rng, b: Base, len: number): number {
  return rng.chance(0.8) ? rng.int(Math.min(len, b.headerEnd + 16)) : rng.int(len);
}

function flip(rng: Rng, buf: Uint8Array, b: Base): string {
  const n = 1 + rng.int(8);
  for (let k = 0; k < n; k++) {
    const p = position(rng, b, buf.length);
    buf[p] = rng.chance(0.5) ? buf[p] ^ (1 << rng.int(8)) : rng.int(256);
  }
  return `flip×${n}`;
}

function corruptLength(rng: Rng, buf: Uint8Array, b: Base): string {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const candidates: Array<[number, boolean]> = [];
  const end = Math.min(b.headerEnd + 8, buf.length - 12);
  for (let i = 136; i < end; i++) {
    const vr = String.fromCharCode(buf[i], buf[i + 1]);
    if (LONG_VRS.includes(vr)) candidates.push([i, true]);
    else if (SHORT_VRS.includes(vr)) candidates.push([i, false]);
  }
  const values = [0, 1, 2, 3, 0xffff, 0xfffe, 0xffffffff, 0x7fffffff, 0x10000, rng.int(0x100000)];
  if (candidates.length === 0 || rng.chance(0.15)) {
    // Implicit VR (no VR letters) or anywhere: a 32-bit length-like value at an even offset.
    const p = Math.min(buf.length - 4, position(rng, b, buf.length)) & ~1;
    dv.setUint32(p, rng.pick(values), true);
    return `len32@${p}`;
  }
  const [at, long] = rng.pick(candidates);
  if (long) dv.setUint32(at + 4, rng.pick(values), true);
  else dv.setUint16(at + 2, rng.pick(values) & 0xffff, true);
  return `len@${at}`;
}

function splice(rng: Rng, buf: Uint8Array, b: Base, donors: readonly Base[]): Uint8Array {
  const donor = rng.pick(donors).data;
  const len = 1 + rng.int(rng.chance(0.7) ? 64 : 4096);
  const from = rng.int(Math.max(1, donor.length - len));
  const at = position(rng, b, buf.length);
  const chunk = donor.subarray(from, from + len);
  switch (rng.int(3)) {
    case 0: {
      const out = new Uint8Array(buf.length + chunk.length);
      out.set(buf.subarray(0, at));
      out.set(chunk, at);
      out.set(buf.subarray(at), at + chunk.length);
      return out;
    }
    case 1: {
      const out = new Uint8Array(buf.length - Math.min(len, buf.length - at));
      out.set(buf.subarray(0, at));
      out.set(buf.subarray(at + len), at);
      return out;
    }
    default: {
      const out = new Uint8Array(buf);
      out.set(chunk.subarray(0, out.length - at), at);
      return out;
    }
  }
}

function truncate(rng: Rng, buf: Uint8Array, b: Base): Uint8Array {
  const at = rng.chance(0.5) ? rng.int(Math.min(buf.length, b.headerEnd + 64)) : rng.int(buf.length);
  return buf.subarray(0, at);
}

/** Attribute edits that keep the file well formed but make its content odd. */
const ATTRIBUTES: Array<[string, string, unknown[][]]> = [
  ['00280010', 'US', [[0], [1], [65535], [513]]],
  ['00280011', 'US', [[0], [7], [65535]]],
  ['00280100', 'US', [[0], [1], [8], [12], [32], [64]]],
  ['00280101', 'US', [[0], [4], [17], [65535]]],
  ['00280103', 'US', [[2], [0], [65535]]],
  ['00280002', 'US', [[0], [3]]],
  ['00280008', 'IS', [[0], [-1], [2], [1000000000], ['abc']]],
  ['00200037', 'DS', [[0, 0, 0, 0, 0, 0], [1, 0, 0, 1, 0, 0], [1, 0], [1e308, 0, 0, 0, 1, 0], ['x', 0, 0, 0, 1, 0]]],
  ['00200032', 'DS', [[1e300, 0, 0], [0, 0], ['nan', 0, 0], [0, 0, 1e7]]],
  ['00280030', 'DS', [[0, 0], [-1, 1], [1e9, 1e9], [0.5]]],
  ['00281053', 'DS', [[0], [1e30], [-1], ['abc']]],
  ['00281052', 'DS', [[1e40], [-3.5e38], [12345]]],
  ['00080016', 'UI', [['1.2.840.10008.5.1.4.1.1.88.22'], ['1.2.3'], ['']]],
  ['0020000E', 'UI', [['1.2.3.4'], ['']]],
  ['00280120', 'US', [[0], [65535]]],
  ['00280004', 'CS', [['RGB'], ['PALETTE COLOR'], ['MONOCHROME1']]],
];

function editAttribute(rng: Rng, buf: Uint8Array): [Uint8Array, string] {
  const [tag, vr, values] = rng.pick(ATTRIBUTES);
  const value = rng.pick(values);
  try {
    return [rewrite(buf, (d) => (rng.chance(0.15) ? delete d.dict[tag] : set(d.dict, tag, vr, value))), `attr ${tag}=${JSON.stringify(value)}`];
  } catch {
    return [buf, `attr ${tag} (not writable)`];
  }
}

/** One mutated copy of `b`; returns the bytes and a description for failure messages. */
export function mutate(rng: Rng, b: Base, donors: readonly Base[]): { data: Uint8Array; ops: string[] } {
  let data: Uint8Array = new Uint8Array(b.data);
  const ops: string[] = [];
  if (rng.chance(0.25)) {
    const [edited, op] = editAttribute(rng, data);
    data = new Uint8Array(edited);
    ops.push(op);
  }
  const n = ops.length > 0 && rng.chance(0.5) ? 0 : 1 + rng.int(3);
  for (let k = 0; k < n; k++) {
    switch (rng.int(4)) {
      case 0:
        ops.push(flip(rng, data, b));
        break;
      case 1:
        ops.push(corruptLength(rng, data, b));
        break;
      case 2:
        data = splice(rng, data, b, donors);
        ops.push('splice');
        break;
      default:
        data = new Uint8Array(truncate(rng, data, b));
        ops.push(`truncate@${data.length}`);
    }
  }
  return { data, ops };
}
