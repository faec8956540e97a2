/**
 * Synthetic chest findings inserted into real CT, for the synthetic suite's chest-finding section
 * (scripts/eval-findings.ts): each insertion draws its finding into a copy of the scan's HU and returns
 * where it went (slices and boxes in the scan's own SOP UIDs), its side, and the words a radiologist
 * would use for it in English and Chinese.
 *
 * - effusion: a dependent fluid layer (about 8 HU) at the back of one lung's base, deepest at the base and
 *   thinning upwards, its surface rising along the chest wall (a meniscus), the lung above it a little
 *   compressed;
 * - opaque hemithorax: a massive effusion, one lung field filled with fluid whole; or a collapsed lung, the
 *   field filled with soft tissue;
 * - pneumothorax: a rim of air (-1000 HU) along the front of one lung (non-dependent, supine), the lung's
 *   edge a thin visceral pleural line;
 * - emphysema: holes of -990 HU without walls scattered through a region of an upper zone (centrilobular),
 *   or a row of larger subpleural ones (paraseptal); vessels are kept;
 * - diffuse emphysema: such holes all through one lung, a smoker's lung rather than a region of it;
 * - consolidation: a dense wedge (about 35 HU) with its base on the pleura and its apex towards the hilum,
 *   with branching air bronchograms inside;
 * - cavity: a solid nodule (models/synthetic/lesion.ts) with an air pocket inside it, or a part-solid one with
 *   small air bubbles (vacuoles);
 * - lymph node: a soft-tissue oval (about 35 HU, 12–16 mm short axis) in the mediastinal fat at a named
 *   IASLC station, placed where the fat around the station's landmarks takes it.
 * Only aerated lung is replaced by the lung findings, and only fat and soft tissue by a node; bone stays.
 */
import { gridToPatient } from '../../server/rerank/analysis/grid';
import { mediastinalLandmarks, type MediastinalLandmarks } from '../../server/rerank/analysis/mediastinum';
import { squaredDistanceToBackground } from '../../server/rerank/analysis/morphology';
import type { VolumeAnalysis } from '../../server/rerank/pipeline';
import type { Vec3, Volume } from '../../server/series/volume';
import { gauss, insertLesion, randomLesion } from './lesion';
import type { Site } from './sites';

export type FindingKind = 'pleural effusion' | 'opaque hemithorax' | 'collapsed lung' | 'pneumothorax' | 'emphysema' | 'diffuse emphysema' | 'consolidation' | 'cavity' | 'lymph node';
export const FINDING_KINDS: readonly FindingKind[] = ['pleural effusion', 'opaque hemithorax', 'collapsed lung', 'pneumothorax', 'emphysema', 'diffuse emphysema', 'consolidation', 'cavity', 'lymph node'];
export type Side = 'right' | 'left';

export interface InsertedFinding {
  kind: FindingKind;
  side: Side;
  /** Slice index → [x0, y0, x1, y1] of what was drawn (its more-than-half-filled pixels). */
  boxes: Map<number, [number, number, number, number]>;
  /** The true description, in English and Chinese. */
  queries: Array<{ lang: 'en' | 'zh'; text: string }>;
  /** What was drawn, in words (for the log). */
  note: string;
}

/** Everything an insertion reads from the unmodified scan. */
export interface Scene {
  base: VolumeAnalysis;
  /** Per side (1 right, 2 left): planar distance (mm) of each grid voxel of that lung to its edge. */
  wallDistance: Float32Array[];
  landmarks: MediastinalLandmarks;
  sites: Site[];
}

export function sceneOf(base: VolumeAnalysis, sites: Site[]): Scene {
  const { grid: g, lungs: m, compartments } = base.anatomy;
  const wallDistance: Float32Array[] = [new Float32Array(0)];
  for (const side of [1, 2]) {
    const mask = new Uint8Array(m.aerated.length);
    for (let i = 0; i < mask.length; i++) mask[i] = m.aerated[i] === side ? 1 : 0;
    const d2 = squaredDistanceToBackground(mask, g, g.spacing, true);
    const d = new Float32Array(d2.length);
    for (let i = 0; i < d.length; i++) d[i] = Math.sqrt(d2[i]);
    wallDistance.push(d);
  }
  return { base, wallDistance, landmarks: mediastinalLandmarks(g, m, compartments), sites };
}

const sideIndex = (side: Side): number => (side === 'right' ? 1 : 2);
const ZH_SIDE: Record<Side, string> = { right: '右', left: '左' };
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

/** Patient position of a volume pixel. */
function patientOf(v: Volume, s: number, r: number, c: number): Vec3 {
  const p = v.positions[s], [rs, cs] = v.pixelSpacing;
  return [0, 1, 2].map((k) => p[k] + v.rowCosines[k] * c * cs + v.columnCosines[k] * r * rs) as Vec3;
}

