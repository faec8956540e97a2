/** The binary-image primitives of morphology.ts against slow, obvious versions on small random volumes. */
import { rng as random } from '../../../models/synthetic/lesion';
import { ballOffsets, fillHoles2D, fillHolesInHull2D, greyOpening2D, labelComponents, lastSet, nextSet, openByBall, squaredDistanceToBackground, wordsOf, type Dims } from '../../../server/rerank/analysis/morphology';

/** A random mask of blobs: each voxel set with probability `p`, then a few solid boxes so there are deep interiors too. */
function randomMask(d: Dims, p: number, rnd: () => number): Uint8Array {
  const { slices, rows, columns } = d;
  const m = new Uint8Array(slices * rows * columns);
  for (let i = 0; i < m.length; i++) m[i] = rnd() < p ? 1 : 0;
  for (let b = 0; b < 3; b++) {
    const s0 = Math.floor(rnd() * slices), r0 = Math.floor(rnd() * rows), c0 = Math.floor(rnd() * columns);
    const s1 = Math.min(slices, s0 + 1 + Math.floor(rnd() * slices)), r1 = Math.min(rows, r0 + 1 + Math.floor(rnd() * rows)), c1 = Math.min(columns, c0 + 1 + Math.floor(rnd() * columns));
    for (let s = s0; s < s1; s++) for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) m[(s * rows + r) * columns + c] = 1;
  }
  return m;
}

/** Brute force: the nearest background voxel by trying them all (Infinity when there is none). */
function bruteDistance2(mask: Uint8Array, d: Dims, sp: [number, number, number], planar: boolean): Float64Array {
  const { slices, rows, columns } = d;
  const out = new Float64Array(mask.length);
  for (let s = 0; s < slices; s++)
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < columns; c++) {
        const i = (s * rows + r) * columns + c;
        if (!mask[i]) continue;
        let best = Infinity;
        for (let t = planar ? s : 0; t < (planar ? s + 1 : slices); t++)
          for (let y = 0; y < rows; y++)
            for (let x = 0; x < columns; x++) {
              if (mask[(t * rows + y) * columns + x]) continue;
              const d2 = ((t - s) * sp[0]) ** 2 + ((y - r) * sp[1]) ** 2 + ((x - c) * sp[2]) ** 2;
              if (d2 < best) best = d2;
            }
        out[i] = best;
      }
  return out;
}

/** Obvious connected components: a flood fill from each unlabelled voxel, ids in scan order. */
function floodLabels(mask: Uint8Array, d: Dims, planar: boolean): { labels: Int32Array; count: number } {
  const { slices, rows, columns } = d;
  const plane = rows * columns;
  const labels = new Int32Array(mask.length);
  let count = 0;
  for (let i = 0; i < mask.length; i++) {
    if (!mask[i] || labels[i]) continue;
    labels[i] = ++count;
    const stack = [i];
    while (stack.length) {
      const p = stack.pop() as number;
      const s = Math.floor(p / plane), r = Math.floor((p % plane) / columns), c = p % columns;
      const nb: number[] = [];
      if (c > 0) nb.push(p - 1);
      if (c < columns - 1) nb.push(p + 1);
      if (r > 0) nb.push(p - columns);
      if (r < rows - 1) nb.push(p + columns);
      if (!planar && s > 0) nb.push(p - plane);
      if (!planar && s < slices - 1) nb.push(p + plane);
      for (const q of nb) if (mask[q] && !labels[q]) { labels[q] = count; stack.push(q); }
    }
  }
  return { labels, count };
}

