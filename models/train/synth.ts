/**
 * Synthetic lesions of known size, texture and margin, inserted into real lung tissue, and the real
 * anatomy (vessels, airways, pleura, parenchyma) that serves as negatives. Pure functions over a HuGrid
 * with an explicit seeded RNG, so the dataset is reproducible.
 */
import type { HuGrid } from '../../server/runtime/lesion-cnn/patches';

export type Texture = 'solid' | 'part-solid' | 'ground-glass';
export type Margin = 'smooth' | 'lobulated' | 'spiculated';
export const TEXTURES: Texture[] = ['solid', 'part-solid', 'ground-glass'];
export const MARGIN_IRREGULARITY: Record<Margin, number> = { smooth: 0, lobulated: 0.5, spiculated: 1 };

/** mulberry32: small, fast, good enough for sampling. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gauss(r: () => number): number {
  const u = Math.max(1e-12, r());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

export const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

// ---------------------------------------------------------------- anatomy

export interface Anatomy {
  /** 1 where the voxel is lung air (HU < -400, not connected to the outside air on its slice). */
  lung: Uint8Array;
  /** 1 for voxels inside the lung envelope: lung air plus the vessels and nodules it surrounds. */
  envelope: Uint8Array;
}

/** Per slice: air not reachable from the image border is lung (or airway); the envelope closes it. */
export function lungAnatomy(g: HuGrid): Anatomy {
  const { slices, rows, columns, hu } = g;
  const plane = rows * columns;
  const lung = new Uint8Array(slices * plane);
  const envelope = new Uint8Array(slices * plane);
  const outside = new Uint8Array(plane);
  const stack: number[] = [];
  for (let s = 0; s < slices; s++) {
    const off = s * plane;
    outside.fill(0);
    const push = (i: number): void => {
      if (!outside[i] && hu[off + i] < -400) {
        outside[i] = 1;
        stack.push(i);
      }
    };
    for (let c = 0; c < columns; c++) {
      push(c);
      push((rows - 1) * columns + c);
    }
    for (let r = 0; r < rows; r++) {
      push(r * columns);
      push(r * columns + columns - 1);
    }
    while (stack.length) {
      const i = stack.pop() as number;
      const r = Math.floor(i / columns);
      const c = i - r * columns;
      if (c > 0) push(i - 1);
      if (c < columns - 1) push(i + 1);
      if (r > 0) push(i - columns);
      if (r < rows - 1) push(i + columns);
    }
    for (let i = 0; i < plane; i++) lung[off + i] = !outside[i] && hu[off + i] < -400 ? 1 : 0;
  }
  keepLargeComponents(lung, slices, rows, columns);
  for (let s = 0; s < slices; s++) {
    const off = s * plane;
    // Envelope: a voxel lies inside the lung if lung air is found within 12 px in at least 3 of 4 directions.
    const R = 12;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < columns; c++) {
        const i = r * columns + c;
        if (lung[off + i]) {
          envelope[off + i] = 1;
          continue;
        }
        let hits = 0;
        for (const [dr, dc] of [[0, 1], [0, -1], [1, 0], [-1, 0]] as const) {
          for (let k = 1; k <= R; k++) {
            const rr = r + dr * k;
            const cc = c + dc * k;
            if (rr < 0 || rr >= rows || cc < 0 || cc >= columns) break;
            if (lung[off + rr * columns + cc]) {
              hits++;
              break;
            }
          }
        }
        if (hits >= 3) envelope[off + i] = 1;
      }
    }
  }
  return { lung, envelope };
}