/** The grid voxel of a volume pixel. */
function gridIndex(a: VolumeAnalysis, s: number, r: number, c: number): number {
  const g = a.anatomy.grid;
  return (Math.min(g.slices - 1, (s / g.fz) | 0) * g.rows + Math.min(g.rows - 1, (r / g.fy) | 0)) * g.columns + Math.min(g.columns - 1, (c / g.fx) | 0);
}

/** Adds a pixel to the truth boxes when it is more than half filled. */
function mark(boxes: InsertedFinding['boxes'], s: number, r: number, c: number): void {
  const b = boxes.get(s);
  if (!b) boxes.set(s, [c, r, c, r]);
  else { b[0] = Math.min(b[0], c); b[1] = Math.min(b[1], r); b[2] = Math.max(b[2], c); b[3] = Math.max(b[3], r); }
}

/** Visits every pixel of the volume whose grid voxel is aerated lung of `side` (1 or 2), with its patient position. */
function forLungPixels(sc: Scene, side: number, zRange: [number, number], f: (i: number, s: number, r: number, c: number, p: Vec3, gi: number) => void): void {
  const v = sc.base.volume;
  const m = sc.base.anatomy.lungs;
  for (let s = 0; s < v.slices; s++) {
    const z = v.positions[s][2];
    if (z < zRange[0] || z > zRange[1]) continue;
    for (let r = 0; r < v.rows; r++)
      for (let c = 0; c < v.columns; c++) {
        const gi = gridIndex(sc.base, s, r, c);
        if (m.aerated[gi] !== side) continue;
        f((s * v.rows + r) * v.columns + c, s, r, c, patientOf(v, s, r, c), gi);
      }
  }
}

/** The lung's extent (patient y) on the grid slice of a volume slice, for one side. */
function lungYRange(sc: Scene, side: number, s: number): [number, number] | null {
  const g = sc.base.anatomy.grid, m = sc.base.anatomy.lungs;
  const k = ((Math.min(g.slices - 1, (s / g.fz) | 0)) * 3 + side) * 4;
  return Number.isNaN(m.sliceExtent[k]) ? null : [m.sliceExtent[k + 2], m.sliceExtent[k + 3]];
}

/** A dependent effusion at the back of one lung's base, `depthMm` deep at its deepest. */
export function insertEffusion(sc: Scene, hu: Float32Array, side: Side, depthMm: number, random: () => number): InsertedFinding {
  const si = sideIndex(side);
  const e = sc.base.anatomy.lungs.extent[si]!;
  const height = Math.min(0.6 * (e.zMax - e.zMin), 2.2 * depthMm + 30);
  const boxes: InsertedFinding['boxes'] = new Map();
  const fluidHU = 4 + 8 * random();
  let apAtDeepest = 0;
  forLungPixels(sc, si, [e.zMin - 5, e.zMin + height], (i, s, _r, _c, p, gi) => {
    const y = lungYRange(sc, si, s);
    if (!y) return;
    const t = clamp01((p[2] - e.zMin) / height);
    const d = depthMm * Math.pow(1 - t, 0.6);
    if (d < 1) return;
    // the fluid's surface, level across the lung, rising along the chest wall (the meniscus)
    const wall = sc.wallDistance[si][gi];
    const surface = y[1] - d - 0.5 * d * Math.exp(-wall / 10);
    const occ = sigmoid((p[1] - surface) / 0.5);
    if (occ > 0.5) { mark(boxes, s, _r, _c); if (t < 0.1) apAtDeepest = Math.max(apAtDeepest, y[1] - y[0]); }
    const fluid = fluidHU + 15 * gauss(random);
    if (occ > 0.02) hu[i] = hu[i] * (1 - occ) + fluid * occ;
    // the lung just above the fluid is compressed: denser
    const above = surface - p[1];
    if (above > 0 && above < 4 && hu[i] < -500) hu[i] = hu[i] + (-450 - hu[i]) * (1 - above / 4);
  });
  const fraction = depthMm / Math.max(1, apAtDeepest);
  const amount = fraction < 0.25 ? 'small' : fraction < 0.5 ? 'moderate' : 'large';
  const zhAmount = { small: '少量', moderate: '中等量', large: '大量' }[amount];
  return {
    kind: 'pleural effusion', side, boxes, note: `${amount} (${Math.round(depthMm)} mm)`,
    queries: [{ lang: 'en', text: `${amount} ${side} pleural effusion` }, { lang: 'zh', text: `${ZH_SIDE[side]}侧${zhAmount}胸腔积液` }],
  };
}

/**
 * One lung field, as the analysis of the unmodified scan finds it, turned to fluid of `fluidHU` with `noiseHU` of
 * noise: a hemithorax made opaque. Returns the boxes of what was filled.
 */
export function fillLungField(base: VolumeAnalysis, hu: Float32Array, side: Side, fluidHU: number, noiseHU: number, random: () => number): InsertedFinding['boxes'] {
  const v = base.volume, lung = base.anatomy.lungs.lung;
  const si = sideIndex(side);
  const boxes: InsertedFinding['boxes'] = new Map();
  for (let s = 0; s < v.slices; s++)
    for (let r = 0; r < v.rows; r++)
      for (let c = 0; c < v.columns; c++) {
        if (lung[gridIndex(base, s, r, c)] !== si) continue;
        hu[(s * v.rows + r) * v.columns + c] = fluidHU + noiseHU * gauss(random);
        mark(boxes, s, r, c);
      }
  return boxes;
}

