/**
 * Emphysema: lung below -950 HU (the low-attenuation area, LAA-950, at the volume's own resolution),
 * per lung zone, and the regions where it clusters.
 *
 * Every grid voxel of aerated lung gets the share of its volume voxels below -950 HU; that share,
 * averaged over about 1 cm around, marks emphysematous lung where it exceeds 15 % (noise in a normal
 * lung stays well below: its low-attenuation voxels are scattered, not clustered) and twice its lung's own
 * share (a lung near -950 HU throughout is judged by its zones' shares, its regions where it is worst). Clusters
 * within 1 cm of each other in one lung are one region (paraseptal emphysema is a row of separate subpleural
 * bullae); each region of at least 5 mL is a candidate: its slices are those where it is worst (at least half its worst slice's
 * low-attenuation area), its measures the share below -950 HU in the cluster and in its lung zone, and
 * the share of it within 10 mm of the pleura (paraseptal emphysema is subpleural, centrilobular is
 * scattered through the lobule centres, mostly in the upper zones). Degree, from the zone's share:
 * small (mild) under 10 %, moderate under 20 %, large (severe) beyond. A pneumothorax's air, and the lung
 * within the neighbourhood's reach of it, are not judged: that air is the pleural space's.
 *
 * Emphysema all through a lung stands out of nothing: each lung is a candidate of its own. What tells
 * it from a lung near -950 HU by noise is the size of its lucencies: the holes of emphysema are millimetres
 * wide, so a pixel of one is below -950 HU together with its neighbours a millimetre away, where noise (a
 * sharp kernel, a low dose) darkens single pixels. A lung with DIFFUSE_SHARE of it in such lucencies is
 * emphysematous (likelihood one half there), shown where its lucencies are most.
 */
import type { FindingContext } from './finding-region';
import { boxIndices, regionCandidate, type GridBox } from './finding-region';
import { labelComponents, squaredDistanceToBackground, VoxelBox } from './morphology';
import { componentVoxels, latticeOf } from './pleura';
import type { Candidate, LungSide } from './types';

export const LAA_HU = -950;
const REGION_SHARE = 0.15;
const MIN_REGION_ML = 5;
const SUBPLEURAL_MM = 10;
/** Radius (mm) of the neighbourhood the low-attenuation share is averaged over. */
const NEIGHBOURHOOD_MM = 5;
/** Lucent clusters up to twice this apart (mm) are one region: paraseptal emphysema is a row of separate subpleural bullae. */
const GROUP_MM = 5;
/** A pixel below -950 HU lies in a lucency when so do the pixels this far (mm) from it each way in the plane. */
const LUCENCY_MM = 1;
/**
 * A lung with this share of it in lucencies is diffusely emphysematous at likelihood one half, DIFFUSE_SCALE
 * sharper or softer either side; under three quarters of it, no lung-wide candidate is made. Measured on the
 * development scans: normal lungs 0–0.3 % as scanned, 0.9 % at most over nine looks (LIDC-IDRI-0001
 * sharpened); holes of 3–8 mm through 13 % of the parenchyma 2.3–7.3 % (docs/measurements.md).
 */
const DIFFUSE_SHARE = 0.015;
const DIFFUSE_SCALE = 0.004;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const round2 = (x: number): number => Math.round(x * 100) / 100;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/**
 * `pleuralAir`: 1 on grid voxels of a pneumothorax (findPneumothoraces): neither it nor the lung within the
 * neighbourhood's reach of it is judged (its edge, partial volume with the air, reads as low attenuation).
 */
