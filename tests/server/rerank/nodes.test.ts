/**
 * The opening the lymph-node search starts from (nodes.ts, OPEN_MM), on a small synthetic mask at the
 * lattice an enhanced 0.7 mm scan is searched on (1.4 mm in plane, 2.5 mm slices): an enlarged node with a
 * strip of soft tissue beside it three lattice voxels thick (the partial-volume rim along an enhanced vessel,
 * or a strand between two vessels) comes out of the opening on its own, where the 2.5 mm ball of before left
 * the strip on it; a node of 8 mm still survives. A node's fat share (nodeFeatures) on an enhanced scan leaves out
 * the rim of tissue density along an enhanced vessel, as it leaves out the vessel; what runs on taller than any node is none.
 * Pieces of a chain one above the other are weighed as one (stackedPieces). A node pressed into the heart with no neck
 * is split off it as the heart's shoulder (splitOffShoulders).
 */
import { nodeFeatures, nodeParts, OPEN_MM, splitOffShoulders, stackedPieces } from '../../../server/rerank/analysis/nodes';
import { labelComponents, openByBall, splitAtNecks, squaredDistanceToBackground, type Dims } from '../../../server/rerank/analysis/morphology';
import type { Candidate } from '../../../server/rerank/analysis/types';

const D: Dims = { slices: 24, rows: 64, columns: 96 };
const spacing: [number, number, number] = [2.5, 1.4, 1.4];
const at = (s: number, r: number, c: number): number => (s * D.rows + r) * D.columns + c;
/** Patient millimetres of a voxel, from the crop's corner. */
const mm = (s: number, r: number, c: number): [number, number, number] => [s * spacing[0], r * spacing[1], c * spacing[2]];

/** Tissue: an ellipsoid node (semi-axes in mm: z, y, x) at `centre` (mm), and optionally a slab beside it. */
function mask(centre: [number, number, number], semi: [number, number, number], strip?: { thickMm: number; lengthMm: number }): Uint8Array {
  const m = new Uint8Array(D.slices * D.rows * D.columns);
  for (let s = 0; s < D.slices; s++)
    for (let r = 0; r < D.rows; r++)
      for (let c = 0; c < D.columns; c++) {
        const [z, y, x] = mm(s, r, c);
        const inNode = ((z - centre[0]) / semi[0]) ** 2 + ((y - centre[1]) / semi[1]) ** 2 + ((x - centre[2]) / semi[2]) ** 2 <= 1;
        // the strip: from the node's middle out to one side, as tall as the node, `thickMm` front to back
        const inStrip = !!strip && Math.abs(z - centre[0]) <= semi[0] && Math.abs(y - centre[1]) <= strip.thickMm / 2 && x >= centre[2] && x <= centre[2] + strip.lengthMm;
        if (inNode || inStrip) m[at(s, r, c)] = 1;
      }
  return m;
}

/** The opened mask's component at `centre` (mm): its voxel count and how far (mm) it reaches along x. */
function pieceAt(m: Uint8Array, radius: number, centre: [number, number, number]): { voxels: number; xMaxMm: number } {
  const opened = openByBall(m, squaredDistanceToBackground(m, D, spacing), D, spacing, radius, 0.6 * spacing[1]);
  const comps = labelComponents(opened, D);
  const id = comps.labels[at(Math.round(centre[0] / spacing[0]), Math.round(centre[1] / spacing[1]), Math.round(centre[2] / spacing[2]))];
  let xMax = -Infinity;
  for (let s = 0; s < D.slices; s++) for (let r = 0; r < D.rows; r++) for (let c = 0; c < D.columns; c++) if (id && comps.labels[at(s, r, c)] === id) xMax = Math.max(xMax, mm(s, r, c)[2]);
  return { voxels: id ? comps.sizes[id] : 0, xMaxMm: xMax };
}

