/**
 * 3D lesion candidates inside the lungs. Dense voxels (solid and ground-glass, > -750 HU) are opened
 * by balls of decreasing radius: each opening erases structures thinner than its ball (vessels,
 * spicules, fissures) and cuts nodules off the vessels they touch. Coarse scales claim big lesions
 * first, finer scales add small ones. Each candidate is then described by size, density, shape,
 * margin and position features.
 */
import type { Lobe } from '../../query/finding';
import type { Volume } from '../../series/volume';
import type { Grid } from './grid';
import { gridToPatient } from './grid';
import type { LungMasks } from './lungs';
import { convexHull, labelComponents, openByBall, squaredDistanceToBackground } from './morphology';
import type { Candidate, CandidateSlice, LungSide, Zone } from './types';

/** Density classes (HU): ground-glass from -750, solid from -300, calcified above 200. */
export const GGO_HU = -750;
export const SOLID_HU = -300;
export const CALCIFIED_HU = 200;
/** Opening radii (mm), coarse to fine: masses, nodules ≥ ~7 mm, nodules ≥ ~4 mm. */
const SCALES_MM = [5, 3, 1.5];
/** Smallest nodule worth reporting (Fleischner: < 3 mm are micronodules) and a cap above which an opacity is not a focal lesion. */
const MIN_DIAMETER_MM = 3;
const MAX_DIAMETER_MM = 80;

/** Candidates less likely than this to be a lesion are dropped before their full description (even a certain learned score could not lift them to a confident match: √0.03 ≈ 0.17). */
const MIN_LIKELIHOOD = 0.03;
/** Context excess beyond which a candidate is plainly part of a vessel tree (the search stops there). */
const MAX_CONTEXT_EXCESS = 6;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

interface Crop { s0: number; r0: number; c0: number; slices: number; rows: number; columns: number }

function lungBox(g: Grid, lung: Uint8Array): Crop | null {
  const { rows, columns } = g;
  let s0 = g.slices, s1 = -1, r0 = rows, r1 = -1, c0 = columns, c1 = -1;
  for (let s = 0; s < g.slices; s++)
    for (let r = 0; r < rows; r++) {
      const ro = (s * rows + r) * columns;
      for (let c = 0; c < columns; c++) {
        if (!lung[ro + c]) continue;
        if (s < s0) s0 = s;
        if (s > s1) s1 = s;
        if (r < r0) r0 = r;
        if (r > r1) r1 = r;
        if (c < c0) c0 = c;
        if (c > c1) c1 = c;
      }
    }
  if (s1 < 0) return null;
  return { s0, r0, c0, slices: s1 - s0 + 1, rows: r1 - r0 + 1, columns: c1 - c0 + 1 };
}

/** Eigenvalues (descending) of a symmetric 3×3 matrix, by the trigonometric method. */
export function symmetricEigenvalues3(a: number, b: number, c: number, d: number, e: number, f: number): [number, number, number] {
  // matrix [[a,d,e],[d,b,f],[e,f,c]]
  const p1 = d * d + e * e + f * f;
  if (p1 < 1e-12) {
    const v = [a, b, c].sort((x, y) => y - x);
    return [v[0], v[1], v[2]];
  }
  const q = (a + b + c) / 3;
  const p2 = (a - q) ** 2 + (b - q) ** 2 + (c - q) ** 2 + 2 * p1;
  const p = Math.sqrt(p2 / 6);
  const B = [(a - q) / p, d / p, e / p, d / p, (b - q) / p, f / p, e / p, f / p, (c - q) / p];
  const detB = B[0] * (B[4] * B[8] - B[5] * B[7]) - B[1] * (B[3] * B[8] - B[5] * B[6]) + B[2] * (B[3] * B[7] - B[4] * B[6]);
  const r = Math.max(-1, Math.min(1, detB / 2));
  const phi = Math.acos(r) / 3;
  const e1 = q + 2 * p * Math.cos(phi);
  const e3 = q + 2 * p * Math.cos(phi + (2 * Math.PI) / 3);
  const e2 = 3 * q - e1 - e3;
  return [e1, e2, e3];
}

/** Soft lobe membership from the position in the lung (fissures approximated by planes). */
export function lobeMembership(side: LungSide, zoneFraction: number, apFraction: number): Partial<Record<Lobe, number>> {
  // oblique fissure: high posteriorly (~70% of the lung height), near the base anteriorly
  const lower = sigmoid((0.25 + 0.45 * apFraction - zoneFraction) / 0.07);
  // horizontal fissure (right) / lingula (left): anterior, below mid-height
  const anteriorLow = sigmoid((0.55 - zoneFraction) / 0.07) * sigmoid((0.6 - apFraction) / 0.1);
  const middle = (1 - lower) * anteriorLow;
  const upper = Math.max(0, 1 - lower - middle);
  return side === 'right' ? { RUL: upper, RML: middle, RLL: lower } : { LUL: upper, lingula: middle, LLL: lower };
}