export function findEmphysema(ctx: FindingContext, box: GridBox, pleuralAir: Uint8Array): Candidate[] {
  const { v, g, m } = ctx;
  const plane = g.rows * g.columns;
  const idx = boxIndices(box, g);
  const D = { slices: box.slices, rows: box.rows, columns: box.columns, spacing: g.spacing };
  const n = idx.length;
  const besideAir = nearPleuralAir(pleuralAir, idx, D, NEIGHBOURHOOD_MM);
  // the share of each grid voxel's volume voxels below -950 HU (aerated lung only), in box order
  const share = new Float32Array(n);
  const lung = new Uint8Array(n);
  const block = g.fz * g.fy * g.fx;
  // the share of each grid voxel's volume voxels in a lucency at least twice LUCENCY_MM across (in box order)
  const lucent = new Float32Array(n);
  const ay = Math.max(1, Math.round(LUCENCY_MM / v.pixelSpacing[0])), ax = Math.max(1, Math.round(LUCENCY_MM / v.pixelSpacing[1]));
  const vhu = v.hu, vRows = v.rows, vColumns = v.columns;
  for (let j = 0; j < n; j++) {
    const i = idx[j];
    if (!m.aerated[i] || m.airway.mask[i] || besideAir?.[j]) continue;
    lung[j] = 1;
    const s = (i / plane) | 0, q = i - s * plane, r = (q / g.columns) | 0, c = q - r * g.columns;
    const vs1 = Math.min(v.slices, s * g.fz + g.fz), vr1 = Math.min(vRows, r * g.fy + g.fy), vc0 = c * g.fx, vc1 = Math.min(vColumns, vc0 + g.fx);
    let low = 0, inLucency = 0;
    for (let vs = s * g.fz; vs < vs1; vs++)
      for (let vr = r * g.fy; vr < vr1; vr++) {
        const base = (vs * vRows + vr) * vColumns;
        for (let vc = vc0; vc < vc1; vc++) {
          if (vhu[base + vc] >= LAA_HU) continue;
          low++;
          // so are the pixels LUCENCY_MM away on each side of it in the plane
          if (vr >= ay && vr + ay < vRows && vc >= ax && vc + ax < vColumns &&
            vhu[base + vc - ax] < LAA_HU && vhu[base + vc + ax] < LAA_HU && vhu[base + vc - ay * vColumns] < LAA_HU && vhu[base + vc + ay * vColumns] < LAA_HU) inLucency++;
        }
      }
    share[j] = low / block;
    lucent[j] = inLucency / block;
  }
  // per side and zone: the share below -950 HU (the zone depends on the slice and side only: one per slice and side)
  const zoneBySlice = new Uint8Array(g.slices * 3);
  for (let s = 0; s < g.slices; s++)
    for (let side = 1; side <= 2; side++) {
      const e = m.extent[side];
      const z = g.origin[s][2];
      const f = e && e.zMax > e.zMin ? (z - e.zMin) / (e.zMax - e.zMin) : 0.5;
      zoneBySlice[s * 3 + side] = f > 2 / 3 ? 2 : f < 1 / 3 ? 0 : 1;
    }
  const zoneOf = (j: number, side: number): number => zoneBySlice[((idx[j] / plane) | 0) * 3 + side];
  const zoneLow = new Float64Array(9), zoneAll = new Float64Array(9);
  for (let j = 0; j < n; j++) {
    if (!lung[j]) continue;
    const side = m.aerated[idx[j]];
    const k = side * 3 + zoneOf(j, side) - 3;
    zoneLow[k] += share[j];
    zoneAll[k]++;
  }
  // the share averaged over the neighbourhood, in lung only
  const local = boxMean(share, lung, D, NEIGHBOURHOOD_MM);
  const region = new Uint8Array(n);
  // a cluster stands out from its own lung: where the whole lung sits near -950 HU (noise, thick slices,
  // a deep breath) its local share is high everywhere, and a region must reach twice the lung's share
  const sideLow = [0, 0, 0], sideAll = [0, 0, 0];
  for (let k = 0; k < 6; k++) { sideLow[1 + ((k / 3) | 0)] += zoneLow[k]; sideAll[1 + ((k / 3) | 0)] += zoneAll[k]; }
  const threshold = [0, 1, 2].map((side) => Math.max(REGION_SHARE, (2 * sideLow[side]) / Math.max(1, sideAll[side])));
  for (let j = 0; j < n; j++) region[j] = lung[j] && local[j] >= threshold[m.aerated[idx[j]]] ? 1 : 0;
  const voxelMl = (g.spacing[0] * g.spacing[1] * g.spacing[2]) / 1000;
  const sideOf = new Uint8Array(n);
  for (let j = 0; j < n; j++) if (lung[j]) sideOf[j] = m.aerated[idx[j]];
  const parts = groupedParts(region, sideOf, D, GROUP_MM, Math.ceil(MIN_REGION_ML / voxelMl));
  const out: Candidate[] = [];
  for (const part of parts) {
    let low = 0, subpleural = 0, right = 0, left = 0;
    const perSlice = new Map<number, number>();
    const toPleura = nearEdge2(lung, D, part, SUBPLEURAL_MM);
    for (let k = 0; k < part.length; k++) {
      const j = part[k];
      low += share[j];
      if (toPleura[k] <= SUBPLEURAL_MM * SUBPLEURAL_MM) subpleural += share[j];
      if (m.aerated[idx[j]] === 2) left++; else right++;
      const s = (idx[j] / plane) | 0;
      perSlice.set(s, (perSlice.get(s) ?? 0) + share[j]);
    }
    const vox = part.map((j) => idx[j]);
    const sideIdx = left > right ? 2 : 1;
    const side: LungSide = sideIdx === 2 ? 'left' : 'right';
    const worst = Math.max(...perSlice.values());
    const regionShare = low / vox.length;
    // the zone it mostly lies in
    const zones = [0, 0, 0];
    for (const j of part) zones[zoneOf(j, sideIdx)]++;
    const zone = zones.indexOf(Math.max(...zones));
    const zoneShare = zoneLow[sideIdx * 3 + zone - 3] / Math.max(1, zoneAll[sideIdx * 3 + zone - 3]);
    const volumeMl = vox.length * voxelMl;
    const cand = regionCandidate(ctx, {
      kind: 'emphysema',
      voxels: latticeOf(g, vox),
      lattice: { fz: g.fz, fy: g.fy, fx: g.fx },
      huOf: (j) => g.hu[vox[j]],
      likelihood: sigmoid((regionShare - 0.22) / 0.04) * sigmoid((volumeMl - 2 * MIN_REGION_ML) / 3),
      side,
      amount: zoneShare < 0.1 ? 'small' : zoneShare < 0.2 ? 'moderate' : 'large',
      keepSlice: (s) => (perSlice.get(s) ?? 0) >= 0.5 * worst,
      measures: {
        lowAttenuationShare: round2(regionShare),
        zoneLowAttenuationShare: round2(zoneShare),
        subpleuralShare: round2(low ? subpleural / low : 0),
        volumeMl: Math.round(volumeMl),
        lowAttenuationMl: Math.round(low * voxelMl),
      },
    });
    if (cand) out.push(cand);
  }
  out.push(...diffuseEmphysema(ctx, { idx, D, share, lucent, lung, zoneLow, zoneAll }, out));
  return out;
}

