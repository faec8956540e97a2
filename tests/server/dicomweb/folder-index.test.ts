import { mkdtemp, rm, writeFile, mkdir, copyFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { indexFolder } from '../../../server/dicomweb/folder-index';
import { SAMPLE_CASE_DIR, SAMPLE_DICOM_DIR } from '../../../server/series/sample';

interface GroundTruth {
  study_instance_uid: string;
  series_instance_uid: string;
  slices: number;
}

describe('indexFolder', () => {
  let gt: GroundTruth;
  beforeAll(async () => {
    gt = JSON.parse(await readFile(path.join(SAMPLE_CASE_DIR, 'ground-truth.json'), 'utf8')) as GroundTruth;
  });

  it('indexes the LIDC series into one study, one series, every slice in instance order', async () => {
    const index = await indexFolder(SAMPLE_DICOM_DIR);
    expect(index.studies).toHaveLength(1);
    const study = index.studies[0];
    expect(study.studyInstanceUID).toBe(gt.study_instance_uid);
    expect(study.series).toHaveLength(1);
    const series = study.series[0];
    expect(series.seriesInstanceUID).toBe(gt.series_instance_uid);
    expect(series.modality).toBe('CT');
    expect(series.instances).toHaveLength(gt.slices);
    const numbers = series.instances.map((i) => i.instanceNumber ?? NaN);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(new Set(series.instances.map((i) => i.sopInstanceUID)).size).toBe(gt.slices);
    expect(index.skipped).toBe(0);

    const files = index.seriesFiles(gt.series_instance_uid);
    expect(files).toHaveLength(gt.slices);
    expect(files.every((f) => f.startsWith(path.resolve(SAMPLE_DICOM_DIR)))).toBe(true);
    expect(index.seriesFiles('1.2.3.unknown')).toEqual([]);

    const first = series.instances[0];
    expect(index.instance(first.sopInstanceUID)).toBe(first);
    expect(index.series(gt.series_instance_uid)).toBe(series);
    expect(index.study(gt.study_instance_uid)).toBe(study);
    expect(first.rows).toBe(512);
    expect(first.transferSyntaxUID).toMatch(/^1\.2\.840\.10008\.1\.2/);
    // Metadata is the header without pixel data, as DICOM JSON.
    expect(first.metadata['7FE00010']).toBeUndefined();
    expect(first.metadata['00280030']).toEqual({ vr: 'DS', Value: [expect.any(Number), expect.any(Number)] });
  });

  it('walks sub-folders and skips files that are not DICOM, truncated or duplicated', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-index-'));
    try {
      await mkdir(path.join(dir, 'a', 'b'), { recursive: true });
      const src = path.join(SAMPLE_DICOM_DIR, '1-001.dcm');
      await copyFile(src, path.join(dir, 'a', 'b', 'x.dcm'));
      await copyFile(path.join(SAMPLE_DICOM_DIR, '1-002.dcm'), path.join(dir, 'y'));
      await copyFile(src, path.join(dir, 'duplicate.dcm'));
      await writeFile(path.join(dir, 'notes.txt'), 'not dicom');
      const bytes = await readFile(src);
      await writeFile(path.join(dir, 'truncated.dcm'), bytes.subarray(0, 400));
      const index = await indexFolder(dir);
      expect(index.studies).toHaveLength(1);
      expect(index.studies[0].series[0].instances).toHaveLength(2);
      expect(index.skipped).toBe(3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