/** A massive effusion: one hemithorax filled with fluid (4-12 HU), its lung gone from view. */
export function insertOpaqueHemithorax(sc: Scene, hu: Float32Array, side: Side, random: () => number): InsertedFinding {
  const boxes = fillLungField(sc.base, hu, side, 4 + 8 * random(), 12, random);
  return {
    kind: 'opaque hemithorax', side, boxes, note: 'massive: the whole hemithorax',
    queries: [{ lang: 'en', text: `large ${side} pleural effusion` }, { lang: 'zh', text: `${ZH_SIDE[side]}侧大量胸腔积液` }],
  };
}

/** A whole lung collapsed: its hemithorax filled with soft tissue (45-60 HU), no air left in it. */
export function insertCollapsedLung(sc: Scene, hu: Float32Array, side: Side, random: () => number): InsertedFinding {
  const boxes = fillLungField(sc.base, hu, side, 45 + 15 * random(), 12, random);
  return {
    kind: 'collapsed lung', side, boxes, note: 'the whole lung, soft tissue',
    queries: [{ lang: 'en', text: `${side} lung collapse` }, { lang: 'zh', text: `${ZH_SIDE[side]}肺不张` }],
  };
}

/** A non-dependent rim of air along the front of one lung, `depthMm` deep at its deepest. */
export function insertPneumothorax(sc: Scene, hu: Float32Array, side: Side, depthMm: number, random: () => number): InsertedFinding {
  const si = sideIndex(side);
  const e = sc.base.anatomy.lungs.extent[si]!;
  const z0 = e.zMin + 0.3 * (e.zMax - e.zMin), z1 = e.zMax - 10;
  const boxes: InsertedFinding['boxes'] = new Map();
  forLungPixels(sc, si, [z0, z1], (i, s, r, c, p, gi) => {
    const y = lungYRange(sc, si, s);
    if (!y) return;
    const t = (p[2] - z0) / (z1 - z0);
    const ap = (p[1] - y[0]) / Math.max(1, y[1] - y[0]);
    // deepest in front, fading towards the middle of the lung's depth; tapering at its top and bottom
    const d = depthMm * Math.sqrt(Math.sin(Math.PI * clamp01(t))) * clamp01((0.6 - ap) / 0.2);
    if (d < 0.5) return;
    const wall = sc.wallDistance[si][gi];
    const occ = sigmoid((d - wall) / 0.4);
    if (occ > 0.5) mark(boxes, s, r, c);
    if (occ > 0.02) hu[i] = hu[i] * (1 - occ) + (-1000 + 8 * gauss(random)) * occ;
    // the visceral pleura: a thin line at the lung's new edge
    if (wall > d && wall < d + 1.2) hu[i] = Math.max(hu[i], -450 + 40 * gauss(random));
  });
  const amount = depthMm < 20 ? 'small' : depthMm < 30 ? 'moderate' : 'large';
  const zhAmount = { small: '少量', moderate: '中等量', large: '大量' }[amount];
  return {
    kind: 'pneumothorax', side, boxes, note: `${amount} (${Math.round(depthMm)} mm)`,
    queries: [{ lang: 'en', text: `${amount} ${side} pneumothorax` }, { lang: 'zh', text: `${ZH_SIDE[side]}侧${zhAmount}气胸` }],
  };
}

