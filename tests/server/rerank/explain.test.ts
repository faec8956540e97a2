/** `--explain` of the eval scripts: the candidates on a described lesion, or their absence, and the answers. */
import { parseQuery } from '../../../server/query/parse';
import { analyseVolume } from '../../../server/rerank/pipeline';
import type { Vec3 } from '../../../server/series/volume';
import type { LearnedScorer } from '../../../server/rerank/learned';
import { boxesByIndex, explainMiss, explainQuery, onBoxes } from '../../../scripts/explain';
import type { Box } from '../../../scripts/render/overlay';
import { chestVolume, LUNG_X } from './synthetic';

// a 12 mm solid nodule free in the left lung (+x is the patient's left)
const at: Vec3 = [LUNG_X, 0, 60];
const a = analyseVolume(chestVolume({ rows: 192, columns: 192, pixelSpacing: 1, spheres: [{ centre: at, diameter: 12, hu: 30 }] }));
const nodule = a.candidates
  .filter((c) => c.kind === 'lesion')
  .sort((x, y) => Math.hypot(...x.centroidMm.map((v, k) => v - at[k])) - Math.hypot(...y.centroidMm.map((v, k) => v - at[k])))[0];
const truth = new Map<number, Box>(nodule.slices.map((s) => [s.index, s.box]));

describe('explaining a query', () => {
  it('the phantom has the nodule as a candidate (what the rest reads)', () => {
    expect(Math.hypot(...nodule.centroidMm.map((v, k) => v - at[k]))).toBeLessThan(4);
    expect(onBoxes(nodule, truth)).toBe(true);
  });

  it('shows the candidate on the lesion first, with its rank and each stated attribute fitting', () => {
    const lines = explainQuery(a, parseQuery('12 mm solid nodule in the left lung'), truth);
    expect(lines[0]).toMatch(new RegExp(`^ +on the lesion: rank 1 of \\d+, score 0\\.\\d+: #${nodule.id} left `));
    expect(lines[0]).toMatch(/side 1\.00/);
    expect(lines[0]).toMatch(/size (0\.[5-9]\d|1\.00)/);
    expect(lines.filter((l) => l.includes('answer'))).toHaveLength(3);
    expect(lines.find((l) => l.includes('answer 1'))).toContain(`#${nodule.id} `);
  });

  it('says which stated attribute does not fit, and what was measured instead', () => {
    const lines = explainQuery(a, parseQuery('4 mm nodule in the right lung'), truth);
    const on = lines.find((l) => l.includes('on the lesion'))!;
    expect(on).toMatch(/side 0\.\d\d = left/);
    expect(on).toMatch(/size 0\.[0-4]\d = 1[1-4] mm/);
    // still the most lesion-like candidate, but far from a confident answer
    expect(Number(/score (\d\.\d+)/.exec(on)?.[1])).toBeLessThan(0.1);
  });

  it('says when no candidate of the finding’s kind lies on the lesion', () => {
    const outside = new Map<number, Box>([[2, [0, 0, 4, 4]]]);
    const lines = explainQuery(a, parseQuery('solid nodule'), outside);
    expect(lines[0]).toMatch(/on the lesion: no nodule candidate overlaps its boxes/);
    expect(lines.slice(1).every((l) => l.includes('answer'))).toBe(true);
    expect(explainQuery(a, parseQuery('enlarged lymph node'), truth)[0]).toMatch(/no lymph node candidate/);
  });

  it('lists at most five candidates on a lesion, best ranked first, and counts the rest', () => {
    const everywhere = new Map<number, Box>(a.sopInstanceUIDs.map((_u, i) => [i, [0, 0, a.columns - 1, a.rows - 1]]));
    const lesions = a.candidates.filter((c) => c.kind === 'lesion').length;
    expect(lesions).toBeGreaterThan(5);
    const on = explainQuery(a, parseQuery('nodule'), everywhere).filter((l) => l.includes('on the lesion'));
    expect(on).toHaveLength(6);
    const ranks = on.slice(0, 5).map((l) => Number(/rank (\d+)/.exec(l)?.[1]));
    expect(ranks).toEqual([...ranks].sort((x, y) => x - y));
    expect(on[5]).toMatch(new RegExp(`on the lesion: ${lesions - 5} more candidates, ranked lower`));
  });

  it('lists only the answers for a negative query, as many as asked', () => {
    const lines = explainQuery(a, parseQuery('mass in the right lung'), null, { answers: 2 });
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => / +answer [12], score /.test(l))).toBe(true);
  });

  it('shows the learned model’s score of each candidate when the eval runs one', async () => {
    // a stand-in for the ONNX model (tested on its own): it tells each candidate apart by its index
    const scorer: LearnedScorer = {
      info: { id: 'stand-in', version: '1', executionProvider: 'cpu' },
      scoreCandidates: async (_v, cands) => cands.map((_c, k) => ({ lesionProbability: k === a.candidates.indexOf(nodule) ? 0.42 : 0.01 })),
    };
    const lines = await explainMiss(a, parseQuery('12 mm solid nodule in the left lung'), truth, { scorer });
    expect(lines[0]).toMatch(/likelihood \d\.\d\d, model 0\.42, fused \d\.\d\d/);
    expect((await explainMiss(a, parseQuery('12 mm solid nodule in the left lung'), truth))[0]).not.toMatch(/model/);
  });

  it('maps a ground-truth lesion’s boxes from SOP instance UIDs to slice indices, skipping UIDs not in the series', () => {
    const uid = a.sopInstanceUIDs[7];
    const boxes = boxesByIndex(a, { id: 'x', kind: 'nodule', sop_instance_uids: [uid], boxes: { [uid]: [1, 2, 3, 4], 'not.in.series': [5, 6, 7, 8] } });
    expect([...boxes]).toEqual([[7, [1, 2, 3, 4]]]);
  });
});