export function zoneOf(zoneFraction: number): Zone {
  return zoneFraction > 2 / 3 ? 'upper' : zoneFraction < 1 / 3 ? 'lower' : 'middle';
}

/**
 * Classical lesion likelihood: nodules are compact and roughly isotropic; vessels are tubes
 * (low sphericity), bifurcations branch (low fill), tiny specks are noise.
 */
export function classicalLikelihood(
  c: Pick<Candidate, 'equivalentDiameterMm' | 'sphericity' | 'fill' | 'meanHU' | 'shellOccupancy' | 'contextExcess' | 'thicknessRatio' | 'calcifiedFraction'>,
): number {
  const size = sigmoid((c.equivalentDiameterMm - 4) / 0.8);
  const iso = sigmoid((c.sphericity - 0.4) / 0.06);
  const fill = sigmoid((c.fill - 0.45) / 0.08);
  // vessel pieces: much dense tissue connected around them, and as thick as what is attached
  const alone = sigmoid((0.25 - c.shellOccupancy) / 0.05) * sigmoid((2 - c.contextExcess) / 0.3);
  const thick = 0.05 + 0.95 * sigmoid((c.thicknessRatio - 1.5) / 0.1);
  const density = sigmoid((c.meanHU + 650) / 60);
  // a large opacity averaging far above soft tissue is a contrast-filled vessel, not a nodule (nodules enhance < ~60 HU)
  const enhanced = c.equivalentDiameterMm > 10 && c.calcifiedFraction < 0.5 ? sigmoid((120 - c.meanHU) / 25) : 1;
  return clamp01(size * iso * fill * alone * thick * density * enhanced);
}

export function findCandidates(v: Volume, g: Grid, m: LungMasks): Candidate[] {
  const crop = lungBox(g, m.lung);
  if (!crop) return [];
  const { rows: R, columns: C } = g;
  const cp = crop.rows * crop.columns;
  const n = crop.slices * cp;
  const full = (i: number): number => {
    const s = (i / cp) | 0;
    const rem = i - s * cp;
    const r = (rem / crop.columns) | 0;
    return ((s + crop.s0) * R + r + crop.r0) * C + rem - r * crop.columns + crop.c0;
  };
  const dense = new Uint8Array(n);
  for (let s = 0; s < crop.slices; s++)
    for (let r = 0; r < crop.rows; r++) {
      const src = ((s + crop.s0) * R + r + crop.r0) * C + crop.c0;
      const dst = s * cp + r * crop.columns;
      for (let c = 0; c < crop.columns; c++) dense[dst + c] = m.lung[src + c] && g.hu[src + c] > GGO_HU ? 1 : 0;
    }
  const dist2 = squaredDistanceToBackground(dense, crop, g.spacing);
  const claimed = new Uint8Array(n);
  const voxelMm3 = g.spacing[0] * g.spacing[1] * g.spacing[2];
  const minVoxels = Math.max(2, Math.floor(((Math.PI / 6) * MIN_DIAMETER_MM ** 3) / voxelMm3));
  const maxVoxels = ((Math.PI / 6) * MAX_DIAMETER_MM ** 3) / voxelMm3;
  const out: Candidate[] = [];
  const inLung = new Uint8Array(n);
  for (let s = 0; s < crop.slices; s++)
    for (let r = 0; r < crop.rows; r++) {
      const src = ((s + crop.s0) * R + r + crop.r0) * C + crop.c0;
      const dst = s * cp + r * crop.columns;
      for (let c = 0; c < crop.columns; c++) inLung[dst + c] = m.lung[src + c] ? 1 : 0;
    }
  const scratch: Scratch = { stamp: new Int32Array(n), next: 0, queue: new Int32Array(1 << 16), attachment: 0, inLung, dist2, outerRadius: 0, values: new Float32Array(1 << 16) };
  const labelBuffer = new Int32Array(n);
  for (const radius of SCALES_MM) {
    const opened = openByBall(dense, dist2, crop, g.spacing, radius, 0.75 * Math.min(g.spacing[1], g.spacing[2]));
    const comps = labelComponents(opened, crop, false, labelBuffer);
    // group voxel indices by component (counting sort)
    const start = new Int32Array(comps.count + 2);
    for (let id = 1; id <= comps.count; id++) start[id + 1] = start[id] + comps.sizes[id];
    const fillAt = start.slice();
    const members = new Int32Array(start[comps.count + 1]);
    const hitsClaimed = new Uint8Array(comps.count + 1);
    for (let i = 0; i < n; i++) {
      const id = comps.labels[i];
      if (!id) continue;
      members[fillAt[id]++] = i;
      if (claimed[i]) hitsClaimed[id] = 1;
    }
    for (let id = 1; id <= comps.count; id++) {
      const size = comps.sizes[id];
      if (hitsClaimed[id] || size < minVoxels || size > maxVoxels) continue;
      const vox = members.subarray(start[id], start[id + 1]);
      for (const i of vox) claimed[i] = 1;
      const cand = describe(v, g, m, crop, vox, full, radius, dense, scratch);
      if (cand) out.push(cand);
    }
  }
  out.sort((a, b) => b.lesionLikelihood - a.lesionLikelihood);
  out.forEach((c, i) => (c.id = i));
  return out;
}

