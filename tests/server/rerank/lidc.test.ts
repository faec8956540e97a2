/** Integration on the real LIDC-IDRI-0001 series: loader → analysis → parser → rerank, judged against its ground truth. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseQuery } from '../../../server/query/parse';
import { analyseVolume, rerankSlices, type VolumeAnalysis } from '../../../server/rerank/pipeline';
import { loadSeriesFromDir } from '../../../server/series/load';
import { SAMPLE_CASE_DIR, SAMPLE_DICOM_DIR } from '../../../server/series/sample';
import type { Volume } from '../../../server/series/volume';

interface Truth { lesions: Array<{ id: string; sop_instance_uids: string[]; boxes: Record<string, [number, number, number, number]> }> }

/** A lesion to blend into the real lung: centre in pixels of the volume, diameter in mm, HU. */
interface Inserted { slice: number; row: number; column: number; diameter: number; hu: number; core?: number }

/** Blends spheres into a copy of the volume with a soft (≈1 mm) edge and some noise, as a scanner would show them. */
function withLesions(v: Volume, lesions: Inserted[]): Volume {
  const hu = new Float32Array(v.hu);
  const [ps] = v.pixelSpacing;
  const blend = (l: Inserted, d: number, value: number): void => {
    const r = d / 2;
    for (let s = Math.floor(l.slice - r / v.sliceSpacing) - 2; s <= l.slice + r / v.sliceSpacing + 2; s++)
      for (let y = Math.floor(l.row - r / ps) - 3; y <= l.row + r / ps + 3; y++)
        for (let x = Math.floor(l.column - r / ps) - 3; x <= l.column + r / ps + 3; x++) {
          const dist = Math.hypot((x - l.column) * ps, (y - l.row) * ps, (s - l.slice) * v.sliceSpacing);
          const w = 1 / (1 + Math.exp((dist - r) / 0.5));
          const i = (s * v.rows + y) * v.columns + x;
          hu[i] = hu[i] * (1 - w) + (value + 30 * (((i * 2654435761) % 1000) / 1000 - 0.5)) * w;
        }
  };
  for (const l of lesions) {
    blend(l, l.diameter, l.hu);
    if (l.core !== undefined) blend(l, l.diameter * 0.4, l.core);
  }
  return { ...v, hu };
}

describe('LIDC-IDRI-0001', () => {
  const truth = JSON.parse(readFileSync(path.join(SAMPLE_CASE_DIR, 'ground-truth.json'), 'utf8')) as Truth;
  const lesion = truth.lesions[0];
  let a: VolumeAnalysis;

  let volume: Volume;

  beforeAll(async () => {
    volume = (await loadSeriesFromDir(SAMPLE_DICOM_DIR)).volume;
    a = analyseVolume(volume);
  }, 120_000);

  it('finds the carina between apex and base', () => {
    const { apex, carina, base } = a.levels;
    expect(apex!.z).toBeGreaterThan(carina!.z);
    expect(carina!.z).toBeGreaterThan(base!.z);
  });

  it('reads the series as contrast enhanced (its aortic blood is over 120 HU)', () => {
    expect(a.contrastEnhanced).toBe(true);
  });

  it.each([
    ['spiculated solid nodule in the left lung'],
    ['左肺后部肿块，直径约3cm，边缘毛刺状'],
  ])('puts the top slice within the lesion and the top region on it: %s', async (text) => {
    const r = await rerankSlices(a, parseQuery(text), { topK: 3 });
    const top = r.results[0];
    expect(lesion.sop_instance_uids).toContain(top.sopInstanceUID);
    const [x0, y0, x1, y1] = lesion.boxes[top.sopInstanceUID];
    const reg = top.regions[0];
    expect(reg.x <= x1 && reg.x + reg.w >= x0 && reg.y <= y1 && reg.y + reg.h >= y0).toBe(true);
    expect(r.noConfidentMatch).toBe(false);
  });

  it('flags a ground-glass nodule in the right lower lobe as not found', async () => {
    const r = await rerankSlices(a, parseQuery('right lower lobe pure ground-glass nodule'), {});
    expect(r.noConfidentMatch).toBe(true);
    expect(r.results[0]?.score ?? 0).toBeLessThan(0.5);
  });

  // Other sizes, sides, lobes and textures than the patient's own nodule: lesions blended into aerated
  // lung of this scan (positions picked in parenchyma, away from the real nodule), one analysis for all.
  it('finds inserted lesions of other sizes, sides and textures', async () => {
    const lesions: Array<Inserted & { text: string }> = [
      { slice: 45, row: 330, column: 130, diameter: 12, hu: 30, text: '12 mm solid nodule in the right lower lobe' },
      { slice: 105, row: 250, column: 150, diameter: 8, hu: 30, text: '右肺上叶实性结节，约8mm' },
      { slice: 60, row: 260, column: 390, diameter: 16, hu: -560, core: 30, text: '16 mm part-solid nodule in the left lung' },
      { slice: 70, row: 300, column: 120, diameter: 20, hu: -600, text: 'pure ground-glass opacity, right lung, 2 cm' },
    ];
    const b = analyseVolume(withLesions(volume, lesions));
    for (const l of lesions) {
      const r = await rerankSlices(b, parseQuery(l.text), { topK: 3 });
      const top = r.results[0];
      expect(Math.abs(top.index - l.slice)).toBeLessThanOrEqual(l.diameter / 2 / volume.sliceSpacing);
      const reg = top.regions[0];
      expect(l.column >= reg.x && l.column <= reg.x + reg.w && l.row >= reg.y && l.row <= reg.y + reg.h).toBe(true);
      expect(r.noConfidentMatch).toBe(false);
    }
  }, 120_000);

  // The same patient as another scanner might store it: rows mirrored (patient left on the image left)
  // and slices running head to feet; the geometry, not the image layout, decides side and level.
  it('finds the nodule on the left in a mirrored, head-first-ordered copy', async () => {
    const { slices, rows, columns } = volume;
    const hu = new Float32Array(volume.hu.length);
    for (let s = 0; s < slices; s++)
      for (let r = 0; r < rows; r++) {
        const src = ((slices - 1 - s) * rows + r) * columns;
        const dst = (s * rows + r) * columns;
        for (let c = 0; c < columns; c++) hu[dst + c] = volume.hu[src + columns - 1 - c];
      }
    const dx = (columns - 1) * volume.pixelSpacing[1];
    const mirrored: Volume = {
      ...volume,
      hu,
      rowCosines: [-1, 0, 0],
      normal: [0, 0, -1],
      positions: [...volume.positions].reverse().map((p) => [p[0] + dx, p[1], p[2]]),
      sopInstanceUIDs: [...volume.sopInstanceUIDs].reverse(),
      frames: [...volume.frames].reverse(),
    };
    const m = analyseVolume(mirrored);
    const r = await rerankSlices(m, parseQuery('spiculated solid nodule in the left lung'), { topK: 1 });
    const top = r.results[0];
    expect(lesion.sop_instance_uids).toContain(top.sopInstanceUID);
    const [x0, y0, x1, y1] = lesion.boxes[top.sopInstanceUID];
    const reg = top.regions[0];
    // mirrored box: columns run the other way
    const mx0 = columns - 1 - x1, mx1 = columns - 1 - x0;
    expect(reg.x <= mx1 && reg.x + reg.w >= mx0 && reg.y <= y1 && reg.y + reg.h >= y0).toBe(true);
    expect(m.levels.carina!.z).toBeCloseTo(a.levels.carina!.z, 0);
  }, 120_000);
});