describe('squaredDistanceToBackground', () => {
  const cases: Array<{ d: Dims; sp: [number, number, number]; p: number }> = [
    { d: { slices: 5, rows: 9, columns: 11 }, sp: [2.5, 0.7, 0.7], p: 0.7 },
    { d: { slices: 7, rows: 6, columns: 13 }, sp: [1, 1.40625, 1.40625], p: 0.85 },
    { d: { slices: 1, rows: 12, columns: 10 }, sp: [5, 0.9, 1.1], p: 0.6 },
    { d: { slices: 6, rows: 8, columns: 8 }, sp: [2, 1.3, 1.3], p: 0.97 },
    { d: { slices: 4, rows: 5, columns: 6 }, sp: [2, 1, 1], p: 0 },
  ];
  for (const planar of [false, true])
    cases.forEach(({ d, sp, p }, k) => {
      it(`matches brute force (case ${k}${planar ? ', planar' : ''})`, () => {
        const rnd = random(17 + k);
        for (let trial = 0; trial < 4; trial++) {
          const mask = randomMask(d, p, rnd);
          const got = squaredDistanceToBackground(mask, d, sp, planar);
          const want = bruteDistance2(mask, d, sp, planar);
          for (let i = 0; i < mask.length; i++) {
            if (!mask[i]) expect(got[i]).toBe(0);
            else if (want[i] === Infinity) expect(got[i]).toBeGreaterThanOrEqual(1e20);
            else expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-5 * want[i]);
          }
        }
      });
    });

  it('is all background distances for an empty or a full mask', () => {
    const d = { slices: 3, rows: 4, columns: 5 };
    expect([...squaredDistanceToBackground(new Uint8Array(60), d, [1, 1, 1])].every((x) => x === 0)).toBe(true);
    expect([...squaredDistanceToBackground(new Uint8Array(60).fill(1), d, [1, 1, 1])].every((x) => x >= 1e20)).toBe(true);
  });
});

describe('labelComponents', () => {
  const dims: Dims[] = [
    { slices: 6, rows: 9, columns: 11 },
    { slices: 1, rows: 17, columns: 13 },
    { slices: 9, rows: 3, columns: 20 },
  ];
  for (const planar of [false, true])
    dims.forEach((d, k) => {
      it(`matches a flood fill (case ${k}${planar ? ', planar' : ''})`, () => {
        const rnd = random(101 + k);
        for (const p of [0.3, 0.5, 0.65]) {
          const mask = randomMask(d, p, rnd);
          const got = labelComponents(mask, d, planar);
          const want = floodLabels(mask, d, planar);
          expect(got.count).toBe(want.count);
          // the same partition, numbered in scan order
          expect([...got.labels]).toEqual([...want.labels]);
          const sizes = new Int32Array(want.count + 1);
          for (const l of want.labels) if (l) sizes[l]++;
          expect([...got.sizes]).toEqual([...sizes]);
          // a reused output buffer gives the same
          const out = new Int32Array(mask.length).fill(7);
          expect([...labelComponents(mask, d, planar, out).labels]).toEqual([...want.labels]);
        }
      });
    });
});

describe('nextSet and lastSet', () => {
  it('find the first and last non-zero value of any range, at any alignment', () => {
    const rnd = random(7);
    const buffer = new Uint8Array(203);
    for (let i = 0; i < buffer.length; i++) buffer[i] = rnd() < 0.04 ? 1 + Math.floor(rnd() * 255) : 0;
    for (const offset of [0, 1, 2, 3, 5]) {
      const mask = buffer.subarray(offset, offset + 190);
      const words = wordsOf(mask);
      for (let trial = 0; trial < 400; trial++) {
        const a = Math.floor(rnd() * mask.length), b = a + Math.floor(rnd() * (mask.length - a + 1));
        let first = b, last = a - 1;
        for (let i = a; i < b; i++) if (mask[i]) { if (first === b) first = i; last = i; }
        expect(nextSet(mask, words, a, b)).toBe(first);
        expect(lastSet(mask, words, a, b)).toBe(last);
      }
    }
  });
});

