/**
 * Compressed CT (server/series/codecs): slices a real Orthanc transcodes to JPEG Lossless (Process 14 and its SV1)
 * and JPEG-LS, slices DCMTK's dcmcrle encodes to RLE Lossless and slices OpenJPEG encodes to JPEG 2000 load to
 * exactly the stored values and HU of the
 * uncompressed originals; the frames of encapsulated pixel data are found from the offset table, one fragment
 * each, or the JPEG images' start markers; and a compressed frame that is cut off, corrupt or not the image the
 * header describes is a clear error (no crash, no hang, nothing allocated from the frame's own header), and so is
 * one with random bytes changed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSeriesFromBuffers, type NamedBuffer } from '../../../server/series/load';
import { encapsulatedFrames } from '../../../server/series/codecs/encapsulated';
import { decodeInstance } from '../../../server/series/decode';
import { MalformedDicomError, SeriesError, TruncatedPixelDataError, UnsupportedPixelFormatError } from '../../../server/series/errors';
import { decodeRle } from '../../../server/series/codecs/rle';
import { scanPart10 } from '../../../server/series/part10';
import { wasmCodec } from '../../../server/series/codecs/wasm';
import { fetchDicomwebSeries, WADO_SERIES_ACCEPT, WADO_SERIES_ACCEPT_STORED } from '../../../server/series/sources/dicomweb';
import { Limiter } from '../../../server/series/sources/limiter';
import { mediaStorageSopInstanceUid } from '../../../server/series/sources/sop-uid';
import { startFakePacs } from '../../support/fake-pacs';
import { startOrthanc, type OrthancHandle } from '../../support/orthanc';
import { readSlice } from './fixtures';

const SV1 = '1.2.840.10008.1.2.4.70', PROCESS_14 = '1.2.840.10008.1.2.4.57', JPEG_LS = '1.2.840.10008.1.2.4.80', J2K = '1.2.840.10008.1.2.4.90', RLE = '1.2.840.10008.1.2.5';
/** What Orthanc (1.10) transcodes to; JPEG 2000 it does not. */
const BY_ORTHANC = [SV1, PROCESS_14, JPEG_LS];
// slice 41's last pixel is coded next to the end-of-image marker (a decoder that reads the marker early loses it)
const SLICES = [40, 41, 42, 43];

/** An encapsulated item (FFFE,E000) holding `bytes`, and the sequence delimiter. */
const item = (bytes: number[]): number[] => [0xfe, 0xff, 0x00, 0xe0, ...u32(bytes.length), ...bytes];
const DELIMITER = [0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0];
const u32 = (x: number): number[] => [x & 0xff, (x >> 8) & 0xff, (x >> 16) & 0xff, x >>> 24];
const SOI = [0xff, 0xd8];
/** A typed array's bytes, to compare byte for byte. */
const bytesOf = (a: ArrayBufferView): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('the frames of encapsulated pixel data', () => {
  const frames = (items: number[][], count: number): number[][] =>
    encapsulatedFrames(Uint8Array.from([...items.flat(), ...DELIMITER]), 0, count).map((f) => [...f]);

  test('from the offset table: a frame is its fragments joined', () => {
    // frame 1: two fragments (10 and 2 bytes: items of 18 and 10), frame 2 at offset 28
    const a1 = [...SOI, 1, 2, 3, 4, 5, 6, 7, 8], a2 = [9, 10], b = [...SOI, 11, 12];
    expect(frames([item([...u32(0), ...u32(28)]), item(a1), item(a2), item(b)], 2)).toEqual([[...a1, ...a2], b]);
  });

  test('without one: one fragment a frame, or split where a fragment opens a JPEG image', () => {
    const a = [...SOI, 1, 2], b = [...SOI, 3, 4], tail = [5, 6];
    expect(frames([item([]), item(a), item(b)], 2)).toEqual([a, b]);
    expect(frames([item([]), item(a), item(tail), item(b)], 2)).toEqual([[...a, ...tail], b]);
    // a single frame is every fragment, whatever they hold
    expect(frames([item([]), item(tail), item(a)], 1)).toEqual([[...tail, ...a]]);
  });

  test('an offset table or fragments that do not add up, or data cut off, are malformed', () => {
    const a = [...SOI, 1, 2], b = [...SOI, 3, 4];
    expect(() => frames([item([...u32(0), ...u32(5)]), item(a), item(a), item(b)], 2)).toThrow(MalformedDicomError);
    expect(() => frames([item([]), item(a), item(a), item(b)], 2)).toThrow(/3 images for 2 frames/);
    expect(() => frames([item([])], 1)).toThrow(/no image/);
    expect(() => encapsulatedFrames(Uint8Array.from([...item([]), ...item(a)]), 0, 1)).toThrow(/truncated/);
  });
});

