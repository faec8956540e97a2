/**
 * Other looks of an annotated case for `eval --looks`: the same patient as another scanner would show
 * it (more noise and another calibration, a sharp lung kernel, a soft kernel, slices twice as thick, slices half as
 * thick, the patient lying prone or rolled, a field of view narrower than the chest, pixels 1.4 times larger (a
 * 500 mm field of view), a low-dose scan's noise, a scan
 * that starts below the lung apices or stops above the bases, the right hemithorax opaque, effusions at both bases,
 * emphysematous lungs, dependent density, sternotomy wires, or the patient entering feet first), with its ground truth carried along, so the real lesions are found again on images no threshold was chosen on.
 */
import { augment, sharpened, softened } from '../models/synthetic/augment';
import { fillLungField, insertDiffuseEmphysema, insertEffusion, sceneOf, type Scene } from '../models/synthetic/findings';
import { gauss, rng } from '../models/synthetic/lesion';
import { findSites } from '../models/synthetic/sites';
import { parseQuery } from '../server/query/parse';
import { analyseVolume } from '../server/rerank/pipeline';
import type { Vec3, Volume } from '../server/series/volume';
import type { EvalCase, GroundTruthLesion } from './eval-cases';

export const LOOKS = ['noise', 'sharp', 'thick', 'thin', 'prone', 'narrow', 'coarse', 'lowdose', 'noapex', 'nobase', 'soft', 'rolled', 'whiteout', 'effusion', 'emphysema', 'dependent', 'wires', 'feetfirst'] as const;
export type Look = (typeof LOOKS)[number];

type Box = [number, number, number, number];

/** The case as `look` shows it: its volume, and its lesions on the slices that volume keeps. */
export function caseLook(c: EvalCase, v: Volume, look: Look): { case: EvalCase; volume: Volume } {
  if (look === 'soft') return { case: { ...c, name: `${c.name}+${look}` }, volume: { ...v, hu: softened(v) } };
  if (look === 'sharp') return { case: { ...c, name: `${c.name}+${look}` }, volume: { ...v, hu: sharpened(v) } };
  if (look === 'thin') return thinned(c, v);
  if (look === 'prone') return prone(c, v);
  if (look === 'feetfirst') return feetFirst(c, v);
  if (look === 'narrow') return narrowed(c, v);
  if (look === 'coarse') return coarsened(c, v, COARSE_FACTOR);
  if (look === 'whiteout') return rightWhitedOut(c, v);
  if (look === 'effusion') return withEffusions(c, v);
  if (look === 'wires') return { case: { ...c, name: `${c.name}+${look}` }, volume: { ...v, hu: withSternalWires(v) } };
  if (look === 'dependent') return { case: { ...c, name: `${c.name}+${look}` }, volume: { ...v, hu: withDependentDensity(v) } };
  if (look === 'emphysema') return { case: { ...c, name: `${c.name}+${look}` }, volume: { ...v, hu: withEmphysema(v) } };
  if (look === 'rolled') return rolled(c, v, ROLL_DEGREES);
  if (look === 'noapex' || look === 'nobase') return shortened(c, v, look);
  if (look === 'lowdose') return { case: { ...c, name: `${c.name}+${look}` }, volume: { ...v, hu: withNoise(v, LOW_DOSE_NOISE_HU) } };
  const volume = augment(v, look);
  if (look === 'noise') return { case: { ...c, name: `${c.name}+${look}` }, volume };
  // thick: each kept slice (the first of a pair) stands for both; a lesion on either is on it
  const keptAs = new Map<string, [string]>();
  for (let s = 0; 2 * s + 1 < v.slices; s++) {
    keptAs.set(v.sopInstanceUIDs[2 * s], [v.sopInstanceUIDs[2 * s]]);
    keptAs.set(v.sopInstanceUIDs[2 * s + 1], [v.sopInstanceUIDs[2 * s]]);
  }
  return { case: { ...c, name: `${c.name}+${look}`, lesions: carried(c, (u) => keptAs.get(u) ?? []) }, volume };
}

/**
 * The case's lesions on another look's slices: each slice (UID) of a lesion goes onto the slices `onto`
 * gives it, and so do its boxes, those meeting on one slice joined.
 */
