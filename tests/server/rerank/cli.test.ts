/** The rerank and eval command lines: real processes, real data, errors without stacks. */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, SAMPLE_CASE_DIR, SAMPLE_DICOM_DIR } from '../../../server/series/sample';
import { judge, type EvalCase } from '../../../scripts/eval-cases';
import { caseLook } from '../../../scripts/eval-looks';
import { chestVolume } from './synthetic';
import type { RerankResponse } from '../../../server/rerank/response';

const run = promisify(execFile);
const TSX = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');

async function cli(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(TSX, [path.join(REPO_ROOT, 'scripts', script), ...args], { cwd: REPO_ROOT, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('npm run rerank', () => {
  it('prints the rerank response as JSON for the LIDC series', async () => {
    const r = await cli('rerank.ts', ['--dicom-dir', SAMPLE_DICOM_DIR, '--query', 'solid nodule, left lung', '--top-k', '4', '--json']);
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout) as RerankResponse;
    expect(res.results).toHaveLength(4);
    expect(res.results[0]).toEqual(
      expect.objectContaining({ sopInstanceUID: expect.any(String), index: expect.any(Number), score: expect.any(Number), regions: expect.any(Array), matched: expect.any(Array) }),
    );
    expect(res.model).toEqual({ id: expect.any(String), version: expect.any(String), executionProvider: expect.any(String) });
    expect(Object.keys(res.timings)).toEqual(expect.arrayContaining(['decode', 'analysis', 'fusion', 'total']));
    expect(res.query.findings[0].terms.length).toBeGreaterThan(0);
  }, 120_000);

  it('prints a readable table with what the answer cannot promise', async () => {
    const r = await cli('rerank.ts', ['--no-model', '--dicom-dir', SAMPLE_DICOM_DIR, '--query', 'nodule', '--top-k', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no confident match');
    expect(r.stdout).toMatch(/^caveat \(finding 0, brief-description\): the description says too little/m);
    expect(r.stdout).toMatch(/^ {3}1 /m); // a ranked slice all the same
  }, 120_000);

  it('fails with one line on stderr and no stack for a missing folder or bad options', async () => {
    // --no-model: the model runtime logs its provider fallbacks on stderr, which is not what this checks
    const missing = await cli('rerank.ts', ['--no-model', '--dicom-dir', '/nonexistent/dir', '--query', 'nodule']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    const usage = await cli('rerank.ts', ['--no-model', '--query', 'nodule']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/usage/);
    const badK = await cli('rerank.ts', ['--no-model', '--dicom-dir', SAMPLE_DICOM_DIR, '--query', 'nodule', '--top-k', 'x']);
    expect(badK.code).toBe(2);
  }, 60_000);
});

describe('npm run eval', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'sf-eval-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('evaluates a case folder from elsewhere in the same format (series_dir relative to it)', async () => {
    const truth = JSON.parse(await readFile(path.join(SAMPLE_CASE_DIR, 'ground-truth.json'), 'utf8'));
    const kase = path.join(dir, 'other-hospital');
    await mkdir(kase);
    await writeFile(path.join(kase, 'ground-truth.json'), JSON.stringify({ series_dir: path.relative(kase, SAMPLE_DICOM_DIR), lesions: truth.lesions }));
    await writeFile(
      path.join(kase, 'queries.json'),
      JSON.stringify([
        { id: 'p', lang: 'en', lesion: 'nodule-1', text: 'left lung solid nodule' },
        { id: 'n', lang: 'en', lesion: null, text: 'right lower lobe ground-glass nodule' },
      ]),
    );
    const r = await cli('eval.ts', ['--no-model', '--cases', kase, '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    const hits = { positives: 1, top1Hits: 1, top3Hits: 1, regionHits: 1, confidentTop1: 1 };
    expect(out.totals).toEqual({
      ...hits, negatives: 1, negativesFlagged: 1, byKind: { nodule: hits },
      calibration: { confident: 1, confidentRight: 1, right: 1, rightConfident: 1 },
    });
    // its one nodule asked for in a word too, tallied apart from the case's own descriptions
    expect(out.short.queries.map((q: { id: string; top1: boolean }) => [q.id, q.top1])).toEqual([['short-nodule-1', true], ['short-nodule-2', true]]);
    expect(out.short.totals.positives).toBe(2);
    expect(out.queries[0]).toEqual({
      case: 'other-hospital', id: 'p', kind: 'nodule', top1: true, top3: true, region: true, topScore: expect.any(Number), confident: true, flagged: false, caveats: [], latencyMs: expect.any(Number),
    });
  }, 120_000);

  it('refuses a malformed case folder with a message naming the file', async () => {
    const bad = path.join(dir, 'bad');
    await mkdir(bad);
    await writeFile(path.join(bad, 'ground-truth.json'), '{"lesions": 3}');
    const r = await cli('eval.ts', ['--no-model', '--cases', bad]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('ground-truth.json');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('refuses a synthetic-suite look that would move the lesions, naming the ones it takes', async () => {
    const r = await cli('eval-synthetic.ts', ['--no-model', '--look', 'thick']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--look: one of noise, sharp, soft, lowdose');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});

describe('eval judging', () => {
  const c: EvalCase = {
    name: 'c', dir: '.', seriesDir: '.',
    lesions: new Map([['L', { id: 'L', kind: 'nodule', sop_instance_uids: ['a', 'b'], boxes: { a: [10, 10, 20, 20], b: [10, 10, 20, 20] } }]]),
    queries: [],
  };
  const resp = (uids: string[], box: { x: number; y: number; w: number; h: number }, noConfidentMatch = false): RerankResponse => ({
    findings: [],
    results: uids.map((u, i) => ({ sopInstanceUID: u, index: i, score: 0.9 - i * 0.1, regions: [{ ...box, score: 0.9, label: '' }], matched: [] })),
    query: { text: '', lang: 'en', findings: [], unknown: [] },
    timings: {}, noConfidentMatch, unsupported: [], model: { id: 'x', version: '1', executionProvider: 'cpu' },
  });

  it('counts top-1, top-3 and region hits, and misses', () => {
    const hit = judge(c, { id: 'q', lesion: 'L', text: '' }, resp(['a', 'x', 'y'], { x: 15, y: 15, w: 10, h: 10 }), 3);
    expect(hit).toMatchObject({ top1: true, top3: true, region: true, flagged: false });
    const late = judge(c, { id: 'q', lesion: 'L', text: '' }, resp(['x', 'y', 'b'], { x: 15, y: 15, w: 10, h: 10 }), 3);
    expect(late).toMatchObject({ top1: false, top3: true, region: false });
    const away = judge(c, { id: 'q', lesion: 'L', text: '' }, resp(['a'], { x: 100, y: 100, w: 5, h: 5 }), 3);
    expect(away).toMatchObject({ top1: true, region: false });
  });

  it('counts a region only when its centre is on the box (a quarter of it, at least 5 px, around) or it overlaps the box enough', () => {
    const at = (box: { x: number; y: number; w: number; h: number }): boolean | null => judge(c, { id: 'q', lesion: 'L', text: '' }, resp(['a'], box), 1).region;
    expect(at({ x: 14, y: 14, w: 4, h: 4 })).toBe(true); // centre inside
    expect(at({ x: 23, y: 12, w: 4, h: 4 })).toBe(true); // centre 4.5 px right of the box: within the 5 px margin
    expect(at({ x: 25, y: 12, w: 4, h: 4 })).toBe(false); // centre 6.5 px right of it
    expect(at({ x: 30, y: 12, w: 4, h: 4 })).toBe(false); // only near it
    expect(at({ x: 19, y: 19, w: 40, h: 40 })).toBe(false); // overlapping a corner (was a hit before)
    expect(at({ x: 5, y: 5, w: 24, h: 24 })).toBe(true); // centre on it
  });

  it('reports negatives with their top score and flag', () => {
    const neg = judge(c, { id: 'n', lesion: null, text: '' }, resp(['x'], { x: 0, y: 0, w: 1, h: 1 }, true), 1);
    expect(neg).toMatchObject({ top1: null, region: null, topScore: 0.9, flagged: true });
  });
});

describe('eval looks', () => {
  const v = chestVolume({ slices: 8, rows: 32, columns: 32 });
  const c: EvalCase = {
    name: 'c', dir: '.', seriesDir: '.',
    lesions: new Map([['L', { id: 'L', kind: 'nodule', sop_instance_uids: [v.sopInstanceUIDs[3], v.sopInstanceUIDs[4]], boxes: { [v.sopInstanceUIDs[3]]: [10, 10, 12, 12], [v.sopInstanceUIDs[4]]: [11, 9, 14, 12] } }]]),
    queries: [],
  };

  it('carries a lesion onto the slices the thick look keeps, with the boxes of each pair joined', () => {
    const { case: thick, volume } = caseLook(c, v, 'thick');
    expect(volume.slices).toBe(4);
    expect(thick.name).toBe('c+thick');
    const l = thick.lesions.get('L')!;
    // slice 3 is the second of pair 1 (kept as slice 2), slice 4 the first of pair 2
    expect(l.sop_instance_uids.sort()).toEqual([v.sopInstanceUIDs[2], v.sopInstanceUIDs[4]].sort());
    expect(l.sop_instance_uids.every((u) => volume.sopInstanceUIDs.includes(u))).toBe(true);
    expect(l.boxes).toEqual({ [v.sopInstanceUIDs[2]]: [10, 10, 12, 12], [v.sopInstanceUIDs[4]]: [11, 9, 14, 12] });
  });

  it('adds a slice between each pair for the thin look, the lesion on those beside its slices, boxes joined', () => {
    const { case: thin, volume } = caseLook(c, v, 'thin');
    expect(volume.slices).toBe(15);
    expect(volume.sliceSpacing).toBeCloseTo(v.sliceSpacing / 2);
    expect(volume.positions[7][2]).toBeCloseTo((v.positions[3][2] + v.positions[4][2]) / 2);
    const l = thin.lesions.get('L')!;
    // on slices 3 and 4, so on thin slices 6 and 8, and on the three added beside or between them (5, 7, 9)
    const thinIndex = (u: string): number => volume.sopInstanceUIDs.indexOf(u);
    expect(l.sop_instance_uids.map(thinIndex).sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9]);
    expect(l.boxes![volume.sopInstanceUIDs[7]]).toEqual([10, 9, 14, 12]);
    expect(l.boxes![volume.sopInstanceUIDs[5]]).toEqual([10, 10, 12, 12]);
    // the added slice between 3 and 4 is their mean, give or take the thin slice's noise
    const plane = v.rows * v.columns;
    let diff = 0;
    for (let q = 0; q < plane; q++) diff += Math.abs(volume.hu[7 * plane + q] - (v.hu[3 * plane + q] + v.hu[4 * plane + q]) / 2);
    expect(diff / plane).toBeGreaterThan(5);
    expect(diff / plane).toBeLessThan(15);
  });

  it('sharpens like a lung kernel: flat tissue unchanged, an edge overshoots on both sides', () => {
    const flat = { ...v, hu: new Float32Array(v.hu.length) };
    // left half -800 (lung), right half 40 (soft tissue), on every slice
    for (let i = 0; i < flat.hu.length; i++) flat.hu[i] = i % v.columns < 16 ? -800 : 40;
    const { case: sharp, volume } = caseLook(c, flat, 'sharp');
    expect(sharp.lesions).toBe(c.lesions);
    const at = (col: number): number => volume.hu[3 * v.rows * v.columns + 10 * v.columns + col];
    expect(at(5)).toBeCloseTo(-800);
    expect(at(25)).toBeCloseTo(40);
    expect(at(15)).toBeLessThan(-800); // dark undershoot on the lung side of the edge
    expect(at(16)).toBeGreaterThan(40); // bright overshoot on the tissue side
  });

  it('turns each slice and its boxes half a turn for the prone look, every voxel kept at its place in the patient', () => {
    const { case: prone, volume } = caseLook(c, v, 'prone');
    expect(prone.lesions.get('L')!.boxes![v.sopInstanceUIDs[3]]).toEqual([v.columns - 13, v.rows - 13, v.columns - 11, v.rows - 11]);
    const patient = (x: typeof v, s: number, r: number, col: number): number[] =>
      [0, 1, 2].map((k) => x.positions[s][k] + col * x.pixelSpacing[1] * x.rowCosines[k] + r * x.pixelSpacing[0] * x.columnCosines[k]);
    const [s, r, col] = [3, 5, 7];
    const [r2, col2] = [v.rows - 1 - r, v.columns - 1 - col];
    expect(volume.hu[(s * v.rows + r2) * v.columns + col2]).toBe(v.hu[(s * v.rows + r) * v.columns + col]);
    patient(volume, s, r2, col2).forEach((x, k) => expect(x).toBeCloseTo(patient(v, s, r, col)[k], 6));
  });

  it('mirrors each slice and reverses their order for the feet-first look, every voxel kept at its place in the patient', () => {
    const { case: ff, volume } = caseLook(c, v, 'feetfirst');
    const last = v.slices - 1;
    // the lesion's slice 3 is now slice last - 3, its box mirrored left to right
    expect(volume.sopInstanceUIDs[last - 3]).toBe(v.sopInstanceUIDs[3]);
    expect(ff.lesions.get('L')!.boxes![v.sopInstanceUIDs[3]]).toEqual([v.columns - 13, 10, v.columns - 11, 12]);
    // sorted as the loader sorts: the first slice lowest along the (now reversed) normal
    const along = (x: typeof v, s: number): number => x.positions[s].reduce((t, p, k) => t + p * x.normal[k], 0);
    expect(along(volume, 1)).toBeGreaterThan(along(volume, 0));
    const patient = (x: typeof v, s: number, r: number, col: number): number[] =>
      [0, 1, 2].map((k) => x.positions[s][k] + col * x.pixelSpacing[1] * x.rowCosines[k] + r * x.pixelSpacing[0] * x.columnCosines[k]);
    const [s, r, col] = [3, 5, 7];
    expect(volume.hu[((last - s) * v.rows + r) * v.columns + v.columns - 1 - col]).toBe(v.hu[(s * v.rows + r) * v.columns + col]);
    patient(volume, last - s, r, v.columns - 1 - col).forEach((x, k) => expect(x).toBeCloseTo(patient(v, s, r, col)[k], 6));
  });

  it('adds the noise of a low-dose scan, about 60 HU, and keeps the ground truth', () => {
    const { case: low, volume } = caseLook(c, v, 'lowdose');
    expect(low.lesions).toBe(c.lesions);
    let sum = 0, sum2 = 0;
    for (let i = 0; i < v.hu.length; i++) { const d = volume.hu[i] - v.hu[i]; sum += d; sum2 += d * d; }
    const mean = sum / v.hu.length;
    expect(Math.abs(mean)).toBeLessThan(2);
    expect(Math.sqrt(sum2 / v.hu.length - mean * mean)).toBeCloseTo(60, -1);
  });

  it('keeps the ground truth of the noise look and changes its pixels only', () => {
    const { case: noisy, volume } = caseLook(c, v, 'noise');
    expect(noisy.lesions).toBe(c.lesions);
    expect(volume.sopInstanceUIDs).toEqual(v.sopInstanceUIDs);
    expect(volume.hu).not.toEqual(v.hu);
  });
});

describe('eval looks of a diseased chest', () => {
  const v = chestVolume({ slices: 40 });
  const c: EvalCase = {
    name: 'c', dir: '.', seriesDir: '.',
    lesions: new Map([['L', { id: 'L', kind: 'nodule', sop_instance_uids: [v.sopInstanceUIDs[20]], boxes: { [v.sopInstanceUIDs[20]]: [40, 60, 46, 66] } }]]),
    queries: [
      { id: 'q', lang: 'en', lesion: 'L', text: 'nodule in the right lung' },
      { id: 'neg', lang: 'en', lesion: null, text: 'large right pleural effusion' },
    ],
  };

  it('punches holes of air into the lungs for the emphysema look, over the parenchyma only', () => {
    const { case: e, volume } = caseLook(c, v, 'emphysema');
    expect(e.lesions).toBe(c.lesions);
    let holes = 0, denseChanged = 0;
    for (let i = 0; i < v.hu.length; i++) {
      if (v.hu[i] > -500) { if (volume.hu[i] !== v.hu[i]) denseChanged++; }
      else if (volume.hu[i] < -960 && v.hu[i] > -900) holes++;
    }
    expect(denseChanged).toBe(0);
    expect(holes).toBeGreaterThan(1000);
  });

  it('makes the lung denser only along its lowest edge for the dependent look', () => {
    const { case: d, volume } = caseLook(c, v, 'dependent');
    expect(d.lesions).toBe(c.lesions);
    let denser = 0, elsewhere = 0, back = 0;
    for (let i = 0; i < v.hu.length; i++) {
      if (volume.hu[i] === v.hu[i]) continue;
      if (v.hu[i] > -500 || volume.hu[i] < v.hu[i]) elsewhere++;
      else denser++;
      // rows run to the patient's back: what changed lies in the back half of the image (but at the lungs' sides)
      if (Math.floor((i % (v.rows * v.columns)) / v.columns) > v.rows / 2) back++;
    }
    expect(elsewhere).toBe(0);
    expect(denser).toBeGreaterThan(100);
    expect(back).toBeGreaterThan(0.95 * denser);
  });

  it('puts wires in the sternum for the wires look, each slice of one streaked, the others as they were', () => {
    // a sternum: bone in front of the mediastinum at the midline
    const hu = v.hu.slice();
    for (let s = 0; s < v.slices; s++)
      for (let r = 0; r < v.rows; r++)
        for (let col = 0; col < v.columns; col++) {
          const x = v.positions[s][0] + col * v.pixelSpacing[1], y = v.positions[s][1] + r * v.pixelSpacing[0];
          if (Math.abs(x) < 10 && y > -72 && y < -64) hu[(s * v.rows + r) * v.columns + col] = 700;
        }
    const withSternum = { ...v, hu };
    const { case: w, volume } = caseLook(c, withSternum, 'wires');
    expect(w.lesions).toBe(c.lesions);
    const plane = v.rows * v.columns;
    const wired: number[] = [];
    for (let s = 0; s < v.slices; s++) {
      let metal = false, changed = 0;
      for (let i = s * plane; i < (s + 1) * plane; i++) {
        if (volume.hu[i] === 3000) metal = true;
        if (volume.hu[i] !== hu[i]) changed++;
      }
      if (metal) { wired.push(s); expect(changed).toBeGreaterThan(200); } else expect(changed).toBe(0);
    }
    expect(wired.length).toBeGreaterThan(1);
  });

  it('lays fluid at the back of both bases for the effusion look, and a negative query for one describes it', () => {
    const { case: e, volume } = caseLook(c, v, 'effusion');
    for (const side of ['right', 'left']) {
      const f = e.lesions.get(`effusion-${side}`);
      expect(f?.kind).toBe('pleural effusion');
      expect(f!.sop_instance_uids.length).toBeGreaterThan(0);
      // on its slices, fluid (about 10 HU) where the lung was
      const s = v.sopInstanceUIDs.indexOf(f!.sop_instance_uids[0]);
      const [x0, y0, x1, y1] = f!.boxes![f!.sop_instance_uids[0]];
      let fluid = 0;
      for (let r = y0; r <= y1; r++) for (let col = x0; col <= x1; col++) {
        const i = (s * v.rows + r) * v.columns + col;
        if (v.hu[i] < -500 && Math.abs(volume.hu[i] - 10) < 80) fluid++;
      }
      expect(fluid).toBeGreaterThan(0);
    }
    expect(e.lesions.get('L')).toBe(c.lesions.get('L'));
    expect(e.queries.find((q) => q.id === 'neg')?.lesion).toBe('effusion-right');
    expect(e.queries.find((q) => q.id === 'q')?.lesion).toBe('L');
  });
});
