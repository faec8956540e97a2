/**
 * The local (folder) source names the files of an indexed series (the decoding workers read them; the
 * event loop never holds a folder's bytes), only the instances asked for, with the image size the
 * index read from their headers; instances held in memory come with their bytes.
 */
import path from 'node:path';
import { indexFolder, memoryEntry } from '../../../server/dicomweb/folder-index';
import { localSeriesFiles } from '../../../server/series/sources/local';
import { readSlice } from './fixtures';

const DIR = path.resolve(__dirname, '../../../../shared/data/lidc-idri-0001/dicom');

test('names the files asked for, by path, with their image size; 404 for what the folder lacks', async () => {
  const index = await indexFolder(DIR);
  const [series] = index.studies[0].series;
  const want = series.instances.slice(3, 8).map((i) => i.sopInstanceUID);
  const files = localSeriesFiles(index, { seriesInstanceUID: series.seriesInstanceUID, sopInstanceUIDs: [...want, want[0]] });
  expect(files.map((f) => f.name)).toEqual(want.map((s) => `${s}.dcm`));
  for (const f of files) {
    expect('data' in f).toBe(false);
    expect(f).toMatchObject({ path: index.instance(f.name.replace(/\.dcm$/, ''))!.path, image: { rows: 512, columns: 512, frames: 1 } });
  }
  expect(localSeriesFiles(index, { seriesInstanceUID: series.seriesInstanceUID })).toHaveLength(series.instances.length);
  expect(() => localSeriesFiles(index, { seriesInstanceUID: '1.2.3' })).toThrow(expect.objectContaining({ httpStatus: 404, code: 'series_not_found' }));
  expect(() => localSeriesFiles(index, { seriesInstanceUID: series.seriesInstanceUID, sopInstanceUIDs: ['1.2.3'] })).toThrow(
    expect.objectContaining({ httpStatus: 404, code: 'instances_not_found' }),
  );
  expect(() => localSeriesFiles(index, { seriesInstanceUID: series.seriesInstanceUID, studyInstanceUID: '1.2.3' })).toThrow(expect.objectContaining({ httpStatus: 404 }));
});

test('an instance held in memory comes with its bytes', async () => {
  const index = await indexFolder(DIR);
  const data = readSlice(1);
  const entry = memoryEntry(data, 'memory:x.dcm');
  const copy = { ...entry, sopInstanceUID: '2.25.1', seriesInstanceUID: '2.25.2', studyInstanceUID: '2.25.3' };
  index.add(copy);
  const [file] = localSeriesFiles(index, { seriesInstanceUID: '2.25.2' });
  expect(file).toEqual({ name: '2.25.1.dcm', data });
});
