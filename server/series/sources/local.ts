/**
 * A series from an indexed folder (embedded mode, or `--dicom-dir`): the index names the files, keeping
 * only the SOP instances asked for when a list is given. The files are not read here but by the
 * decoding workers (NamedPath): a CT series is some 70 MB of files, whose buffers on the event loop
 * counted as its external memory and set off a full collection of its heap every few files.
 */
import type { FolderIndex } from '../../dicomweb/folder-index';
import type { NamedBuffer, NamedPath } from '../load';
import { SourceError } from './errors';

export interface LocalSeriesRequest {
  seriesInstanceUID: string;
  /** When given, the series must belong to this study (a DICOMweb URL names both). */
  studyInstanceUID?: string;
  sopInstanceUIDs?: readonly string[];
}

/** The files of the series: by path, or the bytes of instances held in memory (documents this server wrote). */
export function localSeriesFiles(index: FolderIndex, req: LocalSeriesRequest): Array<NamedBuffer | NamedPath> {
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
  return instances.map((i) => {
    const name = `${i.sopInstanceUID}.dcm`;
    if (i.data) return { name, data: i.data };
    const image = i.rows && i.columns ? { rows: i.rows, columns: i.columns, frames: i.numberOfFrames } : undefined;
    return { name, path: i.path, image };
  });
}
