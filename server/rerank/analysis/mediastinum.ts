/**
 * Landmarks of the mediastinum that lymph node stations are named from (IASLC 2009 map): the trachea
 * and its left lateral wall on every slice, the main bronchi and the carina (airway.ts), the aorta
 * (the descending aorta found as a round blood-density column left of the spine below the carina, and
 * everything of blood density connected to it above that: the arch and the ascending aorta), the top of
 * the arch and where it divides into its ascending and descending limbs, and the top of the manubrium
 * (the sternal notch). All of them come from this patient's scan; none is an absolute height.
 */
import type { Vec3 } from '../../series/volume';
import { Compartment } from './compartments';
import type { Grid } from './grid';
import type { LungMasks } from './lungs';
import { labelComponents, nextSet, squaredDistanceToBackground, VoxelBox, wordsOf } from './morphology';

/** The lumen of the trachea on one grid slice, in patient mm. */
export interface TracheaSection {
  x: number;
  y: number;
  /** Patient x of its right and left walls (the lumen's extent plus the wall), y of its front and back. */
  rightX: number;
  leftX: number;
  frontY: number;
  backY: number;
}

export interface MediastinalLandmarks {
  /** Per grid slice, the trachea above the carina (undefined where none). */
  trachea: Array<TracheaSection | undefined>;
  carina?: Vec3;
  /** Per grid slice below the carina: the centroid of each main bronchus (patient mm), where it was tracked. */
  bronchi: Array<{ right?: Vec3; left?: Vec3 } | undefined>;
  /** 1 on grid voxels of the aorta (arch, ascending and descending limbs) and what is fused with it. */
  aorta: Uint8Array;
  /** Patient z of the top of the aortic arch, and of where it divides into its two limbs. */
  archTopZ?: number;
  archBottomZ?: number;
  /** Patient z of the top of the manubrium (the sternal notch). */
  sternalNotchZ?: number;
  /** Blood density (HU) of the descending aorta: above ENHANCED_BLOOD_HU the scan is contrast enhanced. */
  bloodHU?: number;
}

/** Blood denser than this (HU) is enhanced by contrast; unenhanced blood is about 30-50 HU, enhanced 150-400. */
export const ENHANCED_BLOOD_HU = 120;

/** Patient x and y (mm) of grid voxel (s, r, c), without allocating (hot loops). */
export const patientX = (g: Grid, s: number, r: number, c: number): number => g.origin[s][0] + g.rowStep[0] * r + g.colStep[0] * c;
export const patientY = (g: Grid, s: number, r: number, c: number): number => g.origin[s][1] + g.rowStep[1] * r + g.colStep[1] * c;

/** A tracheal wall is about 2 mm thick. */
const TRACHEAL_WALL_MM = 2;
/** The descending aorta: a column 7–22 mm in radius, left of the midline (mm). */
const AORTA_RADIUS_MM: [number, number] = [7, 18];
const AORTA_LEFT_MM: [number, number] = [8, 55];
/** Where it is looked for: this far below the carina (mm). */
const AORTA_SEED_BELOW_CARINA_MM: [number, number] = [15, 60];
/** Inscribed radius (mm) that keeps the aorta apart from the smaller vessels and the soft tissue around it. */
const AORTA_CORE_MM = 8;
const BONE_HU = 300;
// compartment labels as plain numbers: read per voxel, and an imported enum member costs a getter call each time
const MEDIASTINUM: number = Compartment.Mediastinum, HEART: number = Compartment.Heart, LUNG: number = Compartment.Lung;

