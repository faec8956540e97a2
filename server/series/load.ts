/**
 * Load one series into a Volume, from a folder (recursive) or from in-memory buffers.
 * Files that are not DICOM, DICOMDIRs, repeated copies of an instance and non-image objects
 * beside the images are skipped and counted; anything else wrong rejects the whole load with a
 * SeriesError, and nothing else escapes.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { assembleVolume, DEFAULT_MAX_VOXELS, type AssembleOptions } from './assemble';
import { DEFAULT_MAX_FRAMES, decodeInstance, newDecodeBudget, type DecodeBudget, type DecodedFrame, type DecodedInstance } from './decode';
import {
  EmptySeriesError,
  MalformedDicomError,
  NonImageSopClassError,
  NotDicomError,
  SeriesError,
  SeriesNotFoundError,
  SeriesReadError,
  SeriesTooLargeError,
} from './errors';
import { printableUid } from './transfer-syntax';
import type { Volume } from './volume';

export interface LoadOptions extends AssembleOptions {
  /** Refuse series with more frames (slices) than this, counted from the headers before any pixel is read. */
  maxFrames?: number;
  /** Refuse folders whose files add up to more bytes than this; default 4 bytes per allowed voxel. */
  maxBytes?: number;
  /** Refuse folders holding more files than this (default 100 000), before reading any. */
  maxFiles?: number;
  /** Files read at once from a folder. */
  concurrency?: number;
}

/** Why a file given to the loader is not part of the volume. */
export type SkipReason = 'not_dicom' | 'directory' | 'non_image' | 'duplicate_instance';

export interface LoadResult {
  volume: Volume;
  /** Files not part of the volume: not DICOM, DICOMDIR, repeated instances, non-image objects. */
  skipped: number;
  /** `skipped` by reason (only reasons that occurred). */
  skippedReasons: Partial<Record<SkipReason, number>>;
}

export interface NamedBuffer {
  name: string;
  data: Uint8Array;
}

/**
 * A file a decoding worker reads itself (a folder's), with the image size its header declares when the
 * folder's index knows it: the event loop never holds its bytes.
 */
export interface NamedPath {
  name: string;
  path: string;
  image?: { rows: number; columns: number; frames: number };
}

export function budgetOf(options: LoadOptions): DecodeBudget {
  return newDecodeBudget(options.maxFrames ?? DEFAULT_MAX_FRAMES, options.maxVoxels ?? DEFAULT_MAX_VOXELS);
}

export function loadSeriesFromBuffers(files: readonly NamedBuffer[], options: LoadOptions = {}): LoadResult {
  try {
    const budget = budgetOf(options);
    const decoded = files.map((f) => decodeOrSkip(f.data, f.name, budget));
    return combine(
      files.map((f) => f.name),
      decoded,
      options,
    );
  } catch (err) {
    throw asSeriesError(err);
  }
}

export async function loadSeriesFromDir(dir: string, options: LoadOptions = {}): Promise<LoadResult> {
  try {
    const paths = await listFiles(dir, options.maxFiles ?? 100_000);
    const names = paths.map((p) => path.relative(dir, p) || path.basename(p));
    const maxBytes = options.maxBytes ?? 4 * (options.maxVoxels ?? DEFAULT_MAX_VOXELS);
    let total = 0;
    // Read everything first, then decode: decoding between reads measured slower (more CPU) here.
    const datas = await mapLimited(paths, options.concurrency ?? 16, (p) =>
      readWhole(p, (size) => {
        total += size;
        if (total > maxBytes) {
          throw new SeriesTooLargeError(`Series too large: the folder holds more than the limit of ${maxBytes} bytes.`);
        }
      }),
    );
    const budget = budgetOf(options);
    const decoded = datas.map((data, i) => decodeOrSkip(data, names[i], budget));
    return combine(names, decoded, options);
  } catch (err) {
    throw asSeriesError(err);
  }
}

type Decoded = DecodedInstance | { kind: 'not-dicom' };

export function decodeOrSkip(data: Uint8Array, name: string, budget: DecodeBudget): Decoded {
  try {
    return decodeInstance(data, name, budget);
  } catch (err) {
    if (err instanceof NotDicomError) return { kind: 'not-dicom' };
    throw err;
  }
}

/** An instance as the loader sees it, whatever its frames carry (stored pixels, or HU decoded elsewhere). */
export type DecodedOrSkipped<F> =
  | { kind: 'image'; sopInstanceUID: string; frames: F[] }
  | { kind: 'directory' }
  | { kind: 'non-image'; sopClassUID: string }
  | { kind: 'not-dicom' };