interface Scratch { stamp: Int32Array; next: number; queue: Int32Array; attachment: number; inLung: Uint8Array; dist2: Float32Array; outerRadius: number; values: Float32Array }

/**
 * Dense voxels connected to the candidate within a sphere around it, over the candidate's own count
 * minus one: a standalone nodule has little (a few small vessels), a vessel piece has the rest of the vessel.
 */
function contextExcess(
  crop: Crop, spacing: [number, number, number], dense: Uint8Array, inLung: Uint8Array, vox: Int32Array, centre: [number, number, number], innerRadius: number, radius: number, sc: Scratch,
): number {
  const cp = crop.rows * crop.columns;
  const [sz, sy, sx] = spacing;
  const stamp = ++sc.next;
  let q = sc.queue;
  let tail = 0;
  const r2 = radius * radius;
  for (const i of vox) {
    sc.stamp[i] = stamp;
    if (tail >= q.length) { const nq = new Int32Array(q.length * 2); nq.set(q); q = nq; }
    q[tail++] = i;
  }
  // attachment: share of the candidate's free surface (faces onto lung) that touches other dense tissue
  let attached = 0, free = 0;
  for (const p of vox) {
    const s = (p / cp) | 0;
    const rem = p - s * cp;
    const r = (rem / crop.columns) | 0;
    const c = rem - r * crop.columns;
    for (let k = 0; k < 6; k++) {
      let ns = s, nr = r, nc = c;
      if (k === 0) nc--; else if (k === 1) nc++; else if (k === 2) nr--; else if (k === 3) nr++; else if (k === 4) ns--; else ns++;
      if (ns < 0 || ns >= crop.slices || nr < 0 || nr >= crop.rows || nc < 0 || nc >= crop.columns) continue;
      const np = ns * cp + nr * crop.columns + nc;
      if (sc.stamp[np] === stamp) continue;
      if (dense[np]) attached++;
      else if (inLung[np]) free++;
    }
  }
  sc.attachment = attached + free > 0 ? attached / (attached + free) : 0;
  let head = 0;
  let out2 = 0;
  const outer2 = (innerRadius + 2) ** 2;
  const cap = vox.length * (1 + MAX_CONTEXT_EXCESS);
  while (head < tail && tail < cap) {
    const p = q[head++];
    const s = (p / cp) | 0;
    const rem = p - s * cp;
    const r = (rem / crop.columns) | 0;
    const c = rem - r * crop.columns;
    for (let k = 0; k < 6; k++) {
      let ns = s, nr = r, nc = c;
      if (k === 0) nc--; else if (k === 1) nc++; else if (k === 2) nr--; else if (k === 3) nr++; else if (k === 4) ns--; else ns++;
      if (ns < 0 || ns >= crop.slices || nr < 0 || nr >= crop.rows || nc < 0 || nc >= crop.columns) continue;
      const np = ns * cp + nr * crop.columns + nc;
      if (!dense[np] || sc.stamp[np] === stamp) continue;
      const d2 = ((ns - centre[0]) * sz) ** 2 + ((nr - centre[1]) * sy) ** 2 + ((nc - centre[2]) * sx) ** 2;
      if (d2 > r2) continue;
      sc.stamp[np] = stamp;
      // thickness of what is attached, measured away from the candidate's own rim
      if (d2 > outer2 && sc.dist2[np] > out2) out2 = sc.dist2[np];
      if (tail >= q.length) { const nq = new Int32Array(q.length * 2); nq.set(q); q = nq; }
      q[tail++] = np;
    }
  }
  sc.queue = q;
  sc.outerRadius = Math.sqrt(out2);
  return Math.min(MAX_CONTEXT_EXCESS, tail / vox.length - 1);
}

