/**
 * Binary-image primitives on flat typed arrays (slice-major, like Volume.hu): connected components,
 * 2D hole filling, Euclidean distance transforms and ball dilation. No per-voxel allocation. And one
 * grey-level one: a 2D opening, for what is brighter than its surroundings over less than a few pixels.
 */

export interface Dims {
  slices: number;
  rows: number;
  columns: number;
}

/** The bounding box (inclusive indices) of voxels added one at a time; empty until the first. */
export class VoxelBox {
  s0 = Infinity;
  s1 = -Infinity;
  r0 = Infinity;
  r1 = -Infinity;
  c0 = Infinity;
  c1 = -Infinity;

  add(s: number, r: number, c: number): void {
    if (s < this.s0) this.s0 = s;
    if (s > this.s1) this.s1 = s;
    if (r < this.r0) this.r0 = r;
    if (r > this.r1) this.r1 = r;
    if (c < this.c0) this.c0 = c;
    if (c > this.c1) this.c1 = c;
  }

  /** Adds a voxel by its flat (slice-major) index in a volume of these rows and columns. */
  addIndex(i: number, d: { rows: number; columns: number }): void {
    const plane = d.rows * d.columns;
    const s = (i / plane) | 0, q = i - s * plane, r = (q / d.columns) | 0;
    this.add(s, r, q - r * d.columns);
  }

  get empty(): boolean {
    return this.s1 < this.s0;
  }
}

/** A region's in-plane box and pixel count on one slice. */
export interface SliceBox { r0: number; r1: number; c0: number; c1: number; n: number }

/** Grows the box of slice `s` in a per-slice map by the pixel (r, c). */
export function addToSliceBoxes(boxes: Map<number, SliceBox>, s: number, r: number, c: number): void {
  const b = boxes.get(s);
  if (!b) { boxes.set(s, { r0: r, r1: r, c0: c, c1: c, n: 1 }); return; }
  if (r < b.r0) b.r0 = r;
  if (r > b.r1) b.r1 = r;
  if (c < b.c0) b.c0 = c;
  if (c > b.c1) b.c1 = c;
  b.n++;
}

/**
 * Flat index of the face neighbour `d` of voxel `i` at (s, r, c): 0 and 1 along the row, 2 and 3 across
 * rows, 4 and 5 across slices (so `d < 4` stays in the plane); -1 outside the volume.
 */
export function faceNeighbour(i: number, s: number, r: number, c: number, d: number, dims: Dims): number {
  switch (d) {
    case 0: return c === 0 ? -1 : i - 1;
    case 1: return c === dims.columns - 1 ? -1 : i + 1;
    case 2: return r === 0 ? -1 : i - dims.columns;
    case 3: return r === dims.rows - 1 ? -1 : i + dims.columns;
    case 4: return s === 0 ? -1 : i - dims.rows * dims.columns;
    default: return s === dims.slices - 1 ? -1 : i + dims.rows * dims.columns;
  }
}

export interface Components {
  /** 0 = background, 1..count = component id. */
  labels: Int32Array;
  count: number;
  /** Voxel count per id (index 0 unused). */
  sizes: Int32Array;
}

/**
 * A word view of a mask's buffer for nextSet and lastSet: binary masks are mostly empty, and four zero
 * bytes are skipped in one read.
 */
export function wordsOf(mask: Uint8Array): Uint32Array {
  return new Uint32Array(mask.buffer, 0, mask.buffer.byteLength >> 2);
}

/** Index of the first non-zero value of `mask` in [i, end), or `end`; `words` = wordsOf(mask). */
export function nextSet(mask: Uint8Array, words: Uint32Array, i: number, end: number): number {
  const o = mask.byteOffset;
  while (i < end && ((o + i) & 3) !== 0) { if (mask[i]) return i; i++; }
  while (i + 4 <= end && words[(o + i) >> 2] === 0) i += 4;
  while (i < end && !mask[i]) i++;
  return i;
}

/** Index of the last non-zero value of `mask` in [start, end), or start - 1; `words` = wordsOf(mask). */
export function lastSet(mask: Uint8Array, words: Uint32Array, start: number, end: number): number {
  const o = mask.byteOffset;
  let i = end - 1;
  while (i >= start && ((o + i + 1) & 3) !== 0) { if (mask[i]) return i; i--; }
  while (i - 3 >= start && words[(o + i - 3) >> 2] === 0) i -= 4;
  while (i >= start && !mask[i]) i--;
  return i;
}