/** Internal air in 3D (6-connected): keeps the lungs (components >= 20% of the largest), drops bowel gas. */
function keepLargeComponents(mask: Uint8Array, slices: number, rows: number, columns: number): void {
  const label = new Int32Array(mask.length);
  const sizes: number[] = [0];
  const stack: number[] = [];
  const plane = rows * columns;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || label[start]) continue;
    const id = sizes.length;
    let size = 0;
    label[start] = id;
    stack.push(start);
    while (stack.length) {
      const i = stack.pop() as number;
      size++;
      const s = Math.floor(i / plane);
      const rem = i - s * plane;
      const r = Math.floor(rem / columns);
      const c = rem - r * columns;
      const visit = (j: number): void => {
        if (mask[j] && !label[j]) {
          label[j] = id;
          stack.push(j);
        }
      };
      if (c > 0) visit(i - 1);
      if (c < columns - 1) visit(i + 1);
      if (r > 0) visit(i - columns);
      if (r < rows - 1) visit(i + columns);
      if (s > 0) visit(i - plane);
      if (s < slices - 1) visit(i + plane);
    }
    sizes.push(size);
  }
  const largest = Math.max(...sizes);
  for (let i = 0; i < mask.length; i++) if (mask[i] && sizes[label[i]] < largest * 0.2) mask[i] = 0;
}

export interface Site {
  slice: number;
  row: number;
  column: number;
}

/** Lung voxels at least `marginPx` inside the lung (box test on its slice). */
export function isDeepLung(g: HuGrid, a: Anatomy, s: Site, marginPx: number): boolean {
  const { rows, columns } = g;
  const off = s.slice * rows * columns;
  for (const [dr, dc] of [[0, 0], [marginPx, 0], [-marginPx, 0], [0, marginPx], [0, -marginPx]] as const) {
    const r = s.row + dr;
    const c = s.column + dc;
    if (r < 0 || r >= rows || c < 0 || c >= columns) return false;
    if (!a.envelope[off + r * columns + c]) return false;
  }
  return true;
}

/** Real anatomy sites by kind, found by simple rules (sampling with replacement later). */
export interface SiteTable {
  lungAir: Site[];
  vessel: Site[];
  /** Lung air next to the chest wall / mediastinum, with the direction (unit, in px) towards the wall. */
  pleura: Array<Site & { dr: number; dc: number }>;
  airway: Site[];
  /** Soft tissue just outside the lung (wall, mediastinum, diaphragm). */
  wall: Site[];
}

export function findSites(g: HuGrid, a: Anatomy, stride = 3): SiteTable {
  const { slices, rows, columns, hu } = g;
  const plane = rows * columns;
  const t: SiteTable = { lungAir: [], vessel: [], pleura: [], airway: [], wall: [] };
  const dirs: Array<[number, number]> = [];
  for (let k = 0; k < 16; k++) dirs.push([Math.sin((k * Math.PI) / 8), Math.cos((k * Math.PI) / 8)]);
  for (let s = 0; s < slices; s++) {
    const off = s * plane;
    for (let r = 14; r < rows - 14; r += stride) {
      for (let c = 14; c < columns - 14; c += stride) {
        const i = off + r * columns + c;
        const v = hu[i];
        if (a.lung[i]) {
          if (v < -950) {
            // Airway: very dark air with a thin soft-tissue wall close by on opposite sides.
            let walls = 0;
            for (const [dr, dc] of [[0, 1], [0, -1], [1, 0], [-1, 0]] as const) {
              for (let k = 2; k <= 8; k++) {
                if (hu[i + (dr * columns + dc) * k] > -500) {
                  walls++;
                  break;
                }
              }
            }
            if (walls >= 3) t.airway.push({ slice: s, row: r, column: c });
          }
          // Pleura: lung air with a long tissue run (>= 20 px) starting within 4 px in some direction.
          let best: [number, number] | null = null;
          for (const [dr, dc] of dirs) {
            let k = 1;
            while (k <= 4 && a.lung[off + Math.round(r + dr * k) * columns + Math.round(c + dc * k)]) k++;
            if (k > 4) continue;
            let run = 0;
            for (let m = k; m < k + 24; m++) {
              const rr = Math.round(r + dr * m);
              const cc = Math.round(c + dc * m);
              if (rr < 0 || rr >= rows || cc < 0 || cc >= columns) break;
              if (hu[off + rr * columns + cc] > -400) run++;
              else break;
            }
            if (run >= 20) {
              best = [dr, dc];
              break;
            }
          }
          if (best) t.pleura.push({ slice: s, row: r, column: c, dr: best[0], dc: best[1] });
          else t.lungAir.push({ slice: s, row: r, column: c });
        } else if (a.envelope[i] && v > -300) {
          t.vessel.push({ slice: s, row: r, column: c });
        } else if (!a.envelope[i] && v > -300 && v < 300) {
          // Wall: soft tissue with lung air within 6 px.
          let near = false;
          for (const [dr, dc] of [[0, 6], [0, -6], [6, 0], [-6, 0], [0, 3], [0, -3], [3, 0], [-3, 0]] as const) {
            if (a.lung[i + dr * columns + dc]) near = true;
          }
          if (near) t.wall.push({ slice: s, row: r, column: c });
        }
      }
    }
  }
  return t;
}