describe('the node search opening', () => {
  const centre: [number, number, number] = [30, 45, 40];

  it('cuts an enlarged node off a strip of tissue 3 voxels (4.2 mm) thick beside it', () => {
    const semi: [number, number, number] = [8, 7, 9]; // 16 × 14 mm in plane, 16 mm tall
    const alone = pieceAt(mask(centre, semi), OPEN_MM, centre);
    const withStrip = pieceAt(mask(centre, semi, { thickMm: 5, lengthMm: 50 }), OPEN_MM, centre);
    expect(alone.voxels).toBeGreaterThan(0);
    // the node's piece ends at the node (its x extent, a voxel of slack), and is the same size as the node alone
    expect(withStrip.xMaxMm).toBeLessThanOrEqual(centre[2] + semi[2] + spacing[2]);
    expect(withStrip.voxels).toBeLessThan(1.15 * alone.voxels);
    // the class of failure: with the 2.5 mm ball the strip stays on the node, 50 mm long
    expect(pieceAt(mask(centre, semi, { thickMm: 5, lengthMm: 50 }), 2.5, centre).xMaxMm).toBeGreaterThan(centre[2] + 40);
  });

  it('keeps a node of 8 mm', () => {
    expect(pieceAt(mask(centre, [4, 4, 4]), OPEN_MM, centre).voxels).toBeGreaterThan(0);
  });
});

describe('the node search pieces', () => {
  const centre: [number, number, number] = [30, 45, 95];
  const voxelMm3 = spacing[0] * spacing[1] * spacing[2];
  const nodeMm3 = (4 / 3) * Math.PI * 8 ** 3;
  const inNode = at(12, 32, 68);
  /** A block 60 × 56 × 70 mm and a node of 16 mm at `centre` joined to it by a neck along x (`inNeck` of z, y in mm): the component's voxels and depth. */
  function blockAndNode(inNeck: (z: number, y: number) => boolean): { members: Int32Array; depth2: Float32Array } {
    const m = mask(centre, [8, 8, 8]);
    for (let s = 0; s < D.slices; s++)
      for (let r = 0; r < D.rows; r++)
        for (let c = 0; c < D.columns; c++) {
          const [z, y, x] = mm(s, r, c);
          if ((r >= 4 && r < 44 && c < 50) || (inNeck(z, y) && x < 90)) m[at(s, r, c)] = 1;
        }
    const comps = labelComponents(m, D);
    return { members: Int32Array.from(m.keys()).filter((i) => comps.labels[i] === comps.labels[inNode]), depth2: squaredDistanceToBackground(m, D, spacing) };
  }

  it('cuts a node off a block of tissue far larger than any node (a missed aorta joined to the paratracheal space)', () => {
    // the block over three times a 50 mm node's volume, the node joined to it by a 4 mm neck
    const { members, depth2 } = blockAndNode((z, y) => Math.abs(z - 30) <= 2 && Math.abs(y - 45) <= 2);
    const blockVoxels = D.slices * 40 * 50;
    expect(blockVoxels * voxelMm3).toBeGreaterThan(3 * (Math.PI / 6) * 50 ** 3);
    const node = nodeParts(members, D, depth2, spacing).find((p) => p.includes(inNode));
    expect(node).toBeDefined();
    // the node's piece: about its own volume (4/3 π 8³ mm³), not the neck or the block
    expect((node?.length ?? 0) * voxelMm3).toBeGreaterThan(0.6 * nodeMm3);
    expect((node?.length ?? 0) * voxelMm3).toBeLessThan(1.6 * nodeMm3);
  });

  it('cuts off a node pressed broadly against a structure of its density (a neck 12 mm wide on a node of 16 mm)', () => {
    // how a node lies against the oesophagus or the heart on an unenhanced scan, or on 5-6 mm slices that blur its fat plane away
    const { members, depth2 } = blockAndNode((z, y) => Math.hypot(z - 30, y - 45) <= 6);
    // the class of failure: at the necks a node is cut at, node and block are one piece, larger than any node
    const whole = splitAtNecks(members, D, depth2, (peak) => Math.max(1.2, 0.35 * peak)).find((p) => p.includes(inNode));
    expect((whole?.length ?? 0) * voxelMm3).toBeGreaterThan((Math.PI / 6) * 50 ** 3);
    const node = nodeParts(members, D, depth2, spacing).find((p) => p.includes(inNode));
    expect(node).toBeDefined();
    expect((node?.length ?? 0) * voxelMm3).toBeGreaterThan(0.6 * nodeMm3);
    expect((node?.length ?? 0) * voxelMm3).toBeLessThan(1.6 * nodeMm3);
  });
});