function describe(
  v: Volume, g: Grid, m: LungMasks, crop: Crop, vox: Int32Array, full: (i: number) => number, radius: number, dense: Uint8Array, sc: Scratch,
): Candidate | null {
  const cp = crop.rows * crop.columns;
  const plane = g.rows * g.columns;
  const [sz, sy, sx] = g.spacing;
  // moments in grid mm, and per-slice boxes
  let ms = 0, mr = 0, mc = 0;
  const perSlice = new Map<number, { r0: number; r1: number; c0: number; c1: number; n: number; sr: number; sc: number; srr: number; scc: number; src: number }>();
  let left = 0, right = 0;
  for (const i of vox) {
    const s = (i / cp) | 0;
    const rem = i - s * cp;
    const r = (rem / crop.columns) | 0;
    const c = rem - r * crop.columns;
    ms += s; mr += r; mc += c;
    let b = perSlice.get(s);
    if (!b) { b = { r0: r, r1: r, c0: c, c1: c, n: 0, sr: 0, sc: 0, srr: 0, scc: 0, src: 0 }; perSlice.set(s, b); }
    if (r < b.r0) b.r0 = r;
    if (r > b.r1) b.r1 = r;
    if (c < b.c0) b.c0 = c;
    if (c > b.c1) b.c1 = c;
    b.n++; b.sr += r; b.sc += c; b.srr += r * r; b.scc += c * c; b.src += r * c;
    const side = m.lung[full(i)];
    if (side === 2) left++; else if (side === 1) right++;
  }
  const N = vox.length;
  ms /= N; mr /= N; mc /= N;
  let css = 0, crr = 0, ccc = 0, csr = 0, csc = 0, crc = 0;
  for (const i of vox) {
    const s = (i / cp) | 0;
    const rem = i - s * cp;
    const r = (rem / crop.columns) | 0;
    const c = rem - r * crop.columns;
    const ds = (s - ms) * sz, dr = (r - mr) * sy, dc = (c - mc) * sx;
    css += ds * ds; crr += dr * dr; ccc += dc * dc; csr += ds * dr; csc += ds * dc; crc += dr * dc;
  }
  // each voxel is a box, not a point: add its own variance so small objects are not called flat
  const [l1, l2, l3] = symmetricEigenvalues3(css / N + sz * sz / 12, crr / N + sy * sy / 12, ccc / N + sx * sx / 12, csr / N, csc / N, crc / N);
  const volumeMm3 = N * sz * sy * sx;
  const ellipsoid = (4 / 3) * Math.PI * Math.sqrt(125 * Math.max(l1, 1e-9) * Math.max(l2, 1e-9) * Math.max(l3, 1e-9));
  const sphericity = Math.sqrt(Math.max(l3, 0) / Math.max(l1, 1e-9));
  const fill = Math.min(1, volumeMm3 / ellipsoid);
  const equivalentDiameterMm = Math.cbrt((6 * volumeMm3) / Math.PI);
  const rMax = Math.sqrt(5 * Math.max(l1, 0));
  // early out on shape and density alone, before the costlier context search
  let gridSum = 0;
  for (const i of vox) gridSum += g.hu[full(i)];
  const gridMeanHU = gridSum / vox.length;
  const shapeOnly = classicalLikelihood({
    equivalentDiameterMm, sphericity, fill, meanHU: gridMeanHU, shellOccupancy: 0, contextExcess: 0, thicknessRatio: 10, calcifiedFraction: 0,
  });
  if (shapeOnly < MIN_LIKELIHOOD) return null;
  const contextExcessRatio = contextExcess(crop, g.spacing, dense, sc.inLung, vox, [ms, mr, mc], rMax, equivalentDiameterMm / 2 + Math.max(6, equivalentDiameterMm / 2), sc);
  const attachment = sc.attachment;
  let in2 = 0;
  for (const i of vox) if (sc.dist2[i] > in2) in2 = sc.dist2[i];
  // a nodule is thicker than the vessels that touch it; a piece of vessel is as thick as the rest of it
  let thicknessRatio = Math.sqrt(in2) / Math.max(sc.outerRadius, Math.min(sy, sx));
  // early out: plain vessel pieces (judged on the grid's HU) are not worth describing further
  const rough = classicalLikelihood({
    equivalentDiameterMm, sphericity, fill, meanHU: gridMeanHU, shellOccupancy: 0, contextExcess: contextExcessRatio, thicknessRatio, calcifiedFraction: 0,
  });
  if (rough < MIN_LIKELIHOOD) return null;
  // shell occupancy: how much of the lung around the candidate is dense too (vessels continue, nodules stand alone)
  // around its equivalent sphere: long vessels would otherwise make a huge box (and their shell crosses them anyway)
  const rEq = equivalentDiameterMm / 2;
  const inner = 1.25 * rEq + 1, outer = 2 * rEq + 2;
  const es = Math.ceil(outer / sz), er = Math.ceil(outer / sy), ec = Math.ceil(outer / sx);
  let shellLung = 0, shellDense = 0;
  // only worth measuring for candidates that are not already plainly part of a vessel tree
  for (let ds = contextExcessRatio < 3 ? -es : es + 1; ds <= es; ds++) {
    const s = Math.round(ms) + ds;
    if (s < 0 || s >= crop.slices) continue;
    for (let dr = -er; dr <= er; dr++) {
      const r = Math.round(mr) + dr;
      if (r < 0 || r >= crop.rows) continue;
      for (let dc = -ec; dc <= ec; dc++) {
        const c = Math.round(mc) + dc;
        if (c < 0 || c >= crop.columns) continue;
        const d2 = ((s - ms) * sz) ** 2 + ((r - mr) * sy) ** 2 + ((c - mc) * sx) ** 2;
        if (d2 < inner * inner || d2 > outer * outer) continue;
        const i = s * cp + r * crop.columns + c;
        if (!m.lung[full(i)]) continue;
        shellLung++;
        if (dense[i]) shellDense++;
      }
    }
  }
  const shellOccupancy = shellLung ? shellDense / shellLung : 1;

  // density at full resolution
  let sum = 0, cnt = 0, solid = 0, gg = 0, calc = 0;
  const { fz, fy, fx } = g;
  const need = vox.length * fz * fy * fx;
  if (sc.values.length < need) sc.values = new Float32Array(need * 2);
  const values = sc.values;
  for (const i of vox) {
    const p = full(i);
    const gs = (p / plane) | 0;
    const rem = p - gs * plane;
    const gr = (rem / g.columns) | 0;
    const gc = rem - gr * g.columns;
    for (let s = gs * fz; s < Math.min(v.slices, gs * fz + fz); s++)
      for (let r = gr * fy; r < Math.min(v.rows, gr * fy + fy); r++) {
        const base = (s * v.rows + r) * v.columns;
        for (let c = gc * fx; c < Math.min(v.columns, gc * fx + fx); c++) {
          const hu = v.hu[base + c];
          values[cnt] = hu;
          sum += hu; cnt++;
          if (hu > CALCIFIED_HU) calc++;
          if (hu > SOLID_HU) solid++;
          else if (hu > GGO_HU) gg++;
        }
      }
  }
  if (!cnt) return null;
  const meanHU = sum / cnt;
  // core density: the densest tenth (a solid component, undiluted by partial volume at the rim);
  // bulk density: the median, which the edge is measured against
  const sorted = values.subarray(0, cnt).sort();
  let coreSum = 0;
  const q9 = Math.floor(cnt * 0.9);
  for (let i = q9; i < cnt; i++) coreSum += sorted[i];
  const coreHU = coreSum / Math.max(1, cnt - q9);
  const medianHU = sorted[cnt >> 1];

  // slices, in-plane long axis on the largest slice
  let maxN = 0, maxS = 0;
  for (const [s, b] of perSlice) if (b.n > maxN) { maxN = b.n; maxS = s; }
  const big = perSlice.get(maxS)!;
  const vrr = (big.srr / big.n - (big.sr / big.n) ** 2 + 1 / 12) * sy * sy;
  const vcc = (big.scc / big.n - (big.sc / big.n) ** 2 + 1 / 12) * sx * sx;
  const vrc = (big.src / big.n - (big.sr / big.n) * (big.sc / big.n)) * sy * sx;
  const tr = vrr + vcc;
  const disc = Math.sqrt(Math.max(0, ((vrr - vcc) / 2) ** 2 + vrc * vrc));
  let diameterMm = 4 * Math.sqrt(tr / 2 + disc);
  let shortAxisMm = 4 * Math.sqrt(Math.max(0, tr / 2 - disc));
  const slices: CandidateSlice[] = [];
  for (const [s, b] of perSlice) {
    const gs = s + crop.s0;
    for (let k = gs * fz; k < Math.min(v.slices, gs * fz + fz); k++) {
      slices.push({
        index: k,
        box: [
          (b.c0 + crop.c0) * fx,
          (b.r0 + crop.r0) * fy,
          Math.min(v.columns - 1, (b.c1 + crop.c0 + 1) * fx - 1),
          Math.min(v.rows - 1, (b.r1 + crop.r0 + 1) * fy - 1),
        ],
        area: b.n * fx * fy,
        weight: b.n / maxN,
      });
    }
  }
  slices.sort((a, b) => a.index - b.index);

  const gsC = ms + crop.s0, grC = mr + crop.r0, gcC = mc + crop.c0;
  const centroidMm = gridToPatient(g, gsC, grC, gcC);
  const side: LungSide = left >= right ? 'left' : 'right';
  const sideIdx = side === 'left' ? 2 : 1;
  const ext = m.extent[sideIdx];
  const zoneFraction = ext && ext.zMax > ext.zMin ? clamp01((centroidMm[2] - ext.zMin) / (ext.zMax - ext.zMin)) : 0.5;
  const k = (Math.round(gsC) * 3 + sideIdx) * 4;
  const [xMin, xMax, yMin, yMax] = [m.sliceExtent[k], m.sliceExtent[k + 1], m.sliceExtent[k + 2], m.sliceExtent[k + 3]];
  const apFraction = yMax > yMin ? clamp01((centroidMm[1] - yMin) / (yMax - yMin)) : 0.5; // +y is posterior
  const mid = m.midlineX[Math.round(gsC)];
  const lateralSpan = side === 'left' ? xMax - mid : mid - xMin;
  const lateralFraction = lateralSpan > 0 ? clamp01(Math.abs(centroidMm[0] - mid) / lateralSpan) : 0.5;


  const marginIrregularity = marginOf(v, g, m, maxS + crop.s0, big, crop, meanHU > -450 ? -500 : GGO_HU);
  const fullRes = inPlaneAxes(v, g, crop, vox, maxS, Math.max(medianHU, GGO_HU));
  if (fullRes) { diameterMm = fullRes.long; shortAxisMm = fullRes.short; }
  // the grid's distances are too coarse to compare a small nodule with the vessel beside it
  if (thicknessRatio < 2.2 && equivalentDiameterMm < 14) {
    const fine = fullResThickness(v, g, crop, vox, Math.max(medianHU, GGO_HU));
    if (fine !== null) thicknessRatio = fine;
  }

  const cand: Candidate = {
    id: 0,
    scale: radius,
    volumeMm3,
    diameterMm,
    shortAxisMm,
    equivalentDiameterMm,
    centroidMm,
    centroidPx: { slice: gsC * fz + (fz - 1) / 2, row: (grC + 0.5) * fy - 0.5, column: (gcC + 0.5) * fx - 0.5 },
    meanHU,
    coreHU,
    solidFraction: solid / cnt,
    groundGlassFraction: gg / cnt,
    calcifiedFraction: calc / cnt,
    sphericity,
    fill,
    shellOccupancy,
    contextExcess: contextExcessRatio,
    attachment,
    thicknessRatio,
    marginIrregularity,
    side,
    zone: zoneOf(zoneFraction),
    zoneFraction,
    apFraction,
    anteroposterior: apFraction < 1 / 3 ? 'anterior' : apFraction > 2 / 3 ? 'posterior' : 'middle',
    lateralFraction,
    lobes: lobeMembership(side, zoneFraction, apFraction),
    slices,
    lesionLikelihood: 0,
  };
  cand.lesionLikelihood = classicalLikelihood(cand);
  return cand;
}

