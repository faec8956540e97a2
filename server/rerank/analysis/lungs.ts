/**
 * Body, airway and lungs on the analysis grid, plus the z levels they define (lung apex, carina,
 * lung base). Each lung is first its aerated part with the vessels and nodules inside it filled in;
 * its field (where lesions are searched) is that lung closed in 3D by a ball, so a lesion that
 * bulges into it from the mediastinum, a hilum, the diaphragm or the chest wall is part of the lung,
 * while the broad, smooth curves of the heart, the diaphragm dome and the chest wall are not; so is a
 * larger mass that the ball does not close over but that is bounded in height with lung over and under it.
 */
import { trackAirway, type Airway } from './airway';
import type { Grid } from './grid';
import { closeByBall, componentRuns, fillHoles2D, fillHolesInHull2D, lastSet, nextSet, openByBall, squaredDistanceToBackground, VoxelBox, wordsOf, type Dims } from './morphology';

/** HU thresholds: air-like lung parenchyma is well below -500, soft tissue well above. */
const BODY_HU = -500;
const AIR_HU = -500;
/**
 * Radius (mm) of the ball each lung is closed with: a bump narrower than about twice this (a lesion
 * pressing into the lung) is taken in; the heart, diaphragm and chest wall curve more gently.
 */
export const FIELD_RADIUS_MM = 25;
/**
 * A mass wider than that ball (over about 5 cm) pressing into the lung from the mediastinum or a hilum is not
 * taken in by it, but it is bounded in height where the heart and the great vessels run on: what an ellipsoid of the
 * ball's radius in the plane and TALL_MM along z cannot reach from outside the lung is taken in too, where a ball of
 * THICK_MM fits in it (what lies beyond the ball of a mass that size is that thick; the slivers along the heart's
 * border and the hilar vessels beside a mass are not), the same lung lies within OVER_UNDER_MM over and
 * under it in its column, and it is no denser than MASS_MAX_HU (not contrast-filled heart or vessels).
 */
const TALL_MM = 45;
const THICK_MM = 15;
const OVER_UNDER_MM = 40;
const MASS_MAX_HU = 100;

export interface LungMasks {
  /** Inside the body outline (holes filled). */
  body: Uint8Array;
  /** 1 = right lung, 2 = left lung, 0 = neither: the aerated lung with the vessels and nodules it surrounds in-plane. */
  aerated: Uint8Array;
  /** The lung field, same labels: the aerated lung plus whatever bulges into it (see FIELD_RADIUS_MM). */
  lung: Uint8Array;
  /** Trachea and main bronchi (removed from the lungs), the carina and each hilum. */
  airway: Airway;
  /** Per grid slice: body centroid patient x (mm), used as the midline. */
  midlineX: Float64Array;
  levels: Levels;
  /** Per grid column (row * columns + column): patient z of the smooth diaphragm under the lungs (NaN where no lung is above). */
  diaphragmZ: Float64Array;
  /** Median HU of the aerated lung: this scan's parenchyma, against which density is judged (-870 in a deep breath, -750 or more in expiration or a gated phase). */
  parenchymaHU: number;
  /** Per side (index 1 = right, 2 = left): z range (mm; an end the scan cuts off as Levels estimates it) and y range (mm) of that lung. */
  extent: Array<{ zMin: number; zMax: number; yMin: number; yMax: number; voxels: number } | null>;
  /** Per grid slice and side: [xMin, xMax, yMin, yMax] (patient mm) at offset (s * 3 + side) * 4; NaN when absent. */
  sliceExtent: Float64Array;
}

export interface Levels {
  /**
   * Patient z (mm, head is +z) of the lung apex and base: the highest and lowest lung voxel, or where the scan cuts
   * the lungs off (lung on its first or last slice), where they would end (lungSpan; the flags below say so).
   */
  apexZ?: number;
  baseZ?: number;
  /** The tracheal bifurcation. */
  carinaZ?: number;
  /** The scan starts below the apices (stops above the bases): apexZ (baseZ) is estimated, beyond its slices. */
  apexBeyondScan?: boolean;
  baseBeyondScan?: boolean;
}

/**
 * Where the carina lies in the lungs' height, from the base (0) to the apex (1): at the fourth or fifth thoracic
 * vertebra, the apices at the first and the posterior bases at the eleventh or twelfth (7 of 11 levels, 0.64). The
 * three development scans measure 0.66, 0.66 and 0.69.
 */
const CARINA_HEIGHT_FRACTION = 0.65;
/** An adult lung's height (mm) from apex to base, where neither end nor the carina is in the scan (190–265 on the development scans). */
const TYPICAL_LUNG_HEIGHT_MM = 250;