/** Moves a vessel site to the local HU maximum (a vessel's centre line, as a candidate centroid would be). */
export function centreOnMaximum(g: HuGrid, s: Site, radius = 3): Site {
  const { rows, columns, hu } = g;
  const off = s.slice * rows * columns;
  let best = s;
  let bestV = -Infinity;
  for (let dr = -radius; dr <= radius; dr++) {
    for (let dc = -radius; dc <= radius; dc++) {
      const r = s.row + dr;
      const c = s.column + dc;
      if (r < 0 || r >= rows || c < 0 || c >= columns) continue;
      const v = hu[off + r * columns + c];
      if (v > bestV) {
        bestV = v;
        best = { slice: s.slice, row: r, column: c };
      }
    }
  }
  return best;
}

// ---------------------------------------------------------------- lesions

export interface LesionParams {
  /** Centre in voxel coordinates (fractional). */
  slice: number;
  row: number;
  column: number;
  diameterMm: number;
  texture: Texture;
  margin: Margin;
  /** Ellipsoid axis factors and in-plane rotation. */
  axes: [number, number, number];
  angle: number;
  /** Lobules: directions (unit, mm space x,y,z) and amplitudes. */
  lobes: Array<{ d: [number, number, number]; a: number }>;
  /** Spicules: direction, length (mm) and base thickness (mm). */
  spicules: Array<{ d: [number, number, number]; len: number; thick: number }>;
  /** Solid core for part-solid: offset (mm) and radius (mm). */
  core?: { o: [number, number, number]; r: number };
  solidHu: number;
  ggoHu: number;
  noiseHu: number;
  seed: number;
}

function unit(r: () => number): [number, number, number] {
  const z = r() * 2 - 1;
  const t = r() * 2 * Math.PI;
  const q = Math.sqrt(1 - z * z);
  return [q * Math.cos(t), q * Math.sin(t), z];
}

export function randomLesion(
  r: () => number,
  at: { slice: number; row: number; column: number },
  diameterMm: number,
  texture: Texture,
  margin: Margin,
): LesionParams {
  const rad = diameterMm / 2;
  const lobes = margin === 'lobulated' ? Array.from({ length: 3 + Math.floor(r() * 4) }, () => ({ d: unit(r), a: 0.25 + r() * 0.3 })) : [];
  const spicules =
    margin === 'spiculated'
      ? Array.from({ length: 8 + Math.floor(r() * 10) }, () => {
          const d = unit(r);
          d[2] *= 0.4; // mostly in-plane, as seen on axial slices
          const n = Math.hypot(...d);
          return { d: [d[0] / n, d[1] / n, d[2] / n] as [number, number, number], len: rad * (0.5 + r() * 0.9) + 2, thick: 1 + r() * 1 };
        })
      : [];
  const roughLobes = margin === 'spiculated' ? Array.from({ length: 2 + Math.floor(r() * 3) }, () => ({ d: unit(r), a: 0.1 + r() * 0.15 })) : [];
  return {
    ...at,
    diameterMm,
    texture,
    margin,
    axes: [0.8 + r() * 0.4, 0.8 + r() * 0.4, 0.8 + r() * 0.4],
    angle: r() * Math.PI,
    lobes: [...lobes, ...roughLobes],
    spicules,
    core:
      texture === 'part-solid'
        ? { o: [(r() - 0.5) * rad * 0.5, (r() - 0.5) * rad * 0.5, (r() - 0.5) * rad * 0.3], r: rad * (0.3 + r() * 0.3) }
        : undefined,
    solidHu: 10 + r() * 50,
    ggoHu: -720 + r() * 270,
    noiseHu: 15 + r() * 20,
    seed: Math.floor(r() * 2 ** 31),
  };
}

