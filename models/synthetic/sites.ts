/**
 * Where synthetic lesions go: places in a real scan, by site class, found from what lies beyond the
 * lung wall at that point (a ray along the outward normal), not from the analysis' own verdicts:
 * - lung: deep in aerated lung, away from every wall;
 * - fissure: deep in lung where the upper and lower lobes meet (fissures are estimated, not seen);
 * - pleura: the wall beyond is chest wall (the ray leaves the body or meets a rib first);
 * - mediastinum: the ray crosses the midline (the wall beyond is the mediastinum), away from the hila;
 * - hilum: as mediastinum, but within 30 mm of the side's hilum (the end of its main bronchus);
 * - diaphragm: the wall beyond is below (the normal points to the feet), away from the chest wall.
 * A wall site places the lesion's centre inside the lung so that it presses into the wall by about half
 * its radius, as a lesion abutting it would.
 */
import type { Grid } from '../../server/rerank/analysis/grid';
import { gridToPatient } from '../../server/rerank/analysis/grid';
import type { LungMasks } from '../../server/rerank/analysis/lungs';
import { squaredDistanceToBackground } from '../../server/rerank/analysis/morphology';

export const SITE_CLASSES = ['lung', 'fissure', 'pleura', 'mediastinum', 'hilum', 'diaphragm'] as const;
export type SiteClass = (typeof SITE_CLASSES)[number];

export interface Site {
  siteClass: SiteClass;
  /** Grid voxel of the wall point (or the lung point for lung and fissure sites). */
  grid: [number, number, number];
  /** Outward unit normal of the lung at the wall, in grid voxel steps scaled to mm ([slice, row, column] mm). */
  normal: [number, number, number];
  side: 'right' | 'left';
  /** Free aerated lung depth at the point (mm): how large a lesion fits. */
  depthMm: number;
  /** 0 at the lung base .. 1 at the apex of its lung, at the point. */
  zoneFraction: number;
}

const HILUM_MM = 30;
const BONE_HU = 300;

/** Unit vector from the mean of aerated voxels around `p` (a ball of `radiusMm`) towards `p`: the outward normal. */
function outwardNormal(g: Grid, aerated: Uint8Array, s: number, r: number, c: number, radiusMm: number): [number, number, number] | null {
  const [sz, sy, sx] = g.spacing;
  const ks = Math.ceil(radiusMm / sz), kr = Math.ceil(radiusMm / sy), kc = Math.ceil(radiusMm / sx);
  let ms = 0, mr = 0, mc = 0, n = 0;
  for (let ds = -ks; ds <= ks; ds++) {
    const ss = s + ds;
    if (ss < 0 || ss >= g.slices) continue;
    for (let dr = -kr; dr <= kr; dr++) {
      const rr = r + dr;
      if (rr < 0 || rr >= g.rows) continue;
      for (let dc = -kc; dc <= kc; dc++) {
        const cc = c + dc;
        if (cc < 0 || cc >= g.columns) continue;
        const d2 = (ds * sz) ** 2 + (dr * sy) ** 2 + (dc * sx) ** 2;
        if (d2 > radiusMm * radiusMm || !aerated[(ss * g.rows + rr) * g.columns + cc]) continue;
        ms += ds * sz; mr += dr * sy; mc += dc * sx; n++;
      }
    }
  }
  if (!n) return null;
  const v: [number, number, number] = [-ms / n, -mr / n, -mc / n];
  const len = Math.hypot(...v);
  return len < 0.5 ? null : [v[0] / len, v[1] / len, v[2] / len];
}

/** What the ray from a wall point along the outward normal meets first, within 160 mm. */
function beyond(g: Grid, m: LungMasks, s: number, r: number, c: number, n: [number, number, number], side: number): 'chest wall' | 'mediastinum' | 'below' | null {
  const start = gridToPatient(g, s, r, c);
  const [sz, sy, sx] = g.spacing;
  const plane = g.rows * g.columns;
  const midStart = start[0] - m.midlineX[s];
  for (let t = 1.5; t <= 160; t += 1.5) {
    const ss = Math.round(s + (n[0] * t) / sz), rr = Math.round(r + (n[1] * t) / sy), cc = Math.round(c + (n[2] * t) / sx);
    if (ss < 0 || ss >= g.slices || rr < 0 || rr >= g.rows || cc < 0 || cc >= g.columns) return null;
    const q = ss * plane + rr * g.columns + cc;
    if (!m.body[q]) return 'chest wall';
    if (g.hu[q] > BONE_HU && t < 40) return 'chest wall';
    const x = gridToPatient(g, ss, rr, cc)[0] - m.midlineX[ss];
    if (Math.sign(x) !== Math.sign(midStart)) return 'mediastinum';
    if (m.aerated[q] && m.aerated[q] !== side) return 'mediastinum';
    if (m.aerated[q] === side && t > 6) return null; // back into the same lung: a fold, not a wall
  }
  return null;
}

/** Patient z (mm) of a grid slice. */
function zOf(g: Grid, s: number): number {
  return g.origin[s][2];
}

