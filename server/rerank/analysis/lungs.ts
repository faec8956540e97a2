/**
 * Body, airway and lung masks on the analysis grid, plus the z levels they define
 * (lung apex, carina, lung base). Each lung is filled on its own so the mediastinum stays out,
 * while nodules touching the pleura (concavities of the lung outline) are taken back in.
 */
import type { Grid } from './grid';
import { convexHull, fillConvexPolygon, fillHoles2D, labelComponents } from './morphology';

/** HU thresholds: air-like lung parenchyma is well below -500, soft tissue well above. */
const BODY_HU = -500;
const AIR_HU = -500;
/** Largest pleural concavity taken back into the lung: a 50 mm-wide bump (a mass against the pleura). */
const MAX_POCKET_DIAMETER_MM = 50;

export interface LungMasks {
  /** Inside the body outline (holes filled). */
  body: Uint8Array;
  /** 1 = right lung, 2 = left lung, 0 = neither; filled (vessels, nodules, juxta-pleural bumps included). */
  lung: Uint8Array;
  /** Trachea and main bronchi that were tracked and removed from the lungs. */
  airway: Uint8Array;
  /** Per grid slice: body centroid patient x (mm), used as the midline. */
  midlineX: Float64Array;
  levels: Levels;
  /** Per side (index 1 = right, 2 = left): z range (mm) and y range (mm) of that lung. */
  extent: Array<{ zMin: number; zMax: number; yMin: number; yMax: number; voxels: number } | null>;
  /** Per grid slice and side: [xMin, xMax, yMin, yMax] (patient mm) at offset (s * 3 + side) * 4; NaN when absent. */
  sliceExtent: Float64Array;
}

export interface Levels {
  /** Patient z (mm, head is +z) of the highest and lowest lung voxel, and of the tracheal bifurcation. */
  apexZ?: number;
  baseZ?: number;
  carinaZ?: number;
}

function sliceZ(g: Grid, s: number): number {
  return g.origin[s][2];
}

/** Body outline per slice: the largest non-air 2D component, holes filled. */
function bodyMask(g: Grid): Uint8Array {
  const { rows, columns } = g;
  const plane = rows * columns;
  const body = new Uint8Array(g.hu.length);
  const queue = new Int32Array(plane);
  const seen = new Uint8Array(plane);
  const fg = new Uint8Array(plane);
  const labels = new Int32Array(plane);
  const dims = { slices: 1, rows, columns };
  for (let s = 0; s < g.slices; s++) {
    const off = s * plane;
    for (let q = 0; q < plane; q++) fg[q] = g.hu[off + q] > BODY_HU ? 1 : 0;
    const comps = labelComponents(fg, dims, true, labels);
    let bestId = 0;
    for (let id = 1; id <= comps.count; id++) if (comps.sizes[id] > comps.sizes[bestId]) bestId = id;
    if (!bestId) continue;
    for (let q = 0; q < plane; q++) if (labels[q] === bestId) body[off + q] = 1;
    fillHoles2D(body, off, rows, columns, queue, seen);
  }
  return body;
}

interface Blob { id: number; area: number; cx: number; cy: number; px: number; py: number }

/** Airway lumen is near -1000 HU; a stricter threshold than the lung's keeps the tracker out of parenchyma. */
const LUMEN_HU = -800;

/**
 * Follows the trachea from the top slice down by region growing constrained to a few mm around the
 * previous slice's lumen. Returns the airway mask and the carina z (where the tracked air column
 * splits into two bronchi), if the scan covers it.
 */