describe('a node pressed into the heart', () => {
  // the heart: a block 36 mm front to back, 40 mm wide and 40 mm tall (under the largest node's volume, so kept whole by
  // nodeParts); a node of 16 mm a quarter sunk into its front face
  // (an unenhanced scan: one density, no fat and no neck between them)
  const centre: [number, number, number] = [30, 12, 40];
  const inNode = at(12, 6, 29);
  const voxelMm3 = spacing[0] * spacing[1] * spacing[2];
  const nodeMm3 = (4 / 3) * Math.PI * 8 ** 3;
  function heartAndNode(): { parts: Int32Array[]; owner: Int32Array; depth2: Float32Array; tissue: Uint8Array } {
    const m = mask(centre, [8, 8, 8]);
    for (let s = 0; s < D.slices; s++)
      for (let r = 0; r < D.rows; r++)
        for (let c = 0; c < D.columns; c++) {
          const [z, y, x] = mm(s, r, c);
          if (z >= 10 && z < 50 && y >= 16 && y < 52 && x >= 20 && x < 60) m[at(s, r, c)] = 1;
        }
    const depth2 = squaredDistanceToBackground(m, D, spacing);
    const comps = labelComponents(m, D);
    const members = Int32Array.from(m.keys()).filter((i) => comps.labels[i] === comps.labels[inNode]);
    const parts = nodeParts(members, D, depth2, spacing);
    const owner = new Int32Array(m.length).fill(-1);
    parts.forEach((p, k) => { for (const i of p) owner[i] = k; });
    return { parts, owner, depth2, tissue: m };
  }
  // the smaller, the more node-like (the heart's piece is far larger than any node)
  const bySize = (parts: Int32Array[]) => (k: number): number => 1 / (1 + parts[k].length);
  const nodePiece = (parts: Int32Array[]): Int32Array | undefined => parts.find((p) => p.includes(inNode));

  it('is a shoulder of the heart: no neck parts them', () => {
    const { parts } = heartAndNode();
    expect(inNode).toBeGreaterThanOrEqual(0);
    // the class of failure: the node's piece is the heart's, many times a node
    expect((nodePiece(parts)?.length ?? 0) * voxelMm3).toBeGreaterThan(5 * nodeMm3);
  });

  it('is split off the heart, a piece of the node and no more, judged with the heart apart', () => {
    const { parts, owner, depth2, tissue } = heartAndNode();
    const shoulders = splitOffShoulders(parts, owner, D, depth2, spacing, { ofHeart: () => true, onLung: () => false, likelihoodOf: bySize(parts) });
    const node = nodePiece(parts);
    // in fat (-100 HU) but where it lies against the heart, which counts neither way
    const sm = Float32Array.from(tissue, (t) => (t ? 35 : -100)), all = new Uint8Array(tissue.length).fill(1);
    const judge = (apart?: Uint8Array) => nodeFeatures(node!, parts.indexOf(node!), owner, tissue, all, all, () => false, sm, D, spacing, false, undefined, apart)!;
    expect(judge().fatShare).toBeLessThan(0.75);
    expect(judge(shoulders.heart).fatShare).toBeGreaterThan(0.9);
    // what stands out of the heart: most of the node's part outside it (the heart's core reaches into the rest)
    expect((node?.length ?? 0) * voxelMm3).toBeGreaterThan(0.35 * nodeMm3);
    const inside = node!.filter((i) => {
      const [z, y, x] = mm(Math.floor(i / (D.rows * D.columns)), Math.floor(i / D.columns) % D.rows, i % D.columns);
      return Math.hypot(z - centre[0], y - centre[1], x - centre[2]) <= 8 + spacing[0];
    });
    expect(inside.length).toBe(node!.length);
    expect(shoulders.ids.has(parts.indexOf(node!))).toBe(true);
    // the heart's piece, the node taken out, is the structure it lies against
    expect(shoulders.heart.reduce((t, x) => t + x, 0) * voxelMm3).toBeGreaterThan(36 * 40 * 40 * 0.9);
    // the pieces still cover the tissue once each
    for (const [k, p] of parts.entries()) for (const i of p) expect(owner[i]).toBe(k);
  });

  it('stays whole where the deep piece is not the heart, the shoulder lies on the lung, or no shoulder is more node-like than it', () => {
    for (const [ofHeart, onLung, likelier] of [[false, false, true], [true, true, true], [true, false, false]]) {
      const { parts, owner, depth2 } = heartAndNode();
      const before = parts.map((p) => p.length);
      const shoulders = splitOffShoulders(parts, owner, D, depth2, spacing, {
        ofHeart: () => ofHeart, onLung: () => onLung, likelihoodOf: likelier ? bySize(parts) : (k: number) => (k === 0 ? 1 : 0),
      });
      expect(shoulders.ids.size).toBe(0);
      expect(parts.filter((p) => p.length).map((p) => p.length)).toEqual(before);
    }
  });
});