describe('RLE Lossless frames', () => {
  /** A frame of `segments` segments, each the given PackBits bytes, after the 64-byte header of their offsets. */
  const frame = (segments: number[][], count = segments.length): Uint8Array => {
    const header = new Uint8Array(64);
    const view = new DataView(header.buffer);
    view.setUint32(0, count, true);
    let at = 64;
    segments.forEach((seg, k) => { view.setUint32(4 + 4 * k, at, true); at += seg.length; });
    return Uint8Array.from([...header, ...segments.flat()]);
  };

  test('literal runs and repeats, and the two bytes of a 16-bit sample from two segments, most significant first', () => {
    expect([...decodeRle(frame([[0x03, 1, 2, 3, 4]]), 2, 2, 8)]).toEqual([1, 2, 3, 4]);
    expect([...decodeRle(frame([[0xfd, 7]]), 2, 2, 8)]).toEqual([7, 7, 7, 7]);
    // 0x80 is no operation; what follows the image's bytes is padding
    expect([...decodeRle(frame([[0x80, 0x01, 1, 2, 0xff, 3, 9, 9]]), 2, 2, 8)]).toEqual([1, 2, 3, 3]);
    expect([...decodeRle(frame([[0xfd, 0x01], [0x03, 2, 3, 4, 5]]), 2, 2, 16)]).toEqual([0x102, 0x103, 0x104, 0x105]);
  });

  test('a segment that does not fill the image, offsets out of range or a segment count the pixels do not have are errors', () => {
    expect(() => decodeRle(frame([[0x01, 5, 6]]), 2, 2, 8)).toThrow(TruncatedPixelDataError);
    const broken = frame([[0x03, 1, 2, 3, 4]]);
    new DataView(broken.buffer).setUint32(4, 1000, true);
    expect(() => decodeRle(broken, 2, 2, 8)).toThrow(MalformedDicomError);
    expect(() => decodeRle(frame([[0x03, 1, 2, 3, 4]], 3), 2, 2, 16)).toThrow(UnsupportedPixelFormatError);
    expect(() => decodeRle(new Uint8Array(10), 2, 2, 8)).toThrow(TruncatedPixelDataError);
  });
});