function trackAirway(g: Grid, air: Uint8Array, body: Uint8Array, midlineX: Float64Array, order: number[]): { airway: Uint8Array; carinaZ?: number } {
  const { rows, columns } = g;
  const plane = rows * columns;
  const pxArea = g.spacing[1] * g.spacing[2];
  const airway = new Uint8Array(g.hu.length);
  // 2D air components, labelled only for the slices the seed search looks at
  const labelled = new Map<number, Int32Array>();
  const air2dOf = (s: number): Int32Array => {
    let l = labelled.get(s);
    if (!l) {
      l = labelComponents(air.subarray(s * plane, (s + 1) * plane), { slices: 1, rows, columns }, true).labels;
      labelled.set(s, l);
    }
    return l;
  };
  const blobsOf = (s: number): Map<number, Blob> => {
    const m = new Map<number, Blob>();
    const air2d = air2dOf(s);
    for (let q = 0; q < plane; q++) {
      const id = air2d[q];
      if (!id) continue;
      let b = m.get(id);
      if (!b) { b = { id, area: 0, cx: 0, cy: 0, px: 0, py: 0 }; m.set(id, b); }
      b.area++;
      const r = (q / columns) | 0;
      b.cx += q - r * columns;
      b.cy += r;
    }
    for (const b of m.values()) {
      b.cx /= b.area; b.cy /= b.area;
      const o = g.origin[s];
      b.px = o[0] + g.rowStep[0] * b.cy + g.colStep[0] * b.cx;
      b.py = o[1] + g.rowStep[1] * b.cy + g.colStep[1] * b.cx;
      b.area *= pxArea;
    }
    return m;
  };
  const bodyY = (s: number): number => {
    const off = s * plane;
    let n = 0, sy = 0;
    for (let q = 0; q < plane; q++) if (body[off + q]) {
      const r = (q / columns) | 0; const c = q - r * columns;
      sy += g.origin[s][1] + g.rowStep[1] * r + g.colStep[1] * c; n++;
    }
    return n ? sy / n : 0;
  };
  // 1. seed: in the upper half, a round air column of tracheal calibre (≈10–28 mm) near the midline, 3 slices in a row
  let startK = -1;
  let seed: Blob | null = null;
  const limit = Math.max(3, Math.floor(order.length / 2));
  let run = 0;
  let prevBlob: Blob | null = null;
  for (let k = 0; k < limit && startK < 0; k++) {
    const s = order[k];
    const yMid = bodyY(s);
    let found: Blob | null = null;
    for (const b of blobsOf(s).values()) {
      if (b.area < 70 || b.area > 650) continue;
      if (Math.abs(b.px - midlineX[s]) > 25) continue;
      if (Math.abs(b.py - yMid) > 60) continue;
      if (prevBlob && Math.hypot(b.px - prevBlob.px, b.py - prevBlob.py) > 10) continue;
      if (!found || Math.abs(b.px - midlineX[s]) < Math.abs(found.px - midlineX[s])) found = b;
    }
    if (found) {
      run++;
      if (run === 1) seed = found;
      prevBlob = found;
      if (run >= 3) startK = k - 2;
    } else { run = 0; prevBlob = null; }
  }
  if (startK < 0 || !seed) return { airway };
  {
    const off = order[startK] * plane;
    const air2d = air2dOf(order[startK]);
    for (let q = 0; q < plane; q++) if (air2d[q] === seed.id) airway[off + q] = 1;
  }
  // 2. grow slice by slice inside the previous lumen dilated by ~4 mm; a split into two lumens is the carina
  const reach = Math.max(1, Math.round(4 / g.spacing[1]));
  const win = new Uint8Array(plane);
  const lab = new Int32Array(plane);
  const queue = new Int32Array(plane);
  let carinaZ: number | undefined;
  let bronchiSlices = -1;
  const bronchusLimit = Math.max(1, Math.round(25 / g.spacing[0]));
  const minLumen = Math.max(2, Math.round(15 / pxArea));
  let prevArea = 0;
  for (let q = 0; q < plane; q++) prevArea += airway[order[startK] * plane + q];
  // box of the previous slice's lumen: every pass below stays inside it (grown by the reach)
  let br0 = rows, br1 = -1, bc0 = columns, bc1 = -1;
  {
    const off = order[startK] * plane;
    for (let q = 0; q < plane; q++) if (airway[off + q]) {
      const r = (q / columns) | 0, c = q - r * columns;
      br0 = Math.min(br0, r); br1 = Math.max(br1, r); bc0 = Math.min(bc0, c); bc1 = Math.max(bc1, c);
    }
  }
  for (let k = startK + 1; k < order.length; k++) {
    const prevOff = order[k - 1] * plane;
    const off = order[k] * plane;
    const wr0 = Math.max(0, br0 - reach), wr1 = Math.min(rows - 1, br1 + reach);
    const wc0 = Math.max(0, bc0 - reach), wc1 = Math.min(columns - 1, bc1 + reach);
    for (let r = wr0; r <= wr1; r++) { win.fill(0, r * columns + wc0, r * columns + wc1 + 1); lab.fill(0, r * columns + wc0, r * columns + wc1 + 1); }
    for (let r = br0; r <= br1; r++)
      for (let c = bc0; c <= bc1; c++) {
        if (!airway[prevOff + r * columns + c]) continue;
        for (let rr = Math.max(0, r - reach); rr <= Math.min(rows - 1, r + reach); rr++)
          for (let cc = Math.max(0, c - reach); cc <= Math.min(columns - 1, c + reach); cc++) {
            const p = rr * columns + cc;
            if (g.hu[off + p] < LUMEN_HU) win[p] = 1;
          }
      }
    // components inside the window that overlap the previous lumen
    let n = 0;
    let area = 0;
    for (let r = br0; r <= br1; r++)
      for (let c = bc0; c <= bc1; c++) {
        const q = r * columns + c;
        if (!win[q] || lab[q] || !airway[prevOff + q]) continue;
        n++;
        let head = 0, tail = 0;
        queue[tail++] = q; lab[q] = n;
        while (head < tail) {
          const p = queue[head++];
          const pr = (p / columns) | 0, pc = p - pr * columns;
          if (pc > wc0 && win[p - 1] && !lab[p - 1]) { lab[p - 1] = n; queue[tail++] = p - 1; }
          if (pc < wc1 && win[p + 1] && !lab[p + 1]) { lab[p + 1] = n; queue[tail++] = p + 1; }
          if (pr > wr0 && win[p - columns] && !lab[p - columns]) { lab[p - columns] = n; queue[tail++] = p - columns; }
          if (pr < wr1 && win[p + columns] && !lab[p + columns]) { lab[p + columns] = n; queue[tail++] = p + columns; }
        }
        if (tail < minLumen) { for (let i = 0; i < tail; i++) lab[queue[i]] = -1; n--; continue; }
        area += tail;
      }
    if (n === 0) break;
    if (bronchiSlices < 0 && area > prevArea * 2.5 && area * pxArea > 600) break; // opened into the lung
    if (bronchiSlices < 0 && n >= 2) {
      carinaZ = (sliceZ(g, order[k - 1]) + sliceZ(g, order[k])) / 2;
      bronchiSlices = 0;
    }
    let nr0 = rows, nr1 = -1, nc0 = columns, nc1 = -1;
    for (let r = wr0; r <= wr1; r++)
      for (let c = wc0; c <= wc1; c++) {
        if (lab[r * columns + c] <= 0) continue;
        airway[off + r * columns + c] = 1;
        if (r < nr0) nr0 = r;
        if (r > nr1) nr1 = r;
        if (c < nc0) nc0 = c;
        if (c > nc1) nc1 = c;
      }
    br0 = nr0; br1 = nr1; bc0 = nc0; bc1 = nc1;
    prevArea = area;
    if (bronchiSlices >= 0 && ++bronchiSlices > bronchusLimit) break;
  }
  return { airway, carinaZ };
}