function findRoot(parent: Int32Array, x: number): number {
  while (parent[x] !== x) {
    parent[x] = parent[parent[x]];
    x = parent[x];
  }
  return x;
}


/**
 * The connected components of a mask as runs: per row (slice * rows + row) its runs of set voxels
 * `rowStart[row]` .. `rowStart[row + 1]` - 1, run i covering columns `rs[i]` .. `re[i]` - 1 and labelled
 * `label[i]` (1..count, numbered in raster order of their first voxel). What a caller that only walks the
 * components' voxels needs, without a label per voxel (a label volume costs 4 bytes a voxel to write).
 */
export interface ComponentRuns {
  rowStart: Int32Array;
  rs: Int32Array;
  re: Int32Array;
  label: Int32Array;
  count: number;
  /** Voxel count per id (index 0 unused). */
  sizes: Int32Array;
}

/**
 * Connected components of `mask` (non-zero), run-based: each row is split into runs of set voxels,
 * runs overlapping a run of the row above (or, in 3D, the same row of the slice below) are united.
 * 3D uses 6-connectivity (face neighbours) so thin diagonal contacts do not merge structures;
 * `planar` labels each slice on its own (4-connectivity).
 */
export function componentRuns(mask: Uint8Array, d: Dims, planar = false): ComponentRuns {
  const { slices, rows, columns } = d;
  const nRows = slices * rows;
  const rowStart = new Int32Array(nRows + 1);
  let cap = 1024;
  let rs = new Int32Array(cap);
  let re = new Int32Array(cap);
  let n = 0;
  const words = wordsOf(mask);
  for (let row = 0; row < nRows; row++) {
    rowStart[row] = n;
    const base = row * columns;
    let c = 0;
    while (c < columns) {
      c = nextSet(mask, words, base + c, base + columns) - base;
      if (c >= columns) break;
      const a = c;
      while (c < columns && mask[base + c]) c++;
      if (n >= cap) {
        cap *= 2;
        const nrs = new Int32Array(cap); nrs.set(rs); rs = nrs;
        const nre = new Int32Array(cap); nre.set(re); re = nre;
      }
      rs[n] = a;
      re[n] = c; // exclusive
      n++;
    }
  }
  rowStart[nRows] = n;
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const unite = (a: number, b: number): void => {
    const ra = findRoot(parent, a);
    const rb = findRoot(parent, b);
    if (ra !== rb) { if (ra < rb) parent[rb] = ra; else parent[ra] = rb; }
  };
  const link = (row: number, other: number): void => {
    let i = rowStart[row];
    const iEnd = rowStart[row + 1];
    let j = rowStart[other];
    const jEnd = rowStart[other + 1];
    while (i < iEnd && j < jEnd) {
      if (re[i] <= rs[j]) { i++; continue; }
      if (re[j] <= rs[i]) { j++; continue; }
      unite(i, j);
      if (re[i] < re[j]) i++; else j++;
    }
  };
  for (let s = 0; s < slices; s++)
    for (let r = 0; r < rows; r++) {
      const row = s * rows + r;
      if (rowStart[row] === rowStart[row + 1]) continue;
      if (r > 0) link(row, row - 1);
      if (!planar && s > 0) link(row, row - rows);
    }
  const label = new Int32Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const root = findRoot(parent, i);
    label[i] = root === i ? ++count : label[root];
  }
  const sizes = new Int32Array(count + 1);
  for (let i = 0; i < n; i++) sizes[label[i]] += re[i] - rs[i];
  return { rowStart, rs: rs.subarray(0, n), re: re.subarray(0, n), label, count, sizes };
}

/**
 * The voxels (flat indices) of each component, in raster order: those of component id are
 * `members[start[id]]` .. `members[start[id + 1] - 1]` (a counting sort of the runs, no label per voxel).
 */
export function componentMembers(c: ComponentRuns, d: Dims): { start: Int32Array; members: Int32Array } {
  const start = new Int32Array(c.count + 2);
  for (let id = 1; id <= c.count; id++) start[id + 1] = start[id] + c.sizes[id];
  const at = start.slice();
  const members = new Int32Array(start[c.count + 1]);
  const nRows = d.slices * d.rows;
  for (let row = 0; row < nRows; row++) {
    const base = row * d.columns;
    for (let i = c.rowStart[row]; i < c.rowStart[row + 1]; i++) {
      const id = c.label[i];
      for (let x = base + c.rs[i]; x < base + c.re[i]; x++) members[at[id]++] = x;
    }
  }
  return { start, members };
}