export function mediastinalLandmarks(g: Grid, m: LungMasks, compartments: Uint8Array): MediastinalLandmarks {
  const trachea = tracheaSections(g, m);
  const bronchi = bronchusCentres(g, m);
  const out: MediastinalLandmarks = { trachea, carina: m.airway.carina, bronchi, aorta: new Uint8Array(g.hu.length) };
  out.sternalNotchZ = sternalNotch(g, m, trachea);
  const carina = m.airway.carina;
  if (!carina) return out;
  // everything below works in the box of the mediastinum from below the carina upwards
  const box = mediastinalBox(g, compartments, carina[2] - AORTA_SEED_BELOW_CARINA_MM[1] - 20);
  if (!box) return out;
  const seed = descendingAortaSeed(g, m, compartments, carina, box);
  if (!seed) return out;
  out.bloodHU = seed.hu;
  // blood density and its planar depth; the aorta's core is where that depth exceeds the core radius
  // blood: around the descending aorta's own density (with its partial-volume rim when it is enhanced)
  const lo = Math.min(seed.hu - 70, (seed.hu - 100) / 2), hi = seed.hu + 150;
  const blood = new Uint8Array(box.n);
  // (plain loops over the box rather than a callback per voxel: these run over the whole mediastinum)
  const plane = g.rows * g.columns;
  for (let s = box.s0, j = 0; s < box.s0 + box.slices; s++)
    for (let r = box.r0; r < box.r0 + box.rows; r++)
      for (let c = box.c0, i = s * plane + r * g.columns + c; c < box.c0 + box.columns; c++, i++, j++)
        blood[j] = inCavity(m, compartments[i], i) && g.hu[i] > lo && g.hu[i] < hi ? 1 : 0;
  const depth = squaredDistanceToBackground(blood, box, g.spacing, true);
  const core = new Uint8Array(box.n);
  const r2 = AORTA_CORE_MM * AORTA_CORE_MM;
  for (let s = box.s0, j = 0; s < box.s0 + box.slices; s++) {
    // the heart is not the aorta: below the carina only the descending limb (left, behind the carina)
    const below = g.origin[s][2] < carina[2] - 30;
    for (let r = box.r0; r < box.r0 + box.rows; r++)
      for (let c = box.c0; c < box.c0 + box.columns; c++, j++) {
        if (depth[j] < r2) continue;
        if (below && !(patientX(g, s, r, c) > m.midlineX[s] && patientY(g, s, r, c) > carina[1])) continue;
        core[j] = 1;
      }
  }
  const comps = labelComponents(core, box);
  const id = coreAt(g, box, comps.labels, seed.index);
  if (!id) return out;
  let top = -Infinity;
  const bp = box.rows * box.columns;
  for (let j = 0; j < box.n; j++) {
    const s = box.s0 + ((j / bp) | 0);
    if (comps.labels[j] === id && g.origin[s][2] > top) top = g.origin[s][2];
  }
  // the aorta: its core grown back by the core radius within blood density
  const grown = growWithin(box, g, comps.labels, id, blood, AORTA_CORE_MM);
  for (let s = box.s0, j = 0; s < box.s0 + box.slices; s++)
    for (let r = box.r0; r < box.r0 + box.rows; r++)
      for (let c = box.c0, i = s * plane + r * g.columns + c; c < box.c0 + box.columns; c++, i++, j++) if (grown[j]) out.aorta[i] = 1;
  out.archTopZ = top + AORTA_CORE_MM;
  out.archBottomZ = archDivision(g, box, comps.labels, id, top, carina[2]) ?? top - 25;
  return out;
}

/**
 * Inside the thoracic cavity and not aerated lung: the mediastinum and heart, and what of them bulges into a
 * lung field (the descending aorta presses into the left lung).
 */
function inCavity(m: LungMasks, k: number, i: number): boolean {
  return m.body[i] === 1 && !m.aerated[i] && !m.airway.mask[i] && (k === MEDIASTINUM || k === HEART || k === LUNG);
}

