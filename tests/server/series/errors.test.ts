/** Every typed error, each from real slices changed in memory; and inputs that must still load. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  EmptySeriesError,
  InvalidGeometryError,
  MalformedDicomError,
  MixedSeriesError,
  NonImageSopClassError,
  NotDicomError,
  SeriesError,
  SeriesNotFoundError,
  SeriesTooLargeError,
  TruncatedPixelDataError,
  UnsupportedPixelFormatError,
  UnsupportedTransferSyntaxError,
} from '../../../server/series/errors';
import { loadSeriesFromBuffers, loadSeriesFromDir, type NamedBuffer } from '../../../server/series/load';
import { newUid, pixelValueOffset, pixelsOf, readSlice, rewrite, SEG_FILE, set, sliceBuffers } from './fixtures';

type ErrorClass = abstract new (...args: never[]) => SeriesError;

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the load to fail');
}

function expectSeriesError(err: unknown, cls: ErrorClass, code: string, status: number): SeriesError {
  expect(err).toBeInstanceOf(cls);
  const e = err as SeriesError;
  expect(e.code).toBe(code);
  expect(e.httpStatus).toBe(status);
  expect(e.message.length).toBeGreaterThan(10);
  return e;
}

function loadFails(files: NamedBuffer[], cls: ErrorClass, code: string, status: number): SeriesError {
  return expectSeriesError(
    caught(() => loadSeriesFromBuffers(files)),
    cls,
    code,
    status,
  );
}

const three = (): NamedBuffer[] => sliceBuffers(60, 62);
const replace = (files: NamedBuffer[], i: number, data: Uint8Array): NamedBuffer[] =>
  files.map((f, j) => (j === i ? { name: f.name, data } : f));

describe('truncated or short pixel data', () => {
  test('a file cut inside its pixel data', () => {
    const full = readSlice(61);
    const e = loadFails(replace(three(), 1, full.subarray(0, full.length - 1000)), TruncatedPixelDataError, 'PIXEL_DATA_TRUNCATED', 422);
    expect(e.source).toBe('1-061.dcm');
  });

  test('a file cut just before its pixel data', () => {
    const full = readSlice(61);
    const cut = full.subarray(0, pixelValueOffset(full) - 12);
    loadFails(replace(three(), 1, cut), TruncatedPixelDataError, 'PIXEL_DATA_TRUNCATED', 422);
  });

  test('a header that promises more pixels than the pixel data holds', () => {
    const bigger = rewrite(readSlice(61), (d) => set(d.dict, '00280010', 'US', [600]));
    loadFails(replace(three(), 1, bigger), TruncatedPixelDataError, 'PIXEL_DATA_TRUNCATED', 422);
  });

  test('a file cut inside its header is malformed', () => {
    loadFails(replace(three(), 1, readSlice(61).subarray(0, 700)), MalformedDicomError, 'DICOM_MALFORMED', 422);
  });

  test('a length field that points past the end of the file is malformed', () => {
    const b = new Uint8Array(readSlice(61));
    // The first data set element after the file meta: make its 16-bit length huge.
    const metaEnd = 144 + new DataView(b.buffer).getUint32(140, true);
    b[metaEnd + 6] = 0xff;
    b[metaEnd + 7] = 0xff;
    loadFails(replace(three(), 1, b), MalformedDicomError, 'DICOM_MALFORMED', 422);
  });
});

describe('not DICOM', () => {
  test('a single buffer of text', () => {
    const e = loadFails([{ name: 'notes.txt', data: new TextEncoder().encode('radiology report\n'.repeat(20)) }], NotDicomError, 'NOT_DICOM', 415);
    expect(e.source).toBe('notes.txt');
  });

  test('non-DICOM files beside a series are skipped and counted', () => {
    const files = [...three(), { name: 'README', data: new TextEncoder().encode('hello') }, { name: 'empty', data: new Uint8Array(0) }];
    const { volume, skipped } = loadSeriesFromBuffers(files);
    expect(volume.slices).toBe(3);
    expect(skipped).toBe(2);
  });

  test('a folder of files none of which is DICOM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'series-notdicom-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.txt'), 'not dicom');
      fs.mkdirSync(path.join(dir, 'sub'));
      fs.writeFileSync(path.join(dir, 'sub', 'b.bin'), Buffer.alloc(4096, 7));
      const err = await loadSeriesFromDir(dir).catch((e: unknown) => e);
      expectSeriesError(err, NotDicomError, 'NOT_DICOM', 415);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('non-image SOP class', () => {
  test('a DICOM SEG alone is refused', () => {
    const e = loadFails([{ name: 'seg.dcm', data: new Uint8Array(fs.readFileSync(SEG_FILE)) }], NonImageSopClassError, 'NON_IMAGE_SOP_CLASS', 422);
    expect((e as NonImageSopClassError).sopClassUID).toBe('1.2.840.10008.5.1.4.1.1.66.4');
  });

  test('a structured report alone is refused; beside the images it is skipped', () => {
    const sr = rewrite(readSlice(61), (d) => {
      set(d.dict, '00080016', 'UI', ['1.2.840.10008.5.1.4.1.1.88.33']);
      set(d.meta, '00020002', 'UI', ['1.2.840.10008.5.1.4.1.1.88.33']);
      set(d.dict, '00080018', 'UI', [newUid()]);
    });
    loadFails([{ name: 'sr.dcm', data: sr }], NonImageSopClassError, 'NON_IMAGE_SOP_CLASS', 422);
    const { volume, skipped } = loadSeriesFromBuffers([...three(), { name: 'sr.dcm', data: sr }]);
    expect(volume.slices).toBe(3);
    expect(skipped).toBe(1);
  });
});

describe('mixed series', () => {
  const mixed = (tag: string, vr: string, value: unknown[], field: string): void => {
    const odd = rewrite(readSlice(61), (d) => set(d.dict, tag, vr, value));
    const e = loadFails(replace(three(), 1, odd), MixedSeriesError, 'MIXED_SERIES', 422);
    expect((e as MixedSeriesError).field).toBe(field);
  };

  test('another SeriesInstanceUID', () => mixed('0020000E', 'UI', [newUid()], 'SeriesInstanceUID'));
  test('another modality', () => mixed('00080060', 'CS', ['MR'], 'Modality'));
  test('another orientation', () => mixed('00200037', 'DS', [0, 1, 0, 0, 0, -1], 'ImageOrientationPatient'));
  test('another pixel spacing', () => mixed('00280030', 'DS', [0.8, 0.8], 'PixelSpacing'));

  test('another image size', () => {
    const small = rewrite(readSlice(61), (d) => {
      const px = pixelsOf(d);
      const out = new Int16Array(256 * 256);
      for (let r = 0; r < 256; r++) for (let c = 0; c < 256; c++) out[r * 256 + c] = px[r * 2 * 512 + c * 2];
      set(d.dict, '00280010', 'US', [256]);
      set(d.dict, '00280011', 'US', [256]);
      d.dict['7FE00010'].Value = [out.buffer];
    });
    const e = loadFails(replace(three(), 1, small), MixedSeriesError, 'MIXED_SERIES', 422);
    expect((e as MixedSeriesError).field).toBe('size');
  });
});

describe('unsupported transfer syntax', () => {
  const withSyntax = (uid: string): Uint8Array => rewrite(readSlice(61), (d) => set(d.meta, '00020010', 'UI', [uid]));

  test.each([
    ['1.2.840.10008.1.2.4.50', 'JPEG Baseline'],
    ['1.2.840.10008.1.2.4.201', 'High-Throughput JPEG 2000'],
    ['1.2.840.10008.1.2.4.51', 'JPEG Extended'],
    ['1.2.840.10008.1.2.1.99', 'Deflated'],
    ['1.2.3.4.5', 'unknown transfer syntax'],
  ])('%s is refused with its name (%s)', (uid, name) => {
    const e = loadFails(replace(three(), 1, withSyntax(uid)), UnsupportedTransferSyntaxError, 'UNSUPPORTED_TRANSFER_SYNTAX', 415);
    expect(e.message).toContain(uid);
    expect(e.message).toContain(name);
    expect((e as UnsupportedTransferSyntaxError).transferSyntaxUID).toBe(uid);
  });

  test('JPEG Lossless is read: pixel data under it that is no JPEG image is malformed, not unsupported', () => {
    const e = loadFails(replace(three(), 1, withSyntax('1.2.840.10008.1.2.4.70')), MalformedDicomError, 'DICOM_MALFORMED', 422);
    expect(e.message).toMatch(/pixel data|JPEG/);
  });
});

describe('empty', () => {
  test('an empty folder', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'series-empty-'));
    try {
      fs.mkdirSync(path.join(dir, 'nested'));
      expectSeriesError(await loadSeriesFromDir(dir).catch((e: unknown) => e), EmptySeriesError, 'EMPTY_SERIES', 422);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('no buffers', () => {
    loadFails([], EmptySeriesError, 'EMPTY_SERIES', 422);
  });

  test('a folder that does not exist', async () => {
    const err = await loadSeriesFromDir(path.join(os.tmpdir(), 'no-such-series-folder', String(process.pid))).catch((e: unknown) => e);
    expectSeriesError(err, SeriesNotFoundError, 'SERIES_NOT_FOUND', 404);
  });
});

describe('geometry', () => {
  test('two instances at one position', () => {
    const twin = rewrite(readSlice(61), (d) => set(d.dict, '00080018', 'UI', [newUid()]));
    loadFails([...three(), { name: 'twin.dcm', data: twin }], InvalidGeometryError, 'INVALID_GEOMETRY', 422);
  });

  test('a missing slice makes the spacing irregular', () => {
    const files = sliceBuffers(60, 65).filter((f) => f.name !== '1-063.dcm');
    const e = loadFails(files, InvalidGeometryError, 'INVALID_GEOMETRY', 422);
    expect(e.message).toMatch(/irregular/);
  });

  test('no ImageOrientationPatient', () => {
    const odd = rewrite(readSlice(61), (d) => delete d.dict['00200037']);
    loadFails(replace(three(), 1, odd), InvalidGeometryError, 'INVALID_GEOMETRY', 422);
  });

  test('orientation vectors that are not orthogonal', () => {
    const odd = rewrite(readSlice(61), (d) => set(d.dict, '00200037', 'DS', [1, 0, 0, 1, 0, 0]));
    loadFails(replace(three(), 1, odd), InvalidGeometryError, 'INVALID_GEOMETRY', 422);
  });
});

describe('pixel formats', () => {
  test('colour images are refused', () => {
    const rgb = rewrite(readSlice(61), (d) => {
      set(d.dict, '00280002', 'US', [3]);
      set(d.dict, '00280004', 'CS', ['RGB']);
    });
    loadFails([{ name: 'rgb.dcm', data: rgb }], UnsupportedPixelFormatError, 'UNSUPPORTED_PIXEL_FORMAT', 422);
  });

  test('12 bits stored in 16 unsigned: bits above BitsStored are masked', () => {
    const files = three().map((f) => ({
      name: f.name,
      data: rewrite(f.data, (d) => {
        const px = pixelsOf(d);
        const u = new Uint16Array(px.length);
        // Stored = HU + 1024 within 12 bits, with garbage in the top 4 bits.
        for (let i = 0; i < px.length; i++) u[i] = (Math.min(4095, Math.max(0, px[i] + 1024)) & 0x0fff) | 0xa000;
        d.dict['7FE00010'].Value = [u.buffer];
        d.dict['7FE00010'].vr = 'OW';
        set(d.dict, '00280101', 'US', [12]);
        set(d.dict, '00280102', 'US', [11]);
        set(d.dict, '00280103', 'US', [0]);
        set(d.dict, '00281052', 'DS', [-2048]);
        delete d.dict['00280120'];
      }),
    }));
    const ref = loadSeriesFromBuffers(three()).volume;
    const v = loadSeriesFromBuffers(files).volume;
    let same = 0;
    for (let i = 0; i < v.hu.length; i++) if (v.hu[i] === Math.min(3071, Math.max(-1024, ref.hu[i] + 1024)) - 2048 + 1024) same++;
    expect(same).toBe(v.hu.length);
  });
});

describe('inputs that load', () => {
  test('a copy of an instance is skipped', () => {
    const files = [...three(), { name: 'copy.dcm', data: readSlice(61) }];
    const { volume, skipped } = loadSeriesFromBuffers(files);
    expect(volume.slices).toBe(3);
    expect(skipped).toBe(1);
  });

  test('buffers at odd byte offsets (as cut from a multipart body) read the same', () => {
    const odd = three().map((f) => {
      const body = new Uint8Array(f.data.length + 1);
      body.set(f.data, 1);
      return { name: f.name, data: body.subarray(1) };
    });
    expect(odd[0].data.byteOffset % 2).toBe(1);
    const a = loadSeriesFromBuffers(three()).volume;
    const b = loadSeriesFromBuffers(odd).volume;
    expect(Buffer.from(b.hu.buffer).equals(Buffer.from(a.hu.buffer))).toBe(true);
  });

  test('character sets dcmjs refuses (ISO 2022 code extensions) still load', () => {
    const files = three().map((f) => ({
      name: f.name,
      data: rewrite(f.data, (d) => set(d.dict, '00080005', 'CS', ['ISO 2022 IR 6', 'ISO 2022 IR 87'])),
    }));
    const a = loadSeriesFromBuffers(three()).volume;
    const b = loadSeriesFromBuffers(files).volume;
    expect(b.sopInstanceUIDs).toEqual(a.sopInstanceUIDs);
    expect(b.sliceSpacing).toBe(a.sliceSpacing);
  });

  test('only CT is floored at -1024 HU: another modality keeps the rescaled values', () => {
    const ct = loadSeriesFromBuffers(three()).volume;
    const other = loadSeriesFromBuffers(three().map((f) => ({ name: f.name, data: rewrite(f.data, (d) => set(d.dict, '00080060', 'CS', ['PT'])) }))).volume;
    const min = (xs: Float32Array): number => xs.reduce((a, b) => Math.min(a, b), Infinity);
    expect(min(ct.hu)).toBe(-1024);
    expect(min(other.hu)).toBe(-2048); // the stored corners: -1024 - 1024
  });

  test('a UN-encoded sequence (implicit VR content, undefined length) in the header is passed over', () => {
    const files = three().map((f) => {
      const at = pixelValueOffset(f.data) - 12; // the PixelData element's tag
      // (0088,0200) IconImageSequence as UN: one undefined-length item holding an implicit VR element.
      const implicitItem = [0x08, 0x00, 0x50, 0x11, 4, 0, 0, 0, 0x31, 0x2e, 0x32, 0x00];
      const un = new Uint8Array([
        0x88, 0x00, 0x00, 0x02, 0x55, 0x4e, 0, 0, 0xff, 0xff, 0xff, 0xff,
        0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff, ...implicitItem, 0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0,
        0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0,
      ]);
      const out = new Uint8Array(f.data.length + un.length);
      out.set(f.data.subarray(0, at));
      out.set(un, at);
      out.set(f.data.subarray(at), at + un.length);
      return { name: f.name, data: out };
    });
    const a = loadSeriesFromBuffers(three()).volume;
    const b = loadSeriesFromBuffers(files).volume;
    expect(b.sopInstanceUIDs).toEqual(a.sopInstanceUIDs);
    expect(Buffer.from(b.hu.buffer).equals(Buffer.from(a.hu.buffer))).toBe(true);
  });

  test('a DICOMDIR beside the images is skipped', () => {
    const dicomdir = rewrite(readSlice(61), (d) => {
      set(d.meta, '00020002', 'UI', ['1.2.840.10008.1.3.10']);
      set(d.dict, '00080016', 'UI', ['1.2.840.10008.1.3.10']);
      delete d.dict['7FE00010'];
    });
    const { volume, skipped } = loadSeriesFromBuffers([...three(), { name: 'DICOMDIR', data: dicomdir }]);
    expect(volume.slices).toBe(3);
    expect(skipped).toBe(1);
  });

  test('implicit VR little endian reads the same as explicit', () => {
    const implicit = three().map((f) => ({ name: f.name, data: rewrite(f.data, (d) => set(d.meta, '00020010', 'UI', ['1.2.840.10008.1.2'])) }));
    const a = loadSeriesFromBuffers(three()).volume;
    const b = loadSeriesFromBuffers(implicit).volume;
    expect(b.sopInstanceUIDs).toEqual(a.sopInstanceUIDs);
    expect(b.positions).toEqual(a.positions);
    expect(Buffer.from(b.hu.buffer).equals(Buffer.from(a.hu.buffer))).toBe(true);
  });

  test('explicit VR big endian (pixel words byte-swapped) reads the same as little endian', () => {
    const big = three().map((f) => ({
      name: f.name,
      data: rewrite(f.data, (d) => {
        set(d.meta, '00020010', 'UI', ['1.2.840.10008.1.2.2']);
        const u = new Uint8Array((d.dict['7FE00010'].Value as ArrayBuffer[])[0]);
        for (let i = 0; i < u.length; i += 2) [u[i], u[i + 1]] = [u[i + 1], u[i]];
      }),
    }));
    const a = loadSeriesFromBuffers(three()).volume;
    const b = loadSeriesFromBuffers(big).volume;
    expect(b.positions).toEqual(a.positions);
    expect(Buffer.from(b.hu.buffer).equals(Buffer.from(a.hu.buffer))).toBe(true);
  });

  test('rescale slope and intercept are applied per instance', () => {
    const ref = loadSeriesFromBuffers(three()).volume;
    // Same HU, stored differently: stored' = (stored - 24) / 2 needs slope 2, intercept -1024 + 24.
    const files = three().map((f) => ({
      name: f.name,
      data: rewrite(f.data, (d) => {
        const px = pixelsOf(d);
        for (let i = 0; i < px.length; i++) px[i] = Math.round((px[i] - 24) / 2);
        set(d.dict, '00281053', 'DS', [2]);
        set(d.dict, '00281052', 'DS', [-1000]);
        delete d.dict['00280120'];
      }),
    }));
    const v = loadSeriesFromBuffers(files).volume;
    let maxErr = 0;
    for (let i = 0; i < v.hu.length; i += 97) maxErr = Math.max(maxErr, Math.abs(v.hu[i] - ref.hu[i]));
    expect(maxErr).toBeLessThanOrEqual(1);
  });

  test('a folder with more bytes than the limit is refused before reading it all', async () => {
    const { SAMPLE_DICOM_DIR } = await import('../../../server/series/sample');
    const err = await loadSeriesFromDir(SAMPLE_DICOM_DIR, { maxBytes: 4 * 1024 * 1024 }).catch((e: unknown) => e);
    expectSeriesError(err, SeriesTooLargeError, 'SERIES_TOO_LARGE', 413);
  });

  test('a folder with more files than the limit is refused before reading them', async () => {
    const { SAMPLE_DICOM_DIR } = await import('../../../server/series/sample');
    const err = await loadSeriesFromDir(SAMPLE_DICOM_DIR, { maxFiles: 100 }).catch((e: unknown) => e);
    expect(expectSeriesError(err, SeriesTooLargeError, 'SERIES_TOO_LARGE', 413).message).toMatch(/100 files/);
  });

  test('too many voxels for the limit is refused before decoding pixels', () => {
    const e = expectSeriesError(
      caught(() => loadSeriesFromBuffers(three(), { maxVoxels: 2 * 512 * 512 })),
      SeriesTooLargeError,
      'SERIES_TOO_LARGE',
      413,
    );
    expect(e.message).toMatch(/limit/);
  });
});