/** Connected components of `mask` as a label per voxel (componentRuns written out); `out` is an optional buffer of the mask's length. */
export function labelComponents(mask: Uint8Array, d: Dims, planar = false, out?: Int32Array): Components {
  const { rowStart, rs, re, label, count, sizes } = componentRuns(mask, d, planar);
  // a reused buffer only needs clearing where the previous labels were (callers pass same-sized masks)
  const labels = out && out.length === mask.length ? out : new Int32Array(mask.length);
  if (labels === out) labels.fill(0);
  const nRows = d.slices * d.rows;
  for (let row = 0; row < nRows; row++) {
    const base = row * d.columns;
    for (let i = rowStart[row]; i < rowStart[row + 1]; i++) labels.fill(label[i], base + rs[i], base + re[i]);
  }
  return { labels, count, sizes };
}

/** The box of the set voxels of a block of `mask` (of `d`, at `offset`), found row by row from each row's ends. */
export function setVoxelBox(mask: Uint8Array, offset: number, d: Dims): VoxelBox {
  const box = new VoxelBox();
  const words = wordsOf(mask);
  for (let s = 0; s < d.slices; s++)
    for (let r = 0; r < d.rows; r++) {
      const base = offset + (s * d.rows + r) * d.columns;
      const a = nextSet(mask, words, base, base + d.columns);
      if (a === base + d.columns) continue;
      box.add(s, r, a - base);
      box.add(s, r, lastSet(mask, words, a, base + d.columns) - base);
    }
  return box;
}

/**
 * Fills every background region of one slice of `mask` (at `offset`) that does not touch the border of
 * the mask's bounding box (grown by one pixel), in place, from the runs of the background's components.
 * `seen` is a scratch buffer of at least one slice.
 */
export function fillHoles2D(mask: Uint8Array, offset: number, rows: number, columns: number, seen: Uint8Array): void {
  const box = setVoxelBox(mask, offset, { slices: 1, rows, columns });
  if (box.empty) return;
  const r0 = Math.max(0, box.r0 - 1), r1 = Math.min(rows - 1, box.r1 + 1);
  const c0 = Math.max(0, box.c0 - 1), c1 = Math.min(columns - 1, box.c1 + 1);
  const h = r1 - r0 + 1, w = c1 - c0 + 1;
  const bg = seen.subarray(0, h * w);
  for (let r = 0; r < h; r++) {
    const ro = offset + (r + r0) * columns + c0;
    for (let c = 0; c < w; c++) bg[r * w + c] = mask[ro + c] ? 0 : 1;
  }
  const { rowStart, rs, re, label, count } = componentRuns(bg, { slices: 1, rows: h, columns: w }, true);
  // a region is outside when it reaches the box's border: a run in its first or last row, or at either end of a row
  const outside = new Uint8Array(count + 1);
  for (let i = 0; i < rs.length; i++) if (rs[i] === 0 || re[i] === w) outside[label[i]] = 1;
  for (let i = rowStart[0]; i < rowStart[1]; i++) outside[label[i]] = 1;
  for (let i = rowStart[h - 1]; i < rowStart[h]; i++) outside[label[i]] = 1;
  fillRegions(mask, offset + r0 * columns + c0, columns, { rowStart, rs, re, label }, outside);
}

/** Fills into `mask` the background runs (of a box whose first pixel is at `origin`) whose region is not `outside`. */
function fillRegions(mask: Uint8Array, origin: number, columns: number, runs: Pick<ComponentRuns, 'rowStart' | 'rs' | 're' | 'label'>, outside: Uint8Array): void {
  const { rowStart, rs, re, label } = runs;
  for (let r = 0; r + 1 < rowStart.length; r++) {
    const ro = origin + r * columns;
    for (let i = rowStart[r]; i < rowStart[r + 1]; i++) if (!outside[label[i]]) mask.fill(1, ro + rs[i], ro + re[i]);
  }
}

