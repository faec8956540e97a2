import { mkdtemp, rm, writeFile, mkdir, copyFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { deflateBombFile, nestedSequenceFile } from '../../support/hostile-dicom';
import { indexFolder, metadataOf } from '../../../server/dicomweb/folder-index';
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
    expect(metadataOf(first)['7FE00010']).toBeUndefined();
    expect(metadataOf(first)['00280030']).toEqual({ vr: 'DS', Value: [expect.any(Number), expect.any(Number)] });
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

  it('walks each file before parsing it: a sequence nested 20,000 deep and a deflate bomb are skipped at once', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-index-hostile-'));
    try {
      const uids = (n: number) => ({ study: '1.2.826.0.1.3680043.2.1125.1', series: '1.2.826.0.1.3680043.2.1125.2', sop: `1.2.826.0.1.3680043.2.1125.3.${n}` });
      await writeFile(path.join(dir, 'nested.dcm'), nestedSequenceFile(20_000, uids(1)));
      // ~40 KB on disk, 20 MB of elements once inflated (dcmjs took ~35 s and 870 MB on it).
      await writeFile(path.join(dir, 'bomb.dcm'), deflateBombFile(2_000_000, uids(2)));
      await copyFile(path.join(SAMPLE_DICOM_DIR, '1-001.dcm'), path.join(dir, 'good.dcm'));
      const index = await indexFolder(dir);
      expect(index.skippedReasons).toEqual({ unreadable: 1, deflated: 1 });
      expect(index.studies).toHaveLength(1);
      expect(index.studies[0].series[0].instances).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 10_000);

  it('lists files that name a series but cannot be part of it on that series, with the reason', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-index-broken-'));
    try {
      for (const n of ['010', '011', '012']) await copyFile(path.join(SAMPLE_DICOM_DIR, `1-${n}.dcm`), path.join(dir, `${n}.dcm`));
      const bytes = await readFile(path.join(SAMPLE_DICOM_DIR, '1-013.dcm'));
      await writeFile(path.join(dir, 'cut-pixels.dcm'), bytes.subarray(0, bytes.length - 1000));
      // Cut inside the header, after the UIDs (group 0020) but before the image description (group 0028).
      const other = await readFile(path.join(SAMPLE_DICOM_DIR, '1-014.dcm'));
      await writeFile(path.join(dir, 'cut-header.dcm'), other.subarray(0, other.indexOf(Buffer.from([0x28, 0x00, 0x02, 0x00]), 132) + 5));
      const index = await indexFolder(dir);
      const series = index.studies[0].series[0];
      expect(series.instances).toHaveLength(3);
      expect(series.unreadable.map((u) => u.reason).sort()).toEqual(['pixel_data_truncated', 'unreadable']);
      expect(index.skippedReasons).toEqual({ pixel_data_truncated: 1, unreadable: 1 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
