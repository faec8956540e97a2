/**
 * Index a folder of DICOM files (recursively) into studies → series → instances, reading only each
 * file's header. The embedded DICOMweb answers QIDO/metadata from this index, and the service
 * resolves a series on the embedded root to its files through `seriesFiles`.
 */
import { open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { isValidUid } from '../series/decode';
import { NotDicomError } from '../series/errors';
import { hasDicomMagic, scanPart10 } from '../series/part10';
import { DicomJsonDataset, numberTag, parseHeader, stringTag } from './dicom-file';

export interface InstanceEntry {
  /** The file; for an instance stored in memory (see `add`), a name for it. */
  readonly path: string;
  /** The whole Part 10 file, for instances stored in memory rather than read from the folder. */
  readonly data?: Uint8Array;
  readonly studyInstanceUID: string;
  readonly seriesInstanceUID: string;
  readonly sopInstanceUID: string;
  readonly sopClassUID: string;
  readonly instanceNumber?: number;
  readonly transferSyntaxUID: string;
  readonly numberOfFrames: number;
  readonly rows?: number;
  readonly columns?: number;
  /**
   * The header as DICOM JSON text, without PixelData or other bulk data (`metadataOf` parses it). Text,
   * not objects: a folder's thousands of headers held as objects were most of what every garbage
   * collection of the event loop had to mark (24 kB of objects per CT instance against a string of a
   * few kB, which the collector does not walk), and WADO-RS metadata sends the text as it is.
   */
  readonly metadataJson: string;
}

/** The instance's header as DICOM JSON. */
export function metadataOf(inst: InstanceEntry): DicomJsonDataset {
  return JSON.parse(inst.metadataJson) as DicomJsonDataset;
}

/** Why a file under the folder is not an indexed instance. */
export type IndexSkipReason =
  | 'not_dicom'
  | 'unreadable'
  | 'deflated'
  | 'pixel_data_truncated'
  | 'pixel_data_length_mismatch'
  | 'invalid_uid'
  | 'no_uids'
  | 'duplicate_instance';

/** A file whose header names a series but that cannot be part of it: listed on that series. */
export interface UnreadableInstance {
  readonly path: string;
  readonly sopInstanceUID?: string;
  readonly reason: IndexSkipReason;
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
  /** Files of this series left out (truncated, malformed, a repeated instance): a load reports them as skipped. */
  readonly unreadable: UnreadableInstance[];
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
  /** `skipped` by reason. */
  readonly skippedReasons: Partial<Record<IndexSkipReason, number>>;
  study(studyInstanceUID: string): StudyEntry | undefined;
  series(seriesInstanceUID: string): SeriesEntry | undefined;
  instance(sopInstanceUID: string): InstanceEntry | undefined;
  /** File paths of a series in instance order; [] for an unknown series. */
  seriesFiles(seriesInstanceUID: string): string[];
  /**
   * Adds an instance held in memory (a document this server wrote, e.g. a report): QIDO and WADO
   * answer it from then on, until the process ends. A SOP Instance UID already indexed is refused.
   */
  add(entry: InstanceEntry): void;
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

async function readPrefix(file: string, bytes: number): Promise<{ data: Uint8Array; whole: boolean; size: number }> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const n = Math.min(size, bytes);
    const data = new Uint8Array(n);
    await fh.read(data, 0, n, 0);
    return { data, whole: n === size, size };
  } finally {
    await fh.close();
  }
}

export type IndexRead =
  | { kind: 'instance'; entry: InstanceEntry }
  | { kind: 'skipped'; path: string; reason: IndexSkipReason; studyInstanceUID?: string; seriesInstanceUID?: string; sopInstanceUID?: string };

const DEFLATED = '1.2.840.10008.1.2.1.99';

/** Pixel data length the header describes (native, 8 or 16 bits), or undefined when it cannot say. */
function describedPixelBytes(ds: DicomJsonDataset): number | undefined {
  const rows = numberTag(ds, '00280010');
  const columns = numberTag(ds, '00280011');
  const bits = numberTag(ds, '00280100');
  const samples = numberTag(ds, '00280002') ?? 1;
  const frames = numberTag(ds, '00280008') ?? 1;
  if (rows === undefined || columns === undefined || (bits !== 8 && bits !== 16)) return undefined;
  return rows * columns * samples * frames * (bits / 8);
}