/** Per slice, the patient-x value separating right from left lung: the emptiest column near the midline. */
function splitX(g: Grid, s: number, lungAir: Uint8Array, midX: number): number {
  const { rows, columns } = g;
  const off = s * rows * columns;
  const half = 50;
  const bin = 2;
  const nb = (2 * half) / bin;
  const hist = new Float64Array(nb);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++) {
      if (!lungAir[off + r * columns + c]) continue;
      const x = g.origin[s][0] + g.rowStep[0] * r + g.colStep[0] * c;
      const b = Math.floor((x - midX + half) / bin);
      if (b >= 0 && b < nb) hist[b]++;
    }
  let best = nb / 2;
  let bestVal = Infinity;
  for (let b = 0; b < nb; b++) {
    // prefer emptier bins, then the one nearest the midline
    const val = hist[b] * 1000 + Math.abs(b + 0.5 - nb / 2);
    if (val < bestVal) { bestVal = val; best = b; }
  }
  return midX - half + (best + 0.5) * bin;
}

export function segmentLungs(g: Grid): LungMasks {
  const { rows, columns, slices } = g;
  const plane = rows * columns;
  const body = bodyMask(g);
  const midlineX = new Float64Array(slices);
  // interior air (inside the body outline and air-dense) and the body midline, in one pass
  const air = new Uint8Array(g.hu.length);
  // bounding box of the interior air: later passes only look inside it
  let bs0 = slices, bs1 = -1, br0 = rows, br1 = -1, bc0 = columns, bc1 = -1;
  const hu = g.hu;
  for (let s = 0; s < slices; s++) {
    let n = 0, sr = 0, sc = 0;
    for (let r = 0; r < rows; r++) {
      const ro = s * plane + r * columns;
      for (let c = 0; c < columns; c++) {
        const p = ro + c;
        if (!body[p]) continue;
        n++; sr += r; sc += c;
        if (hu[p] < AIR_HU) {
          air[p] = 1;
          if (s < bs0) bs0 = s;
          if (s > bs1) bs1 = s;
          if (r < br0) br0 = r;
          if (r > br1) br1 = r;
          if (c < bc0) bc0 = c;
          if (c > bc1) bc1 = c;
        }
      }
    }
    midlineX[s] = n ? g.origin[s][0] + (g.rowStep[0] * sr + g.colStep[0] * sc) / n : g.origin[s][0];
  }
  if (bs1 < 0) { bs0 = 0; bs1 = -1; br0 = 0; br1 = -1; bc0 = 0; bc1 = -1; }
  const order = Array.from({ length: slices }, (_, s) => s).sort((a, b) => sliceZ(g, b) - sliceZ(g, a));
  const { airway, carinaZ } = trackAirway(g, air, body, midlineX, order);
  for (let s = bs0; s <= bs1; s++)
    for (let r = br0; r <= br1; r++) {
      const ro = s * plane + r * columns;
      for (let c = bc0; c <= bc1; c++) if (airway[ro + c]) air[ro + c] = 0;
    }

  // lungs: the big 3D air components reaching the upper half of the largest one (bowel gas does not)
  const comps = labelComponents(air, g);
  const zMin = new Float64Array(comps.count + 1).fill(Infinity);
  const zMax = new Float64Array(comps.count + 1).fill(-Infinity);
  const sumX = new Float64Array(comps.count + 1);
  const labels = comps.labels;
  for (let s = bs0; s <= bs1; s++) {
    const z = sliceZ(g, s);
    const ox = g.origin[s][0] - midlineX[s];
    for (let r = br0; r <= br1; r++) {
      const ro = s * plane + r * columns;
      const xr = ox + g.rowStep[0] * r;
      for (let c = bc0; c <= bc1; c++) {
        const id = labels[ro + c];
        if (!id) continue;
        if (z < zMin[id]) zMin[id] = z;
        if (z > zMax[id]) zMax[id] = z;
        sumX[id] += xr + g.colStep[0] * c;
      }
    }
  }
  let largest = 0;
  for (let id = 1; id <= comps.count; id++) if (comps.sizes[id] > comps.sizes[largest]) largest = id;
  const keep = new Uint8Array(comps.count + 1);
  const voxelMl = (g.spacing[0] * g.spacing[1] * g.spacing[2]) / 1000;
  if (largest) {
    const midZ = (zMin[largest] + zMax[largest]) / 2;
    for (let id = 1; id <= comps.count; id++) {
      if (comps.sizes[id] < 0.02 * comps.sizes[largest] || comps.sizes[id] * voxelMl < 5) continue;
      if (zMax[id] < midZ) continue;
      keep[id] = 1;
    }
  }
  // sides: whole components when right and left are separate, else split each slice at the emptiest midline column
  const kept = [...keep.keys()].filter((id) => keep[id]).sort((a, b) => comps.sizes[b] - comps.sizes[a]);
  const separate = kept.length >= 2 && Math.sign(sumX[kept[0]]) !== Math.sign(sumX[kept[1]]) && comps.sizes[kept[1]] > 0.2 * comps.sizes[kept[0]];
  const lung = new Uint8Array(air.length);
  if (separate) {
    const sideOf = new Uint8Array(comps.count + 1);
    for (const id of kept) sideOf[id] = sumX[id] > 0 ? 2 : 1; // +x is the patient's left
    for (let s = bs0; s <= bs1; s++)
      for (let r = br0; r <= br1; r++) {
        const ro = s * plane + r * columns;
        for (let c = bc0; c <= bc1; c++) { const id = labels[ro + c]; if (id) lung[ro + c] = sideOf[id]; }
      }
  } else {
    for (let s = bs0; s <= bs1; s++)
      for (let r = br0; r <= br1; r++) {
        const ro = s * plane + r * columns;
        for (let c = bc0; c <= bc1; c++) if (keep[labels[ro + c]]) lung[ro + c] = 3;
      }
    for (let s = bs0; s <= bs1; s++) {
      const sx = splitX(g, s, lung, midlineX[s]);
      for (let r = 0; r < rows; r++) {
        const ro = s * plane + r * columns;
        const xr = g.origin[s][0] + g.rowStep[0] * r;
        for (let c = 0; c < columns; c++) if (lung[ro + c]) lung[ro + c] = xr + g.colStep[0] * c > sx ? 2 : 1;
      }
    }
  }
  fillLungs(g, lung, body, bs0, bs1);

  const extent: LungMasks['extent'] = [null, null, null];
  const levels: Levels = { carinaZ };
  const sliceExtent = new Float64Array(slices * 12).fill(NaN);
  for (let s = bs0; s <= bs1; s++) {
    const z = sliceZ(g, s);
    for (let r = br0; r <= br1; r++) {
      const ro = s * plane + r * columns;
      const yr = g.origin[s][1] + g.rowStep[1] * r;
      for (let c = bc0; c <= bc1; c++) {
        const side = lung[ro + c];
        if (!side) continue;
        const y = yr + g.colStep[1] * c;
        const x = g.origin[s][0] + g.rowStep[0] * r + g.colStep[0] * c;
        const k = (s * 3 + side) * 4;
        if (!(sliceExtent[k] <= x)) sliceExtent[k] = x;
        if (!(sliceExtent[k + 1] >= x)) sliceExtent[k + 1] = x;
        if (!(sliceExtent[k + 2] <= y)) sliceExtent[k + 2] = y;
        if (!(sliceExtent[k + 3] >= y)) sliceExtent[k + 3] = y;
        let e = extent[side];
        if (!e) { e = { zMin: z, zMax: z, yMin: y, yMax: y, voxels: 0 }; extent[side] = e; }
        if (z < e.zMin) e.zMin = z;
        if (z > e.zMax) e.zMax = z;
        if (y < e.yMin) e.yMin = y;
        if (y > e.yMax) e.yMax = y;
        e.voxels++;
      }
    }
  }
  const ex = extent.filter((e): e is NonNullable<typeof e> => !!e);
  if (ex.length) {
    levels.apexZ = Math.max(...ex.map((e) => e.zMax));
    levels.baseZ = Math.min(...ex.map((e) => e.zMin));
  }
  return { body, lung, airway, midlineX, levels, extent, sliceExtent };
}