/** Low-attenuation holes in an upper-zone region: centrilobular (scattered, no walls) or paraseptal (a subpleural row). */
export function insertEmphysema(sc: Scene, hu: Float32Array, side: Side, pattern: 'centrilobular' | 'paraseptal', random: () => number): InsertedFinding | null {
  const si = sideIndex(side);
  const g = sc.base.anatomy.grid;
  const want = pattern === 'centrilobular' ? 'lung' : 'pleura';
  const sites = sc.sites.filter((x) => x.side === side && x.siteClass === want && x.zoneFraction > 0.62 && x.zoneFraction < 0.9 && x.depthMm >= (pattern === 'centrilobular' ? 18 : 25));
  if (!sites.length) return null;
  const site = sites[Math.floor(random() * sites.length)];
  const centre = gridToPatient(g, ...site.grid);
  const radius: Vec3 = [32, 32, 26];
  // the holes: centres and radii (mm)
  const holes: Array<{ p: Vec3; r: number }> = [];
  const target = pattern === 'centrilobular' ? 0.4 : 0.3;
  let filled = 0;
  const volume = (4 / 3) * Math.PI * radius[0] * radius[1] * radius[2];
  for (let tries = 0; tries < 4000 && filled < target * volume; tries++) {
    const u: Vec3 = [random() * 2 - 1, random() * 2 - 1, random() * 2 - 1];
    if (u[0] ** 2 + u[1] ** 2 + u[2] ** 2 > 1) continue;
    const p: Vec3 = [centre[0] + u[0] * radius[0], centre[1] + u[1] * radius[1], centre[2] + u[2] * radius[2]];
    const r = pattern === 'centrilobular' ? 1.5 + 3 * random() : 3 + 4 * random();
    if (pattern === 'paraseptal') {
      // only along the pleura: its centre about its radius in from the lung's edge
      const gi = patientToGrid(sc, p);
      if (gi < 0 || sc.wallDistance[si][gi] > r + 3) continue;
    }
    holes.push({ p, r });
    filled += (4 / 3) * Math.PI * r ** 3;
  }
  const boxes: InsertedFinding['boxes'] = new Map();
  const reach = Math.max(...radius) + 8;
  forLungPixels(sc, si, [centre[2] - reach, centre[2] + reach], (i, s, r, c, p) => {
    if (Math.abs(p[0] - centre[0]) > reach || Math.abs(p[1] - centre[1]) > reach) return;
    if (hu[i] > -500) return; // vessels and walls stay
    let occ = 0;
    for (const h of holes) {
      const d = Math.hypot(p[0] - h.p[0], p[1] - h.p[1], p[2] - h.p[2]);
      if (d < h.r + 1.5) occ = Math.max(occ, sigmoid((h.r - d) / 0.4));
    }
    if (occ < 0.02) return;
    hu[i] = hu[i] * (1 - occ) + (-990 + 8 * gauss(random)) * occ;
    if (occ > 0.5) mark(boxes, s, r, c);
  });
  const en = `${pattern} emphysema in the ${side} upper lung`;
  const zh = `${ZH_SIDE[side]}上肺${pattern === 'centrilobular' ? '小叶中心型' : '间隔旁型'}肺气肿`;
  return { kind: 'emphysema', side, boxes, note: pattern, queries: [{ lang: 'en', text: en }, { lang: 'zh', text: zh }] };
}

/** Diffuse emphysema's lattice (mm): at most one hole per cell, in half the cells, 1.5–4 mm in radius. */
const DIFFUSE_CELL_MM = 7;
const DIFFUSE_HOLE_SHARE = 0.5;

/**
 * Holes of air (−990 HU) without walls all through one lung's aerated parenchyma (what is denser than −500 HU,
 * vessels and lesions, stays): a lattice of DIFFUSE_CELL_MM cells, each drawing its own hole or none, about
 * 13 % of the parenchyma in all. Marked where a hole fills a pixel more than half.
 */
export function insertDiffuseEmphysema(sc: Scene, hu: Float32Array, side: Side, random: () => number): InsertedFinding {
  const v = sc.base.volume, g = sc.base.anatomy.grid, aerated = sc.base.anatomy.lungs.aerated;
  const si = sideIndex(side);
  const [rowMm, colMm] = v.pixelSpacing, zMm = v.sliceSpacing;
  const cell = DIFFUSE_CELL_MM;
  // per cell (one beyond each end, for the holes reaching in): its hole's centre (mm, volume axes) and radius, 0 for none
  const nz = Math.ceil((v.slices * zMm) / cell) + 2, ny = Math.ceil((v.rows * rowMm) / cell) + 2, nx = Math.ceil((v.columns * colMm) / cell) + 2;
  const hole = new Float64Array(nz * ny * nx * 4);
  for (let i = 0; i < nz; i++)
    for (let j = 0; j < ny; j++)
      for (let k = 0; k < nx; k++) {
        const o = ((i * ny + j) * nx + k) * 4;
        if (random() >= DIFFUSE_HOLE_SHARE) continue;
        hole[o] = (i - 1 + random()) * cell; hole[o + 1] = (j - 1 + random()) * cell; hole[o + 2] = (k - 1 + random()) * cell; hole[o + 3] = 1.5 + 2.5 * random();
      }
  const boxes: InsertedFinding['boxes'] = new Map();
  for (let s = 0; s < v.slices; s++) {
    const z = s * zMm, gs = Math.min(g.slices - 1, (s / g.fz) | 0);
    for (let r = 0; r < v.rows; r++) {
      const y = r * rowMm, gRow = (gs * g.rows + Math.min(g.rows - 1, (r / g.fy) | 0)) * g.columns;
      for (let c = 0; c < v.columns; c++) {
        const p = (s * v.rows + r) * v.columns + c;
        if (hu[p] > -500 || aerated[gRow + Math.min(g.columns - 1, (c / g.fx) | 0)] !== si) continue;
        const x = c * colMm;
        const ci = Math.floor(z / cell) + 1, cj = Math.floor(y / cell) + 1, ck = Math.floor(x / cell) + 1;
        let occ = 0;
        for (let i = ci - 1; i <= ci + 1; i++)
          for (let j = cj - 1; j <= cj + 1; j++)
            for (let k = ck - 1; k <= ck + 1; k++) {
              const o = ((i * ny + j) * nx + k) * 4, radius = hole[o + 3];
              if (!radius) continue;
              const d = Math.hypot(z - hole[o], y - hole[o + 1], x - hole[o + 2]);
              if (d < radius + 1.5) occ = Math.max(occ, sigmoid((radius - d) / 0.4));
            }
        if (occ < 0.02) continue;
        hu[p] = hu[p] * (1 - occ) + (-990 + 8 * gauss(random)) * occ;
        if (occ > 0.5) mark(boxes, s, r, c);
      }
    }
  }
  return {
    kind: 'diffuse emphysema', side, boxes, note: 'holes all through the lung',
    queries: [{ lang: 'en', text: `centrilobular emphysema in the ${side} lung` }, { lang: 'zh', text: `${ZH_SIDE[side]}肺小叶中心型肺气肿` }],
  };
}