describe('compressed slices', () => {
  let orthanc: OrthancHandle;
  let dir: string | undefined;
  const originals: NamedBuffer[] = [];
  const compressed = new Map<string, NamedBuffer[]>();

  beforeAll(async () => {
    orthanc = await startOrthanc();
    for (const syntax of [...BY_ORTHANC, J2K, RLE]) compressed.set(syntax, []);
    dir = mkdtempSync(path.join(tmpdir(), 'rle-'));
    for (const n of SLICES) {
      const data = readSlice(n);
      originals.push({ name: `${n}.dcm`, data });
      // RLE Lossless: DCMTK's encoder (Debian's dcmtk), Orthanc 1.10 not writing it
      const [plainFile, rleFile] = [path.join(dir, 'in.dcm'), path.join(dir, 'rle.dcm')];
      writeFileSync(plainFile, data);
      execFileSync('dcmcrle', [plainFile, rleFile]);
      compressed.get(RLE)!.push({ name: `${n}.dcm`, data: new Uint8Array(readFileSync(rleFile)) });
      const { ID } = await orthanc.upload(data);
      for (const syntax of BY_ORTHANC) {
        const res = await fetch(`${orthanc.url}/instances/${ID}/modify`, { method: 'POST', body: JSON.stringify({ Transcode: syntax, Force: true, Keep: ['SOPInstanceUID'] }) });
        expect(res.status).toBe(200);
        compressed.get(syntax)!.push({ name: `${n}.dcm`, data: new Uint8Array(await res.arrayBuffer()) });
      }
    }
    // JPEG 2000: the SV1 files with their image encoded losslessly by OpenJPEG's encoder, and the syntax renamed (the
    // two UIDs are of one length, so the file meta's group length holds)
    for (const [k, f] of compressed.get(SV1)!.entries()) {
      const named = f.data.slice();
      const at = Buffer.from(named.buffer).indexOf(SV1);
      named.set(Buffer.from(J2K), at);
      compressed.get(J2K)!.push({ name: f.name, data: withImage(named, () => j2kEncoded(originals[k].data)) });
    }
  }, 60_000);
  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await orthanc?.stop();
  });

  test.each([...BY_ORTHANC, J2K, RLE])('%s loads to exactly the stored values and HU of the uncompressed slices', (syntax) => {
    const files = compressed.get(syntax)!;
    expect(scanPart10(files[0].data).transferSyntaxUID).toBe(syntax);
    expect(scanPart10(files[0].data).pixelData?.encapsulated).toBe(true);
    const plain = loadSeriesFromBuffers(originals).volume, jpeg = loadSeriesFromBuffers(files).volume;
    expect(jpeg.slices).toBe(SLICES.length);
    expect(jpeg.sopInstanceUIDs).toEqual(plain.sopInstanceUIDs);
    // byte for byte (toEqual walks a million floats one by one)
    expect(jpeg.hu.length).toBe(plain.hu.length);
    expect(bytesOf(jpeg.hu).equals(bytesOf(plain.hu))).toBe(true);
    // and the stored values themselves (outside the field of view two of them can make one HU)
    files.forEach((f, k) => {
      const [a, b] = [decodeInstance(originals[k].data, 'plain'), decodeInstance(f.data, 'jpeg')];
      if (a.kind !== 'image' || b.kind !== 'image') throw new Error('not an image');
      expect(bytesOf(b.frames[0].pixels.data).equals(bytesOf(a.frames[0].pixels.data))).toBe(true);
    });
  });

  /** The slice with its one JPEG image replaced by `jpeg` (re-wrapped: offset table, one fragment, delimiter). */
  const withImage = (file: Uint8Array, edit: (jpeg: Uint8Array) => Uint8Array): Uint8Array => {
    const px = scanPart10(file).pixelData!;
    const [jpeg] = encapsulatedFrames(file, px.valueOffset, 1);
    const image = edit(jpeg.slice());
    const padded = image.length % 2 ? [...image, 0] : [...image];
    return Uint8Array.from([...file.subarray(0, px.valueOffset), ...item([]), ...item(padded), ...DELIMITER]);
  };
  const decodeError = (data: Uint8Array): unknown => {
    try {
      decodeInstance(data, 'edited');
    } catch (e) {
      return e;
    }
    return undefined;
  };

  test('a PACS that cannot convert the instances answers 406; they are asked for as stored, and decoded', async () => {
    const files = compressed.get(RLE)!;
    const pacs = await startFakePacs(files.map((f) => f.data), 'stored-only');
    try {
      const fetched = await fetchDicomwebSeries({
        wadoRoot: pacs.root, studyInstanceUID: '1.2.3', seriesInstanceUID: '1.2.3.4',
        sopInstanceUIDs: files.map((f) => mediaStorageSopInstanceUid(f.data) as string),
        connectTimeoutMs: 10_000, readTimeoutMs: 10_000, maxBytes: 2 ** 30, limiter: new Limiter(1),
      });
      expect(pacs.accepts).toEqual([WADO_SERIES_ACCEPT, WADO_SERIES_ACCEPT_STORED]);
      const plain = loadSeriesFromBuffers(originals).volume, rle = loadSeriesFromBuffers(fetched).volume;
      expect(bytesOf(rle.hu).equals(bytesOf(plain.hu))).toBe(true);
    } finally {
      await pacs.close();
    }
  });

  test('the image re-wrapped as it is, or padded after its end marker, decodes to the same values', () => {
    // slice 41, whose last pixel is coded next to the end marker
    const file = compressed.get(SV1)![1].data;
    const values = (data: Uint8Array): number[] => {
      const d = decodeInstance(data, 'rewrapped');
      if (d.kind !== 'image') throw new Error('not an image');
      return [...d.frames[0].pixels.data.subarray(-512)];
    };
    const original = values(file);
    expect(values(withImage(file, (j) => j))).toEqual(original);
    expect(values(withImage(file, (j) => Uint8Array.from([...j, 0, 0])))).toEqual(original);
    // a padding byte that is not zero (DCMTK's, at times)
    expect(values(withImage(file, (j) => Uint8Array.from([...j, 0x95])))).toEqual(original);
  });

  test.each([JPEG_LS, J2K, RLE])('a %s image cut off halfway is an error', (syntax) => {
    const e = decodeError(withImage(compressed.get(syntax)![0].data, (j) => j.subarray(0, j.length >> 1)));
    expect(e).toBeInstanceOf(SeriesError);
    expect((e as SeriesError).httpStatus).toBe(422);
  });

  test('an image cut off halfway is truncated', () => {
    const e = decodeError(withImage(compressed.get(SV1)![0].data, (j) => j.subarray(0, j.length >> 1)));
    expect(e).toBeInstanceOf(TruncatedPixelDataError);
    expect((e as SeriesError).httpStatus).toBe(422);
  });

  test('a JPEG 2000 image of another size than the header says is refused before it is decoded', () => {
    // Xsiz, the image's width, in the SIZ segment after the codestream's start marker
    const e = decodeError(withImage(compressed.get(J2K)![0].data, (j) => { j.set([0, 0, 0xff, 0xff], 8); return j; }));
    expect(e).toBeInstanceOf(MalformedDicomError);
    expect((e as Error).message).toContain('65535×512');
  });

  test('an image of another size than the header says is refused before it is decoded', () => {
    // the frame header's width (SOF3: marker, length, precision, height, width)
    const e = decodeError(withImage(compressed.get(SV1)![0].data, (j) => {
      for (let p = 2; p + 9 < j.length; p += 2 + ((j[p + 2] << 8) | j[p + 3])) if (j[p] === 0xff && j[p + 1] === 0xc3) { j[p + 7] = 0xff; j[p + 8] = 0xff; break; }
      return j;
    }));
    expect(e).toBeInstanceOf(MalformedDicomError);
    expect((e as Error).message).toContain('65535×512');
  });

  test.each([SV1, JPEG_LS, J2K, RLE])('%s: corrupt coded data is an error or an image of the right size, never a crash or a hang', (syntax) => {
    // the headers kept (they lie in the first few hundred bytes), the second half of the coded data scrambled, its end marker kept
    const file = compressed.get(syntax)![0].data;
    const scrambled = withImage(file, (j) => {
      for (let i = j.length >> 1; i < j.length - 2; i++) j[i] = (i * 7919) & 0xff;
      return j;
    });
    const e = decodeError(scrambled);
    const outcome = e ?? decodeInstance(scrambled, 'scrambled');
    const whole = (d: unknown): boolean => (d as { kind?: string }).kind === 'image' && (d as { frames: Array<{ pixels: { data: { length: number } } }> }).frames[0].pixels.data.length === 512 * 512;
    expect(outcome instanceof SeriesError || whole(outcome)).toBe(true);
    // and the codec still decodes the next frame
    expect(whole(decodeInstance(file, 'next'))).toBe(true);
  }, 20_000);

  test.each([SV1, JPEG_LS, J2K, RLE])('%s: frames with random bytes changed, mostly in their headers, end in an image or a clear error', (syntax) => {
    const file = compressed.get(syntax)![0].data;
    let seed = 12345;
    const random = (): number => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const outcomes = new Set<string>();
    for (let k = 0; k < 40; k++) {
      const edited = withImage(file, (j) => {
        for (let q = 1 + Math.floor(random() * 8); q > 0; q--) j[Math.floor(random() * (random() < 0.7 ? 400 : j.length))] = Math.floor(random() * 256);
        return j;
      });
      const e = decodeError(edited);
      outcomes.add(e === undefined ? 'image' : e instanceof SeriesError ? 'error' : `unexpected ${String(e)}`);
    }
    expect([...outcomes].filter((o) => o !== 'image' && o !== 'error')).toEqual([]);
    expect(outcomes.has('error')).toBe(true);
  }, 60_000);
});

/** A slice's stored values encoded losslessly as a JPEG 2000 codestream by OpenJPEG (its full build, which has the encoder). */
function j2kEncoded(slice: Uint8Array): Uint8Array {
  const d = decodeInstance(slice, 'plain');
  if (d.kind !== 'image') throw new Error('not an image');
  const px = d.frames[0].pixels;
  const mod = wasmCodec<Record<string, unknown>>('@cornerstonejs/codec-openjpeg', 'full');
  const Encoder = mod.J2KEncoder as new () => { getDecodedBuffer(info: object): Uint8Array; encode(): void; getEncodedBuffer(): Uint8Array; delete(): void };
  const e = new Encoder();
  try {
    e.getDecodedBuffer({ width: 512, height: 512, bitsPerSample: 16, componentCount: 1, isSigned: px.signed, isUsingColorTransform: false }).set(new Uint8Array(px.data.buffer, px.data.byteOffset, px.data.byteLength));
    e.encode();
    return e.getEncodedBuffer().slice();
  } finally {
    e.delete();
  }
}