/** The aorta's core component at the seed, or the largest one within 10 mm of it on its slice. */
function coreAt(g: Grid, box: Box, labels: Int32Array, seed: number): number {
  const at = labels[box.local(seed)];
  if (at) return at;
  const plane = g.rows * g.columns;
  const s = (seed / plane) | 0, r = ((seed % plane) / g.columns) | 0, c = seed % g.columns;
  const k = Math.ceil(10 / g.spacing[1]);
  const count = new Map<number, number>();
  for (let rr = Math.max(box.r0, r - k); rr <= Math.min(box.r0 + box.rows - 1, r + k); rr++)
    for (let cc = Math.max(box.c0, c - k); cc <= Math.min(box.c0 + box.columns - 1, c + k); cc++) {
      const id = labels[box.local(s * plane + rr * g.columns + cc)];
      if (id) count.set(id, (count.get(id) ?? 0) + 1);
    }
  let best = 0, n = 0;
  for (const [id, x] of count) if (x > n) { n = x; best = id; }
  return best;
}

/** A box of the grid: its own dims, and the mapping between its voxels and the grid's. */
interface Box {
  s0: number; r0: number; c0: number;
  slices: number; rows: number; columns: number;
  n: number;
  /** Box index of a grid index (inside the box). */
  local: (i: number) => number;
}

function makeBox(g: Grid, s0: number, s1: number, r0: number, r1: number, c0: number, c1: number): Box {
  const slices = s1 - s0 + 1, rows = r1 - r0 + 1, columns = c1 - c0 + 1;
  const plane = g.rows * g.columns;
  return {
    s0, r0, c0, slices, rows, columns, n: slices * rows * columns,
    local: (i) => {
      const s = (i / plane) | 0, q = i - s * plane, r = (q / g.columns) | 0, c = q - r * g.columns;
      return ((s - s0) * rows + r - r0) * columns + c - c0;
    },
  };
}

/** The box of the mediastinum and heart above `zMin`, with a margin. */
function mediastinalBox(g: Grid, compartments: Uint8Array, zMin: number): Box | null {
  const plane = g.rows * g.columns;
  const b = new VoxelBox();
  for (let s = 0; s < g.slices; s++) {
    if (g.origin[s][2] < zMin) continue;
    // per row, its first and last voxel of mediastinum or heart
    for (let r = 0; r < g.rows; r++) {
      const base = s * plane + r * g.columns;
      let first = -1, last = -1;
      for (let c = 0; c < g.columns; c++) {
        const k = compartments[base + c];
        if (k === MEDIASTINUM || k === HEART) { if (first < 0) first = c; last = c; }
      }
      if (first >= 0) { b.add(s, r, first); b.add(s, r, last); }
    }
  }
  if (b.empty) return null;
  return makeBox(g, b.s0, b.s1, Math.max(0, b.r0 - 2), Math.min(g.rows - 1, b.r1 + 2), Math.max(0, b.c0 - 2), Math.min(g.columns - 1, b.c1 + 2));
}