/** The grid voxel of a patient position, or -1 outside the grid (axial grids). */
function patientToGrid(sc: Scene, p: Vec3): number {
  const g = sc.base.anatomy.grid;
  let s = 0;
  for (let k = 1; k < g.slices; k++) if (Math.abs(g.origin[k][2] - p[2]) < Math.abs(g.origin[s][2] - p[2])) s = k;
  const d = [p[0] - g.origin[s][0], p[1] - g.origin[s][1]];
  // in-plane: solve d = r * rowStep + c * colStep
  const [a, b] = [g.rowStep[0], g.colStep[0]], [cc, dd] = [g.rowStep[1], g.colStep[1]];
  const det = a * dd - b * cc;
  if (Math.abs(det) < 1e-9) return -1;
  const r = Math.round((d[0] * dd - b * d[1]) / det), c = Math.round((a * d[1] - cc * d[0]) / det);
  return r < 0 || c < 0 || r >= g.rows || c >= g.columns ? -1 : (s * g.rows + r) * g.columns + c;
}

/** A dense wedge on the pleura of a lower or middle zone, apex inwards, with branching air bronchograms. */
export function insertConsolidation(sc: Scene, hu: Float32Array, side: Side, random: () => number): InsertedFinding | null {
  const si = sideIndex(side);
  const g = sc.base.anatomy.grid;
  // behind the middle of the lung (a pneumothorax, when there is one, lies in front), on a side or back wall
  const sites = sc.sites.filter((x) => {
    if (x.side !== side || x.siteClass !== 'pleura' || x.zoneFraction < 0.18 || x.zoneFraction > 0.55 || x.depthMm < 30 || Math.abs(x.normal[0]) > 0.5) return false;
    const y = lungYRange(sc, si, x.grid[0] * g.fz);
    return !!y && (gridToPatient(g, ...x.grid)[1] - y[0]) / Math.max(1, y[1] - y[0]) > 0.45;
  });
  if (!sites.length) return null;
  const site = sites[Math.floor(random() * sites.length)];
  const base = gridToPatient(g, ...site.grid);
  // the axis into the lung, in patient mm (the site's normal is in grid axes: slice, row, column)
  const n = site.normal;
  const axis = normalise([-(g.rowStep[0] / g.spacing[1]) * n[1] - (g.colStep[0] / g.spacing[2]) * n[2], -(g.rowStep[1] / g.spacing[1]) * n[1] - (g.colStep[1] / g.spacing[2]) * n[2], -Math.sign(g.origin[Math.min(g.slices - 1, 1)][2] - g.origin[0][2] || 1) * n[0]]);
  const L = 45 + 15 * random(), R = 20 + 8 * random();
  // bronchi: from near the apex towards the base, each forking once
  const tubes: Array<{ a: Vec3; b: Vec3; r: number }> = [];
  const perp = normalise(cross(axis, [0, 0, 1]).some((x) => Math.abs(x) > 1e-3) ? cross(axis, [0, 0, 1]) : cross(axis, [0, 1, 0]));
  const perp2 = cross(axis, perp);
  const at = (t: number, u: number, w: number): Vec3 => [0, 1, 2].map((k) => base[k] + axis[k] * t + perp[k] * u + perp2[k] * w) as Vec3;
  for (let k = 0; k < 3; k++) {
    const ang = (2 * Math.PI * (k + random() * 0.5)) / 3;
    const start = at(0.85 * L, 0, 0), mid = at(0.5 * L, 0.25 * R * Math.cos(ang), 0.25 * R * Math.sin(ang));
    tubes.push({ a: start, b: mid, r: 2 });
    for (const dAng of [-0.5, 0.5]) tubes.push({ a: mid, b: at(0.12 * L, 0.55 * R * Math.cos(ang + dAng), 0.55 * R * Math.sin(ang + dAng)), r: 1.5 });
  }
  const boxes: InsertedFinding['boxes'] = new Map();
  const dense = 30 + 15 * random();
  forLungPixels(sc, si, [base[2] - L - R, base[2] + L + R], (i, s, r, c, p) => {
    const d: Vec3 = [p[0] - base[0], p[1] - base[1], p[2] - base[2]];
    const t = d[0] * axis[0] + d[1] * axis[1] + d[2] * axis[2];
    if (t < -R || t > L + 1) return;
    const radial = Math.hypot(d[0] - t * axis[0], d[1] - t * axis[1], d[2] - t * axis[2]);
    const occ = sigmoid((R * (1 - clamp01(t / L)) - radial) / 0.7) * sigmoid((L - t) / 0.7);
    if (occ < 0.02) return;
    let v = dense + 15 * gauss(random);
    for (const tb of tubes) if (distanceToSegment(p, tb.a, tb.b) < tb.r) v = -900 + 30 * gauss(random);
    hu[i] = hu[i] * (1 - occ) + v * occ;
    if (occ > 0.5) mark(boxes, s, r, c);
  });
  const zone = site.zoneFraction < 1 / 3 ? 'lower' : 'middle';
  const zh = { lower: '下', middle: '中' }[zone];
  return {
    kind: 'consolidation', side, boxes, note: `${Math.round(L)} mm wedge`,
    queries: [
      { lang: 'en', text: `consolidation with air bronchograms in the ${side} ${zone} lung` },
      { lang: 'zh', text: `${ZH_SIDE[side]}肺${zh}部实变伴空气支气管征` },
    ],
  };
}