/** Lesion occupancy (0..1) at an offset in mm (x = column direction, y = row, z = slice normal) from its centre. */
export function occupancy(p: LesionParams, x: number, y: number, z: number): { occ: number; core: number } {
  const rad = p.diameterMm / 2;
  const ca = Math.cos(p.angle);
  const sa = Math.sin(p.angle);
  const u = (ca * x + sa * y) / p.axes[0];
  const v = (-sa * x + ca * y) / p.axes[1];
  const w = z / p.axes[2];
  const n = Math.hypot(u, v, w);
  let radius = rad;
  if (n > 1e-6) {
    let bump = 0;
    for (const l of p.lobes) {
      const dot = (u * l.d[0] + v * l.d[1] + w * l.d[2]) / n;
      if (dot > 0) bump += l.a * dot ** 4;
    }
    radius = rad * (1 + bump);
  }
  const edge = 0.45; // mm: partial-volume softness
  let occ = 1 / (1 + Math.exp((n - radius) / edge));
  for (const s of p.spicules) {
    // Distance to the segment from the surface point (rad * d) out to (rad + len) * d, tapering.
    const t = x * s.d[0] + y * s.d[1] + z * s.d[2] - rad * 0.8;
    if (t < 0 || t > s.len) continue;
    const px = x - s.d[0] * (t + rad * 0.8);
    const py = y - s.d[1] * (t + rad * 0.8);
    const pz = z - s.d[2] * (t + rad * 0.8);
    const dist = Math.hypot(px, py, pz);
    const thick = s.thick * (1 - 0.6 * (t / s.len)) + 0.2;
    const o = 1 / (1 + Math.exp((dist - thick) / 0.3));
    if (o > occ) occ = o;
  }
  let core = 0;
  if (p.core) {
    const d = Math.hypot(x - p.core.o[0], y - p.core.o[1], z - p.core.o[2]);
    core = 1 / (1 + Math.exp((d - p.core.r) / edge));
  }
  return { occ, core: Math.min(core, occ) };
}

/** Extent of the lesion from its centre in mm (for bounding loops). */
export function lesionReachMm(p: LesionParams): number {
  const rad = p.diameterMm / 2;
  const lobe = 1 + p.lobes.reduce((a, l) => a + l.a, 0);
  const spic = p.spicules.reduce((a, s) => Math.max(a, s.len + rad * 0.8 + s.thick), 0);
  return Math.max(rad * lobe * 1.25, spic) + 2;
}

/** HU of a voxel after inserting the lesion, from the background HU and the occupancy. */
export function blendHu(p: LesionParams, bg: number, occ: number, core: number, noise: number): number {
  if (occ < 1e-3) return bg;
  const solid = p.solidHu + noise * p.noiseHu;
  if (p.texture === 'solid') return bg * (1 - occ) + solid * occ;
  // Ground glass raises the parenchyma but keeps vessels visible through it.
  const ggo = p.ggoHu + noise * p.noiseHu * 0.8;
  let v = bg + occ * Math.max(0, ggo - bg);
  if (core > 1e-3) v = v * (1 - core) + solid * core;
  return v;
}