function carried(c: EvalCase, onto: (uid: string) => readonly string[]): Map<string, GroundTruthLesion> {
  const lesions = new Map<string, GroundTruthLesion>();
  for (const [id, l] of c.lesions) {
    let boxes: Record<string, Box> | undefined;
    if (l.boxes) {
      boxes = {};
      for (const [u, b] of Object.entries(l.boxes))
        for (const k of onto(u)) {
          const o = boxes[k];
          boxes[k] = o ? [Math.min(o[0], b[0]), Math.min(o[1], b[1]), Math.max(o[2], b[2]), Math.max(o[3], b[3])] : b;
        }
    }
    lesions.set(id, { ...l, sop_instance_uids: [...new Set(l.sop_instance_uids.flatMap(onto))], boxes });
  }
  return lesions;
}

/** The case's lesions with every box moved in the plane as `move` says (their slices as they were). */
function movedBoxes(c: EvalCase, move: (b: Box) => Box): Map<string, GroundTruthLesion> {
  const lesions = new Map<string, GroundTruthLesion>();
  for (const [id, l] of c.lesions) lesions.set(id, { ...l, boxes: l.boxes && Object.fromEntries(Object.entries(l.boxes).map(([u, b]) => [u, move(b)])) });
  return lesions;
}

/**
 * The patient lying prone: every slice turned half a turn in-plane, the orientation cosines and the
 * position of the first pixel with it, so each voxel keeps its place in the patient; boxes turn too.
 */
function prone(c: EvalCase, v: Volume): { case: EvalCase; volume: Volume } {
  const { rows: R, columns: C } = v;
  const plane = R * C;
  const hu = new Float32Array(v.hu.length);
  // a half turn reverses each slice's pixel order
  for (let s = 0; s < v.slices; s++) {
    const o = s * plane;
    for (let q = 0; q < plane; q++) hu[o + q] = v.hu[o + plane - 1 - q];
  }
  const rc = v.rowCosines, cc = v.columnCosines;
  const far = [0, 1, 2].map((k) => (C - 1) * v.pixelSpacing[1] * rc[k] + (R - 1) * v.pixelSpacing[0] * cc[k]);
  const volume: Volume = {
    ...v, hu,
    rowCosines: [-rc[0], -rc[1], -rc[2]],
    columnCosines: [-cc[0], -cc[1], -cc[2]],
    positions: v.positions.map((p) => [p[0] + far[0], p[1] + far[1], p[2] + far[2]]),
  };
  const lesions = movedBoxes(c, ([x0, y0, x1, y1]) => [C - 1 - x1, R - 1 - y1, C - 1 - x0, R - 1 - y0]);
  return { case: { ...c, name: `${c.name}+prone`, lesions }, volume };
}

/**
 * The patient entering the gantry feet first (supine): each slice mirrored left to right (the row
 * direction now runs to the patient's right), so the slice normal points to the feet and the volume's
 * slices run from the head down; every voxel keeps its place in the patient, boxes mirror with it.
 */
function feetFirst(c: EvalCase, v: Volume): { case: EvalCase; volume: Volume } {
  // the training augmentation's mirror is this: each row reversed, the row direction and so the normal flipped
  const lesions = movedBoxes(c, ([x0, y0, x1, y1]) => [v.columns - 1 - x1, y0, v.columns - 1 - x0, y1]);
  return { case: { ...c, name: `${c.name}+feetfirst`, lesions }, volume: augment(v, 'mirror') };
}

/** Pixel noise (HU, one deviation) a low-dose scan on a lung kernel adds: the dose of screening, about a sixth of a diagnostic scan's. */
const LOW_DOSE_NOISE_HU = 60;

/** The volume's HU with white noise of `sd` HU added to every pixel (the same noise on every run). */
export function withNoise(v: Volume, sd: number): Float32Array {
  const r = rng(7);
  const hu = new Float32Array(v.hu.length);
  for (let i = 0; i < hu.length; i++) hu[i] = v.hu[i] + sd * gauss(r);
  return hu;
}