/** Typical aerated lung parenchyma (HU): the background a lesion's edge is measured against. */
const LUNG_BACKGROUND_HU = -850;

/**
 * Long and short in-plane axes (mm) at full resolution on the candidate's largest slice: pixels within
 * its grid footprint (grown by one grid pixel) above half way between its bulk (median) density and lung
 * (full width at half maximum), so partial volume and the grid neither shrink nor swell it.
 */
function inPlaneAxes(v: Volume, g: Grid, crop: Crop, vox: Int32Array, sliceInCrop: number, bulkHU: number): { long: number; short: number } | null {
  const cp = crop.rows * crop.columns;
  const { fz, fy, fx } = g;
  const s = Math.min(v.slices - 1, (sliceInCrop + crop.s0) * fz + (fz >> 1));
  const threshold = (bulkHU + LUNG_BACKGROUND_HU) / 2;
  const foot = new Set<number>();
  for (const i of vox) {
    if (((i / cp) | 0) !== sliceInCrop) continue;
    const rem = i % cp;
    const r = ((rem / crop.columns) | 0) + crop.r0, c = (rem % crop.columns) + crop.c0;
    for (let dr = -1; dr <= 1; dr++) for (let dc = -1; dc <= 1; dc++) foot.add((r + dr) * g.columns + c + dc);
  }
  let n = 0, sr = 0, sc = 0, srr = 0, scc = 0, src = 0;
  for (const q of foot) {
    const gr = (q / g.columns) | 0, gc = q - gr * g.columns;
    if (gr < 0 || gc < 0 || gr >= g.rows || gc >= g.columns) continue;
    for (let r = gr * fy; r < Math.min(v.rows, gr * fy + fy); r++)
      for (let c = gc * fx; c < Math.min(v.columns, gc * fx + fx); c++) {
        if (v.hu[(s * v.rows + r) * v.columns + c] <= threshold) continue;
        n++; sr += r; sc += c; srr += r * r; scc += c * c; src += r * c;
      }
  }
  if (n < 3) return null;
  const [py, px] = v.pixelSpacing;
  const vrr = (srr / n - (sr / n) ** 2 + 1 / 12) * py * py;
  const vcc = (scc / n - (sc / n) ** 2 + 1 / 12) * px * px;
  const vrc = (src / n - (sr / n) * (sc / n)) * py * px;
  const tr = vrr + vcc;
  const disc = Math.sqrt(Math.max(0, ((vrr - vcc) / 2) ** 2 + vrc * vrc));
  return { long: 4 * Math.sqrt(tr / 2 + disc), short: 4 * Math.sqrt(Math.max(0, tr / 2 - disc)) };
}