/**
 * Per slice and per lung: fill holes (vessels, nodules), then take back the pleural concavities
 * (convex hull minus lung) no wider than a mass, so juxta-pleural nodules count as lung while the
 * mediastinum, heart and diaphragm dome (wide concavities) stay out.
 */
function fillLungs(g: Grid, lung: Uint8Array, body: Uint8Array, s0: number, s1: number): void {
  const { rows, columns } = g;
  const plane = rows * columns;
  const pxArea = g.spacing[1] * g.spacing[2];
  const maxPocket = (Math.PI * (MAX_POCKET_DIAMETER_MM / 2) ** 2) / pxArea;
  const one = new Uint8Array(plane);
  const hull = new Uint8Array(plane);
  const queue = new Int32Array(plane);
  const seen = new Uint8Array(plane);
  const pocket = new Uint8Array(plane);
  for (let s = s0; s <= s1; s++) {
    const off = s * plane;
    for (const side of [1, 2]) {
      // work on the bounding box of this lung in this slice (local w×h buffers)
      let r0 = rows, r1 = -1, c0 = columns, c1 = -1;
      for (let r = 0; r < rows; r++) {
        const ro = off + r * columns;
        for (let c = 0; c < columns; c++) if (lung[ro + c] === side) {
          if (r < r0) r0 = r;
          if (r > r1) r1 = r;
          if (c < c0) c0 = c;
          if (c > c1) c1 = c;
        }
      }
      if (r1 < 0 || (r1 - r0 + 1) * (c1 - c0 + 1) < 4) continue;
      const h = r1 - r0 + 1;
      const w = c1 - c0 + 1;
      const n = w * h;
      for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) one[r * w + c] = lung[off + (r + r0) * columns + c + c0] === side ? 1 : 0;
      fillHoles2D(one, 0, h, w, queue, seen);
      // the hull only needs the outermost pixel of each row on either side
      const pts: number[] = [];
      for (let r = 0; r < h; r++) {
        let a = -1, b = -1;
        for (let c = 0; c < w; c++) if (one[r * w + c]) { if (a < 0) a = c; b = c; }
        if (a >= 0) pts.push(a, r, b, r);
      }
      hull.fill(0, 0, n);
      fillConvexPolygon(convexHull(pts), hull, 0, h, w);
      for (let r = 0; r < h; r++)
        for (let c = 0; c < w; c++) {
          const q = r * w + c;
          const p = off + (r + r0) * columns + c + c0;
          pocket[q] = hull[q] && !one[q] && body[p] && !lung[p] ? 1 : 0;
        }
      const pc = labelComponents(pocket.subarray(0, n), { slices: 1, rows: h, columns: w }, true);
      for (let q = 0; q < n; q++) {
        const id = pc.labels[q];
        if (id && pc.sizes[id] <= maxPocket) one[q] = 1;
      }
      for (let r = 0; r < h; r++)
        for (let c = 0; c < w; c++) {
          const p = off + (r + r0) * columns + c + c0;
          if (one[r * w + c] && !lung[p]) lung[p] = side;
        }
    }
  }
}