/**
 * fillHoles2D for an outline the image may cut (a field of view narrower than the body, the chest wall
 * clipped at the image's sides): a background region is outside only where it reaches beyond the mask's
 * convex hull, so a region that meets the image border inside the hull (a lung against the clipped
 * wall) is still a hole. Where the mask does not reach the image border this is fillHoles2D.
 * `hull` is a scratch buffer of at least one slice.
 */
export function fillHolesInHull2D(mask: Uint8Array, offset: number, rows: number, columns: number, seen: Uint8Array, hull: Uint8Array): void {
  const box = setVoxelBox(mask, offset, { slices: 1, rows, columns });
  if (box.empty) return;
  if (box.r0 > 0 && box.r1 < rows - 1 && box.c0 > 0 && box.c1 < columns - 1) return fillHoles2D(mask, offset, rows, columns, seen);
  const pts: number[] = [];
  for (let r = box.r0; r <= box.r1; r++) {
    const ro = offset + r * columns;
    let a = -1, b = -1;
    for (let c = box.c0; c <= box.c1; c++) if (mask[ro + c]) { if (a < 0) a = c; b = c; }
    if (a >= 0) pts.push(a, r, b, r);
  }
  const inHull = hull.subarray(0, rows * columns);
  inHull.fill(0);
  fillConvexPolygon(convexHull(pts), inHull, 0, rows, columns);
  const bg = seen.subarray(0, rows * columns);
  for (let q = 0; q < bg.length; q++) bg[q] = mask[offset + q] ? 0 : 1;
  const runs = componentRuns(bg, { slices: 1, rows, columns }, true);
  const { rowStart, rs, re, label } = runs;
  const outside = new Uint8Array(runs.count + 1);
  for (let r = 0; r < rows; r++)
    for (let i = rowStart[r]; i < rowStart[r + 1]; i++) {
      if (outside[label[i]]) continue;
      for (let c = rs[i]; c < re[i]; c++) if (!inHull[r * columns + c]) { outside[label[i]] = 1; break; }
    }
  fillRegions(mask, offset, columns, runs, outside);
}

const INF = 1e20;

/** 1D squared distance transform (Felzenszwalb & Huttenlocher) of f with sample spacing `h`, in place. */
function dt1d(f: Float64Array, n: number, h: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  const h2 = h * h;
  let k = 0;
  v[0] = 0;
  z[0] = -INF;
  z[1] = INF;
  for (let q = 1; q < n; q++) {
    if (f[q] >= INF) continue; // an infinite parabola never wins
    if (f[v[k]] >= INF) { v[k] = q; continue; }
    let s = (f[q] + h2 * q * q - (f[v[k]] + h2 * v[k] * v[k])) / (2 * h2 * (q - v[k]));
    while (s <= z[k]) {
      k--;
      s = (f[q] + h2 * q * q - (f[v[k]] + h2 * v[k] * v[k])) / (2 * h2 * (q - v[k]));
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = INF;
  }
  if (f[v[0]] >= INF) { for (let q = 0; q < n; q++) d[q] = INF; return; }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    const dq = q - v[k];
    d[q] = h2 * dq * dq + f[v[k]];
  }
}

/** Runs dt1d on the `len` values of `out` from `start`, `stride` apart (gathered into `f`, results written back). */
function dtLine(out: Float32Array, start: number, stride: number, len: number, h: number, f: Float64Array, g: Float64Array, v: Int32Array, z: Float64Array): void {
  let finite = false;
  for (let k = 0, i = start; k < len; k++, i += stride) { f[k] = out[i]; if (f[k] < INF) finite = true; }
  if (!finite) return; // no background in reach along this line: it stays INF
  dt1d(f, len, h, g, v, z);
  for (let k = 0, i = start; k < len; k++, i += stride) out[i] = g[k];
}

/**
 * Squared Euclidean distance (mm²) from each voxel to the nearest voxel where `mask` is 0,
 * with anisotropic spacing [slice, row, column]. Voxels outside the grid do not count as background.
 * `planar` limits the transform to each slice.
 *
 * Exact and separable (Felzenszwalb & Huttenlocher): along the rows first, then across rows, then
 * across slices. Only the mask's bounding box is visited (everything outside it stays 0), and each
 * line is transformed only between its first and last non-zero value (plus the zero at each end).
 */