/** The pixels [x0, x0 + width) × [y0, y0 + height) of every slice, the first pixel's position moved with them. */
export function cropVolume(v: Volume, x0: number, y0: number, width: number, height: number): Volume {
  const hu = new Float32Array(v.slices * width * height);
  for (let s = 0; s < v.slices; s++)
    for (let r = 0; r < height; r++) {
      const from = (s * v.rows + r + y0) * v.columns + x0;
      hu.set(v.hu.subarray(from, from + width), (s * height + r) * width);
    }
  const shift = [0, 1, 2].map((k) => x0 * v.pixelSpacing[1] * v.rowCosines[k] + y0 * v.pixelSpacing[0] * v.columnCosines[k]);
  return { ...v, hu, rows: height, columns: width, positions: v.positions.map((p) => [p[0] + shift[0], p[1] + shift[1], p[2] + shift[2]]) };
}

/** Pixels this much larger: 0.7 mm ones become 0.98 mm, a 500 mm field of view's (PET-CT, a large patient's scan). */
const COARSE_FACTOR = 1.4;

/** Each output sample the mean of the input over its share of the line (the overlap of [j, j + 1) · n / m with each input sample). */
function areaResampled(src: Float32Array, from: number, stride: number, n: number, m: number, out: Float32Array, to: number, outStride: number): void {
  const k = n / m;
  for (let j = 0; j < m; j++) {
    const a = j * k, b = a + k;
    let sum = 0;
    for (let i = Math.floor(a); i < Math.min(n, Math.ceil(b)); i++) sum += src[from + i * stride] * (Math.min(b, i + 1) - Math.max(a, i));
    out[to + j * outStride] = sum / k;
  }
}

/**
 * Pixels `factor` times larger over the same field (each the mean of what it covers, as a reconstruction on a
 * coarser matrix reads); the first pixel's centre and the boxes move with the grid.
 */
function coarsened(c: EvalCase, v: Volume, factor: number): { case: EvalCase; volume: Volume } {
  const rows = Math.round(v.rows / factor), columns = Math.round(v.columns / factor);
  const ky = v.rows / rows, kx = v.columns / columns;
  const across = new Float32Array(v.rows * columns), hu = new Float32Array(v.slices * rows * columns);
  for (let s = 0; s < v.slices; s++) {
    for (let r = 0; r < v.rows; r++) areaResampled(v.hu, (s * v.rows + r) * v.columns, 1, v.columns, columns, across, r * columns, 1);
    for (let col = 0; col < columns; col++) areaResampled(across, col, columns, v.rows, rows, hu, s * rows * columns + col, columns);
  }
  // the new first pixel's centre lies (k - 1) / 2 of an old pixel in from the old one's
  const shift = [0, 1, 2].map((i) => ((kx - 1) / 2) * v.pixelSpacing[1] * v.rowCosines[i] + ((ky - 1) / 2) * v.pixelSpacing[0] * v.columnCosines[i]);
  const lesions = movedBoxes(c, ([x0, y0, x1, y1]) => [Math.floor(x0 / kx), Math.floor(y0 / ky), Math.floor(x1 / kx), Math.floor(y1 / ky)]);
  return {
    case: { ...c, name: `${c.name}+coarse`, lesions },
    volume: {
      ...v, hu, rows, columns, pixelSpacing: [v.pixelSpacing[0] * ky, v.pixelSpacing[1] * kx],
      positions: v.positions.map((p) => [p[0] + shift[0], p[1] + shift[1], p[2] + shift[2]]),
    },
  };
}

/**
 * A field of view narrower than the chest (a lung reconstruction centred on the lungs, the skin and the
 * sides of the chest wall cut away): the central 65 % of each row and 75 % of each column; boxes move
 * with it (the lesions all lie inside it).
 */
function narrowed(c: EvalCase, v: Volume): { case: EvalCase; volume: Volume } {
  const width = Math.round(0.65 * v.columns), height = Math.round(0.75 * v.rows);
  const x0 = (v.columns - width) >> 1, y0 = (v.rows - height) >> 1;
  const lesions = movedBoxes(c, ([bx0, by0, bx1, by1]) => [bx0 - x0, by0 - y0, bx1 - x0, by1 - y0]);
  return { case: { ...c, name: `${c.name}+narrow`, lesions }, volume: cropVolume(v, x0, y0, width, height) };
}