/**
 * Every site of every class in the scan, on a coarse stride, with the free lung depth at each. `hila`
 * and `extent` come from the analysis of the unmodified scan.
 */
export function findSites(g: Grid, m: LungMasks, strideMm = 6): Site[] {
  const plane = g.rows * g.columns;
  const [sz, sy, sx] = g.spacing;
  const aeratedAny = new Uint8Array(m.aerated.length);
  for (let i = 0; i < aeratedAny.length; i++) aeratedAny[i] = m.aerated[i] ? 1 : 0;
  const depth2 = squaredDistanceToBackground(aeratedAny, g, g.spacing);
  const ks = Math.max(1, Math.round(strideMm / sz)), kr = Math.max(1, Math.round(strideMm / sy)), kc = Math.max(1, Math.round(strideMm / sx));
  const zDir = g.slices > 1 ? Math.sign(zOf(g, g.slices - 1) - zOf(g, 0)) || 1 : 1;
  const out: Site[] = [];
  for (let s = 1; s < g.slices - 1; s += ks)
    for (let r = 1; r < g.rows - 1; r += kr)
      for (let c = 1; c < g.columns - 1; c += kc) {
        const q = s * plane + r * g.columns + c;
        const side = m.aerated[q];
        if (!side) continue;
        const ext = m.extent[side];
        const z = zOf(g, s);
        const zoneFraction = ext && ext.zMax > ext.zMin ? (z - ext.zMin) / (ext.zMax - ext.zMin) : 0.5;
        const p = gridToPatient(g, s, r, c);
        const sideName = side === 1 ? 'right' : 'left';
        const depthMm = Math.sqrt(depth2[q]);
        // interior points: lung and fissure
        if (depthMm >= 8) {
          const normal: [number, number, number] = [0, 0, 0];
          out.push({ siteClass: 'lung', grid: [s, r, c], normal, side: sideName, depthMm, zoneFraction });
          continue;
        }
        // wall points: aerated with a non-lung body voxel next to it
        let wall = false;
        for (const d of [1, -1, g.columns, -g.columns, plane, -plane]) if (!m.aerated[q + d] && m.body[q + d] && !m.airway.mask[q + d]) wall = true;
        if (!wall) continue;
        const n = outwardNormal(g, m.aerated, s, r, c, 10);
        if (!n) continue;
        const downward = n[0] * zDir < -0.6; // towards the feet
        const what = downward ? 'below' : beyond(g, m, s, r, c, n, side);
        if (!what) continue;
        let siteClass: SiteClass;
        if (what === 'below') {
          // the dome, not the costophrenic recess against the chest wall
          const lateral = Math.abs(p[0] - m.midlineX[s]);
          const k = (s * 3 + side) * 4;
          const half = side === 2 ? m.sliceExtent[k + 1] - m.midlineX[s] : m.midlineX[s] - m.sliceExtent[k];
          if (!(lateral < 0.75 * half)) continue;
          siteClass = 'diaphragm';
        } else if (what === 'chest wall') siteClass = 'pleura';
        else {
          const h = m.airway.hila[sideName];
          siteClass = h && Math.hypot(p[0] - h[0], p[1] - h[1], p[2] - h[2]) <= HILUM_MM ? 'hilum' : 'mediastinum';
        }
        out.push({ siteClass, grid: [s, r, c], normal: n, side: sideName, depthMm: inwardDepth(g, depth2, s, r, c, n), zoneFraction });
      }
  // fissure: interior points where the estimated oblique fissure runs (see lobeMembership)
  for (const site of out) {
    if (site.siteClass !== 'lung') continue;
    const k = (site.grid[0] * 3 + (site.side === 'right' ? 1 : 2)) * 4;
    const [yMin, yMax] = [m.sliceExtent[k + 2], m.sliceExtent[k + 3]];
    const y = gridToPatient(g, ...site.grid)[1];
    const ap = yMax > yMin ? (y - yMin) / (yMax - yMin) : 0.5;
    if (Math.abs(0.25 + 0.45 * ap - site.zoneFraction) < 0.03) site.siteClass = 'fissure';
  }
  return out;
}

/** How much free lung lies inward of a wall point (mm): the deepest aerated depth along the inward normal within 80 mm, halved. */
function inwardDepth(g: Grid, depth2: Float32Array, s: number, r: number, c: number, n: [number, number, number]): number {
  const [sz, sy, sx] = g.spacing;
  let best = 0;
  for (let t = 2; t <= 80; t += 2) {
    const ss = Math.round(s - (n[0] * t) / sz), rr = Math.round(r - (n[1] * t) / sy), cc = Math.round(c - (n[2] * t) / sx);
    if (ss < 0 || ss >= g.slices || rr < 0 || rr >= g.rows || cc < 0 || cc >= g.columns) break;
    const d = Math.sqrt(depth2[(ss * g.rows + rr) * g.columns + cc]);
    if (d === 0 && t > 6) break;
    // a ball of radius ρ centred t in from the wall fits if the depth there is at least ρ ≈ t/1 (touching the wall)
    best = Math.max(best, Math.min(d, t));
  }
  return best;
}