export function squaredDistanceToBackground(mask: Uint8Array, d: Dims, spacing: [number, number, number], planar = false): Float32Array {
  const { slices, rows, columns } = d;
  const plane = rows * columns;
  const out = new Float32Array(mask.length);
  const box = new VoxelBox();
  const words = wordsOf(mask);
  const threeD = !planar && slices > 1;
  // The later passes need, per line, the range of its non-zero values; after the first pass (and the
  // second) a value is non-zero exactly where the mask is set, so the ranges are gathered here from
  // the mask's set voxels: per slice and column, its first and last row; per in-plane position, its
  // first and last slice.
  const loR = new Int32Array(slices * columns).fill(-1), hiR = new Int32Array(slices * columns);
  const loS = new Int32Array(threeD ? plane : 0).fill(-1), hiS = new Int32Array(threeD ? plane : 0);
  const h2 = spacing[2] * spacing[2];
  for (let s = 0; s < slices; s++)
    for (let r = 0; r < rows; r++) {
      const base = s * plane + r * columns;
      const lo = nextSet(mask, words, base, base + columns) - base;
      if (lo >= columns) continue;
      const hi = lastSet(mask, words, base + lo, base + columns) - base;
      box.add(s, r, lo);
      box.add(s, r, hi);
      // along the row the mask is binary: the squared distance to the nearest zero, from a sweep each
      // way (what dt1d gives for values of 0 and INF, to the bit); INF when the row has no zero
      // (lo - 1 and hi + 1, where inside the row, are zeros)
      let zero = lo - 1;
      for (let c = lo; c <= hi; c++) {
        if (!mask[base + c]) { zero = c; continue; }
        out[base + c] = zero >= 0 ? h2 * (c - zero) * (c - zero) : INF;
        const sc = s * columns + c, q = r * columns + c;
        if (loR[sc] < 0) loR[sc] = r;
        hiR[sc] = r;
        if (threeD) {
          if (loS[q] < 0) loS[q] = s;
          hiS[q] = s;
        }
      }
      zero = hi + 1;
      for (let c = hi; c >= lo; c--) {
        if (!mask[base + c]) zero = c;
        else if (zero < columns) {
          const d2 = h2 * (zero - c) * (zero - c);
          if (d2 < out[base + c]) out[base + c] = d2;
        }
      }
    }
  if (box.empty) return out;
  const n = Math.max(slices, rows, columns);
  const f = new Float64Array(n);
  const g = new Float64Array(n);
  const v = new Int32Array(n);
  const z = new Float64Array(n + 1);
  // across rows
  for (let s = box.s0; s <= box.s1; s++)
    for (let c = box.c0; c <= box.c1; c++) {
      const sc = s * columns + c;
      if (loR[sc] < 0) continue;
      // zeros outside [lo-1, hi+1] cannot be nearer than the ones at its ends
      const lo = Math.max(0, loR[sc] - 1), hi = Math.min(rows - 1, hiR[sc] + 1);
      dtLine(out, s * plane + lo * columns + c, columns, hi - lo + 1, spacing[1], f, g, v, z);
    }
  if (threeD) {
    // across slices: the same, per in-plane position
    for (let r = box.r0; r <= box.r1; r++)
      for (let c = box.c0; c <= box.c1; c++) {
        const q = r * columns + c;
        if (loS[q] < 0) continue;
        const lo = Math.max(0, loS[q] - 1), hi = Math.min(slices - 1, hiS[q] + 1);
        dtLine(out, lo * plane + q, plane, hi - lo + 1, spacing[0], f, g, v, z);
      }
  }
  return out;
}

/** Offsets (ds, dr, dc) of the voxels inside a ball of radius `radius` mm. */
export function ballOffsets(radius: number, spacing: [number, number, number]): Int32Array {
  const out: number[] = [];
  const ks = Math.floor(radius / spacing[0]);
  const kr = Math.floor(radius / spacing[1]);
  const kc = Math.floor(radius / spacing[2]);
  for (let ds = -ks; ds <= ks; ds++)
    for (let dr = -kr; dr <= kr; dr++)
      for (let dc = -kc; dc <= kc; dc++) {
        const dd = (ds * spacing[0]) ** 2 + (dr * spacing[1]) ** 2 + (dc * spacing[2]) ** 2;
        if (dd <= radius * radius + 1e-6) out.push(ds, dr, dc);
      }
  return Int32Array.from(out);
}

/**
 * Morphological opening by a ball: the union of balls of radius `radius` centred where the
 * distance to background is at least `radius`. Structures thinner than the ball (vessels, spicules) vanish.
 * The balls drawn are `grow` mm larger (still inside `mask`), which gives back the rim that
 * distances between voxel centres cost a digital object.
 */
