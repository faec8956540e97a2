/**
 * Index a folder of DICOM files (recursively) into studies → series → instances, reading only each
 * file's header. The embedded DICOMweb answers QIDO/metadata from this index, and the service
 * resolves a series on the embedded root to its files through `seriesFiles`.
 */
import { open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DicomJsonDataset, hasDicomMagic, numberTag, parseHeader, stringTag } from './dicom-file';

export interface InstanceEntry {
  readonly path: string;
  readonly sopInstanceUID: string;
  readonly sopClassUID: string;
  readonly instanceNumber?: number;
  readonly transferSyntaxUID: string;
  readonly numberOfFrames: number;
  readonly rows?: number;
  readonly columns?: number;
  /** The header as DICOM JSON, without PixelData or other bulk data. */
  readonly metadata: DicomJsonDataset;
}

export interface SeriesEntry {
  readonly studyInstanceUID: string;
  readonly seriesInstanceUID: string;
  readonly modality: string;
  readonly seriesNumber?: number;
  readonly seriesDescription?: string;
  readonly seriesDate?: string;
  readonly seriesTime?: string;
  /** Sorted by InstanceNumber, then file path. */
  readonly instances: InstanceEntry[];
}

export interface StudyEntry {
  readonly studyInstanceUID: string;
  readonly patientName?: string;
  readonly patientID?: string;
  readonly patientBirthDate?: string;
  readonly patientSex?: string;
  readonly studyDate?: string;
  readonly studyTime?: string;
  readonly studyDescription?: string;
  readonly studyID?: string;
  readonly accessionNumber?: string;
  readonly referringPhysicianName?: string;
  readonly series: SeriesEntry[];
}

export interface FolderIndex {
  readonly root: string;
  readonly studies: StudyEntry[];
  /** Files that were not readable DICOM (or had no study/series/SOP UID). */
  readonly skipped: number;
  study(studyInstanceUID: string): StudyEntry | undefined;
  series(seriesInstanceUID: string): SeriesEntry | undefined;
  instance(sopInstanceUID: string): InstanceEntry | undefined;
  /** File paths of a series in instance order; [] for an unknown series. */
  seriesFiles(seriesInstanceUID: string): string[];
}

/** Header bytes read first; files whose header is longer are read whole. */
const HEADER_PREFIX_BYTES = 64 * 1024;
const PARALLEL_READS = 16;

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  await walk(dir);
  return out.sort();
}

async function readPrefix(file: string, bytes: number): Promise<{ data: Uint8Array; whole: boolean }> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const n = Math.min(size, bytes);
    const data = new Uint8Array(n);
    await fh.read(data, 0, n, 0);
    return { data, whole: n === size };
  } finally {
    await fh.close();
  }
}

/** Read one file's header, or undefined when it is not a DICOM instance we can index. */
export async function readInstance(file: string): Promise<InstanceEntry | undefined> {
  try {
    let { data, whole } = await readPrefix(file, HEADER_PREFIX_BYTES);
    if (!hasDicomMagic(data)) return undefined;
    let parsed;
    try {
      parsed = parseHeader(data);
    } catch (err) {
      if (whole) throw err;
      parsed = undefined;
    }
    if (!whole && !parsed?.reachedPixelData) {
      data = await readFile(file);
      whole = true;
      parsed = parseHeader(data);
    }
    if (!parsed) return undefined;
    const ds = parsed.dataset;
    const sop = stringTag(ds, '00080018');
    const study = stringTag(ds, '0020000D');
    const series = stringTag(ds, '0020000E');
    if (!sop || !study || !series) return undefined;
    return {
      path: file,
      sopInstanceUID: sop,
      sopClassUID: stringTag(ds, '00080016') ?? '',
      instanceNumber: numberTag(ds, '00200013'),
      transferSyntaxUID: parsed.transferSyntaxUID,
      numberOfFrames: numberTag(ds, '00280008') ?? 1,
      rows: numberTag(ds, '00280010'),
      columns: numberTag(ds, '00280011'),
      metadata: ds,
    };
  } catch {
    // Unreadable or malformed: not part of the index (counted as skipped).
    return undefined;
  }
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function byInstanceOrder(a: InstanceEntry, b: InstanceEntry): number {
  const ia = a.instanceNumber ?? Number.MAX_SAFE_INTEGER;
  const ib = b.instanceNumber ?? Number.MAX_SAFE_INTEGER;
  return ia !== ib ? ia - ib : a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/** Build the index from already-read instances (pure; exported for tests). */
export function buildIndex(root: string, instances: InstanceEntry[], skipped: number): FolderIndex {
  const studies = new Map<string, { entry: StudyEntry; series: Map<string, SeriesEntry> }>();
  const bySop = new Map<string, InstanceEntry>();
  for (const inst of instances) {
    if (bySop.has(inst.sopInstanceUID)) {
      skipped++; // the same instance twice: keep the first copy
      continue;
    }
    bySop.set(inst.sopInstanceUID, inst);
    const ds = inst.metadata;
    const studyUID = stringTag(ds, '0020000D')!;
    const seriesUID = stringTag(ds, '0020000E')!;
    let study = studies.get(studyUID);
    if (!study) {
      study = {
        entry: {
          studyInstanceUID: studyUID,
          patientName: stringTag(ds, '00100010'),
          patientID: stringTag(ds, '00100020'),
          patientBirthDate: stringTag(ds, '00100030'),
          patientSex: stringTag(ds, '00100040'),
          studyDate: stringTag(ds, '00080020'),
          studyTime: stringTag(ds, '00080030'),
          studyDescription: stringTag(ds, '00081030'),
          studyID: stringTag(ds, '00200010'),
          accessionNumber: stringTag(ds, '00080050'),
          referringPhysicianName: stringTag(ds, '00080090'),
          series: [],
        },
        series: new Map(),
      };
      studies.set(studyUID, study);
    }
    let series = study.series.get(seriesUID);
    if (!series) {
      series = {
        studyInstanceUID: studyUID,
        seriesInstanceUID: seriesUID,
        modality: stringTag(ds, '00080060') ?? '',
        seriesNumber: numberTag(ds, '00200011'),
        seriesDescription: stringTag(ds, '0008103E'),
        seriesDate: stringTag(ds, '00080021'),
        seriesTime: stringTag(ds, '00080031'),
        instances: [],
      };
      study.series.set(seriesUID, series);
      study.entry.series.push(series);
    }
    series.instances.push(inst);
  }
  const seriesByUID = new Map<string, SeriesEntry>();
  for (const { entry } of studies.values()) {
    for (const s of entry.series) {
      s.instances.sort(byInstanceOrder);
      seriesByUID.set(s.seriesInstanceUID, s);
    }
    entry.series.sort((a, b) => (a.seriesNumber ?? 0) - (b.seriesNumber ?? 0));
  }
  return {
    root,
    studies: [...studies.values()].map((s) => s.entry),
    skipped,
    study: (uid) => studies.get(uid)?.entry,
    series: (uid) => seriesByUID.get(uid),
    instance: (uid) => bySop.get(uid),
    seriesFiles: (uid) => seriesByUID.get(uid)?.instances.map((i) => i.path) ?? [],
  };
}

/** Index every DICOM file under `dir` (recursively); other files are skipped and counted. */
export async function indexFolder(dir: string): Promise<FolderIndex> {
  const root = path.resolve(dir);
  const files = await listFiles(root);
  const read = await mapLimit(files, PARALLEL_READS, readInstance);
  const instances = read.filter((r): r is InstanceEntry => r !== undefined);
  return buildIndex(root, instances, files.length - instances.length);
}