describe('a node beside an enhanced vessel', () => {
  // a node (35 HU) in fat (-100 HU) whose side lies on the rim of tissue density (60 HU: blood and fat in one voxel)
  // one voxel wide along an enhanced vessel (300 HU), the vessel's face running through the slices
  const d: Dims = { slices: 10, rows: 36, columns: 36 };
  const sp: [number, number, number] = [2.5, 1.4, 1.4];
  const n = d.slices * d.rows * d.columns;
  const idx = (s: number, r: number, c: number): number => (s * d.rows + r) * d.columns + c;
  const sm = new Float32Array(n).fill(-100);
  const node: number[] = [];
  for (let s = 0; s < d.slices; s++)
    for (let r = 0; r < d.rows; r++)
      for (let c = 0; c < d.columns; c++) {
        if (c <= 8) sm[idx(s, r, c)] = 300;
        else if (c === 9) sm[idx(s, r, c)] = 60;
        else if (s >= 2 && s <= 7 && r >= 12 && r <= 21 && c <= 19) { sm[idx(s, r, c)] = 35; node.push(idx(s, r, c)); }
      }
  const part = Int32Array.from(node);
  const owner = new Int32Array(n).fill(-1);
  for (const i of part) owner[i] = 0;
  const tissue = Uint8Array.from(sm, (x) => (x > -25 && x < 130 ? 1 : 0));
  const inRoi = new Uint8Array(n).fill(1);
  const place = new Uint8Array(n).fill(1);
  const judge = (enhanced: boolean) => nodeFeatures(part, 0, owner, tissue, inRoi, place, () => false, sm, d, sp, enhanced)!;

  it('touches the vessel rim on part of its border', () => {
    let onRim = 0;
    for (const i of part) for (const j of [i - 1, i + 1, i - d.columns, i + d.columns]) if (owner[j] !== 0 && sm[j] === 60) onRim++;
    expect(onRim).toBeGreaterThan(10);
  });

  it('on an enhanced scan is judged on its border of fat, the rim counting neither way', () => {
    const withRim = judge(false), rimApart = judge(true);
    // the class of failure: the rim counted as tissue around the node lowers its fat share
    expect(withRim.fatShare).toBeLessThan(0.8);
    expect(rimApart.fatShare).toBeGreaterThan(0.9);
    expect(rimApart.likelihood).toBeGreaterThan(withRim.likelihood);
  });
});

/**
 * The likelihood of an oval of tissue (35 HU) in fat (-100 HU) on the slices `from`..`to` of a crop of `slices` slices of
 * 2.5 mm (1.4 mm pixels), its radius in the plane (voxels) per slice from `radius`, 0.8 of it across.
 */