export function openByBall(mask: Uint8Array, dist2: Float32Array, d: Dims, spacing: [number, number, number], radius: number, grow = 0): Uint8Array {
  const { slices, rows, columns } = d;
  const plane = rows * columns;
  const out = new Uint8Array(mask.length);
  const ball = ballOffsets(radius + grow, spacing);
  const r2 = radius * radius - 1e-6;
  // the ball's reach per axis, and its offsets as flat index steps for centres the whole ball fits around
  let ks = 0, kr = 0, kc = 0;
  const flat = new Int32Array(ball.length / 3);
  for (let b = 0; b < ball.length; b += 3) {
    ks = Math.max(ks, Math.abs(ball[b])); kr = Math.max(kr, Math.abs(ball[b + 1])); kc = Math.max(kc, Math.abs(ball[b + 2]));
    flat[b / 3] = ball[b] * plane + ball[b + 1] * columns + ball[b + 2];
  }
  // most voxels are no centre: one flat pass finds the centres, and a ball is drawn only inside `mask`
  for (let p = 0; p < dist2.length; p++) {
    if (dist2[p] < r2) continue;
    const s = (p / plane) | 0, rem = p - s * plane, r = (rem / columns) | 0, c = rem - r * columns;
    if (s >= ks && s < slices - ks && r >= kr && r < rows - kr && c >= kc && c < columns - kc) {
      for (let b = 0; b < flat.length; b++) out[p + flat[b]] |= mask[p + flat[b]];
      continue;
    }
    for (let b = 0; b < ball.length; b += 3) {
      const ss = s + ball[b];
      const rr = r + ball[b + 1];
      const cc = c + ball[b + 2];
      if (ss < 0 || ss >= slices || rr < 0 || rr >= rows || cc < 0 || cc >= columns) continue;
      const q = ss * plane + rr * columns + cc;
      out[q] |= mask[q];
    }
  }
  return out;
}

/** Convex hull (monotone chain) of integer points given as [x0,y0,x1,y1,...]; returns hull vertices counter-clockwise. */
export function convexHull(points: number[]): number[] {
  const n = points.length / 2;
  if (n < 3) return points.slice();
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => points[2 * a] - points[2 * b] || points[2 * a + 1] - points[2 * b + 1]);
  const cross = (o: number, a: number, b: number): number =>
    (points[2 * a] - points[2 * o]) * (points[2 * b + 1] - points[2 * o + 1]) -
    (points[2 * a + 1] - points[2 * o + 1]) * (points[2 * b] - points[2 * o]);
  const lower: number[] = [];
  for (const i of idx) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], i) <= 0) lower.pop();
    lower.push(i);
  }
  const upper: number[] = [];
  for (let k = idx.length - 1; k >= 0; k--) {
    const i = idx[k];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], i) <= 0) upper.pop();
    upper.push(i);
  }
  const hull = lower.slice(0, -1).concat(upper.slice(0, -1));
  const out: number[] = [];
  for (const i of hull) out.push(points[2 * i], points[2 * i + 1]);
  return out;
}

/**
 * Rasterises a convex polygon (vertices [x,y,...] in pixel-centre coordinates) into `out` (one slice at `offset`).
 * A pixel is inside when its centre is inside or on the polygon.
 */
export function fillConvexPolygon(poly: number[], out: Uint8Array, offset: number, rows: number, columns: number): void {
  const n = poly.length / 2;
  if (n === 0) return;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (let i = 0; i < n; i++) { yMin = Math.min(yMin, poly[2 * i + 1]); yMax = Math.max(yMax, poly[2 * i + 1]); }
  for (let y = Math.max(0, Math.ceil(yMin)); y <= Math.min(rows - 1, Math.floor(yMax)); y++) {
    let xl = Infinity;
    let xr = -Infinity;
    for (let i = 0; i < n; i++) {
      const x0 = poly[2 * i], y0 = poly[2 * i + 1];
      const x1 = poly[2 * ((i + 1) % n)], y1 = poly[2 * ((i + 1) % n) + 1];
      if (y0 === y1) {
        if (y === y0) { xl = Math.min(xl, x0, x1); xr = Math.max(xr, x0, x1); }
        continue;
      }
      if ((y < Math.min(y0, y1)) || (y > Math.max(y0, y1))) continue;
      const x = x0 + ((y - y0) * (x1 - x0)) / (y1 - y0);
      xl = Math.min(xl, x);
      xr = Math.max(xr, x);
    }
    if (xl > xr) continue;
    const a = Math.max(0, Math.ceil(xl - 1e-9));
    const b = Math.min(columns - 1, Math.floor(xr + 1e-9));
    for (let x = a; x <= b; x++) out[offset + y * columns + x] = 1;
  }
}

