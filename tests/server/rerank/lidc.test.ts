/** Integration on the real LIDC-IDRI-0001 series: loader → analysis → parser → rerank, judged against its ground truth. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseQuery } from '../../../server/query/parse';
import { analyseVolume, rerankSlices, type VolumeAnalysis } from '../../../server/rerank/pipeline';
import { loadSeriesFromDir } from '../../../server/series/load';
import { SAMPLE_CASE_DIR, SAMPLE_DICOM_DIR } from '../../../server/series/sample';

interface Truth { lesions: Array<{ id: string; sop_instance_uids: string[]; boxes: Record<string, [number, number, number, number]> }> }

describe('LIDC-IDRI-0001', () => {
  const truth = JSON.parse(readFileSync(path.join(SAMPLE_CASE_DIR, 'ground-truth.json'), 'utf8')) as Truth;
  const lesion = truth.lesions[0];
  let a: VolumeAnalysis;

  beforeAll(async () => {
    const { volume } = await loadSeriesFromDir(SAMPLE_DICOM_DIR);
    a = analyseVolume(volume);
  }, 120_000);

  it('finds the carina between apex and base', () => {
    const { apex, carina, base } = a.levels;
    expect(apex!.z).toBeGreaterThan(carina!.z);
    expect(carina!.z).toBeGreaterThan(base!.z);
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
});