/** The UID given to the slice a thin look adds between slices `s` and `s + 1`. */
const betweenUid = (v: Pick<Volume, 'sopInstanceUIDs'>, s: number): string => `${v.sopInstanceUIDs[s]}.5`;

/**
 * A thin-slice reconstruction's look: a slice added halfway between each pair (their mean: half the
 * spacing, twice the slices) and the noise a slice half as thick carries (≈ √2 more; 12 HU added).
 */
function thinned(c: EvalCase, v: Volume): { case: EvalCase; volume: Volume } {
  const plane = v.rows * v.columns;
  const n = 2 * v.slices - 1;
  const hu = new Float32Array(n * plane);
  const r = rng(2);
  for (let s = 0; s < n; s++) {
    const a = (s >> 1) * plane, b = ((s + 1) >> 1) * plane, o = s * plane;
    for (let q = 0; q < plane; q++) hu[o + q] = (v.hu[a + q] + v.hu[b + q]) / 2 + 12 * gauss(r);
  }
  const mid = (p: Vec3, q: Vec3): Vec3 => [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2, (p[2] + q[2]) / 2];
  const at = <T>(a: readonly T[], between: (s: number) => T): T[] => Array.from({ length: n }, (_, s) => (s % 2 ? between(s >> 1) : a[s >> 1]));
  const volume: Volume = {
    ...v, slices: n, hu, sliceSpacing: v.sliceSpacing / 2,
    positions: at(v.positions, (s) => mid(v.positions[s], v.positions[s + 1])),
    sopInstanceUIDs: at(v.sopInstanceUIDs, (s) => betweenUid(v, s)),
    frames: at(v.frames, () => 1),
  };
  const index = new Map(v.sopInstanceUIDs.map((u, s) => [u, s]));
  // a slice's lesion is also on the added slices either side of it
  const onto = (u: string): string[] => {
    const s = index.get(u);
    if (s === undefined) return [];
    return [u, ...(s > 0 ? [betweenUid(v, s - 1)] : []), ...(s + 1 < v.slices ? [betweenUid(v, s)] : [])];
  };
  return { case: { ...c, name: `${c.name}+thin`, lesions: carried(c, onto) }, volume };
}

/**
 * A scan that does not cover the whole chest: the top quarter of the slices gone (the neck and the lung
 * apices: a scan of the abdomen and lower chest) or the bottom quarter (the upper abdomen and the lung
 * bases). A lesion keeps the slices left of it; one with none left loses its queries.
 */
function shortened(c: EvalCase, v: Volume, look: 'noapex' | 'nobase'): { case: EvalCase; volume: Volume } {
  const head = v.positions[v.slices - 1][2] > v.positions[0][2] ? v.slices - 1 : 0;
  const cut = Math.round(v.slices / 4);
  // slices [from, to) stay: the quarter at the head end goes for noapex, the one at the feet end for nobase
  const cutHead = look === 'noapex';
  const from = (head === 0) === cutHead ? cut : 0;
  const to = from === 0 ? v.slices - cut : v.slices;
  const volume = sliceRange(v, from, to);
  const kept = new Set(volume.sopInstanceUIDs);
  const lesions = carried(c, (u) => (kept.has(u) ? [u] : []));
  for (const [id, l] of lesions) if (!l.sop_instance_uids.length) lesions.delete(id);
  const queries = c.queries.filter((q) => q.lesion === null || lesions.has(q.lesion));
  return { case: { ...c, name: `${c.name}+${look}`, lesions, queries }, volume };
}

/** The slices [from, to) of a volume, as a series of only those would be. */
export function sliceRange(v: Volume, from: number, to: number): Volume {
  const plane = v.rows * v.columns;
  return {
    ...v, slices: to - from, hu: v.hu.slice(from * plane, to * plane),
    positions: v.positions.slice(from, to), sopInstanceUIDs: v.sopInstanceUIDs.slice(from, to), frames: v.frames.slice(from, to),
  };
}

/** How far (degrees) the `rolled` look turns the patient about the long axis: an ill patient lies this crooked. */
const ROLL_DEGREES = 12;