export interface CollectedFrames<F> {
  frames: F[];
  skipped: number;
  skippedReasons: Partial<Record<SkipReason, number>>;
}

/**
 * Decoded files, in name order → the frames of the volume: repeated instances and non-image objects
 * skipped and counted; nothing to image at all is an error that says why.
 */
export function collectFrames<F>(names: readonly string[], decoded: ReadonlyArray<DecodedOrSkipped<F>>): CollectedFrames<F> {
  if (decoded.length === 0) throw new EmptySeriesError('Empty series: there are no files to load.');
  let skipped = 0;
  let notDicom = 0;
  const reasons: Partial<Record<SkipReason, number>> = {};
  const skip = (reason: SkipReason): void => {
    skipped++;
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  };
  let firstNonImage: NonImageSopClassError | undefined;
  const seen = new Set<string>();
  const frames: F[] = [];
  decoded.forEach((d, i) => {
    if (d.kind === 'image') {
      if (seen.has(d.sopInstanceUID)) {
        skip('duplicate_instance');
        return;
      }
      seen.add(d.sopInstanceUID);
      for (const f of d.frames) frames.push(f);
      return;
    }
    skip(d.kind === 'not-dicom' ? 'not_dicom' : d.kind === 'directory' ? 'directory' : 'non_image');
    if (d.kind === 'not-dicom') notDicom++;
    if (d.kind === 'non-image' && !firstNonImage) {
      firstNonImage = new NonImageSopClassError(
        `Not an image: SOP class ${printableUid(d.sopClassUID)} holds no image to load.`,
        d.sopClassUID,
        names[i],
      );
    }
  });
  if (frames.length === 0) {
    if (firstNonImage) throw firstNonImage;
    if (notDicom === decoded.length) {
      throw new NotDicomError(
        decoded.length === 1 ? 'Not a DICOM file.' : `Not DICOM: none of the ${decoded.length} files is a DICOM file.`,
        decoded.length === 1 ? names[0] : undefined,
      );
    }
    throw new EmptySeriesError('Empty series: no image instances among the files.');
  }
  return { frames, skipped, skippedReasons: reasons };
}

function combine(names: readonly string[], decoded: readonly Decoded[], options: LoadOptions): LoadResult {
  const { frames, skipped, skippedReasons } = collectFrames<DecodedFrame>(names, decoded);
  return { volume: assembleVolume(frames, options), skipped, skippedReasons };
}

/**
 * Reads a whole file with one buffer of its own (offset 0, so 16-bit views need no copy) and as few
 * reads as the kernel allows; `onSize` may refuse the size before anything is allocated.
 */
async function readWhole(p: string, onSize: (size: number) => void): Promise<Uint8Array> {
  const fh = await fs.open(p, 'r');
  try {
    const { size } = await fh.stat();
    onSize(size);
    const buf: Uint8Array = Buffer.allocUnsafeSlow(size); // own ArrayBuffer at offset 0, not zero-filled
    let off = 0;
    while (off < size) {
      const { bytesRead } = await fh.read(buf, off, size - off, off);
      if (bytesRead === 0) break; // the file shrank while reading: decode what is there
      off += bytesRead;
    }
    return off === size ? buf : buf.subarray(0, off);
  } finally {
    await fh.close();
  }
}

/** Every regular file under `dir`, sorted; symbolic links to files are followed, to folders not (no cycles). */
async function listFiles(dir: string, maxFiles: number): Promise<string[]> {
  let stat;
  try {
    stat = await fs.stat(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new SeriesNotFoundError('Series folder not found.');
    throw err;
  }
  if (!stat.isDirectory()) throw new SeriesNotFoundError('Series folder not found: the path is not a folder.');
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await fs.readdir(d, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
      else if (e.isSymbolicLink()) {
        const s = await fs.stat(p).catch(() => undefined);
        if (s?.isFile()) out.push(p);
      }
      if (out.length > maxFiles) throw new SeriesTooLargeError(`Series too large: the folder holds more than ${maxFiles} files.`);
    }
  };
  await walk(dir);
  return out;
}

async function mapLimited<T, R>(inputs: readonly T[], limit: number, fn: (x: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(inputs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < inputs.length) {
      const i = next++;
      out[i] = await fn(inputs[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, inputs.length)) }, worker));
  return out;
}

/** Only SeriesErrors leave the loader: file-system failures and anything unexpected are wrapped. */
export function asSeriesError(err: unknown): SeriesError {
  if (err instanceof SeriesError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return new SeriesReadError(`Could not read the series files (${code}).`);
  if (err instanceof RangeError) return new SeriesTooLargeError('Series too large: out of memory while loading.');
  return new MalformedDicomError('Malformed DICOM: the series could not be decoded.');
}