interface Shares {
  idx: Int32Array;
  D: { slices: number; rows: number; columns: number; spacing: [number, number, number] };
  /** Per box voxel: the share of its volume voxels below -950 HU, of those in lucencies, and 1 where it is judged lung. */
  share: Float32Array;
  lucent: Float32Array;
  lung: Uint8Array;
  /** Per side and zone (index side * 3 + zone - 3): the sum of the shares, and the lung voxels. */
  zoneLow: Float64Array;
  zoneAll: Float64Array;
}

/**
 * Per lung with at least three quarters of DIFFUSE_SHARE of it in lucencies: the lung as emphysema, shown on the slices where
 * its lucencies are most, its degree its worst zone's. Emphysema of one patient is one disease: these candidates
 * touch each other and every region of their lung, so the fusion weighs them together.
 */
function diffuseEmphysema(ctx: FindingContext, x: Shares, regions: readonly Candidate[]): Candidate[] {
  const { g, m } = ctx;
  const plane = g.rows * g.columns;
  const voxelMl = (g.spacing[0] * g.spacing[1] * g.spacing[2]) / 1000;
  const out: Candidate[] = [];
  for (const side of [1, 2]) {
    // the side's lung, and how much of it is in lucencies: in all, per slice, and within SUBPLEURAL_MM of its edge
    const ofSide: number[] = [];
    let lucent = 0;
    for (let j = 0; j < x.idx.length; j++) if (x.lung[j] && m.aerated[x.idx[j]] === side) { ofSide.push(j); lucent += x.lucent[j]; }
    const share = lucent / Math.max(1, ofSide.length);
    if (share < 0.75 * DIFFUSE_SHARE) continue;
    const perSlice = new Map<number, number>();
    for (const j of ofSide) if (x.lucent[j]) { const s = (x.idx[j] / plane) | 0; perSlice.set(s, (perSlice.get(s) ?? 0) + x.lucent[j]); }
    const worst = Math.max(...perSlice.values());
    const toPleura = nearEdge2(x.lung, x.D, Int32Array.from(ofSide), SUBPLEURAL_MM);
    let subpleural = 0, lungSubpleural = 0;
    ofSide.forEach((j, k) => {
      if (toPleura[k] > SUBPLEURAL_MM * SUBPLEURAL_MM) return;
      lungSubpleural++;
      subpleural += x.lucent[j];
    });
    let low = 0, worstZone = 0;
    for (let k = side * 3 - 3; k < side * 3; k++) { low += x.zoneLow[k]; worstZone = Math.max(worstZone, x.zoneLow[k] / Math.max(1, x.zoneAll[k])); }
    // shown by the voxels mostly in lucencies
    const vox = ofSide.filter((j) => x.lucent[j] >= 0.5).map((j) => x.idx[j]);
    const cand = regionCandidate(ctx, {
      kind: 'emphysema',
      voxels: latticeOf(g, vox),
      lattice: { fz: g.fz, fy: g.fy, fx: g.fx },
      huOf: (j) => g.hu[vox[j]],
      likelihood: sigmoid((share - DIFFUSE_SHARE) / DIFFUSE_SCALE),
      side: side === 2 ? 'left' : 'right',
      amount: worstZone < 0.1 ? 'small' : worstZone < 0.2 ? 'moderate' : 'large',
      keepSlice: (s) => (perSlice.get(s) ?? 0) >= 0.5 * worst,
      measures: {
        lowAttenuationShare: round2(low / Math.max(1, ofSide.length)),
        zoneLowAttenuationShare: round2(worstZone),
        lucencyShare: round3(share),
        subpleuralShare: round2(subpleural / lucent),
        lungSubpleuralShare: round2(lungSubpleural / ofSide.length),
        volumeMl: Math.round(ofSide.length * voxelMl),
        lowAttenuationMl: Math.round(low * voxelMl),
      },
    });
    if (cand) out.push(cand);
  }
  // numbered after the regions: the diffuse ones touch each other and the regions of their side
  out.forEach((c, k) => {
    const others = out.map((_, j) => regions.length + j).filter((j) => j !== regions.length + k);
    const ofSide = regions.flatMap((r, j) => (r.side === c.side ? [j] : []));
    c.touching = [...ofSide, ...others];
    for (const j of ofSide) regions[j].touching.push(regions.length + k);
  });
  return out;
}