function tracheaSections(g: Grid, m: LungMasks): Array<TracheaSection | undefined> {
  const plane = g.rows * g.columns;
  const out: Array<TracheaSection | undefined> = new Array(g.slices);
  const carinaZ = m.airway.carinaZ;
  const airway = m.airway.mask, words = wordsOf(airway);
  for (let s = 0; s < g.slices; s++) {
    if (carinaZ === undefined || g.origin[s][2] < carinaZ) continue;
    let n = 0, sx = 0, sy = 0, x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    const end = (s + 1) * plane;
    for (let p = nextSet(airway, words, s * plane, end); p < end; p = nextSet(airway, words, p, end)) for (; p < end && airway[p]; p++) {
      const q = p - s * plane, r = (q / g.columns) | 0, c = q - r * g.columns;
      const x = patientX(g, s, r, c), y = patientY(g, s, r, c);
      n++; sx += x; sy += y;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
    if (!n) continue;
    const half = g.spacing[2] / 2 + TRACHEAL_WALL_MM;
    out[s] = { x: sx / n, y: sy / n, rightX: x0 - half, leftX: x1 + half, frontY: y0 - half, backY: y1 + half };
  }
  if (carinaZ !== undefined) narrowAtBifurcation(g, out, carinaZ);
  return out;
}

/** Above the carina the lumen flares into both main bronchi's origins; the trachea's own walls are judged from this high up (mm). */
const FLARE_MM = 20;

/**
 * The sections within FLARE_MM above the carina take in the origins of the main bronchi, and their walls flare 5-10 mm out
 * on each side (measured on the three development scans). The line between right and left stations is the trachea's
 * left wall, not the left bronchus' origin: a node beside the lower trachea on the left would be called 4R. Where a section
 * there is wider than the trachea above (the median of the sections FLARE_MM to 2 × FLARE_MM higher), its walls are set
 * that width apart about the flared walls' midpoint (the flare is about even on the two sides).
 */
export function narrowAtBifurcation(g: Grid, sections: Array<TracheaSection | undefined>, carinaZ: number): void {
  const widths: number[] = [];
  sections.forEach((t, s) => {
    const above = g.origin[s][2] - carinaZ;
    if (t && above >= FLARE_MM && above <= 2 * FLARE_MM) widths.push(t.leftX - t.rightX);
  });
  if (!widths.length) return;
  widths.sort((a, b) => a - b);
  const width = widths[widths.length >> 1];
  sections.forEach((t, s) => {
    if (!t || g.origin[s][2] - carinaZ >= FLARE_MM || t.leftX - t.rightX <= width) return;
    const mid = (t.leftX + t.rightX) / 2;
    t.rightX = mid - width / 2;
    t.leftX = mid + width / 2;
  });
}

function bronchusCentres(g: Grid, m: LungMasks): MediastinalLandmarks['bronchi'] {
  const plane = g.rows * g.columns;
  const out: MediastinalLandmarks['bronchi'] = new Array(g.slices);
  const c = m.airway.carina;
  const airway = m.airway.mask, words = wordsOf(airway);
  if (!c) return out;
  for (let s = 0; s < g.slices; s++) {
    if (g.origin[s][2] >= c[2] || g.origin[s][2] < c[2] - 80) continue;
    const acc = { right: [0, 0, 0, 0], left: [0, 0, 0, 0] };
    const z = g.origin[s][2];
    const end = (s + 1) * plane;
    for (let p = nextSet(airway, words, s * plane, end); p < end; p = nextSet(airway, words, p, end)) for (; p < end && airway[p]; p++) {
      const q = p - s * plane, r = (q / g.columns) | 0, col = q - r * g.columns;
      const x = patientX(g, s, r, col);
      const a = x > c[0] ? acc.left : acc.right;
      a[0] += x; a[1] += patientY(g, s, r, col); a[2] += z; a[3]++;
    }
    const e: { right?: Vec3; left?: Vec3 } = {};
    for (const side of ['right', 'left'] as const) {
      const a = acc[side];
      if (a[3]) e[side] = [a[0] / a[3], a[1] / a[3], a[2] / a[3]];
    }
    if (e.right || e.left) out[s] = e;
  }
  return out;
}

/** The top of the manubrium: the highest slice with bone in front of the trachea, near the midline. */
function sternalNotch(g: Grid, m: LungMasks, trachea: Array<TracheaSection | undefined>): number | undefined {
  const plane = g.rows * g.columns;
  // the trachea's mean position stands in on slices where it was not tracked
  const known = trachea.filter((t): t is TracheaSection => !!t);
  if (!known.length) return undefined;
  const ty = known.reduce((a, t) => a + t.y, 0) / known.length;
  let best: number | undefined;
  const carinaZ = m.airway.carinaZ ?? -Infinity;
  // the highest such slice: looked for from the top down, so the first found is the one
  const down = Array.from({ length: g.slices }, (_, s) => s).sort((a, b) => g.origin[b][2] - g.origin[a][2]);
  for (const s of down) {
    const z = g.origin[s][2];
    if (z < carinaZ) break;
    const t = trachea[s];
    const x = t?.x ?? m.midlineX[s], y = t?.frontY ?? ty - 10;
    let bone = 0;
    for (let q = 0; q < plane; q++) {
      const i = s * plane + q;
      if (!m.body[i] || g.hu[i] < BONE_HU) continue;
      const r = (q / g.columns) | 0, c = q - r * g.columns;
      if (Math.abs(patientX(g, s, r, c) - x) < 15 && patientY(g, s, r, c) < y - 15) bone++;
    }
    // a few square millimetres of bone: the manubrium, not a calcified cartilage speck
    if (bone * g.spacing[1] * g.spacing[2] >= 40) { best = z; break; }
  }
  // only meaningful when the scan reaches above it
  return best !== undefined && best < g.origin.reduce((a, o) => Math.max(a, o[2]), -Infinity) - 5 ? best : undefined;
}

/**
 * The descending aorta below the carina: on each slice of the seed band, the deepest point of
 * soft-tissue or blood density left of the midline and behind the carina, of aortic radius; the
 * median of those points is the seed. Returns its grid index and blood density.
 */
function descendingAortaSeed(g: Grid, m: LungMasks, compartments: Uint8Array, carina: Vec3, box: Box): { index: number; hu: number } | null {
  const tissue = new Uint8Array(box.n);
  const inBand = (s: number): boolean => {
    const dz = carina[2] - g.origin[s][2];
    return dz >= AORTA_SEED_BELOW_CARINA_MM[0] && dz <= AORTA_SEED_BELOW_CARINA_MM[1];
  };
  const plane = g.rows * g.columns, bp = box.rows * box.columns;
  // the blood in the heart: the aorta holds the same (a vertebral body is as round, but not of that density)
  const histogram = new Int32Array(600);
  let pooled = 0;
  for (let s = box.s0, j = 0; s < box.s0 + box.slices; s++) {
    const band = inBand(s);
    for (let r = box.r0; r < box.r0 + box.rows; r++)
      for (let c = box.c0, i = s * plane + r * g.columns + c; c < box.c0 + box.columns; c++, i++, j++) {
        const k = compartments[i], x = g.hu[i];
        if (band) tissue[j] = inCavity(m, k, i) && x > -30 && x < 450 ? 1 : 0;
        if (x > 0 && x < 600 && k === HEART && !m.aerated[i]) { histogram[x | 0]++; pooled++; }
      }
  }
  const heart = pooled > 100 ? histogramMedian(histogram, pooled) : 45;
  const depth = squaredDistanceToBackground(tissue, box, g.spacing, true);
  const best = new Map<number, { i: number; d: number; x: number; y: number }>();
  // only the band's slices have tissue (and so depth)
  for (let s = box.s0; s < box.s0 + box.slices; s++) {
    if (!inBand(s)) continue;
    for (let r = box.r0; r < box.r0 + box.rows; r++)
      for (let c = box.c0; c < box.c0 + box.columns; c++) {
        const i = s * plane + r * g.columns + c, j = (s - box.s0) * bp + (r - box.r0) * box.columns + c - box.c0;
        const d = depth[j];
        if (d < AORTA_RADIUS_MM[0] ** 2 || d > AORTA_RADIUS_MM[1] ** 2 || Math.abs(g.hu[i] - heart) > 0.3 * Math.abs(heart) + 60) continue;
        // a local maximum of the depth: the centre of a round column
        const jr = r - box.r0, jc = c - box.c0;
        if ((jc > 0 && depth[j - 1] > d) || (jc < box.columns - 1 && depth[j + 1] > d) || (jr > 0 && depth[j - box.columns] > d) || (jr < box.rows - 1 && depth[j + box.columns] > d)) continue;
        const x = patientX(g, s, r, c), y = patientY(g, s, r, c);
        const dx = x - m.midlineX[s];
        if (dx < AORTA_LEFT_MM[0] || dx > AORTA_LEFT_MM[1] || y < carina[1]) continue;
        // the descending aorta is the hindmost such column (the left atrium and the pulmonary veins lie in front of it)
        const b = best.get(s);
        if (b && b.y >= y) continue;
        best.set(s, { i, d, x, y });
      }
  }
  const picks = [...best.values()];
  if (picks.length < 2) return null;
  const mx = median(picks.map((p) => p.x)), my = median(picks.map((p) => p.y));
  // the pick nearest the consensus; its blood density from the disc around it
  const seed = picks.reduce((a, p) => (Math.hypot(p.x - mx, p.y - my) < Math.hypot(a.x - mx, a.y - my) ? p : a));
  if (Math.hypot(seed.x - mx, seed.y - my) > 10) return null;
  const s = (seed.i / plane) | 0, r = ((seed.i % plane) / g.columns) | 0, c = seed.i % g.columns;
  const values: number[] = [];
  const k = Math.max(1, Math.round(5 / g.spacing[1]));
  for (let dr = -k; dr <= k; dr++) for (let dc = -k; dc <= k; dc++) values.push(g.hu[s * plane + (r + dr) * g.columns + c + dc]);
  return { index: seed.i, hu: median(values) };
}

/** The median of the values a histogram of unit bins (from 0) counts. */
function histogramMedian(h: Int32Array, n: number): number {
  let acc = 0;
  for (let x = 0; x < h.length; x++) { acc += h[x]; if (acc > n >> 1) return x + 0.5; }
  return h.length;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** The voxels of component `id` grown by up to `mm` (in-plane steps) within `within`, all in box indices. */
function growWithin(box: Box, g: Grid, labels: Int32Array, id: number, within: Uint8Array, mm: number): Uint8Array {
  const out = new Uint8Array(labels.length);
  let frontier: number[] = [];
  for (let j = 0; j < labels.length; j++) if (labels[j] === id) { out[j] = 1; frontier.push(j); }
  const steps = Math.max(1, Math.round(mm / Math.min(g.spacing[1], g.spacing[2])));
  const bp = box.rows * box.columns;
  for (let k = 0; k < steps; k++) {
    const next: number[] = [];
    for (const j of frontier) {
      const q = j % bp, r = (q / box.columns) | 0, c = q % box.columns;
      for (let d = 0; d < 4; d++) {
        // right, left, down, up
        const n = d === 0 ? (c < box.columns - 1 ? j + 1 : -1) : d === 1 ? (c > 0 ? j - 1 : -1) : d === 2 ? (r < box.rows - 1 ? j + box.columns : -1) : r > 0 ? j - box.columns : -1;
        if (n < 0 || out[n] || !within[n]) continue;
        out[n] = 1;
        next.push(n);
      }
    }
    frontier = next;
  }
  return out;
}

/** Patient z where the aorta, followed down from the top of the arch, first shows as two separate limbs. */
function archDivision(g: Grid, box: Box, labels: Int32Array, id: number, topZ: number, carinaZ: number): number | undefined {
  const bp = box.rows * box.columns;
  const order = Array.from({ length: box.slices }, (_, s) => s).sort((a, b) => g.origin[b + box.s0][2] - g.origin[a + box.s0][2]);
  const mask = new Uint8Array(bp);
  for (const s of order) {
    const z = g.origin[s + box.s0][2];
    if (z > topZ) continue;
    if (z < carinaZ - 30) break;
    let any = false;
    for (let q = 0; q < bp; q++) { mask[q] = labels[s * bp + q] === id ? 1 : 0; if (mask[q]) any = true; }
    if (!any) continue;
    const c = labelComponents(mask, { slices: 1, rows: box.rows, columns: box.columns }, true);
    let big = 0;
    for (let k = 1; k <= c.count; k++) if (c.sizes[k] * g.spacing[1] * g.spacing[2] >= 60) big++;
    if (big >= 2) return z;
  }
  return undefined;
}

/**
 * The IASLC station of a point (a node's centre) from the landmarks: 1 above the sternal notch;
 * 2 (upper paratracheal) above the top of the arch, 4 (lower paratracheal) from there to the carina,
 * right or left of the trachea's left lateral wall; 3a in front of the great vessels, 3p behind the
 * trachea; 5 (subaortic, the aortopulmonary window) left of the trachea below the arch and lateral to
 * it; 6 (para-aortic) in front of and lateral to the arch; 7 (subcarinal) below the carina between the
 * main bronchi, in front of the oesophagus where it was followed (`oesophagus`, per grid slice: oesophagus.ts);
 * 10 (hilar) beside a main bronchus or near its hilum; 8 (paraesophageal) beside or behind the oesophagus,
 * and lower down behind the heart. Undefined without an airway to judge from.
 */
export function stationOf(lm: MediastinalLandmarks, m: LungMasks, g: Grid, p: Vec3, oesophagus?: ReadonlyArray<Vec3 | undefined>): string | undefined {
  const carina = lm.carina;
  if (!carina) return undefined;
  const s = nearestSlice(g, p[2]);
  const t = lm.trachea[s] ?? nearestTrachea(lm, g, s);
  const z = p[2];
  const rl = (x: number): 'R' | 'L' => (x > (t?.leftX ?? carina[0]) ? 'L' : 'R');
  const notch = lm.sternalNotchZ ?? (m.levels.apexZ !== undefined ? m.levels.apexZ - 25 : undefined);
  if (z >= carina[2]) {
    if (!t) return undefined;
    if (notch !== undefined && z > notch) return `1${p[0] > t.x ? 'L' : 'R'}`;
    // in front of the great vessels (prevascular) or behind the trachea (retrotracheal)
    if (p[1] < t.frontY - 30) return '3a';
    if (p[1] > t.backY + 3 && Math.abs(p[0] - t.x) < 12) return '3p';
    const archTop = lm.archTopZ ?? (notch !== undefined ? (notch + carina[2]) / 2 : carina[2] + 40);
    const side = rl(p[0]);
    if (z >= archTop) return `2${side}`;
    if (side === 'L') {
      const archBottom = lm.archBottomZ ?? archTop - 25;
      const lateral = p[0] - t.leftX;
      // lateral below the arch's lower border: the AP window (subaortic); lateral to the arch and in front of it: para-aortic
      if (lateral > 12 && z < archBottom + 5) return '5';
      if (lateral > 15 && p[1] < t.y - 10) return '6';
    }
    return `4${side}`;
  }
  const below = carina[2] - z;
  const b = lm.bronchi[s];
  const hila = m.airway.hila;
  const near = (h: Vec3 | undefined): number => (h ? Math.hypot(p[0] - h[0], p[1] - h[1], p[2] - h[2]) : Infinity);
  const dR = near(hila.right), dL = near(hila.left);
  // between the main bronchi: subcarinal, down to about the lower border of the bronchus intermedius
  const rightWall = (b?.right?.[0] ?? carina[0] - 12) + 6, leftWall = (b?.left?.[0] ?? carina[0] + 12) - 6;
  const between = p[0] > rightWall - 4 && p[0] < leftWall + 4;
  // the subcarinal space lies in front of the oesophagus; beside and behind it run the azygos vein, the aorta
  // and the paraoesophageal nodes
  const o = oesophagus?.[s];
  const behindOesophagus = !!o && p[1] > o[1];
  if (between && below <= 35 && Math.min(dR, dL) > 12) return behindOesophagus ? '8' : '7';
  if (Math.min(dR, dL) <= 30 || (b && !between)) return `10${dR <= dL ? 'R' : 'L'}`;
  return below <= 35 && !behindOesophagus ? '7' : '8';
}

function nearestSlice(g: Grid, z: number): number {
  let best = 0;
  for (let s = 1; s < g.slices; s++) if (Math.abs(g.origin[s][2] - z) < Math.abs(g.origin[best][2] - z)) best = s;
  return best;
}

function nearestTrachea(lm: MediastinalLandmarks, g: Grid, s: number): TracheaSection | undefined {
  for (let d = 1; d < g.slices; d++) {
    for (const t of [s - d, s + d]) if (t >= 0 && t < g.slices && lm.trachea[t]) return lm.trachea[t];
  }
  return undefined;
}