/**
 * The patient lying rolled by `degrees` about the long axis: each slice's pixels turned about the image centre
 * (bilinear; air where the turn brings in nothing), the orientation left as scanned, so the anatomy itself is
 * turned against the scanner's axes; each box becomes the box around its turned corners.
 */
function rolled(c: EvalCase, v: Volume, degrees: number): { case: EvalCase; volume: Volume } {
  const { rows: R, columns: C } = v;
  const plane = R * C;
  const a = (degrees * Math.PI) / 180, cos = Math.cos(a), sin = Math.sin(a);
  const cx = (C - 1) / 2, cy = (R - 1) / 2;
  // square pixels assumed off by at most rounding: the turn is done in pixels
  const hu = new Float32Array(v.hu.length).fill(-1000);
  for (let s = 0; s < v.slices; s++) {
    const o = s * plane;
    for (let r = 0; r < R; r++)
      for (let q = 0; q < C; q++) {
        // the source of output pixel (q, r): turned back by the angle
        const x = cos * (q - cx) + sin * (r - cy) + cx, y = -sin * (q - cx) + cos * (r - cy) + cy;
        const x0 = Math.floor(x), y0 = Math.floor(y);
        if (x0 < 0 || y0 < 0 || x0 >= C - 1 || y0 >= R - 1) continue;
        const fx = x - x0, fy = y - y0, i = o + y0 * C + x0;
        hu[o + r * C + q] = (1 - fy) * ((1 - fx) * v.hu[i] + fx * v.hu[i + 1]) + fy * ((1 - fx) * v.hu[i + C] + fx * v.hu[i + C + 1]);
      }
  }
  const turn = (x: number, y: number): [number, number] => [cos * (x - cx) - sin * (y - cy) + cx, sin * (x - cx) + cos * (y - cy) + cy];
  const lesions = movedBoxes(c, ([x0, y0, x1, y1]) => {
    const corners = [turn(x0, y0), turn(x1, y0), turn(x0, y1), turn(x1, y1)];
    const xs = corners.map((p) => p[0]), ys = corners.map((p) => p[1]);
    return [Math.round(Math.min(...xs)), Math.round(Math.min(...ys)), Math.round(Math.max(...xs)), Math.round(Math.max(...ys))];
  });
  return { case: { ...c, name: `${c.name}+rolled`, lesions }, volume: { ...v, hu } };
}

/**
 * The right hemithorax opaque (a massive effusion, a collapsed lung, a pneumonectomy): every pixel of the right lung
 * (as the analysis of the scan finds it, airway left alone) turned to fluid (15 HU, 12 HU of noise). The left lung
 * and its lesions are as scanned. The look makes a large right effusion: a negative query for one now describes it.
 */
function rightWhitedOut(c: EvalCase, v: Volume): { case: EvalCase; volume: Volume } {
  const hu = v.hu.slice();
  const filled = fillLungField(analyseVolume(v), hu, 'right', 15, 12, rng(3));
  const effusion: GroundTruthLesion = { id: 'whiteout', kind: 'pleural effusion', sop_instance_uids: [], boxes: {} };
  for (const [s, b] of filled) { effusion.sop_instance_uids.push(v.sopInstanceUIDs[s]); effusion.boxes![v.sopInstanceUIDs[s]] = b; }
  const describesIt = (text: string): boolean => parseQuery(text).findings.some((f) => f.type === 'pleural effusion' && f.anatomy.side !== 'left');
  return {
    case: { ...c, name: `${c.name}+whiteout`, lesions: new Map([...c.lesions, [effusion.id, effusion]]), queries: c.queries.map((q) => (q.lesion === null && describesIt(q.text) ? { ...q, lesion: effusion.id } : q)) },
    volume: { ...v, hu },
  };
}

/** What the synthetic findings are drawn into: the scan's analysis and its sites (models/synthetic/findings.ts). */
function sceneOfScan(v: Volume): Scene {
  const base = analyseVolume(v);
  return sceneOf(base, findSites(base.anatomy.grid, base.anatomy.lungs));
}

/** Depth (mm) of the effusion the `effusion` look lays at the back of each lung's base: a moderate one. */
const EFFUSION_DEPTH_MM = 30;

