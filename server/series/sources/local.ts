/**
 * A series from an indexed folder (embedded mode, or `--dicom-dir`): the index names the files, this
 * reads them, keeping only the SOP instances asked for when a list is given.
 */
import { readFile } from 'node:fs/promises';
import type { FolderIndex } from '../../dicomweb/folder-index';
import type { SeriesFile } from './dicomweb';
import { SourceError } from './errors';

export interface LocalSeriesRequest {
  seriesInstanceUID: string;
  /** When given, the series must belong to this study (a DICOMweb URL names both). */
  studyInstanceUID?: string;
  sopInstanceUIDs?: readonly string[];
  onProgress?: (done: number, total: number) => void;
  /** Each file as soon as it is read (the list returned is then empty). */
  onFile?: (file: SeriesFile) => void;
}

export async function readLocalSeries(index: FolderIndex, req: LocalSeriesRequest): Promise<SeriesFile[]> {
  const series = index.series(req.seriesInstanceUID);
  if (!series || (req.studyInstanceUID !== undefined && series.studyInstanceUID !== req.studyInstanceUID)) {
    throw new SourceError(404, 'series_not_found', 'this series is not in the local folder');
  }
  let instances = series.instances;
  if (req.sopInstanceUIDs) {
    const bySop = new Map(instances.map((i) => [i.sopInstanceUID, i]));
    const wanted = [...new Set(req.sopInstanceUIDs)];
    const missing = wanted.filter((s) => !bySop.has(s)).length;
    if (missing > 0) {
      throw new SourceError(404, 'instances_not_found', `${missing} of the requested instances are not in the local folder`);
    }
    instances = wanted.map((s) => bySop.get(s)!);
  }
  const total = instances.length;
  let done = 0;
  req.onProgress?.(0, total);
  const out: SeriesFile[] = new Array(total);
  let next = 0;
  // A few reads in flight: enough to hide disk latency without a burst of open files.
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      let file: SeriesFile;
      try {
        file = { name: `${instances[i].sopInstanceUID}.dcm`, data: instances[i].data ?? (await readFile(instances[i].path)) };
      } catch {
        throw new SourceError(500, 'local_read_failed', 'a file of the local series could not be read');
      }
      if (req.onFile) req.onFile(file);
      else out[i] = file;
      req.onProgress?.(++done, total);
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, total) }, worker));
  return req.onFile ? [] : out;
}
