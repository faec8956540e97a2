/** Acceptance on the real LIDC-IDRI-0001 CT series: sizes, geometry, order, HU and the ground-truth slices. */
import fs from 'node:fs';
import path from 'node:path';
import { loadSeriesFromDir, type LoadResult } from '../../../server/series/load';
import { SAMPLE_CASE_DIR, SAMPLE_DICOM_DIR } from '../../../server/series/sample';
import { dot } from '../../../server/series/geometry';

interface GroundTruth {
  series_instance_uid: string;
  lesions: Array<{ sop_instance_uids: string[]; z_range_mm: [number, number] }>;
}

const truth = JSON.parse(fs.readFileSync(path.join(SAMPLE_CASE_DIR, 'ground-truth.json'), 'utf8')) as GroundTruth;
let result: LoadResult;

beforeAll(async () => {
  result = await loadSeriesFromDir(SAMPLE_DICOM_DIR);
});

test('loads 133 slices of 512 x 512 with the pixel spacing of the files and nothing skipped', () => {
  const v = result.volume;
  expect(result.skipped).toBe(0);
  expect([v.slices, v.rows, v.columns]).toEqual([133, 512, 512]);
  expect(v.hu).toHaveLength(133 * 512 * 512);
  expect(v.pixelSpacing[0]).toBeCloseTo(0.703125, 6);
  expect(v.pixelSpacing[1]).toBeCloseTo(0.703125, 6);
  expect(v.modality).toBe('CT');
  expect(v.seriesInstanceUID).toBe(truth.series_instance_uid);
  expect(v.sopInstanceUIDs).toHaveLength(133);
  expect(new Set(v.sopInstanceUIDs).size).toBe(133);
  expect(v.frames.every((f) => f === 1)).toBe(true);
});

test('orders slices along the normal, 2.5 mm apart, following z', () => {
  const v = result.volume;
  expect(v.normal[0]).toBeCloseTo(0, 6);
  expect(v.normal[1]).toBeCloseTo(0, 6);
  expect(v.normal[2]).toBeCloseTo(1, 6);
  expect(v.sliceSpacing).toBeCloseTo(2.5, 3);
  const along = v.positions.map((p) => dot(p, v.normal));
  for (let i = 1; i < along.length; i++) expect(along[i] - along[i - 1]).toBeCloseTo(2.5, 3);
  // The README: InstanceNumber 133 is z = -340 mm, 1 is z = -10 mm.
  expect(v.positions[0][2]).toBeCloseTo(-340, 3);
  expect(v.positions[132][2]).toBeCloseTo(-10, 3);
});

test('air in front of the patient reads about -1000 HU', () => {
  const v = result.volume;
  // A 20 x 20 patch above the anterior chest wall, inside the reconstructed field of view, on every slice.
  const values: number[] = [];
  for (let s = 0; s < v.slices; s++) {
    for (let r = 30; r < 50; r++) for (let c = 246; c < 266; c++) values.push(v.hu[(s * v.rows + r) * v.columns + c]);
  }
  values.sort((a, b) => a - b);
  const medianHu = values[values.length >> 1];
  expect(medianHu).toBeGreaterThan(-1050);
  expect(medianHu).toBeLessThan(-950);
  expect(values[values.length - 1]).toBeLessThan(-500);
});

test('outside the reconstructed field of view (the corners) reads as air, and nothing is below -1024 HU', () => {
  const v = result.volume;
  let min = Infinity;
  for (const x of v.hu) if (x < min) min = x;
  expect(min).toBe(-1024);
  // The stored corners hold -1024, i.e. -2048 HU after the rescale: raised to the CT floor.
  for (let s = 0; s < v.slices; s += 11) {
    for (let r = 0; r < 20; r++) for (let c = 0; c < 20; c++) expect(v.hu[(s * v.rows + r) * v.columns + c]).toBe(-1024);
  }
});

test('tissue and bone read in their HU ranges (rescale applied)', () => {
  const v = result.volume;
  // Histogram in 20 HU bins of everything denser than lung: fat or soft tissue (-150..100 HU) must be the mode.
  const bins = new Map<number, number>();
  let max = -Infinity;
  for (const x of v.hu) {
    if (x > max) max = x;
    if (x > -500) bins.set(Math.floor(x / 20), (bins.get(Math.floor(x / 20)) ?? 0) + 1);
  }
  const [modeBin] = [...bins.entries()].reduce((a, b) => (b[1] > a[1] ? b : a));
  expect(modeBin * 20).toBeGreaterThanOrEqual(-150);
  expect(modeBin * 20).toBeLessThan(100);
  expect(max).toBeGreaterThan(1000); // bone
});

test('the ground-truth SOP UIDs sit at consecutive positions inside their z range', () => {
  const v = result.volume;
  const lesion = truth.lesions[0];
  const idx = lesion.sop_instance_uids.map((uid) => v.sopInstanceUIDs.indexOf(uid));
  expect(idx.every((i) => i >= 0)).toBe(true);
  const sorted = [...idx].sort((a, b) => a - b);
  for (let i = 1; i < sorted.length; i++) expect(sorted[i] - sorted[i - 1]).toBe(1);
  for (const i of idx) {
    expect(v.positions[i][2]).toBeGreaterThanOrEqual(lesion.z_range_mm[0] - 1e-3);
    expect(v.positions[i][2]).toBeLessThanOrEqual(lesion.z_range_mm[1] + 1e-3);
  }
});

test('loading the whole case folder skips the annotations (XML, JSON, DICOM SEG) and finds the same series', async () => {
  const all = await loadSeriesFromDir(SAMPLE_CASE_DIR);
  const files = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? files(path.join(dir, e.name)) : 1), 0);
  expect(all.volume.slices).toBe(133);
  expect(all.skipped).toBe(files(SAMPLE_CASE_DIR) - 133);
  expect(all.volume.sopInstanceUIDs).toEqual(result.volume.sopInstanceUIDs);
});