/**
 * Both lungs with a moderate dependent effusion (fluid with a meniscus, the lung above it compressed:
 * models/synthetic/findings.ts), the lesions as scanned: a patient with a lung cancer often has one. A
 * negative query for an effusion on a side now describes that side's.
 */
function withEffusions(c: EvalCase, v: Volume): { case: EvalCase; volume: Volume } {
  const scene = sceneOfScan(v);
  const hu = v.hu.slice();
  const lesions = new Map(c.lesions);
  for (const side of ['right', 'left'] as const) {
    const f = insertEffusion(scene, hu, side, EFFUSION_DEPTH_MM, rng(side === 'right' ? 5 : 6));
    const effusion: GroundTruthLesion = { id: `effusion-${side}`, kind: 'pleural effusion', sop_instance_uids: [], boxes: {} };
    for (const [s, b] of f.boxes) { effusion.sop_instance_uids.push(v.sopInstanceUIDs[s]); effusion.boxes![v.sopInstanceUIDs[s]] = b; }
    lesions.set(effusion.id, effusion);
  }
  const effusionOf = (text: string): string | null => {
    const f = parseQuery(text).findings.find((x) => x.type === 'pleural effusion');
    return f && (f.anatomy.side === 'right' || f.anatomy.side === 'left') ? `effusion-${f.anatomy.side}` : null;
  };
  return {
    case: { ...c, name: `${c.name}+effusion`, lesions, queries: c.queries.map((q) => (q.lesion === null && effusionOf(q.text) ? { ...q, lesion: effusionOf(q.text) } : q)) },
    volume: { ...v, hu },
  };
}

/**
 * Both lungs with diffuse centrilobular emphysema, the smoker's lung a lung cancer is usually found in
 * (models/synthetic/findings.ts: holes of air all through the aerated lung, vessels and lesions kept).
 */
function withEmphysema(v: Volume): Float32Array {
  const scene = sceneOfScan(v);
  const hu = v.hu.slice();
  for (const side of ['right', 'left'] as const) insertDiffuseEmphysema(scene, hu, side, rng(side === 'right' ? 13 : 14));
  return hu;
}

/** The `dependent` look's band: this deep (mm) at the bases, DEPENDENT_APEX_MM at the apices, up to this density (HU). */
const DEPENDENT_BASE_MM = 16;
const DEPENDENT_APEX_MM = 5;
const DEPENDENT_HU = -300;

/**
 * Dependent density, as in most supine scans of older patients: the lung along its lowest (posterior) edge made
 * denser, to DEPENDENT_HU at the edge, fading over a band thickest at the bases. The parenchyma only (what is
 * denser than −500 HU stays); the edge per slice and column from the analysis' aerated lung.
 */
function withDependentDensity(v: Volume): Float32Array {
  const a = analyseVolume(v);
  const g = a.anatomy.grid, aerated = a.anatomy.lungs.aerated, ext = a.anatomy.lungs.extent;
  const hu = v.hu.slice();
  const rowMm = v.pixelSpacing[0];
  // gravity pulls towards the patient's back: down the rows when they run posterior (+y), up them when not
  const down = v.columnCosines[1] >= 0;
  const noise = rng(17);
  for (let gs = 0; gs < g.slices; gs++)
    for (let gc = 0; gc < g.columns; gc++)
      for (const side of [1, 2]) {
        // the lowest grid row of this side's aerated lung in this column
        let edge = -1;
        for (let k = 0; k < g.rows; k++) {
          const gr = down ? g.rows - 1 - k : k;
          if (aerated[(gs * g.rows + gr) * g.columns + gc] === side) { edge = gr; break; }
        }
        const e = ext[side];
        if (edge < 0 || !e) continue;
        const z = g.origin[gs][2];
        const t = Math.min(1, Math.max(0, (z - e.zMin) / Math.max(1, e.zMax - e.zMin)));
        const depth = DEPENDENT_BASE_MM + (DEPENDENT_APEX_MM - DEPENDENT_BASE_MM) * t;
        const edgePx = down ? (edge + 1) * g.fy - 0.5 : edge * g.fy - 0.5;
        for (let s = gs * g.fz; s < Math.min(v.slices, (gs + 1) * g.fz); s++)
          for (let col = gc * g.fx; col < Math.min(v.columns, (gc + 1) * g.fx); col++)
            for (let row = 0; row < v.rows; row++) {
              const d = (down ? edgePx - row : row - edgePx) * rowMm;
              if (d < 0 || d > depth) continue;
              const p = (s * v.rows + row) * v.columns + col;
              const gr = Math.min(g.rows - 1, (row / g.fy) | 0);
              if (hu[p] > -500 || aerated[(gs * g.rows + gr) * g.columns + gc] !== side) continue;
              const w = (1 - d / depth) ** 1.5;
              hu[p] += (DEPENDENT_HU + 20 * gauss(noise) - hu[p]) * w;
            }
      }
  return hu;
}