/**
 * Inserts the lesion into `g.hu` in place (callers pass a copy/crop). Slice-thickness partial volume:
 * occupancy averaged over sub-samples across each slice's thickness.
 */
export function insertLesion(g: HuGrid, p: LesionParams): void {
  const { rows, columns, slices, hu } = g;
  const [rowSp, colSp] = [g.pixelSpacing[0], g.pixelSpacing[1]];
  const reach = lesionReachMm(p);
  const r = rng(p.seed);
  const s0 = Math.max(0, Math.floor(p.slice - reach / g.sliceSpacing - 1));
  const s1 = Math.min(slices - 1, Math.ceil(p.slice + reach / g.sliceSpacing + 1));
  const r0 = Math.max(0, Math.floor(p.row - reach / rowSp));
  const r1 = Math.min(rows - 1, Math.ceil(p.row + reach / rowSp));
  const c0 = Math.max(0, Math.floor(p.column - reach / colSp));
  const c1 = Math.min(columns - 1, Math.ceil(p.column + reach / colSp));
  const sub = [-1 / 3, 0, 1 / 3];
  const reach2 = (reach + g.sliceSpacing) ** 2;
  for (let s = s0; s <= s1; s++) {
    const zc = (s - p.slice) * g.sliceSpacing;
    for (let row = r0; row <= r1; row++) {
      for (let c = c0; c <= c1; c++) {
        const x = (c - p.column) * colSp;
        const y = (row - p.row) * rowSp;
        // Outside the lesion's reach (a sphere, not the box): nothing to blend.
        if (x * x + y * y + zc * zc > reach2) continue;
        let occ = 0;
        let core = 0;
        for (const f of sub) {
          const o = occupancy(p, x, y, (s + f - p.slice) * g.sliceSpacing);
          occ += o.occ / sub.length;
          core += o.core / sub.length;
        }
        if (occ < 1e-3) continue;
        const i = (s * rows + row) * columns + c;
        hu[i] = blendHu(p, hu[i], occ, core, gauss(r));
      }
    }
  }
}

/** A crop of the grid (a copy) around a centre, big enough for a patch of `halfMm` plus `extraMm`. */
export function cropAround(
  g: HuGrid,
  at: { slice: number; row: number; column: number },
  halfMm: number,
  halfSlicesMm: number,
): { grid: HuGrid; origin: { slice: number; row: number; column: number } } {
  const [rowSp, colSp] = [g.pixelSpacing[0], g.pixelSpacing[1]];
  const s0 = Math.max(0, Math.floor(at.slice - halfSlicesMm / g.sliceSpacing) - 1);
  const s1 = Math.min(g.slices - 1, Math.ceil(at.slice + halfSlicesMm / g.sliceSpacing) + 1);
  const r0 = Math.max(0, Math.floor(at.row - halfMm / rowSp) - 1);
  const r1 = Math.min(g.rows - 1, Math.ceil(at.row + halfMm / rowSp) + 1);
  const c0 = Math.max(0, Math.floor(at.column - halfMm / colSp) - 1);
  const c1 = Math.min(g.columns - 1, Math.ceil(at.column + halfMm / colSp) + 1);
  const S = s1 - s0 + 1;
  const R = r1 - r0 + 1;
  const C = c1 - c0 + 1;
  const hu = new Float32Array(S * R * C);
  for (let s = 0; s < S; s++) {
    for (let r = 0; r < R; r++) {
      const src = ((s0 + s) * g.rows + r0 + r) * g.columns + c0;
      hu.set(g.hu.subarray(src, src + C), (s * R + r) * C);
    }
  }
  return { grid: { slices: S, rows: R, columns: C, pixelSpacing: g.pixelSpacing, sliceSpacing: g.sliceSpacing, hu }, origin: { slice: s0, row: r0, column: c0 } };
}
