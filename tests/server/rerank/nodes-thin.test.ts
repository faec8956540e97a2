/**
 * The lymph-node search on a thin-slice series (nodes.ts): below 1 mm it searches slice pairs, as it searches
 * pixel pairs in the plane. The upper chest of 4D-Lung (its top 59 slices of 3 mm) interpolated to 0.75 mm (233
 * slices): its left paratracheal node is a node candidate on its slices and its box, at station 4L and enlarged,
 * as on the scan as it is (the eval's thin look applied twice to the whole scan found it so too, at 0.994 for its
 * query; its right paratracheal node is on its slices there but its region misses, with slice pairs or without).
 */
import path from 'node:path';
import type { Candidate } from '../../../server/rerank/analysis/types';
import { thoracicCompartments } from '../../../server/rerank/analysis/compartments';
import { findLymphNodes } from '../../../server/rerank/analysis/nodes';
import { analyseLungs } from '../../../server/rerank/pipeline';
import { loadSeriesFromDir } from '../../../server/series/load';
import { SAMPLE_DATA_DIR } from '../../../server/series/sample';
import type { Vec3, Volume } from '../../../server/series/volume';
import { readCase, type EvalCase } from '../../../scripts/eval-cases';

/**
 * The volume's slices from `from` on, reconstructed `k` times finer: k - 1 slices interpolated between each pair.
 * The source slices keep their UIDs, so the lesions' boxes stay on them.
 */
function thinner(v: Volume, from: number, k: number): Volume {
  const plane = v.rows * v.columns;
  const n = (v.slices - from - 1) * k + 1;
  const hu = new Float32Array(n * plane);
  const positions: Vec3[] = [];
  const uids: string[] = [];
  for (let s = 0; s < n; s++) {
    const a = from + Math.floor(s / k), t = (s % k) / k, b = Math.min(v.slices - 1, a + 1);
    const pa = a * plane, pb = b * plane, o = s * plane;
    for (let q = 0; q < plane; q++) hu[o + q] = v.hu[pa + q] * (1 - t) + v.hu[pb + q] * t;
    positions.push([0, 1, 2].map((i) => v.positions[a][i] * (1 - t) + v.positions[b][i] * t) as Vec3);
    uids.push(t === 0 ? v.sopInstanceUIDs[a] : `${v.sopInstanceUIDs[a]}.${s % k}`);
  }
  return { ...v, slices: n, hu, sliceSpacing: v.sliceSpacing / k, positions, sopInstanceUIDs: uids, frames: uids.map(() => 1) };
}

/** The lymph node on the lesion's box on most of its slices, if any. */
function nodeOn(c: EvalCase, v: Volume, nodes: Candidate[], lesion: string): Candidate | undefined {
  const truth = c.lesions.get(lesion)!;
  const boxes = new Map(Object.entries(truth.boxes ?? {}).map(([u, b]) => [v.sopInstanceUIDs.indexOf(u), b]));
  const onBox = (n: Candidate): number =>
    n.slices.filter((s) => {
      const b = boxes.get(s.index);
      if (!b) return false;
      const cx = (s.box[0] + s.box[2]) / 2, cy = (s.box[1] + s.box[3]) / 2;
      return cx >= b[0] && cx <= b[2] && cy >= b[1] && cy <= b[3];
    }).length;
  const best = [...nodes].sort((a, b) => onBox(b) - onBox(a))[0];
  return best && onBox(best) >= boxes.size / 2 ? best : undefined;
}

describe('lymph nodes on the upper chest of 4D-Lung reconstructed at 0.75 mm', () => {
  let c: EvalCase;
  let volume: Volume;
  let nodes: Candidate[];

  beforeAll(async () => {
    c = await readCase(path.join(SAMPLE_DATA_DIR, '4dlung-113'));
    // slice 0 is the lowest: the nodes lie on slices 71-86, the carina below them, the aorta's landmarks lower still
    volume = thinner((await loadSeriesFromDir(c.seriesDir)).volume, 40, 4);
    const { grid, masks, diaphragm } = analyseLungs(volume);
    nodes = findLymphNodes({ v: volume, g: grid, m: masks, compartments: thoracicCompartments(grid, masks, masks.lung, diaphragm) }).candidates;
  }, 240_000);

  it('finds the left paratracheal node on its slices and box, at 4L, its short axis a node enlarged', () => {
    expect(volume.sliceSpacing).toBeLessThan(1);
    const node = nodeOn(c, volume, nodes, 'ln-left');
    expect(node).toBeDefined();
    expect(node!.station).toBe('4L');
    expect(node!.shortAxisMm).toBeGreaterThanOrEqual(10);
    expect(node!.lesionLikelihood).toBeGreaterThan(0.5);
  });
});