/** 1 in box order where a voxel lies within `mm` of pleural air (or is it); undefined where there is none. */
function nearPleuralAir(pleuralAir: Uint8Array, idx: Int32Array, D: { slices: number; rows: number; columns: number; spacing: [number, number, number] }, mm: number): Uint8Array | undefined {
  const notAir = new Uint8Array(idx.length).fill(1);
  let any = false;
  for (let j = 0; j < idx.length; j++) if (pleuralAir[idx[j]]) { notAir[j] = 0; any = true; }
  if (!any) return undefined;
  const d2 = squaredDistanceToBackground(notAir, D, D.spacing);
  const near = new Uint8Array(idx.length);
  for (let j = 0; j < idx.length; j++) near[j] = d2[j] <= mm * mm ? 1 : 0;
  return near;
}

/**
 * The voxels of `region`, grouped: clusters within 2·`mm` of each other through the same lung are one
 * group (never across the midline, where the lungs may touch). Groups of at least `minVoxels` region
 * voxels, each listed by its region voxels only.
 */
function groupedParts(region: Uint8Array, sideOf: Uint8Array, D: { slices: number; rows: number; columns: number; spacing: [number, number, number] }, mm: number, minVoxels: number): Int32Array[] {
  // only the region's box grown by `mm` can hold a group: the work is done there (most lungs have little or no region)
  const plane = D.rows * D.columns;
  const b = new VoxelBox();
  let count = 0;
  for (let j = 0; j < region.length; j++) if (region[j]) { b.addIndex(j, D); count++; }
  if (count < minVoxels) return [];
  const ks = Math.ceil(mm / D.spacing[0]), kr = Math.ceil(mm / D.spacing[1]), kc = Math.ceil(mm / D.spacing[2]);
  const s0 = Math.max(0, b.s0 - ks), r0 = Math.max(0, b.r0 - kr), c0 = Math.max(0, b.c0 - kc);
  const B = { slices: Math.min(D.slices - 1, b.s1 + ks) - s0 + 1, rows: Math.min(D.rows - 1, b.r1 + kr) - r0 + 1, columns: Math.min(D.columns - 1, b.c1 + kc) - c0 + 1 };
  const bp = B.rows * B.columns, n = B.slices * bp;
  // box index → full index (raster order is kept, so components come out in the same order)
  const full = new Int32Array(n);
  for (let s = 0, k = 0; s < B.slices; s++) for (let r = 0; r < B.rows; r++) for (let c = 0; c < B.columns; c++, k++) full[k] = (s + s0) * plane + (r + r0) * D.columns + c + c0;
  const outside = new Uint8Array(n);
  for (let k = 0; k < n; k++) outside[k] = region[full[k]] ? 0 : 1;
  const d2 = squaredDistanceToBackground(outside, B, D.spacing);
  const out: Int32Array[] = [];
  const near = new Uint8Array(n);
  for (const side of [1, 2]) {
    for (let k = 0; k < n; k++) near[k] = sideOf[full[k]] === side && (!outside[k] || d2[k] <= mm * mm) ? 1 : 0;
    const comps = labelComponents(near, B);
    const sizes = new Int32Array(comps.count + 1);
    const labels = new Int32Array(n);
    for (let k = 0; k < n; k++) if (!outside[k] && near[k]) { labels[k] = comps.labels[k]; sizes[labels[k]]++; }
    for (const part of componentVoxels(labels, sizes, comps.count, minVoxels)) out.push(part.map((k) => full[k]));
  }
  return out;
}