/**
 * The lungs' apex and base heights (mm) from what the scan shows of them: `top` and `bottom`, their highest and
 * lowest voxel, and whether the scan cuts them off there. A cut end is put where the carina's place in the height
 * says (CARINA_HEIGHT_FRACTION), or a typical height away from the other end; never nearer than the lung seen.
 */
export function lungSpan(o: { top: number; bottom: number; apexCut: boolean; baseCut: boolean; carinaZ?: number }): { apexZ: number; baseZ: number } {
  const { top, bottom, carinaZ } = o;
  const f = CARINA_HEIGHT_FRACTION, h = TYPICAL_LUNG_HEIGHT_MM;
  const carina = carinaZ !== undefined && carinaZ < top && carinaZ > bottom ? carinaZ : undefined;
  let apexZ = top, baseZ = bottom;
  if (o.apexCut && !o.baseCut) apexZ = carina !== undefined ? bottom + (carina - bottom) / f : bottom + h;
  else if (o.baseCut && !o.apexCut) baseZ = carina !== undefined ? top - (top - carina) / (1 - f) : top - h;
  else if (o.apexCut && o.baseCut && carina !== undefined) {
    apexZ = carina + (1 - f) * h;
    baseZ = carina - f * h;
  }
  return { apexZ: Math.max(top, apexZ), baseZ: Math.min(bottom, baseZ) };
}

function sliceZ(g: Grid, s: number): number {
  return g.origin[s][2];
}

/** Body outline per slice: the largest non-air 2D component, holes filled (also where the field of view cuts it). */
function bodyMask(g: Grid): Uint8Array {
  const { rows, columns } = g;
  const plane = rows * columns;
  const body = new Uint8Array(g.hu.length);
  const seen = new Uint8Array(plane);
  const hull = new Uint8Array(plane);
  const fg = new Uint8Array(plane);
  const dims = { slices: 1, rows, columns };
  for (let s = 0; s < g.slices; s++) {
    const off = s * plane;
    for (let q = 0; q < plane; q++) fg[q] = g.hu[off + q] > BODY_HU ? 1 : 0;
    const { rowStart, rs, re, label, count, sizes } = componentRuns(fg, dims, true);
    let bestId = 0;
    for (let id = 1; id <= count; id++) if (sizes[id] > sizes[bestId]) bestId = id;
    if (!bestId) continue;
    for (let r = 0; r < rows; r++)
      for (let i = rowStart[r]; i < rowStart[r + 1]; i++) if (label[i] === bestId) body.fill(1, off + r * columns + rs[i], off + r * columns + re[i]);
    fillHolesInHull2D(body, off, rows, columns, seen, hull);
  }
  return body;
}