/** A solid nodule with an air pocket inside (a cavity), or a part-solid one with small air bubbles (vacuoles). */
export function insertCavity(sc: Scene, hu: Float32Array, side: Side, vacuoles: boolean, random: () => number): InsertedFinding | null {
  const v = sc.base.volume;
  const sizeMm = vacuoles ? 16 + 6 * random() : 20 + 8 * random();
  const sites = sc.sites.filter((x) => x.side === side && x.siteClass === 'lung' && x.zoneFraction > 0.4 && x.zoneFraction < 0.6 && x.depthMm >= sizeMm / 2 + 6);
  if (!sites.length) return null;
  const site = sites[Math.floor(random() * sites.length)];
  const g = sc.base.anatomy.grid;
  const at = { slice: (site.grid[0] + 0.5) * g.fz - 0.5, row: (site.grid[1] + 0.5) * g.fy - 0.5, column: (site.grid[2] + 0.5) * g.fx - 0.5 };
  const lesion = randomLesion(random, at, sizeMm, vacuoles ? 'part-solid' : 'solid', random() < 0.5 ? 'smooth' : 'lobulated');
  const truth = insertLesion({ ...v, hu }, lesion);
  // the air inside: one pocket near the centre, or two or three small bubbles
  const centre = patientOf(v, Math.round(at.slice), Math.round(at.row), Math.round(at.column));
  const pockets: Array<{ p: Vec3; r: number }> = [];
  if (!vacuoles) {
    const r = sizeMm * (0.18 + 0.08 * random());
    pockets.push({ p: [centre[0] + (random() - 0.5) * 2, centre[1] + (random() - 0.5) * 2, centre[2]], r });
  } else {
    const k = 2 + Math.floor(random() * 2);
    for (let j = 0; j < k; j++) {
      const a = (2 * Math.PI * j) / k + random();
      pockets.push({ p: [centre[0] + 0.2 * sizeMm * Math.cos(a), centre[1] + 0.2 * sizeMm * Math.sin(a), centre[2]], r: 1.3 + 0.5 * random() });
    }
  }
  const reach = sizeMm;
  for (let s = 0; s < v.slices; s++) {
    if (Math.abs(v.positions[s][2] - centre[2]) > reach) continue;
    for (let r = Math.max(0, Math.round(at.row - reach)); r <= Math.min(v.rows - 1, Math.round(at.row + reach)); r++)
      for (let c = Math.max(0, Math.round(at.column - reach)); c <= Math.min(v.columns - 1, Math.round(at.column + reach)); c++) {
        const p = patientOf(v, s, r, c);
        // the slice's thickness averages the pocket over it
        let o = 0;
        for (const f of [-1 / 3, 0, 1 / 3]) {
          const z = p[2] + f * v.sliceSpacing;
          let best = 0;
          for (const pk of pockets) best = Math.max(best, sigmoid((pk.r - Math.hypot(p[0] - pk.p[0], p[1] - pk.p[1], z - pk.p[2])) / 0.35));
          o += best / 3;
        }
        if (o < 0.02) continue;
        const i = (s * v.rows + r) * v.columns + c;
        hu[i] = hu[i] * (1 - o) + (-1000 + 10 * gauss(random)) * o;
      }
  }
  const zone = 'middle';
  const what = vacuoles ? 'vacuoles' : `cavity ${Math.round(2 * pockets[0].r)} mm`;
  return {
    kind: 'cavity', side, boxes: truth.boxes, note: `${Math.round(truth.longAxisMm)} mm nodule, ${what}`,
    queries: vacuoles
      ? [{ lang: 'en', text: `nodule with vacuole sign in the ${side} ${zone} lung` }, { lang: 'zh', text: `${ZH_SIDE[side]}肺中部结节伴空泡征` }]
      : [{ lang: 'en', text: `cavitary nodule in the ${side} ${zone} lung` }, { lang: 'zh', text: `${ZH_SIDE[side]}肺中部结节伴空洞` }],
  };
}

