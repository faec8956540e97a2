/**
 * Encapsulated (compressed) pixel data, PS3.5 A.4: an item holding the frames' offsets (the Basic Offset
 * Table, often empty) and then the fragments, up to a sequence delimiter. Pure: bytes in, each frame's
 * compressed bytes out. A frame is its fragments joined: the offset table says where each frame starts;
 * without one, a single frame is every fragment, and several frames are one fragment each, or split where a
 * fragment opens a JPEG image (its SOI marker).
 */
import { MalformedDicomError } from '../errors';

const ITEM = 0xfffee000;
const SEQUENCE_DELIMITER = 0xfffee0dd;
const JPEG_SOI = [0xff, 0xd8];

interface Fragment { start: number; end: number; offset: number }

/** The compressed bytes of each of `frameCount` frames of encapsulated pixel data starting at `valueOffset`. */
export function encapsulatedFrames(data: Uint8Array, valueOffset: number, frameCount: number): Uint8Array[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const items: Fragment[] = [];
  // each fragment's offset from the first fragment's item tag, as the offset table counts them
  let pos = valueOffset, firstFragment = -1;
  for (;;) {
    if (pos + 8 > data.length) throw malformed('the compressed pixel data has no end (truncated)');
    const tag = ((view.getUint16(pos, true) << 16) | view.getUint16(pos + 2, true)) >>> 0;
    const length = view.getUint32(pos + 4, true);
    if (tag === SEQUENCE_DELIMITER) break;
    if (tag !== ITEM || length > data.length - pos - 8) throw malformed('a fragment of the compressed pixel data is broken (truncated or corrupt)');
    if (items.length === 1) firstFragment = pos;
    items.push({ start: pos + 8, end: pos + 8 + length, offset: firstFragment < 0 ? 0 : pos - firstFragment });
    pos += 8 + length;
  }
  if (items.length < 2) throw malformed('the compressed pixel data holds no image');
  const [table, ...fragments] = items;
  const offsets: number[] = [];
  for (let p = table.start; p + 4 <= table.end; p += 4) offsets.push(view.getUint32(p, true));

  let groups: Fragment[][];
  if (frameCount === 1) groups = [fragments];
  // each frame opens with the fragment at its offset (an offset no fragment starts at leaves frames short)
  else if (offsets.length === frameCount) groups = runs(fragments, (f, k) => k < offsets.length && f.offset === offsets[k], 'the offset table of the compressed pixel data does not match its fragments');
  else if (fragments.length === frameCount) groups = fragments.map((f) => [f]);
  else groups = runs(fragments, (f) => data[f.start] === JPEG_SOI[0] && data[f.start + 1] === JPEG_SOI[1], 'the compressed pixel data does not open with an image');
  if (groups.length !== frameCount) throw malformed(`the compressed pixel data holds ${groups.length} images for ${frameCount} frames`);
  return groups.map((g) => (g.length === 1 ? data.subarray(g[0].start, g[0].end) : joined(data, g)));
}

/** The fragments in runs, one per frame: a run starts at each fragment `opens` says opens frame k (the runs so far). */
function runs(fragments: Fragment[], opens: (f: Fragment, k: number) => boolean, otherwise: string): Fragment[][] {
  const out: Fragment[][] = [];
  for (const f of fragments) {
    if (opens(f, out.length)) out.push([f]);
    else if (out.length) out[out.length - 1].push(f);
    else throw malformed(otherwise);
  }
  return out;
}

function joined(data: Uint8Array, fragments: Fragment[]): Uint8Array {
  const out = new Uint8Array(fragments.reduce((n, f) => n + f.end - f.start, 0));
  let at = 0;
  for (const f of fragments) { out.set(data.subarray(f.start, f.end), at); at += f.end - f.start; }
  return out;
}

const malformed = (what: string): MalformedDicomError => new MalformedDicomError(`Malformed DICOM: ${what}.`);