/**
 * Thickness ratio at full resolution, in a box around the candidate: its largest inner radius (distance
 * transform of the FWHM mask, slice spacing included) over the largest radius of the tissue connected
 * to it more than 2 mm beyond it. Null when nothing of it is above the threshold.
 */
function fullResThickness(v: Volume, g: Grid, crop: Crop, vox: Int32Array, bulkHU: number): number | null {
  const cp = crop.rows * crop.columns;
  const { fz, fy, fx } = g;
  const [py, px] = v.pixelSpacing;
  const ss = v.sliceSpacing;
  let s0 = Infinity, s1 = -1, r0 = Infinity, r1 = -1, c0 = Infinity, c1 = -1;
  for (const i of vox) {
    const gs = ((i / cp) | 0) + crop.s0;
    const rem = i % cp;
    const gr = ((rem / crop.columns) | 0) + crop.r0, gc = (rem % crop.columns) + crop.c0;
    s0 = Math.min(s0, gs * fz); s1 = Math.max(s1, gs * fz + fz - 1);
    r0 = Math.min(r0, gr * fy); r1 = Math.max(r1, gr * fy + fy - 1);
    c0 = Math.min(c0, gc * fx); c1 = Math.max(c1, gc * fx + fx - 1);
  }
  if (s1 < 0) return null;
  const pad = 6; // mm of context on each side
  const S0 = Math.max(0, s0 - Math.ceil(pad / ss)), S1 = Math.min(v.slices - 1, s1 + Math.ceil(pad / ss));
  const R0 = Math.max(0, r0 - Math.ceil(pad / py)), R1 = Math.min(v.rows - 1, r1 + Math.ceil(pad / py));
  const C0 = Math.max(0, c0 - Math.ceil(pad / px)), C1 = Math.min(v.columns - 1, c1 + Math.ceil(pad / px));
  const d = S1 - S0 + 1, h = R1 - R0 + 1, w = C1 - C0 + 1;
  const n = d * h * w;
  const threshold = (bulkHU + LUNG_BACKGROUND_HU) / 2;
  const mask = new Uint8Array(n);
  for (let s = 0; s < d; s++)
    for (let r = 0; r < h; r++) {
      const base = ((s + S0) * v.rows + r + R0) * v.columns + C0;
      const o = (s * h + r) * w;
      for (let c = 0; c < w; c++) mask[o + c] = v.hu[base + c] > threshold ? 1 : 0;
    }
  const notFoot = new Uint8Array(n).fill(1);
  for (const i of vox) {
    const gs = ((i / cp) | 0) + crop.s0;
    const rem = i % cp;
    const gr = ((rem / crop.columns) | 0) + crop.r0, gc = (rem % crop.columns) + crop.c0;
    for (let s = gs * fz; s < Math.min(v.slices, gs * fz + fz); s++)
      for (let r = gr * fy; r < Math.min(v.rows, gr * fy + fy); r++)
        for (let c = gc * fx; c < Math.min(v.columns, gc * fx + fx); c++) notFoot[((s - S0) * h + r - R0) * w + c - C0] = 0;
  }
  const dims = { slices: d, rows: h, columns: w };
  const spacing: [number, number, number] = [ss, py, px];
  const inside = squaredDistanceToBackground(mask, dims, spacing);
  const fromFoot = squaredDistanceToBackground(notFoot, dims, spacing);
  let in2 = 0;
  for (let q = 0; q < n; q++) if (!notFoot[q] && inside[q] > in2) in2 = inside[q];
  if (in2 === 0) return null;
  // tissue connected to the candidate, beyond 2 mm of it
  const seen = new Uint8Array(n);
  const queue = new Int32Array(n);
  let tail = 0;
  for (let q = 0; q < n; q++) if (!notFoot[q] && mask[q]) { seen[q] = 1; queue[tail++] = q; }
  let head = 0, out2 = 0;
  const plane = h * w;
  while (head < tail) {
    const q = queue[head++];
    if (fromFoot[q] > 4 && inside[q] > out2) out2 = inside[q];
    const s = (q / plane) | 0, rem = q - s * plane, r = (rem / w) | 0, c = rem - r * w;
    if (c > 0 && mask[q - 1] && !seen[q - 1]) { seen[q - 1] = 1; queue[tail++] = q - 1; }
    if (c < w - 1 && mask[q + 1] && !seen[q + 1]) { seen[q + 1] = 1; queue[tail++] = q + 1; }
    if (r > 0 && mask[q - w] && !seen[q - w]) { seen[q - w] = 1; queue[tail++] = q - w; }
    if (r < h - 1 && mask[q + w] && !seen[q + w]) { seen[q + w] = 1; queue[tail++] = q + w; }
    if (s > 0 && mask[q - plane] && !seen[q - plane]) { seen[q - plane] = 1; queue[tail++] = q - plane; }
    if (s < d - 1 && mask[q + plane] && !seen[q + plane]) { seen[q + plane] = 1; queue[tail++] = q + plane; }
  }
  return Math.sqrt(in2) / Math.max(Math.sqrt(out2), Math.min(py, px));
}