/** The `wires` look: a wire this far apart (mm) down the sternum, each streaking this much (HU) over this reach (mm). */
const WIRE_GAP_MM = 25;
const STREAK_HU = 250;
const STREAK_REACH_MM = 80;

/**
 * Sternotomy wires, as after cardiac surgery: a dense dot (3000 HU, 3 × 1.5 mm) in the sternum every WIRE_GAP_MM
 * over the lower two thirds of the lungs' height, and on its slice the streaks metal throws, thin bright and
 * dark lines radiating from it and fading with distance. The sternum is the first bone from the front at the
 * body's midline.
 */
function withSternalWires(v: Volume): Float32Array {
  const a = analyseVolume(v);
  const m = a.anatomy.lungs, g = a.anatomy.grid;
  const hu = v.hu.slice();
  const [rowMm, colMm] = v.pixelSpacing;
  const zs = [m.extent[1]?.zMin, m.extent[2]?.zMin].filter((z): z is number => z !== undefined);
  const ze = [m.extent[1]?.zMax, m.extent[2]?.zMax].filter((z): z is number => z !== undefined);
  if (!zs.length) return hu;
  const z0 = Math.min(...zs), z1 = Math.max(...ze);
  const random = rng(19);
  for (let z = z0 + 0.1 * (z1 - z0); z < z0 + 0.7 * (z1 - z0); z += WIRE_GAP_MM) {
    let s = 0;
    for (let k = 1; k < v.slices; k++) if (Math.abs(v.positions[k][2] - z) < Math.abs(v.positions[s][2] - z)) s = k;
    const gs = Math.min(g.slices - 1, (s / g.fz) | 0);
    const cx = Math.round((m.midlineX[gs] - v.positions[s][0]) / (v.rowCosines[0] * colMm));
    if (!(cx >= 0 && cx < v.columns)) continue;
    const o = s * v.rows * v.columns;
    let cy = -1;
    for (let r = 0; r < v.rows / 2; r++) if (hu[o + r * v.columns + cx] > 250) { cy = r; break; }
    if (cy < 0) continue;
    cy += Math.round(2 / rowMm);
    const angles = Array.from({ length: 14 }, () => ({ t: random() * Math.PI, sign: random() < 0.5 ? -1 : 1 }));
    for (let r = 0; r < v.rows; r++)
      for (let c = 0; c < v.columns; c++) {
        const dx = (c - cx) * colMm, dy = (r - cy) * rowMm, d = Math.hypot(dx, dy);
        const i = o + r * v.columns + c;
        if ((dx / 1.5) ** 2 + (dy / 0.75) ** 2 <= 1) { hu[i] = 3000; continue; }
        if (d > 2 * STREAK_REACH_MM) continue;
        // each streak runs through the wire both ways: its angle modulo a half turn
        let theta = Math.atan2(dy, dx);
        if (theta < 0) theta += Math.PI;
        let streak = 0;
        for (const { t, sign } of angles) {
          let dt = Math.abs(theta - t);
          dt = Math.min(dt, Math.PI - dt);
          const width = 0.6 / Math.max(d, 1); // about a millimetre wide wherever it is
          if (dt < 4 * width) streak += sign * Math.exp(-0.5 * (dt / width) ** 2);
        }
        hu[i] += STREAK_HU * Math.exp(-d / STREAK_REACH_MM) * streak;
      }
  }
  return hu;
}