function ovalLikelihood(slices: number, from: number, to: number, radius: (s: number) => number, scanEnds = { first: false, last: false }): number {
  const d: Dims = { slices, rows: 30, columns: 30 };
  const sp: [number, number, number] = [2.5, 1.4, 1.4];
  const n = d.slices * d.rows * d.columns;
  const sm = new Float32Array(n).fill(-100);
  const node: number[] = [];
  for (let s = from; s <= to; s++)
    for (let r = 0; r < d.rows; r++)
      for (let c = 0; c < d.columns; c++) {
        if (((r - 15) / radius(s)) ** 2 + ((c - 15) / (0.8 * radius(s))) ** 2 > 1) continue;
        const i = (s * d.rows + r) * d.columns + c;
        sm[i] = 35;
        node.push(i);
      }
  const part = Int32Array.from(node);
  const owner = new Int32Array(n).fill(-1);
  for (const i of part) owner[i] = 0;
  const tissue = Uint8Array.from(sm, (x) => (x > -25 && x < 130 ? 1 : 0));
  return nodeFeatures(part, 0, owner, tissue, new Uint8Array(n).fill(1), new Uint8Array(n).fill(1), () => false, sm, d, sp, false, scanEnds)!.likelihood;
}

describe('a node the scan cuts across', () => {
  const judge = (from: number, to: number, radius: (s: number) => number, scanEnds: { first: boolean; last: boolean }) => ovalLikelihood(10, from, to, radius, scanEnds);
  const oval = (s: number, centre: number): number => Math.max(1.5, 6 * Math.sqrt(Math.max(0, 1 - ((s - centre) / 3.5) ** 2)));
  const ends = { first: true, last: true }, inside = { first: false, last: false };

  it('is left a tenth of its likelihood where the scan ends across its widest part', () => {
    const cut = (e: typeof ends) => judge(6, 9, (s) => oval(s, 9), e);
    expect(cut(inside)).toBeGreaterThan(0.1);
    expect(cut(ends)).toBeCloseTo(0.1 * cut(inside), 5);
  });

  it('is judged as it is where it closes inside the scan, or tapers to the last slice', () => {
    expect(judge(2, 7, (s) => oval(s, 4.5), ends)).toBeCloseTo(judge(2, 7, (s) => oval(s, 4.5), inside), 5);
    const tapering = (e: typeof ends) => judge(4, 9, (s) => (s === 9 ? 1.5 : oval(s, 6.5)), e);
    expect(tapering(ends)).toBeCloseTo(tapering(inside), 5);
  });
});

describe('tissue running on along the slices', () => {
  // an oval 28 × 22 mm in the plane on `count` slices of 2.5 mm: the unenhanced superior vena cava beside the trachea
  // is such a column, 70 mm of it
  const judge = (count: number): number => ovalLikelihood(32, 1, count, () => 10);

  it('is no node once taller than the longest node (50 mm), however wide', () => {
    // 35 mm tall: as likely a node as before; 70 mm tall (its height under 3.2 times its short axis, so not a tube by shape)
    expect(judge(14)).toBeGreaterThan(0.5);
    expect(judge(28)).toBeLessThan(0.01 * judge(14));
  });
});

describe('pieces of a chain one above the other', () => {
  type Box = [number, number, number, number];
  const piece = (from: number, to: number, box: Box): Candidate =>
    ({ kind: 'lymph node', slices: Array.from({ length: to - from + 1 }, (_, k) => ({ index: from + k, box, area: 1, weight: 1 })) }) as unknown as Candidate;

  test('are stacked where one starts on the slice after the other ends, their boxes within 3 mm', () => {
    // 0.8 mm pixels: a gap of 3 pixels is 2.4 mm, of 5 pixels 4 mm
    const cands = [piece(10, 14, [100, 100, 120, 118]), piece(15, 19, [123, 104, 140, 120]), piece(20, 24, [145, 104, 160, 120]), piece(15, 18, [60, 60, 70, 70])];
    const stacked = stackedPieces(cands, [0.8, 0.8]);
    expect([...stacked[0]]).toEqual([1]);
    expect([...stacked[1]]).toEqual([0]);
    // the third is 5 pixels off the second; the fourth lies elsewhere on the next slices
    expect(stacked[2].size).toBe(0);
    expect(stacked[3].size).toBe(0);
  });
});