/**
 * Margin irregularity on the candidate's largest slice at full resolution: the region above `threshold`
 * connected to the candidate, inside the lung; irregular (spiculated, lobulated) outlines have low
 * solidity (area / convex hull) and low compactness.
 */
function marginOf(
  v: Volume, g: Grid, m: LungMasks, gs: number,
  b: { r0: number; r1: number; c0: number; c1: number }, crop: Crop, threshold: number,
): number {
  const { fz, fy, fx } = g;
  const s = Math.min(v.slices - 1, gs * fz + (fz >> 1));
  const hR = (b.r1 - b.r0 + 1) * fy, hC = (b.c1 - b.c0 + 1) * fx;
  const padR = Math.ceil(hR * 0.5) + 3, padC = Math.ceil(hC * 0.5) + 3;
  const R0 = Math.max(0, (b.r0 + crop.r0) * fy - padR), R1 = Math.min(v.rows - 1, (b.r1 + crop.r0 + 1) * fy - 1 + padR);
  const C0 = Math.max(0, (b.c0 + crop.c0) * fx - padC), C1 = Math.min(v.columns - 1, (b.c1 + crop.c0 + 1) * fx - 1 + padC);
  const w = C1 - C0 + 1, h = R1 - R0 + 1;
  const inMask = new Uint8Array(w * h);
  const lungOff = gs * g.rows * g.columns;
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) {
      const R = r + R0, Cc = c + C0;
      const inLung = m.lung[lungOff + ((R / fy) | 0) * g.columns + ((Cc / fx) | 0)];
      inMask[r * w + c] = inLung && v.hu[(s * v.rows + R) * v.columns + Cc] > threshold ? 1 : 0;
    }
  // seed: the candidate's own box core
  const seedR0 = (b.r0 + crop.r0) * fy - R0, seedR1 = (b.r1 + crop.r0 + 1) * fy - 1 - R0;
  const seedC0 = (b.c0 + crop.c0) * fx - C0, seedC1 = (b.c1 + crop.c0 + 1) * fx - 1 - C0;
  const cr = (seedR0 + seedR1) >> 1, cc = (seedC0 + seedC1) >> 1;
  const lab = labelComponents(inMask, { slices: 1, rows: h, columns: w }, true);
  // the component covering most of the seed box centre area
  const votes = new Map<number, number>();
  const rad = Math.max(1, Math.min(seedR1 - seedR0, seedC1 - seedC0) >> 2);
  for (let r = cr - rad; r <= cr + rad; r++)
    for (let c = cc - rad; c <= cc + rad; c++) {
      if (r < 0 || r >= h || c < 0 || c >= w) continue;
      const id = lab.labels[r * w + c];
      if (id) votes.set(id, (votes.get(id) ?? 0) + 1);
    }
  let best = 0, bestV = 0;
  for (const [id, n] of votes) if (n > bestV) { bestV = n; best = id; }
  if (!best) return 0;
  let area = 0, perim = 0;
  const pts: number[] = [];
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) {
      const q = r * w + c;
      if (lab.labels[q] !== best) continue;
      area++;
      let edge = 0;
      if (c === 0 || lab.labels[q - 1] !== best) edge++;
      if (c === w - 1 || lab.labels[q + 1] !== best) edge++;
      if (r === 0 || lab.labels[q - w] !== best) edge++;
      if (r === h - 1 || lab.labels[q + w] !== best) edge++;
      if (edge) { perim += edge; pts.push(c, r, c + 1, r, c, r + 1, c + 1, r + 1); }
    }
  if (area < 6) return 0;
  const hull = convexHull(pts);
  let hullArea = 0;
  for (let i = 0; i < hull.length / 2; i++) {
    const j = (i + 1) % (hull.length / 2);
    hullArea += hull[2 * i] * hull[2 * j + 1] - hull[2 * j] * hull[2 * i + 1];
  }
  hullArea = Math.abs(hullArea) / 2;
  const solidity = Math.min(1, area / Math.max(hullArea, 1));
  // a digital disc has edge-count compactness ≈ π²/16
  const compact = Math.min(1, (4 * Math.PI * area) / (perim * perim) / (Math.PI * Math.PI / 16));
  return clamp01(0.6 * clamp01((0.95 - solidity) / 0.3) + 0.4 * clamp01((0.9 - compact) / 0.6));
}
