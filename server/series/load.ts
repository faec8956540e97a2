/**
 * Load one series into a Volume, from a folder (recursive) or from in-memory buffers.
 * Files that are not DICOM, DICOMDIRs, repeated copies of an instance and non-image objects
 * beside the images are skipped and counted; anything else wrong rejects the whole load with a
 * SeriesError, and nothing else escapes.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { assembleVolume, DEFAULT_MAX_VOXELS, type AssembleOptions } from './assemble';
import { decodeInstance, type DecodedFrame } from './decode';
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
  /** Refuse folders whose files add up to more bytes than this; default 4 bytes per allowed voxel. */
  maxBytes?: number;
  /** Files read at once from a folder. */
  concurrency?: number;
}

export interface LoadResult {
  volume: Volume;
  /** Files not part of the volume: not DICOM, DICOMDIR, repeated instances, non-image objects. */
  skipped: number;
}

export interface NamedBuffer {
  name: string;
  data: Uint8Array;
}

export function loadSeriesFromBuffers(files: readonly NamedBuffer[], options: LoadOptions = {}): LoadResult {
  try {
    return load(files, options);
  } catch (err) {
    throw asSeriesError(err);
  }
}

export async function loadSeriesFromDir(dir: string, options: LoadOptions = {}): Promise<LoadResult> {
  try {
    const paths = await listFiles(dir);
    const sizes = await Promise.all(paths.map((p) => fs.stat(p).then((s) => s.size)));
    const total = sizes.reduce((a, b) => a + b, 0);
    const maxBytes = options.maxBytes ?? 4 * (options.maxVoxels ?? DEFAULT_MAX_VOXELS);
    if (total > maxBytes) {
      throw new SeriesTooLargeError(`Series too large: the folder holds ${total} bytes, more than the limit of ${maxBytes}.`);
    }
    const buffers = await mapLimited(paths, options.concurrency ?? 16, async (p) => ({
      name: path.relative(dir, p) || path.basename(p),
      data: (await fs.readFile(p)) as Uint8Array,
    }));
    return load(buffers, options);
  } catch (err) {
    throw asSeriesError(err);
  }
}

function load(files: readonly NamedBuffer[], options: LoadOptions): LoadResult {
  if (files.length === 0) throw new EmptySeriesError('Empty series: there are no files to load.');
  let skipped = 0;
  let notDicom = 0;
  let firstNonImage: NonImageSopClassError | undefined;
  const seen = new Set<string>();
  const frames: DecodedFrame[] = [];
  for (const { name, data } of files) {
    let decoded;
    try {
      decoded = decodeInstance(data, name);
    } catch (err) {
      if (err instanceof NotDicomError) {
        skipped++;
        notDicom++;
        continue;
      }
      throw err;
    }
    if (decoded.kind === 'image') {
      if (seen.has(decoded.sopInstanceUID)) {
        skipped++;
        continue;
      }
      seen.add(decoded.sopInstanceUID);
      for (const f of decoded.frames) frames.push(f);
    } else {
      skipped++;
      if (decoded.kind === 'non-image' && !firstNonImage) {
        firstNonImage = new NonImageSopClassError(
          `Not an image: SOP class ${printableUid(decoded.sopClassUID)} holds no image to load.`,
          decoded.sopClassUID,
          name,
        );
      }
    }
  }
  if (frames.length === 0) {
    if (firstNonImage) throw firstNonImage;
    if (notDicom === files.length) {
      throw new NotDicomError(
        files.length === 1 ? 'Not a DICOM file.' : `Not DICOM: none of the ${files.length} files is a DICOM file.`,
        files.length === 1 ? files[0].name : undefined,
      );
    }
    throw new EmptySeriesError('Empty series: no image instances among the files.');
  }
  return { volume: assembleVolume(frames, options), skipped };
}

/** Every regular file under `dir`, sorted; symbolic links to files are followed, to folders not (no cycles). */
async function listFiles(dir: string): Promise<string[]> {
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
    }
  };
  await walk(dir);
  return out;
}

async function mapLimited<T, R>(inputs: readonly T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(inputs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < inputs.length) {
      const i = next++;
      out[i] = await fn(inputs[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, inputs.length)) }, worker));
  return out;
}

/** Only SeriesErrors leave the loader: file-system failures and anything unexpected are wrapped. */
function asSeriesError(err: unknown): SeriesError {
  if (err instanceof SeriesError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return new SeriesReadError(`Could not read the series files (${code}).`);
  if (err instanceof RangeError) return new SeriesTooLargeError('Series too large: out of memory while loading.');
  return new MalformedDicomError('Malformed DICOM: the series could not be decoded.');
}