/**
 * Squared distance (mm²) to the edge of `mask` at each voxel of `part`, exact up to `mm` (beyond, it
 * may read larger): a distance transform of the part's box grown by `mm`, not of the whole lung.
 */
function nearEdge2(mask: Uint8Array, D: { slices: number; rows: number; columns: number; spacing: [number, number, number] }, part: Int32Array, mm: number): Float32Array {
  const plane = D.rows * D.columns;
  let s0 = Infinity, s1 = -1, r0 = Infinity, r1 = -1, c0 = Infinity, c1 = -1;
  for (const p of part) {
    const s = (p / plane) | 0, q = p - s * plane, r = (q / D.columns) | 0, c = q - r * D.columns;
    s0 = Math.min(s0, s); s1 = Math.max(s1, s); r0 = Math.min(r0, r); r1 = Math.max(r1, r); c0 = Math.min(c0, c); c1 = Math.max(c1, c);
  }
  const ks = Math.ceil(mm / D.spacing[0]), kr = Math.ceil(mm / D.spacing[1]), kc = Math.ceil(mm / D.spacing[2]);
  s0 = Math.max(0, s0 - ks); s1 = Math.min(D.slices - 1, s1 + ks); r0 = Math.max(0, r0 - kr); r1 = Math.min(D.rows - 1, r1 + kr); c0 = Math.max(0, c0 - kc); c1 = Math.min(D.columns - 1, c1 + kc);
  const B = { slices: s1 - s0 + 1, rows: r1 - r0 + 1, columns: c1 - c0 + 1 };
  const bp = B.rows * B.columns;
  const crop = new Uint8Array(B.slices * bp);
  for (let s = s0; s <= s1; s++) for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) crop[(s - s0) * bp + (r - r0) * B.columns + c - c0] = mask[s * plane + r * D.columns + c];
  const d2 = squaredDistanceToBackground(crop, B, D.spacing);
  const out = new Float32Array(part.length);
  part.forEach((p, k) => {
    const s = (p / plane) | 0, q = p - s * plane, r = (q / D.columns) | 0, c = q - r * D.columns;
    out[k] = d2[(s - s0) * bp + (r - r0) * B.columns + c - c0];
  });
  return out;
}