describe('openByBall', () => {
  it('is the union of the balls around the deep voxels, within the mask', () => {
    const rnd = random(29);
    const d: Dims = { slices: 7, rows: 12, columns: 14 };
    const sp: [number, number, number] = [2, 1, 1.2];
    const plane = d.rows * d.columns;
    for (let trial = 0; trial < 6; trial++) {
      const mask = randomMask(d, 0.75, rnd);
      const dist2 = squaredDistanceToBackground(mask, d, sp);
      const radius = 1.5 + rnd() * 2, grow = rnd();
      const want = new Uint8Array(mask.length);
      const ball = ballOffsets(radius + grow, sp);
      for (let p = 0; p < mask.length; p++) {
        if (dist2[p] < radius * radius - 1e-6) continue;
        const s = Math.floor(p / plane), r = Math.floor((p % plane) / d.columns), c = p % d.columns;
        for (let b = 0; b < ball.length; b += 3) {
          const ss = s + ball[b], rr = r + ball[b + 1], cc = c + ball[b + 2];
          if (ss >= 0 && ss < d.slices && rr >= 0 && rr < d.rows && cc >= 0 && cc < d.columns) want[(ss * d.rows + rr) * d.columns + cc] = mask[(ss * d.rows + rr) * d.columns + cc];
        }
      }
      expect([...openByBall(mask, dist2, d, sp, radius, grow)]).toEqual([...want]);
    }
  });
});

describe('fillHolesInHull2D', () => {
  // a body (1) around a lung (.), the image's left edge cutting both; outside air (.) above, below and right
  const picture = [
    '..........',
    '#########.',
    '#########.',
    '......###.',
    '......###.',
    '......###.',
    '......###.',
    '#########.',
    '#########.',
    '..........',
  ];
  const slice = (): Uint8Array => Uint8Array.from(picture.join('').split(''), (ch) => (ch === '#' ? 1 : 0));
  const text = (m: Uint8Array): string[] => picture.map((_, r) => [...m.subarray(r * 10, r * 10 + 10)].map((x) => (x ? '#' : '.')).join(''));
  const scratch = (): Uint8Array => new Uint8Array(100);

  it('fills a region the image border cuts inside the outline, and leaves the air outside it', () => {
    const m = slice();
    fillHolesInHull2D(m, 0, 10, 10, scratch(), scratch());
    expect(text(m)).toEqual(['..........', ...Array(8).fill('#########.'), '..........']);
    // fillHoles2D takes the cut region for outside air
    const plain = slice();
    fillHoles2D(plain, 0, 10, 10, scratch());
    expect(text(plain)).toEqual(picture);
  });

  it('is fillHoles2D where the outline does not reach the image border', () => {
    const framed = ['..........', '.#######..', '.#.....#..', '.#.....#..', '.#######..', '..........', '...###....', '...#.#....', '...###....', '..........'];
    const m = Uint8Array.from(framed.join('').split(''), (ch) => (ch === '#' ? 1 : 0));
    const a = m.slice(), b = m.slice();
    fillHolesInHull2D(a, 0, 10, 10, scratch(), scratch());
    fillHoles2D(b, 0, 10, 10, scratch());
    expect([...a]).toEqual([...b]);
    expect(a[2 * 10 + 3]).toBe(1);
  });
});

describe('greyOpening2D', () => {
  // a 20 × 20 background at -600 with a line two pixels wide and a 4 × 4 block, both at 40
  const w = 20, ht = 20;
  const image = new Float32Array(w * ht).fill(-600);
  for (let c = 0; c < w; c++) for (const r of [3, 4]) image[r * w + c] = 40;
  for (let r = 10; r < 14; r++) for (let c = 8; c < 12; c++) image[r * w + c] = 40;
  const opened = greyOpening2D(image, w, ht, 1);

  it('levels a bright line narrower than the square to its surroundings', () => {
    for (let c = 0; c < w; c++) expect([opened[3 * w + c], opened[4 * w + c]]).toEqual([-600, -600]);
  });

  it('keeps a bright region at least as wide as the square, and never raises a value', () => {
    for (let r = 10; r < 14; r++) for (let c = 8; c < 12; c++) expect(opened[r * w + c]).toBe(40);
    opened.forEach((x, i) => expect(x).toBeLessThanOrEqual(image[i]));
  });
});
