/**
 * The answer in lesions (server/rerank/response.ts): one group per parsed finding, one entry per
 * lesion with its pieces' boxes united per slice, slice indices in the caller's order, the central
 * slice as `best`; and, on the sample study, the two-sentence report the issue names (npm run rerank).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIDENT_SCORE as CONTRACT_CONFIDENT } from '../../../contract/limits';
import type { ParsedQuery } from '../../../server/query/finding';
import type { Candidate, CandidateSlice } from '../../../server/rerank/analysis/types';
import { CONFIDENT_SCORE, type LesionAnswer } from '../../../server/rerank/fuse';
import { lesionGroups, wireLesion, type RerankResponse } from '../../../server/rerank/response';
import { SAMPLE_CASE_DIR, SAMPLE_DICOM_DIR } from '../../../server/series/sample';
import { loadSeriesFromDir } from '../../../server/series/load';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function candidate(id: number, slices: Array<[index: number, box: [number, number, number, number], area: number]>, extra: Partial<Candidate> = {}): Candidate {
  const s: CandidateSlice[] = slices.map(([index, box, area]) => ({ index, box, area, weight: 1 }));
  return {
    id,
    kind: 'lesion',
    diameterMm: 12.34,
    shortAxisMm: 8.76,
    side: 'left',
    zone: 'lower',
    lobes: { LLL: 0.8, LUL: 0.2 },
    centroidPx: { slice: s[0].index, row: 0, column: 0 },
    slices: s,
    ...extra,
  } as unknown as Candidate;
}

const answer = (c: Candidate, score: number, pieces?: Candidate[]): LesionAnswer => ({
  candidate: c,
  pieces: pieces?.map((p) => ({ candidate: p, share: 1 })),
  score,
  matched: ['f0.type'],
  mismatched: [{ term: 'f0.size', stated: '8', measured: '12 mm' }],
  label: 'solid nodule 12 mm, left lower zone',
});

const identity = { toIndex: (i: number) => i };

describe('one lesion on the wire', () => {
  test('touching pieces are one lesion: boxes united per slice, best at the centre of its area, size and position', () => {
    const main = candidate(7, [[10, [100, 100, 109, 109], 80], [11, [98, 99, 112, 111], 150], [12, [101, 102, 108, 107], 40]]);
    const piece = candidate(3, [[11, [110, 105, 120, 115], 30], [13, [104, 104, 106, 106], 5]]);
    const w = wireLesion(answer(main, 0.74, [main, piece]), identity)!;
    expect(w).toMatchObject({
      id: 3, // the smallest id of its pieces: the same lesion has the same id in every group
      kind: 'nodule',
      score: 0.74,
      confident: true,
      sizeMm: { long: 12.3, short: 8.8 },
      side: 'left',
      lobe: 'LLL',
      zone: 'lower',
      slices: { first: 10, last: 13, best: 11 },
      matched: ['f0.type'],
      mismatched: [{ term: 'f0.size', stated: '8', measured: '12 mm' }],
    });
    expect(w.regions).toEqual([
      { index: 10, x: 100, y: 100, w: 10, h: 10 },
      { index: 11, x: 98, y: 99, w: 23, h: 17 },
      { index: 12, x: 101, y: 102, w: 8, h: 6 },
      { index: 13, x: 104, y: 104, w: 3, h: 3 },
    ]);
    expect(w).not.toHaveProperty('station');
  });

  test('indices follow the caller’s order; slices the caller did not list are left out', () => {
    const c = candidate(1, [[10, [0, 0, 4, 4], 10], [11, [0, 0, 9, 9], 50], [12, [0, 0, 4, 4], 10], [13, [0, 0, 1, 1], 1]]);
    // The viewport shows the 20 slices in reverse and leaves slice 13 out.
    const toIndex = (i: number) => (i === 13 ? undefined : 19 - i);
    const w = wireLesion(answer(c, 0.2), { toIndex })!;
    expect(w.slices).toEqual({ first: 7, last: 9, best: 8 });
    expect(w.regions.map((r) => r.index)).toEqual([7, 8, 9]);
    expect(w.confident).toBe(false);
    expect(wireLesion(answer(c, 0.9), { toIndex: () => undefined })).toBeUndefined();
  });

  test('a lobe only when more likely than not; masses over 30 mm; a station when the analysis gives one', () => {
    const c = candidate(2, [[5, [0, 0, 1, 1], 1]], { lobes: { RUL: 0.5, RML: 0.5 }, diameterMm: 31, side: 'right', zone: 'upper' });
    const w = wireLesion(answer(c, CONFIDENT_SCORE), identity)!;
    expect(w).not.toHaveProperty('lobe');
    expect(w.kind).toBe('mass');
    expect(w.confident).toBe(true);
    const node = candidate(4, [[5, [0, 0, 1, 1], 1]], { station: '4R' } as Partial<Candidate>);
    expect(wireLesion(answer(node, 0.6), identity)?.station).toBe('4R');
  });

  test('the contract’s confidence cut is the fusion’s', () => {
    expect(CONTRACT_CONFIDENT).toBe(CONFIDENT_SCORE);
  });
});

describe('groups', () => {
  const query = { findings: [{}, {}, {}] } as unknown as ParsedQuery;
  const lesions = [0.9, 0.5, 0.3, 0.01].map((s, k) => answer(candidate(k, [[k, [0, 0, 1, 1], 1]]), s));

  test('one group per parsed finding in order; an unranked finding gets an empty group', () => {
    const groups = lesionGroups(query, [{ finding: 2, lesions: lesions.slice(0, 1) }, { finding: 0, lesions }], { topK: 10, minScore: 0, ...identity });
    expect(groups.map((g) => [g.finding, g.lesions.map((l) => l.id)])).toEqual([
      [0, [0, 1, 2, 3]],
      [1, []],
      [2, [0]],
    ]);
  });

  test('topK and minScore bound each group', () => {
    expect(lesionGroups(query, [{ finding: 0, lesions }], { topK: 2, minScore: 0, ...identity })[0].lesions.map((l) => l.id)).toEqual([0, 1]);
    expect(lesionGroups(query, [{ finding: 0, lesions }], { topK: 10, minScore: 0.3, ...identity })[0].lesions.map((l) => l.id)).toEqual([0, 1, 2]);
  });
});

describe('report mode on LIDC-IDRI-0001 (npm run -s rerank -- --json)', () => {
  jest.setTimeout(300_000);

  test('"spiculated solid nodule in the left lung. ground-glass nodule in the right upper lobe" gives two groups; the nodule once, first, over ≥ 5 slices', async () => {
    const text = 'spiculated solid nodule in the left lung. ground-glass nodule in the right upper lobe';
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'scripts', 'rerank.ts'), '--dicom-dir', SAMPLE_DICOM_DIR, '--query', text, '--json'],
      { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000, maxBuffer: 64 * 1024 * 1024 },
    );
    const r = JSON.parse(out) as RerankResponse;
    expect(r.query.findings).toHaveLength(2);
    expect(r.findings.map((g) => g.finding)).toEqual([0, 1]);
    // Volume order: the CLI sends no viewport order.
    const { volume } = await loadSeriesFromDir(SAMPLE_DICOM_DIR);
    const truth = JSON.parse(readFileSync(path.join(SAMPLE_CASE_DIR, 'ground-truth.json'), 'utf8')) as {
      lesions: Array<{ sop_instance_uids: string[]; boxes: Record<string, [number, number, number, number]> }>;
    };
    const gt = truth.lesions[0];
    const onNodule = new Set(gt.sop_instance_uids);
    const [first] = r.findings[0].lesions;
    expect(first.confident).toBe(true);
    expect(onNodule.has(volume.sopInstanceUIDs[first.slices.best])).toBe(true);
    expect(first.slices.last - first.slices.first + 1).toBeGreaterThanOrEqual(5);
    expect(first.regions.length).toBeGreaterThanOrEqual(5);
    // Its box on the best slice holds the readers' box centre.
    const best = first.regions.find((g) => g.index === first.slices.best)!;
    const [x0, y0, x1, y1] = gt.boxes[volume.sopInstanceUIDs[first.slices.best]];
    const [cx, cy] = [(x0 + x1) / 2, (y0 + y1) / 2];
    expect(cx >= best.x && cx <= best.x + best.w && cy >= best.y && cy <= best.y + best.h).toBe(true);
    // No other entry of the first group lies on the nodule (any slice of it, its box centre inside).
    for (const other of r.findings[0].lesions.slice(1)) {
      for (const g of other.regions) {
        const box = gt.boxes[volume.sopInstanceUIDs[g.index]];
        if (!box) continue;
        const [gx, gy] = [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2];
        expect({ id: other.id, index: g.index, inside: gx >= g.x && gx <= g.x + g.w && gy >= g.y && gy <= g.y + g.h }).toEqual({ id: other.id, index: g.index, inside: false });
      }
    }
    // Ids are unique within a group; the second group is ranked on its own finding's terms.
    for (const g of r.findings) expect(new Set(g.lesions.map((l) => l.id)).size).toBe(g.lesions.length);
    expect(r.findings[1].lesions.every((l) => l.matched.every((m) => m.startsWith('f1.')))).toBe(true);
    expect(r.results.length).toBeGreaterThan(0);
  });
});