/**
 * Mean of `x` over a box of about ±radius mm around each voxel, counting only voxels of `mask` (0 outside
 * it): separable running sums (a summed-area table along each axis in turn) of x·mask and of mask.
 */
export function boxMean(x: Float32Array, mask: Uint8Array, g: { slices: number; rows: number; columns: number; spacing: [number, number, number] }, radius: number): Float32Array {
  const k = [Math.max(0, Math.round(radius / g.spacing[0])), Math.max(1, Math.round(radius / g.spacing[1])), Math.max(1, Math.round(radius / g.spacing[2]))];
  const n = x.length;
  const sum = new Float32Array(n), cnt = new Float32Array(n);
  for (let i = 0; i < n; i++) if (mask[i]) { sum[i] = x[i]; cnt[i] = 1; }
  const dims = [g.slices, g.rows, g.columns];
  const strides = [g.rows * g.columns, g.columns, 1];
  const lineS = new Float64Array(Math.max(...dims)), lineC = new Float64Array(Math.max(...dims));
  for (let axis = 2; axis >= 0; axis--) {
    const len = dims[axis], st = strides[axis], r = k[axis];
    if (r === 0 || len < 2) continue;
    // every line along this axis: its start, then the window's running sums written back in place
    const lines = n / len;
    for (let l = 0; l < lines; l++) {
      const start = axis === 0 ? l : axis === 1 ? ((l / g.columns) | 0) * g.rows * g.columns + (l % g.columns) : l * g.columns;
      let any = false;
      for (let t = 0, p = start; t < len; t++, p += st) { lineS[t] = sum[p]; lineC[t] = cnt[p]; if (cnt[p]) any = true; }
      if (!any) continue;
      let a = 0, b = 0;
      for (let t = 0; t < Math.min(r, len); t++) { a += lineS[t]; b += lineC[t]; }
      for (let t = 0, p = start; t < len; t++, p += st) {
        if (t + r < len) { a += lineS[t + r]; b += lineC[t + r]; }
        if (t - r - 1 >= 0) { a -= lineS[t - r - 1]; b -= lineC[t - r - 1]; }
        sum[p] = a; cnt[p] = b;
      }
    }
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = mask[i] && cnt[i] > 0 ? sum[i] / cnt[i] : 0;
  return out;
}