export type NodeStation = '2R' | '4R' | '4L' | '5' | '7' | '10R' | '10L' | '1R' | '1L';

const NODE_WORDS: Record<NodeStation, { en: string; zh: string }> = {
  '1R': { en: 'enlarged right supraclavicular lymph node', zh: '右锁骨上淋巴结肿大' },
  '1L': { en: 'enlarged left supraclavicular lymph node', zh: '左锁骨上淋巴结肿大' },
  '2R': { en: 'enlarged right upper paratracheal lymph node', zh: '右上气管旁淋巴结肿大' },
  '4R': { en: 'enlarged right lower paratracheal lymph node', zh: '右下气管旁淋巴结肿大' },
  '4L': { en: 'enlarged left lower paratracheal lymph node', zh: '左下气管旁淋巴结肿大' },
  '5': { en: 'enlarged lymph node in the aortopulmonary window', zh: '主肺动脉窗淋巴结肿大' },
  '7': { en: 'subcarinal lymphadenopathy', zh: '隆突下淋巴结肿大' },
  '10R': { en: 'enlarged right hilar lymph node', zh: '右肺门淋巴结肿大' },
  '10L': { en: 'enlarged left hilar lymph node', zh: '左肺门淋巴结肿大' },
};

/** Where a station's node sits, from the landmarks (patient mm), or null when the scan does not show it. */
export function stationTarget(sc: Scene, station: NodeStation): Vec3 | null {
  const lm = sc.landmarks;
  const c = lm.carina;
  if (!c) return null;
  const g = sc.base.anatomy.grid;
  const trachea = (z: number) => {
    let best: (typeof lm.trachea)[number];
    let bd = Infinity;
    lm.trachea.forEach((t, s) => { if (t && Math.abs(g.origin[s][2] - z) < bd) { bd = Math.abs(g.origin[s][2] - z); best = t; } });
    return best;
  };
  const h = sc.base.anatomy.lungs.airway.hila;
  switch (station) {
    case '4R': { const t = trachea(c[2] + 12); return t ? [t.rightX - 7, t.y - 4, c[2] + 12] : null; }
    case '4L': { const t = trachea(c[2] + 10); return t ? [t.leftX + 7, t.y, c[2] + 10] : null; }
    case '2R': {
      if (lm.archTopZ === undefined || lm.sternalNotchZ === undefined || lm.sternalNotchZ - lm.archTopZ < 20) return null;
      const z = (lm.archTopZ + lm.sternalNotchZ) / 2;
      const t = trachea(z);
      return t ? [t.rightX - 7, t.y - 3, z] : null;
    }
    case '5': {
      if (lm.archBottomZ === undefined) return null;
      const t = trachea(c[2] + 5);
      return t ? [t.leftX + 22, t.y - 8, Math.min(lm.archBottomZ - 4, c[2] + 12)] : null;
    }
    case '7': return [c[0], c[1] + 12, c[2] - 16];
    case '10R': return h.right ? [h.right[0] - 4, h.right[1] + 4, h.right[2] + 4] : null;
    case '10L': return h.left ? [h.left[0] + 4, h.left[1] + 4, h.left[2] + 4] : null;
    case '1R':
    case '1L': {
      if (lm.sternalNotchZ === undefined) return null;
      const z = lm.sternalNotchZ + 15;
      const t = trachea(z);
      return t ? [t.x + (station === '1R' ? -38 : 38), t.y - 5, z] : null;
    }
  }
}

/**
 * A soft-tissue node at a station: an oval (short axis 12–16 mm, long 16–22 mm, 14–20 mm tall) placed
 * within 15 mm of the station's target where the fat around takes most of it, whole inside the scan; null
 * when no such place of the station is at least 40 % fat.
 */