/**
 * Morphological closing by a ball of `radius` mm, exactly, from two distance transforms: the mask
 * grown by the radius, then shrunk by it. Fills the mask's concavities narrower than the ball (the
 * bumps of whatever presses into it) and leaves its wider, smoother curves alone. The grid is padded
 * by the radius, so the edges of the scan count as open space rather than as more mask.
 */
export function closeByBall(mask: Uint8Array, d: Dims, spacing: [number, number, number], radius: number): Uint8Array {
  const ps = Math.ceil(radius / spacing[0]) + 1, pr = Math.ceil(radius / spacing[1]) + 1, pc = Math.ceil(radius / spacing[2]) + 1;
  const out = new Uint8Array(mask.length);
  // Only the mask's box, padded by the radius, is transformed: nothing farther from the mask is within
  // the radius of it, and the padding's outer layer is background, as near to any voxel inside as the
  // open space beyond it (the same distances, to the bit, as on the whole padded grid).
  const box = setVoxelBox(mask, 0, d);
  if (box.empty) return out;
  const P: Dims = { slices: box.s1 - box.s0 + 1 + 2 * ps, rows: box.r1 - box.r0 + 1 + 2 * pr, columns: box.c1 - box.c0 + 1 + 2 * pc };
  const pPlane = P.rows * P.columns, plane = d.rows * d.columns;
  const at = (s: number, r: number, c: number): number => (s - box.s0 + ps) * pPlane + (r - box.r0 + pr) * P.columns + c - box.c0 + pc;
  const r2 = radius * radius;
  const outside = new Uint8Array(P.slices * pPlane).fill(1);
  for (let s = box.s0; s <= box.s1; s++)
    for (let r = box.r0; r <= box.r1; r++)
      for (let c = box.c0; c <= box.c1; c++) if (mask[s * plane + r * d.columns + c]) outside[at(s, r, c)] = 0;
  const toMask = squaredDistanceToBackground(outside, P, spacing);
  const grown = outside; // reused: 1 within the radius of the mask
  for (let i = 0; i < grown.length; i++) grown[i] = toMask[i] <= r2 ? 1 : 0;
  const toOutside = squaredDistanceToBackground(grown, P, spacing);
  // outside the padded box nothing is grown, so nothing is closed
  for (let s = Math.max(0, box.s0 - ps); s <= Math.min(d.slices - 1, box.s1 + ps); s++)
    for (let r = Math.max(0, box.r0 - pr); r <= Math.min(d.rows - 1, box.r1 + pr); r++)
      for (let c = Math.max(0, box.c0 - pc); c <= Math.min(d.columns - 1, box.c1 + pc); c++) {
        const i = s * plane + r * d.columns + c;
        out[i] = mask[i] || toOutside[at(s, r, c)] > r2 ? 1 : 0;
      }
  return out;
}

/**
 * Splits a set of voxels at its necks: a watershed of their depth (`depth2`, squared distance to the
 * background, one value per voxel of the volume) flooded from the deepest voxels down. Two basins stay
 * apart where they meet only if each rises above the meeting point by its dynamic (`minDynamic` of the
 * basin's peak, in the units of √depth2); shallower basins merge into their deeper neighbour, so noise
 * on a ridge does not cut a vessel or a lobule off a nodule. Returns one voxel list per basin.
 */