/**
 * Read one file's header. The structure is walked first (server/series/part10: every length inside
 * the file, sequences at most 32 deep, no deflated data sets): dcmjs only ever sees a header that
 * walk has checked, so a hostile file costs microseconds, not a minute and hundreds of MB.
 */
export async function readIndexEntry(file: string): Promise<IndexRead> {
  const skipped = (reason: IndexSkipReason, ds?: DicomJsonDataset): IndexRead => ({
    kind: 'skipped',
    path: file,
    reason,
    studyInstanceUID: ds && stringTag(ds, '0020000D'),
    seriesInstanceUID: ds && stringTag(ds, '0020000E'),
    sopInstanceUID: ds && stringTag(ds, '00080018'),
  });
  try {
    let { data, whole, size } = await readPrefix(file, HEADER_PREFIX_BYTES);
    if (!hasDicomMagic(data)) return skipped('not_dicom');
    let layout = scanPart10(data, { prefix: true, salvage: true });
    if (layout.broken && !whole) {
      // The header is longer than the prefix: walk the whole file.
      data = await readFile(file);
      whole = true;
      size = data.length;
      layout = scanPart10(data, { prefix: true, salvage: true });
    }
    if (layout.transferSyntaxUID === DEFLATED) return skipped('deflated'); // never inflated: a deflate bomb stays 200 KB
    let ds: DicomJsonDataset;
    let transferSyntaxUID: string;
    try {
      ({ dataset: ds, transferSyntaxUID } = parseHeader(data.subarray(0, layout.headerEnd)));
    } catch {
      return skipped('unreadable');
    }
    const sop = stringTag(ds, '00080018');
    const study = stringTag(ds, '0020000D');
    const series = stringTag(ds, '0020000E');
    if (!sop || !study || !series) return skipped(layout.broken ? 'unreadable' : 'no_uids', ds);
    if (![sop, study, series].every(isValidUid)) return skipped('invalid_uid');
    if (layout.broken) return skipped('unreadable', ds);
    const px = layout.pixelData;
    if (px && !px.encapsulated) {
      if (px.valueOffset + px.length > size) return skipped('pixel_data_truncated', ds);
      const needed = describedPixelBytes(ds);
      if (needed !== undefined && px.length !== needed && !(needed % 2 === 1 && px.length === needed + 1)) {
        return skipped('pixel_data_length_mismatch', ds);
      }
    }
    return {
      kind: 'instance',
      entry: {
        path: file,
        studyInstanceUID: study,
        seriesInstanceUID: series,
        sopInstanceUID: sop,
        sopClassUID: stringTag(ds, '00080016') ?? '',
        instanceNumber: numberTag(ds, '00200013'),
        transferSyntaxUID,
        numberOfFrames: numberTag(ds, '00280008') ?? 1,
        rows: numberTag(ds, '00280010'),
        columns: numberTag(ds, '00280011'),
        metadataJson: JSON.stringify(ds),
      },
    };
  } catch (err) {
    if (err instanceof NotDicomError) return skipped('not_dicom');
    // Unreadable or malformed: not part of the index (counted as skipped).
    return skipped('unreadable');
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

/** Build the index from already-read files (pure; exported for tests). */
export function buildIndex(root: string, reads: IndexRead[]): FolderIndex {
  const studies = new Map<string, { entry: StudyEntry; series: Map<string, SeriesEntry> }>();
  const bySop = new Map<string, InstanceEntry>();
  let skipped = 0;
  const skippedReasons: Partial<Record<IndexSkipReason, number>> = {};
  // Files that name a series but cannot be part of it, by series: reported when it is loaded.
  const unreadable = new Map<string, UnreadableInstance[]>();
  const skip = (path: string, reason: IndexSkipReason, seriesUID?: string, sopInstanceUID?: string): void => {
    skipped++;
    skippedReasons[reason] = (skippedReasons[reason] ?? 0) + 1;
    if (seriesUID === undefined) return;
    const list = unreadable.get(seriesUID) ?? [];
    list.push({ path, sopInstanceUID, reason });
    unreadable.set(seriesUID, list);
  };
  /** Puts an instance under its study and series; returns its series. */
  const insert = (inst: InstanceEntry): SeriesEntry => {
    bySop.set(inst.sopInstanceUID, inst);
    const studyUID = inst.studyInstanceUID;
    const seriesUID = inst.seriesInstanceUID;
    let study = studies.get(studyUID);
    let series = study?.series.get(seriesUID);
    if (!series) {
      // The first instance of a study or series gives its attributes.
      const ds = metadataOf(inst);
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
      series = {
        studyInstanceUID: studyUID,
        seriesInstanceUID: seriesUID,
        modality: stringTag(ds, '00080060') ?? '',
        seriesNumber: numberTag(ds, '00200011'),
        seriesDescription: stringTag(ds, '0008103E'),
        seriesDate: stringTag(ds, '00080021'),
        seriesTime: stringTag(ds, '00080031'),
        instances: [],
        unreadable: [],
      };
      study.series.set(seriesUID, series);
      study.entry.series.push(series);
    }
    series.instances.push(inst);
    return series;
  };
  for (const r of reads) {
    if (r.kind === 'skipped') {
      skip(r.path, r.reason, r.seriesInstanceUID, r.sopInstanceUID);
      continue;
    }
    const inst = r.entry;
    if (bySop.has(inst.sopInstanceUID)) {
      // The same instance twice: keep the first copy.
      skip(inst.path, 'duplicate_instance', inst.seriesInstanceUID, inst.sopInstanceUID);
      continue;
    }
    insert(inst);
  }
  const seriesByUID = new Map<string, SeriesEntry>();
  for (const { entry } of studies.values()) {
    for (const s of entry.series) {
      s.instances.sort(byInstanceOrder);
      s.unreadable.push(...(unreadable.get(s.seriesInstanceUID) ?? []));
      seriesByUID.set(s.seriesInstanceUID, s);
    }
    entry.series.sort((a, b) => (a.seriesNumber ?? 0) - (b.seriesNumber ?? 0));
  }
  return {
    root,
    get studies() {
      return [...studies.values()].map((s) => s.entry);
    },
    skipped,
    skippedReasons,
    study: (uid) => studies.get(uid)?.entry,
    series: (uid) => seriesByUID.get(uid),
    instance: (uid) => bySop.get(uid),
    seriesFiles: (uid) => seriesByUID.get(uid)?.instances.map((i) => i.path) ?? [],
    add(inst) {
      if (bySop.has(inst.sopInstanceUID)) throw new Error('an instance with this SOP Instance UID is already indexed');
      const series = insert(inst);
      series.instances.sort(byInstanceOrder);
      seriesByUID.set(series.seriesInstanceUID, series);
      const study = studies.get(series.studyInstanceUID)?.entry;
      study?.series.sort((a, b) => (a.seriesNumber ?? 0) - (b.seriesNumber ?? 0));
    },
  };
}

/**
 * The index entry of a Part 10 file held in memory (a document this server wrote; it has no pixel
 * data). `metadata`, its DICOM JSON when the writer has it, is taken as is: parsing the file again
 * with dcmjs would decode text inside sequences as Latin-1 whatever its character set.
 */
export function memoryEntry(data: Uint8Array, name: string, metadata?: DicomJsonDataset): InstanceEntry {
  const parsed = metadata ? undefined : parseHeader(data);
  const ds = metadata ?? parsed!.dataset;
  const transferSyntaxUID = parsed?.transferSyntaxUID ?? '1.2.840.10008.1.2.1';
  const sop = stringTag(ds, '00080018');
  const study = stringTag(ds, '0020000D');
  const series = stringTag(ds, '0020000E');
  if (!sop || !study || !series || ![sop, study, series].every(isValidUid)) throw new Error('the document has no valid study, series and SOP Instance UIDs');
  return {
    path: name,
    data,
    studyInstanceUID: study,
    seriesInstanceUID: series,
    sopInstanceUID: sop,
    sopClassUID: stringTag(ds, '00080016') ?? '',
    instanceNumber: numberTag(ds, '00200013'),
    transferSyntaxUID,
    numberOfFrames: 1,
    metadataJson: JSON.stringify(ds),
  };
}

/** Index every DICOM file under `dir` (recursively); other files are skipped and counted. */
export async function indexFolder(dir: string): Promise<FolderIndex> {
  const root = path.resolve(dir);
  const files = await listFiles(root);
  return buildIndex(root, await mapLimit(files, PARALLEL_READS, readIndexEntry));
}