export function insertNode(sc: Scene, hu: Float32Array, station: NodeStation, random: () => number): InsertedFinding | null {
  const target = stationTarget(sc, station);
  if (!target) return null;
  const v = sc.base.volume;
  const short = 12 + 4 * random(), long = short + 4 + 4 * random(), tall = 14 + 6 * random();
  const ang = random() * Math.PI;
  const axes: [number, number, number] = [long / 2, short / 2, tall / 2];
  const inside = (d: Vec3): number => {
    const u = (Math.cos(ang) * d[0] + Math.sin(ang) * d[1]) / axes[0];
    const w = (-Math.sin(ang) * d[0] + Math.cos(ang) * d[1]) / axes[1];
    return Math.hypot(u, w, d[2] / axes[2]);
  };
  const toVoxel = (p: Vec3): [number, number, number] => {
    let s = 0;
    for (let k = 1; k < v.slices; k++) if (Math.abs(v.positions[k][2] - p[2]) < Math.abs(v.positions[s][2] - p[2])) s = k;
    const d = [0, 1, 2].map((k) => p[k] - v.positions[s][k]);
    const c = (d[0] * v.rowCosines[0] + d[1] * v.rowCosines[1] + d[2] * v.rowCosines[2]) / v.pixelSpacing[1];
    const r = (d[0] * v.columnCosines[0] + d[1] * v.columnCosines[1] + d[2] * v.columnCosines[2]) / v.pixelSpacing[0];
    return [s, r, c];
  };
  // the fattest place near the target (fat: -200..-40 HU at the pixel), sampled on a coarse lattice
  const fatShare = (centre: Vec3): number => {
    let fat = 0, all = 0;
    for (let dz = -axes[2]; dz <= axes[2]; dz += 3)
      for (let dx = -axes[0]; dx <= axes[0]; dx += 2)
        for (let dy = -axes[0]; dy <= axes[0]; dy += 2) {
          if (inside([dx, dy, dz]) > 1) continue;
          const [s, r, c] = toVoxel([centre[0] + dx, centre[1] + dy, centre[2] + dz]);
          const x = hu[(s * v.rows + Math.round(r)) * v.columns + Math.round(c)];
          all++;
          if (x > -200 && x < -40) fat++;
        }
    return all ? fat / all : 0;
  };
  // the node is drawn whole inside the scan, a slice clear of its ends (a report describes a node it shows)
  const zs = v.positions.map((p) => p[2]);
  const zLow = Math.min(...zs) + v.sliceSpacing, zHigh = Math.max(...zs) - v.sliceSpacing;
  let best: Vec3 = target, bestShare = -1;
  for (let dz = -9; dz <= 9; dz += 3)
    for (let dx = -15; dx <= 15; dx += 3)
      for (let dy = -15; dy <= 15; dy += 3) {
        const p: Vec3 = [target[0] + dx, target[1] + dy, target[2] + dz];
        if (p[2] - axes[2] < zLow || p[2] + axes[2] > zHigh) continue;
        const f = fatShare(p) - 0.004 * Math.hypot(dx, dy, dz);
        if (f > bestShare) { bestShare = f; best = p; }
      }
  if (bestShare < 0.4) return null;
  const boxes: InsertedFinding['boxes'] = new Map();
  const [cs] = toVoxel(best);
  const reachPx = Math.ceil((axes[0] + 2) / Math.min(...v.pixelSpacing));
  const [, cr, cc] = toVoxel(best);
  const nodeHU = 30 + 10 * random();
  for (let s = Math.max(0, cs - Math.ceil((axes[2] + 3) / v.sliceSpacing)); s <= Math.min(v.slices - 1, cs + Math.ceil((axes[2] + 3) / v.sliceSpacing)); s++)
    for (let r = Math.max(0, Math.round(cr) - reachPx); r <= Math.min(v.rows - 1, Math.round(cr) + reachPx); r++)
      for (let c = Math.max(0, Math.round(cc) - reachPx); c <= Math.min(v.columns - 1, Math.round(cc) + reachPx); c++) {
        const p = patientOf(v, s, r, c);
        let o = 0;
        for (const f of [-1 / 3, 0, 1 / 3]) o += sigmoid((1 - inside([p[0] - best[0], p[1] - best[1], p[2] + f * v.sliceSpacing - best[2]])) / 0.06) / 3;
        if (o < 0.02) continue;
        const i = (s * v.rows + r) * v.columns + c;
        if (hu[i] > 100 || hu[i] < -400) continue; // bone, contrast and air stay
        hu[i] = hu[i] * (1 - o) + (nodeHU + 15 * gauss(random)) * o;
        if (o > 0.5) mark(boxes, s, r, c);
      }
  const side: Side = station.endsWith('L') || station === '5' ? 'left' : station.endsWith('R') ? 'right' : best[0] > (sc.landmarks.carina?.[0] ?? 0) ? 'left' : 'right';
  return {
    kind: 'lymph node', side, boxes, note: `station ${station}, ${Math.round(long)} × ${Math.round(short)} mm, ${Math.round(100 * bestShare)} % in fat`,
    queries: [{ lang: 'en', text: NODE_WORDS[station].en }, { lang: 'zh', text: NODE_WORDS[station].zh }],
  };
}

function normalise(a: number[]): Vec3 {
  const n = Math.hypot(a[0], a[1], a[2]) || 1;
  return [a[0] / n, a[1] / n, a[2] / n];
}

function cross(a: number[], b: number[]): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function distanceToSegment(p: Vec3, a: Vec3, b: Vec3): number {
  const ab = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
  const len2 = ab[0] ** 2 + ab[1] ** 2 + ab[2] ** 2;
  const t = len2 ? clamp01(((p[0] - a[0]) * ab[0] + (p[1] - a[1]) * ab[1] + (p[2] - a[2]) * ab[2]) / len2) : 0;
  return Math.hypot(p[0] - a[0] - t * ab[0], p[1] - a[1] - t * ab[1], p[2] - a[2] - t * ab[2]);
}