export function splitAtNecks(vox: Int32Array, d: Dims, depth2: Float32Array, minDynamic: (peak: number) => number): Int32Array[] {
  const n = vox.length;
  if (n < 8) return [vox];
  const plane = d.rows * d.columns;
  const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => depth2[vox[b]] - depth2[vox[a]]);
  // a neighbour's place in vox: by bisection where vox ascends (the callers' members, in raster order), else from a map
  let ascending = true;
  for (let k = 1; k < n && ascending; k++) ascending = vox[k - 1] < vox[k];
  const index = ascending ? undefined : new Map<number, number>();
  if (index) vox.forEach((v, k) => index.set(v, k));
  const placeOf = (q: number): number => {
    if (index) return index.get(q) ?? -1;
    let lo = 0, hi = n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (vox[mid] < q) lo = mid + 1;
      else if (vox[mid] > q) hi = mid - 1;
      else return mid;
    }
    return -1;
  };
  const basinOf = new Int32Array(n).fill(-1);
  const parent: number[] = [];
  const peak: number[] = [];
  const root = (b: number): number => {
    while (parent[b] !== b) { parent[b] = parent[parent[b]]; b = parent[b]; }
    return b;
  };
  // the distinct basins around a voxel, in the order its neighbours were visited (at most six)
  const around = new Int32Array(6);
  for (const k of order) {
    const v = vox[k];
    const h = Math.sqrt(depth2[v]);
    const s = (v / plane) | 0, rem = v - s * plane, r = (rem / d.columns) | 0, c = rem - r * d.columns;
    let na = 0;
    for (let k = 0; k < 6; k++) {
      if ((k === 0 && c === 0) || (k === 1 && c === d.columns - 1) || (k === 2 && r === 0) || (k === 3 && r === d.rows - 1) || (k === 4 && s === 0) || (k === 5 && s === d.slices - 1)) continue;
      const q = k === 0 ? v - 1 : k === 1 ? v + 1 : k === 2 ? v - d.columns : k === 3 ? v + d.columns : k === 4 ? v - plane : v + plane;
      const j = placeOf(q);
      if (j < 0 || basinOf[j] < 0) continue;
      const b = root(basinOf[j]);
      let seen = false;
      for (let t = 0; t < na; t++) if (around[t] === b) seen = true;
      if (!seen) around[na++] = b;
    }
    if (!na) {
      const b = parent.length;
      parent.push(b); peak.push(h);
      basinOf[k] = b;
      continue;
    }
    // deepest first; equal peaks keep their order (a stable insertion sort)
    for (let t = 1; t < na; t++) {
      const b = around[t];
      let u = t - 1;
      for (; u >= 0 && peak[around[u]] < peak[b]; u--) around[u + 1] = around[u];
      around[u + 1] = b;
    }
    // the deepest basin takes the voxel; shallow ones met here merge into it
    const top = around[0];
    for (let t = 1; t < na; t++) if (peak[around[t]] - h < minDynamic(peak[around[t]])) parent[around[t]] = top;
    basinOf[k] = top;
  }
  const groups = new Map<number, number[]>();
  for (let k = 0; k < n; k++) {
    const b = root(basinOf[k]);
    let list = groups.get(b);
    if (!list) { list = []; groups.set(b, list); }
    list.push(vox[k]);
  }
  return [...groups.values()].map((l) => Int32Array.from(l));
}

/**
 * Grey opening of a w × ht image (row-major) by a square of 2h + 1 pixels: the minimum over the square, then
 * the maximum. What is brighter than its surroundings over less than the square's width (a thin vessel, a
 * noisy pixel) falls to its surroundings' level; a bright region at least that wide keeps its values.
 */
export function greyOpening2D(a: Float32Array, w: number, ht: number, h: number): Float32Array {
  const eroded = runningExtreme(runningExtreme(a, w, ht, h, 1, false), w, ht, h, w, false);
  return runningExtreme(runningExtreme(eroded, w, ht, h, 1, true), w, ht, h, w, true);
}

/** The minimum (or `max`imum) over 2h + 1 samples along the rows (stride 1) or the columns (stride w) of a w × ht image. */
function runningExtreme(a: Float32Array, w: number, ht: number, h: number, stride: number, max: boolean): Float32Array {
  const out = new Float32Array(a.length);
  const along = stride === 1 ? w : ht;
  const lines = stride === 1 ? ht : w;
  const lineStep = stride === 1 ? w : 1;
  for (let l = 0; l < lines; l++) {
    const base = l * lineStep;
    for (let k = 0; k < along; k++) {
      let m = a[base + k * stride];
      const last = Math.min(along - 1, k + h);
      for (let j = Math.max(0, k - h); j <= last; j++) {
        const q = a[base + j * stride];
        if (max ? q > m : q < m) m = q;
      }
      out[base + k * stride] = m;
    }
  }
  return out;
}