/** Per slice, the patient-x value separating right from left lung: the emptiest column near the midline. */
function splitX(g: Grid, s: number, lungAir: Uint8Array, midX: number): number {
  const { rows, columns } = g;
  const off = s * rows * columns;
  const half = 50;
  const bin = 2;
  const nb = (2 * half) / bin;
  const hist = new Float64Array(nb);
  const words = wordsOf(lungAir);
  for (let r = 0; r < rows; r++) {
    const ro = off + r * columns, end = ro + columns;
    for (let p = nextSet(lungAir, words, ro, end); p < end; p = nextSet(lungAir, words, p, end)) for (; p < end && lungAir[p]; p++) {
      const c = p - ro;
      const x = g.origin[s][0] + g.rowStep[0] * r + g.colStep[0] * c;
      const b = Math.floor((x - midX + half) / bin);
      if (b >= 0 && b < nb) hist[b]++;
    }
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

/** Depths (mm, in the plane) at which the joined lungs are cut apart in turn: a junction line is thinner than these. */
const JUNCTION_DEPTHS_MM = [3, 5, 8];
/** The smaller lung is at least this share of the larger: else the cut took off a piece, not a lung. */
const SMALLER_LUNG_SHARE = 0.2;

/**
 * Splits lungs that are one air component (joined where they touch in front of the heart or behind it) into right (1)
 * and left (2), in place of the 3s of `lung`: the lung air deeper than a junction is thick (in the plane) falls
 * into two large pieces, one each side of the midline; every lung voxel then goes to the piece it reaches first
 * through the lung. A cut along the midline instead follows a straight column, which a patient lying rolled puts
 * through a lung. False, with `lung` untouched, where no depth parts them.
 */
function splitAtJunction(g: Grid, lung: Uint8Array, midlineX: Float64Array, box: VoxelBox): boolean {
  const { rows, columns } = g;
  const plane = rows * columns;
  // every loop keeps to the box of the lung air (the rest of the grid holds no 3)
  const eachRow = (f: (o: number, s: number, r: number) => void): void => {
    for (let s = box.s0; s <= box.s1; s++) for (let r = box.r0; r <= box.r1; r++) f(s * plane + r * columns, s, r);
  };
  const joined = new Uint8Array(lung.length);
  eachRow((o) => { for (let c = box.c0; c <= box.c1; c++) if (lung[o + c] === 3) joined[o + c] = 1; });
  const depth2 = squaredDistanceToBackground(joined, g, g.spacing, true);
  const deep = joined; // reused: the lung deeper than a junction
  for (const depthMm of JUNCTION_DEPTHS_MM) {
    const d2 = depthMm * depthMm;
    eachRow((o) => { for (let c = box.c0; c <= box.c1; c++) deep[o + c] = depth2[o + c] > d2 ? 1 : 0; });
    const { rowStart, rs, re, label, count, sizes } = componentRuns(deep, g);
    if (count < 2) continue;
    let a = 0, b = 0;
    for (let id = 1; id <= count; id++) {
      if (!a || sizes[id] > sizes[a]) { b = a; a = id; } else if (!b || sizes[id] > sizes[b]) b = id;
    }
    if (sizes[b] < SMALLER_LUNG_SHARE * sizes[a]) continue;
    // each piece's side from its mean patient x against the midline (a run's x sum in closed form)
    const offset = [0, 0];
    const pieceOf = (k: number): number => (label[k] === a ? 0 : label[k] === b ? 1 : -1);
    eachRow((_, s, r) => {
      const row = s * rows + r;
      for (let k = rowStart[row]; k < rowStart[row + 1]; k++) {
        const piece = pieceOf(k), n = re[k] - rs[k];
        if (piece >= 0) offset[piece] += n * (g.origin[s][0] + g.rowStep[0] * r - midlineX[s]) + (g.colStep[0] * (rs[k] + re[k] - 1) * n) / 2;
      }
    });
    if (Math.sign(offset[0]) === Math.sign(offset[1])) continue;
    const sides = [offset[0] > 0 ? 2 : 1, offset[1] > 0 ? 2 : 1]; // +x is the patient's left
    eachRow((o, s, r) => {
      const row = s * rows + r;
      for (let k = rowStart[row]; k < rowStart[row + 1]; k++) {
        const piece = pieceOf(k);
        if (piece >= 0) lung.fill(sides[piece], o + rs[k], o + re[k]);
      }
    });
    growSides(g, lung, box);
    // what no piece reaches (a bit joined only through the other side's voxels, or on the grid's edge) goes by the midline
    eachRow((o, s, r) => {
      for (let c = box.c0; c <= box.c1; c++) if (lung[o + c] === 3) lung[o + c] = g.origin[s][0] + g.rowStep[0] * r + g.colStep[0] * c > midlineX[s] ? 2 : 1;
    });
    return true;
  }
  return false;
}

/**
 * Each side (1, 2) grows through the unsided lung (3) at once, a face neighbour at a time, so every lung voxel goes
 * to the side it reaches first. Voxels on the grid's edge are left unsided (no neighbour step may leave the grid).
 */
function growSides(g: Grid, lung: Uint8Array, box: VoxelBox): void {
  const { rows, columns, slices } = g;
  const plane = rows * columns;
  const steps = Int32Array.of(1, -1, columns, -columns, plane, -plane);
  // the grid's edge (first and last slice, row and column) is kept out of the growth: set aside, given back unsided
  const aside: number[] = [];
  const setAside = (i: number): void => { if (lung[i]) { aside.push(i); lung[i] = 0; } };
  for (let s = 0; s < slices; s++)
    for (let r = 0; r < rows; r++) {
      const o = s * plane + r * columns;
      if (s === 0 || s === slices - 1 || r === 0 || r === rows - 1) for (let c = 0; c < columns; c++) setAside(o + c);
      else { setAside(o); setAside(o + columns - 1); }
    }
  // the first front: sided voxels with an unsided neighbour; it and the unsided voxels all lie within the box, each queued once
  const queue = new Int32Array((box.s1 - box.s0 + 1) * (box.r1 - box.r0 + 1) * (box.c1 - box.c0 + 1));
  let head = 0, tail = 0;
  for (let s = box.s0; s <= box.s1; s++)
    for (let r = box.r0; r <= box.r1; r++)
      for (let i = s * plane + r * columns + box.c0, end = i + box.c1 - box.c0; i <= end; i++) {
        if (lung[i] !== 1 && lung[i] !== 2) continue;
        for (let k = 0; k < 6; k++) if (lung[i + steps[k]] === 3) { queue[tail++] = i; break; }
      }
  while (head < tail) {
    const i = queue[head++];
    for (let k = 0; k < 6; k++) {
      const j = i + steps[k];
      if (lung[j] === 3) { lung[j] = lung[i]; queue[tail++] = j; }
    }
  }
  for (const i of aside) lung[i] = 3;
}

export function segmentLungs(g: Grid): LungMasks {
  const { rows, columns, slices } = g;
  const plane = rows * columns;
  const body = bodyMask(g);
  const midlineX = new Float64Array(slices);
  // interior air (inside the body outline and air-dense) and the body midline, in one pass
  const air = new Uint8Array(g.hu.length);
  // bounding box of the interior air: later passes only look inside it
  const airBox = new VoxelBox();
  const hu = g.hu;
  const bodyWords = wordsOf(body);
  for (let s = 0; s < slices; s++) {
    let n = 0, sr = 0, sc = 0;
    for (let r = 0; r < rows; r++) {
      const ro = s * plane + r * columns, end = ro + columns;
      // each run of body voxels (nextSet finds the next one)
      for (let p = nextSet(body, bodyWords, ro, end); p < end; p = nextSet(body, bodyWords, p, end)) for (; p < end && body[p]; p++) {
        const c = p - ro;
        n++; sr += r; sc += c;
        if (hu[p] < AIR_HU) {
          air[p] = 1;
          airBox.add(s, r, c);
        }
      }
    }
    midlineX[s] = n ? g.origin[s][0] + (g.rowStep[0] * sr + g.colStep[0] * sc) / n : g.origin[s][0];
  }
  const [bs0, bs1, br0, br1, bc0, bc1] = airBox.empty ? [0, -1, 0, -1, 0, -1] : [airBox.s0, airBox.s1, airBox.r0, airBox.r1, airBox.c0, airBox.c1];
  const order = Array.from({ length: slices }, (_, s) => s).sort((a, b) => sliceZ(g, b) - sliceZ(g, a));
  const airway = trackAirway(g, air, body, midlineX, order);
  // (the airway is a small part of the box: its rows' empty stretches are skipped a word at a time)
  const airwayWords = wordsOf(airway.mask);
  for (let s = bs0; s <= bs1; s++)
    for (let r = br0; r <= br1; r++) {
      const ro = s * plane + r * columns;
      const end = ro + bc1 + 1;
      for (let p = nextSet(airway.mask, airwayWords, ro + bc0, end); p < end; p = nextSet(airway.mask, airwayWords, p, end)) for (; p < end && airway.mask[p]; p++) air[p] = 0;
    }

  // lungs: the big 3D air components reaching the upper half of the largest one (bowel gas does not)
  // (as runs: a label per voxel would be a volume of 4-byte labels written and read once)
  const comps = componentRuns(air, g);
  const { rowStart, rs, re, label } = comps;
  const zMin = new Float64Array(comps.count + 1).fill(Infinity);
  const zMax = new Float64Array(comps.count + 1).fill(-Infinity);
  const sumX = new Float64Array(comps.count + 1);
  for (let s = bs0; s <= bs1; s++) {
    const z = sliceZ(g, s);
    const ox = g.origin[s][0] - midlineX[s];
    for (let r = br0; r <= br1; r++) {
      const xr = ox + g.rowStep[0] * r;
      const row = s * rows + r;
      for (let i = rowStart[row]; i < rowStart[row + 1]; i++) {
        const id = label[i];
        if (z < zMin[id]) zMin[id] = z;
        if (z > zMax[id]) zMax[id] = z;
        for (let c = rs[i]; c < re[i]; c++) sumX[id] += xr + g.colStep[0] * c;
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
        const row = s * rows + r, ro = row * columns;
        for (let i = rowStart[row]; i < rowStart[row + 1]; i++) lung.fill(sideOf[label[i]], ro + rs[i], ro + re[i]);
      }
  } else {
    for (let s = bs0; s <= bs1; s++)
      for (let r = br0; r <= br1; r++) {
        const row = s * rows + r, ro = row * columns;
        for (let i = rowStart[row]; i < rowStart[row + 1]; i++) if (keep[label[i]]) lung.fill(3, ro + rs[i], ro + re[i]);
      }
    if (!splitAtJunction(g, lung, midlineX, airBox)) {
      // no junction found: each slice split at the emptiest column near the midline
      const lungWords = wordsOf(lung);
      for (let s = bs0; s <= bs1; s++) {
        const sx = splitX(g, s, lung, midlineX[s]);
        for (let r = 0; r < rows; r++) {
          const ro = s * plane + r * columns, end = ro + columns;
          const xr = g.origin[s][0] + g.rowStep[0] * r;
          for (let p = nextSet(lung, lungWords, ro, end); p < end; p = nextSet(lung, lungWords, p, end)) for (; p < end && lung[p]; p++) lung[p] = xr + g.colStep[0] * (p - ro) > sx ? 2 : 1;
        }
      }
    }
  }
  const diaphragmZ = smoothDiaphragm(g, lung);
  fillLungs(g, lung, bs0, bs1);
  cutBelowDiaphragm(g, lung, diaphragmZ);
  const aerated = lung.slice();
  addBulges(g, lung, body, airway.mask);
  cutBelowDiaphragm(g, lung, diaphragmZ);

  const extent: LungMasks['extent'] = [null, null, null];
  const levels: Levels = { carinaZ: airway.carinaZ };
  const sliceExtent = new Float64Array(slices * 12).fill(NaN);
  const lungWords = wordsOf(lung);
  // per slice and side: the box of its pixels, whose corners bound its patient x and y
  const box = new Int32Array(12);
  for (let s = 0; s < slices; s++) {
    for (let k = 0; k < 3; k++) box.set([rows, -1, columns, -1], k * 4);
    const counts = [0, 0, 0];
    for (let r = 0; r < rows; r++) {
      const ro = s * plane + r * columns, end = ro + columns;
      for (let p = nextSet(lung, lungWords, ro, end); p < end; p = nextSet(lung, lungWords, p, end)) for (; p < end && lung[p]; p++) {
        const side = lung[p], c = p - ro;
        const k = side * 4;
        counts[side]++;
        if (r < box[k]) box[k] = r;
        if (r > box[k + 1]) box[k + 1] = r;
        if (c < box[k + 2]) box[k + 2] = c;
        if (c > box[k + 3]) box[k + 3] = c;
      }
    }
    const z = sliceZ(g, s);
    for (const side of [1, 2]) {
      if (!counts[side]) continue;
      const k = side * 4;
      let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
      for (const r of [box[k], box[k + 1]])
        for (const c of [box[k + 2], box[k + 3]]) {
          const x = g.origin[s][0] + g.rowStep[0] * r + g.colStep[0] * c;
          const y = g.origin[s][1] + g.rowStep[1] * r + g.colStep[1] * c;
          x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
        }
      sliceExtent.set([x0, x1, y0, y1], (s * 3 + side) * 4);
      const e = extent[side];
      if (!e) extent[side] = { zMin: z, zMax: z, yMin: y0, yMax: y1, voxels: counts[side] };
      else {
        e.zMin = Math.min(e.zMin, z); e.zMax = Math.max(e.zMax, z);
        e.yMin = Math.min(e.yMin, y0); e.yMax = Math.max(e.yMax, y1);
        e.voxels += counts[side];
      }
    }
  }
  const ex = extent.filter((e): e is NonNullable<typeof e> => !!e);
  if (ex.length) {
    // a lung on the scan's first or last slice goes on beyond it: its end is estimated, and so is each lung's height
    const zs = g.origin.map((o) => o[2]);
    const headZ = Math.max(...zs), feetZ = Math.min(...zs);
    const top = Math.max(...ex.map((e) => e.zMax)), bottom = Math.min(...ex.map((e) => e.zMin));
    const span = lungSpan({ top, bottom, apexCut: top >= headZ, baseCut: bottom <= feetZ, carinaZ: airway.carinaZ });
    levels.apexZ = span.apexZ;
    levels.baseZ = span.baseZ;
    if (span.apexZ > top) levels.apexBeyondScan = true;
    if (span.baseZ < bottom) levels.baseBeyondScan = true;
    for (const e of ex) {
      if (levels.apexBeyondScan && e.zMax >= headZ) e.zMax = span.apexZ;
      if (levels.baseBeyondScan && e.zMin <= feetZ) e.zMin = span.baseZ;
    }
  }
  return { body, aerated, lung, airway, midlineX, levels, extent, sliceExtent, diaphragmZ, parenchymaHU: parenchymaOf(g, aerated) };
}

/** Radius (mm) of the ball rolled under the diaphragm: the domes curve more gently and keep their shape, a lesion on them is narrower and does not. */
const DOME_BALL_MM = 40;
/** Pixel of the height map the ball rolls on (mm): the domes need no finer. */
const DOME_PIXEL_MM = 4;

/**
 * The smooth diaphragm under the lungs: per column (x, y), the height of the lowest aerated lung voxel,
 * opened from below by a rolling ball (a grey-scale opening with a spherical cap). The domes are broad
 * and keep their shape; a nodule resting on them is a narrow upward bump the ball cannot follow, so it
 * stays lung. Per grid column, NaN where no lung lies above.
 */
function smoothDiaphragm(g: Grid, air: Uint8Array): Float64Array {
  const plane = g.rows * g.columns;
  const f = Math.max(1, Math.round(DOME_PIXEL_MM / g.spacing[1]));
  const R = Math.ceil(g.rows / f), C = Math.ceil(g.columns / f);
  // lowest aerated height per coarse column
  const h = new Float64Array(R * C).fill(NaN);
  const words = wordsOf(air);
  for (let s = 0; s < g.slices; s++) {
    const z = g.origin[s][2];
    for (let r = 0; r < g.rows; r++) {
      const ro = s * plane + r * g.columns, end = ro + g.columns;
      // each run of lung voxels (nextSet finds the next one)
      for (let p = nextSet(air, words, ro, end); p < end; p = nextSet(air, words, p, end)) for (; p < end && air[p]; p++) {
        const k = ((r / f) | 0) * C + (((p - ro) / f) | 0);
        if (!(h[k] <= z)) h[k] = z;
      }
    }
  }
  const px = g.spacing[1] * f;
  const k = Math.ceil(DOME_BALL_MM / px);
  // the cap, a disc: per row offset dr its column offsets -w..w (w = half[dr + k], -1 where none) and their drops
  const width = 2 * k + 1;
  const half = new Int32Array(width).fill(-1), drop = new Float64Array(width * width);
  for (let dr = -k; dr <= k; dr++)
    for (let dc = -k; dc <= k; dc++) {
      const d2 = (dr * px) ** 2 + (dc * px) ** 2;
      if (d2 <= DOME_BALL_MM ** 2) { half[dr + k] = Math.max(half[dr + k], Math.abs(dc)); drop[(dr + k) * width + dc + k] = DOME_BALL_MM - Math.sqrt(DOME_BALL_MM ** 2 - d2); }
    }
  const pass = (src: Float64Array, sign: 1 | -1): Float64Array => {
    // sign 1: erosion, min of f(x+d) + drop(d); sign -1: dilation, max of f(x-d) - drop(d)
    // (the cap's offsets are clipped to the map row by row, so no offset is tested against its edges)
    const out = new Float64Array(src.length).fill(NaN);
    for (let r = 0; r < R; r++)
      for (let c = 0; c < C; c++) {
        let v = NaN;
        for (let dr = Math.max(-k, -r); dr <= Math.min(k, R - 1 - r); dr++) {
          const w = half[dr + k];
          if (w < 0) continue;
          const row = (r + dr) * C + c, dropRow = (dr + k) * width + k;
          for (let dc = Math.max(-w, -c); dc <= Math.min(w, C - 1 - c); dc++) {
            const x = src[row + dc];
            if (x !== x) continue; // NaN: no lung above
            const y = x + sign * drop[dropRow + dc];
            if (v !== v || (sign > 0 ? y < v : y > v)) v = y;
          }
        }
        out[r * C + c] = v;
      }
    return out;
  };
  const opened = pass(pass(h, 1), -1);
  // back to grid columns (bilinear between coarse centres), only where lung lies above
  const out = new Float64Array(plane).fill(NaN);
  const at = (r: number, c: number): number => opened[Math.min(R - 1, Math.max(0, r)) * C + Math.min(C - 1, Math.max(0, c))];
  for (let r = 0; r < g.rows; r++)
    for (let c = 0; c < g.columns; c++) {
      const k0 = ((r / f) | 0) * C + ((c / f) | 0);
      if (Number.isNaN(h[k0])) continue;
      const y = (r + 0.5) / f - 0.5, x = (c + 0.5) / f - 0.5;
      const r0 = Math.floor(y), c0 = Math.floor(x), ty = y - r0, tx = x - c0;
      const v = [at(r0, c0), at(r0, c0 + 1), at(r0 + 1, c0), at(r0 + 1, c0 + 1)];
      const w = [(1 - ty) * (1 - tx), (1 - ty) * tx, ty * (1 - tx), ty * tx];
      let sum = 0, ws = 0;
      for (let i = 0; i < 4; i++) if (!Number.isNaN(v[i])) { sum += v[i] * w[i]; ws += w[i]; }
      out[r * g.columns + c] = ws ? sum / ws : opened[k0];
    }
  return out;
}

/** Takes out of the lungs what lies below the smooth diaphragm (a dome of liver or spleen ringed by lung on a slice is not a hole in the lung). */
function cutBelowDiaphragm(g: Grid, lung: Uint8Array, diaphragmZ: Float64Array): void {
  const plane = g.rows * g.columns;
  // half a slice of slack: the lowest aerated voxel itself is on the surface
  const slack = g.spacing[0] / 2;
  const words = wordsOf(lung);
  for (let s = 0; s < g.slices; s++) {
    const z = g.origin[s][2];
    const end = (s + 1) * plane;
    // each run of lung voxels (nextSet finds the next one)
    for (let p = nextSet(lung, words, s * plane, end); p < end; p = nextSet(lung, words, p, end)) {
      for (; p < end && lung[p]; p++) if (z < diaphragmZ[p - s * plane] - slack && g.hu[p] > AIR_HU) lung[p] = 0;
    }
  }
}

/** Median HU of aerated lung voxels (a sample of them), or a typical value when there is no lung. */
function parenchymaOf(g: Grid, aerated: Uint8Array): number {
  const bins = new Uint32Array(60); // -1100 .. -500 in 10 HU bins
  let n = 0;
  for (let i = 0; i < aerated.length; i += 3) {
    const hu = g.hu[i];
    if (!aerated[i] || hu >= AIR_HU || hu < -1100) continue;
    bins[Math.floor((hu + 1100) / 10)]++;
    n++;
  }
  if (n < 100) return -860;
  let acc = 0;
  for (let b = 0; b < bins.length; b++) { acc += bins[b]; if (acc * 2 >= n) return -1100 + b * 10 + 5; }
  return -860;
}

/** Per slice and per lung: fills the holes (vessels, nodules, airway walls) the aerated lung surrounds. */
function fillLungs(g: Grid, lung: Uint8Array, s0: number, s1: number): void {
  const { rows, columns } = g;
  const plane = rows * columns;
  const one = new Uint8Array(plane);
  const seen = new Uint8Array(plane);
  const words = wordsOf(lung);
  for (let s = s0; s <= s1; s++) {
    const off = s * plane;
    // only between the slice's first and last lung voxel: a hole lies inside its lung's box
    const qa = nextSet(lung, words, off, off + plane) - off;
    if (qa === plane) continue;
    const qb = lastSet(lung, words, off + qa, off + plane) - off;
    for (const side of [1, 2]) {
      let any = false;
      for (let q = qa; q <= qb; q++) if (lung[off + q] === side) { one[q] = 1; any = true; }
      if (!any) continue;
      fillHoles2D(one, 0, rows, columns, seen);
      for (let q = qa; q <= qb; q++) if (one[q] && !lung[off + q]) lung[off + q] = side;
      one.fill(0, qa, qb + 1);
    }
  }
}

/**
 * Adds to each lung what bulges into it: the lung closed in 3D by a ball of FIELD_RADIUS_MM on a
 * coarser grid (≈4 mm, ≈5 mm slices: the ball is large, the detail is not needed), inside the body,
 * never the other lung or the airway. The other lung counts as open space, so the thin tissue between
 * the two lungs (the junction lines) is never closed over.
 */
function addBulges(g: Grid, lung: Uint8Array, body: Uint8Array, airway: Uint8Array): void {
  const cf = Math.max(1, Math.round(4 / g.spacing[1]));
  const cz = Math.max(1, Math.round(5 / g.spacing[0]));
  const d = { slices: Math.ceil(g.slices / cz), rows: Math.ceil(g.rows / cf), columns: Math.ceil(g.columns / cf) };
  const spacing: [number, number, number] = [g.spacing[0] * cz, g.spacing[1] * cf, g.spacing[2] * cf];
  const plane = g.rows * g.columns, cplane = d.rows * d.columns;
  // only the lungs' box is worth visiting
  let s0 = g.slices, s1 = -1, q0 = plane, q1 = -1;
  const words = wordsOf(lung);
  for (let s = 0; s < g.slices; s++) {
    const first = nextSet(lung, words, s * plane, (s + 1) * plane) - s * plane;
    if (first >= plane) continue;
    if (s < s0) s0 = s;
    s1 = s;
    if (first < q0) q0 = first;
    const last = lastSet(lung, words, s * plane, (s + 1) * plane) - s * plane;
    if (last > q1) q1 = last;
  }
  if (s1 < 0) return;
  // grid voxel → coarse voxel, once
  const coarseOf = new Int32Array(plane);
  for (let r = 0; r < g.rows; r++) for (let c = 0; c < g.columns; c++) coarseOf[r * g.columns + c] = ((r / cf) | 0) * d.columns + ((c / cf) | 0);
  // per coarse voxel: the box's voxels in it (its slices in the box times its columns in the box), and per side those of that lung
  const slicesIn = new Uint16Array(d.slices), columnsIn = new Uint16Array(cplane);
  for (let s = s0; s <= s1; s++) slicesIn[(s / cz) | 0]++;
  for (let q = q0; q <= q1; q++) columnsIn[coarseOf[q]]++;
  const total = new Uint16Array(d.slices * cplane);
  for (let cs = 0; cs < d.slices; cs++) for (let k = 0; k < cplane; k++) total[cs * cplane + k] = slicesIn[cs] * columnsIn[k];
  const count = [total, new Uint16Array(total.length), new Uint16Array(total.length)];
  for (let s = s0; s <= s1; s++) {
    const co = ((s / cz) | 0) * cplane, end = s * plane + q1 + 1;
    for (let p = nextSet(lung, words, s * plane + q0, end); p < end; p = nextSet(lung, words, p, end)) for (; p < end && lung[p]; p++) {
      const side = lung[p];
      if (side === 1 || side === 2) count[side][co + coarseOf[p - s * plane]]++;
    }
  }
  const coarse = new Uint8Array(total.length);
  for (const side of [1, 2]) {
    const n = count[side];
    for (let i = 0; i < coarse.length; i++) coarse[i] = n[i] > 0 && n[i] * 2 >= total[i] ? 1 : 0;
    const closed = closeByBall(coarse, d, spacing, FIELD_RADIUS_MM);
    addTallBulges(g, coarse, closed, d, spacing, cz, cf);
    // only the grid voxels under the closed lung's coarse box can change
    const cb = new VoxelBox();
    for (let i = 0; i < closed.length; i++) if (closed[i]) cb.addIndex(i, d);
    if (cb.empty) continue;
    for (let s = cb.s0 * cz; s <= Math.min(g.slices - 1, cb.s1 * cz + cz - 1); s++) {
      const co = ((s / cz) | 0) * cplane;
      for (let r = cb.r0 * cf; r <= Math.min(g.rows - 1, cb.r1 * cf + cf - 1); r++)
        for (let c = cb.c0 * cf; c <= Math.min(g.columns - 1, cb.c1 * cf + cf - 1); c++) {
          const q = r * g.columns + c, p = s * plane + q;
          if (!lung[p] && body[p] && !airway[p] && closed[co + coarseOf[q]]) lung[p] = side;
        }
    }
  }
}

/**
 * Adds to `closed` (one lung closed by the ball, on the coarse grid `d`) the large bulges of TALL_MM: what the tall
 * ellipsoid's closing adds, thick, with the lung (`coarse`) over and under it, of soft-tissue density on the grid.
 */
function addTallBulges(g: Grid, coarse: Uint8Array, closed: Uint8Array, d: Dims, spacing: [number, number, number], cz: number, cf: number): void {
  // an ellipsoid is a ball on a grid whose slices are closer together by its height over its width
  const tall = closeByBall(coarse, d, [(spacing[0] * FIELD_RADIUS_MM) / TALL_MM, spacing[1], spacing[2]], FIELD_RADIUS_MM);
  let any = false;
  for (let i = 0; i < tall.length; i++) if ((tall[i] = tall[i] && !closed[i] ? 1 : 0)) any = true;
  if (!any) return;
  const thick = openByBall(tall, squaredDistanceToBackground(tall, d, spacing), d, spacing, THICK_MM);
  const cplane = d.rows * d.columns, plane = g.rows * g.columns;
  const k = Math.max(1, Math.round(OVER_UNDER_MM / spacing[0]));
  for (let i = 0; i < thick.length; i++) {
    if (!thick[i]) continue;
    const cs = (i / cplane) | 0, q = i - cs * cplane;
    let over = false, under = false;
    for (let t = 1; t <= k && !(over && under); t++) {
      if (cs + t < d.slices && coarse[i + t * cplane]) over = true;
      if (cs - t >= 0 && coarse[i - t * cplane]) under = true;
    }
    if (!over || !under) continue;
    const cr = (q / d.columns) | 0, cc = q - cr * d.columns;
    let sum = 0, n = 0;
    for (let s = cs * cz; s < Math.min(g.slices, (cs + 1) * cz); s++)
      for (let r = cr * cf; r < Math.min(g.rows, (cr + 1) * cf); r++)
        for (let c = cc * cf; c < Math.min(g.columns, (cc + 1) * cf); c++, n++) sum += g.hu[s * plane + r * g.columns + c];
    if (n && sum / n < MASS_MAX_HU) closed[i] = 1;
  }
}
