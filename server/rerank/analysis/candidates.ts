/**
 * 3D lesion candidates in the lung fields (the aerated lungs plus what bulges into them). Dense voxels
 * (solid and ground-glass, > -750 HU; in the bulge zone only soft tissue and ground glass, never the
 * wall's fat or bone) are opened by balls of decreasing radius: each opening erases what is thinner than
 * its ball (vessels, spicules, fissures, the thin rind of a wall) and so splits a lesion from what it
 * touches at a narrow neck. Coarse scales claim big lesions first, finer scales add smaller ones; each
 * claimed lesion takes back its rim from the dense voxels around it. What the finest scale rejects whole is
 * split once more where it narrows in density: on the coarse grid a small nodule is no thicker than the
 * vessel it touches, but meets it through fainter tissue. A candidate judged as a vessel that is part solid,
 * part ground glass gives way to the pieces of its ground glass (a ground-glass nodule against a vessel), and
 * one judged no lesion against the diaphragm or chest wall to its pieces apart from the wall's partial-volume rind.
 * Every candidate is then described: size as a radiologist measures it, density, shape, context in the
 * lung (vessel tests see only aerated lung: a wall is not a vessel), the wall it abuts, and its position.
 */
import type { Vec3, Volume } from '../../series/volume';
import { Compartment } from './compartments';
import type { Grid } from './grid';
import { gridToPatient, middleVolumeSlice } from './grid';
import type { LungMasks } from './lungs';
import { lesionLikelihood } from './likelihood';
import { positionInLung } from './lung-position';
import { growAxial, measureGrown, type AxialGrowth, type AxialMeasure } from './measure';
import { volumeSlicesOf } from './volume-slices';
import { addToSliceBoxes, ballOffsets, componentMembers, componentRuns, faceNeighbour, greyOpening2D, lastSet, nextSet, openByBall, splitAtNecks, squaredDistanceToBackground, VoxelBox, wordsOf, type SliceBox } from './morphology';
import type { Candidate, CandidateSlice, LungSide, Wall } from './types';

/** Density classes (HU): ground-glass from -750, solid from -300, calcified above 200. */
export const GGO_HU = -750;
/** A voxel is dense (possibly lesion) this far above the scan's own parenchyma, and never below GGO_HU. */
const DENSE_ABOVE_PARENCHYMA_HU = 150;
export const SOLID_HU = -300;
export const CALCIFIED_HU = 200;
/** What bulges into a lung is lesion only where it is soft tissue or ground glass: fat and bone belong to the wall. */
const FAT_HU: [number, number] = [-160, -40];
const BONE_HU = 250;
/** Opening radii (mm), coarse to fine: masses, large nodules, nodules ≥ ~7 mm, nodules ≥ ~4 mm. */
const SCALES_MM = [10, 6, 3, 1.5];
/**
 * Contrast-filled blood is denser than this (HU): enhanced vessels read 150-400 and more, while lesion tissue
 * stays under about 100 even when it enhances (a nodule gains under ~60 HU with contrast).
 */
const ENHANCED_BLOOD_HU = 150;
/** A calcified nodule (a granuloma) is told from blood by its shape: up to this wide (mm), this full and this round in the plane. */
const MAX_CALCIFIED_MM = 30;
const CALCIFIED_MIN_FILL = 0.5;
const CALCIFIED_MIN_ROUNDNESS = 0.6;
/**
 * Streak sources (HU) inside the mediastinum and heart: contrast still undiluted in a vein (often saturated at the
 * scale's top, 3071) and metal (a lead, a clip) are denser than blood, tissue or calcification there; beam hardening
 * and photon starvation draw streaks from them across the slice. Bone is left out (its cortex passes 2,000 HU on
 * some scanners: 4D-Lung's and Lung-PET-CT-Dx's spines). Looked for this far (mm) around a ground-glass candidate
 * on its own slices.
 */
const STREAK_SOURCE_HU = 2000;
export const STREAK_REACH_MM = 25;
/** Smallest nodule worth reporting (Fleischner: < 3 mm are micronodules) and a cap above which an opacity is not a focal lesion. */
const MIN_DIAMETER_MM = 3;
const MAX_DIAMETER_MM = 90;

/** Candidates less plausible than this are dropped before their full description, and measured at full resolution from the second. */
const MIN_PLAUSIBILITY = 0.01;
const DETAIL_PLAUSIBILITY = 0.05;
/** Context excess beyond which a candidate is plainly part of a vessel tree (the search stops there). */
const MAX_CONTEXT_EXCESS = 6;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

interface Crop { s0: number; r0: number; c0: number; slices: number; rows: number; columns: number }

/** A candidate with its voxels (crop indices). */
type Found = { cand: Candidate; vox: Int32Array };

function lungBox(g: Grid, lung: Uint8Array): Crop | null {
  const { rows, columns } = g;
  const b = new VoxelBox();
  const words = wordsOf(lung);
  for (let s = 0; s < g.slices; s++)
    for (let r = 0; r < rows; r++) {
      const ro = (s * rows + r) * columns;
      // each row's first and last lung voxel
      const first = nextSet(lung, words, ro, ro + columns);
      if (first === ro + columns) continue;
      b.add(s, r, first - ro);
      b.add(s, r, lastSet(lung, words, first, ro + columns) - ro);
    }
  if (b.empty) return null;
  return { s0: b.s0, r0: b.r0, c0: b.c0, slices: b.s1 - b.s0 + 1, rows: b.r1 - b.r0 + 1, columns: b.c1 - b.c0 + 1 };
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

/**
 * Plausibility, a cheap screen before the full description: nodules are compact and roughly isotropic;
 * vessels are tubes (low sphericity), bifurcations branch (low fill), tiny specks are noise. Context and
 * thickness are measured in aerated lung only, so a lesion against a wall is judged like one free in
 * the lung. Lenient on purpose: the fitted likelihood (likelihood.ts) decides.
 */
export function plausibility(
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

/** Everything the description of one candidate reads, on the crop of the lung fields. */
interface Search {
  v: Volume;
  g: Grid;
  m: LungMasks;
  /** Compartments judged against the aerated lung: what lies beyond a candidate's wall contact. */
  walls: Uint8Array;
  crop: Crop;
  /** Crop index → grid index. */
  full: (i: number) => number;
  dense: Uint8Array;
  /** Over this (HU) the lung is dense: the cut the first search's `dense` was made with (a derived search keeps it). */
  denseHU: number;
  /** 1 where the crop voxel is aerated lung. */
  aerated: Uint8Array;
  dist2: Float32Array;
  /** Scratch for the context search. */
  stamp: Int32Array;
  /** The last stamp taken, shared by the searches derived from this one (which share its scratch). */
  stamps: { last: number };
  /** 1 where the crop voxel was dense but enhanced blood (takeOutEnhancedBlood), or what else no lesion may grow into when measured. */
  blood: Uint8Array;
  /** Scratch for densityPieces, allocated on first use. */
  height2?: Float32Array;
}

export function findCandidates(v: Volume, g: Grid, m: LungMasks, walls: Uint8Array): Candidate[] {
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
  const aerated = new Uint8Array(n);
  const denseHU = Math.max(GGO_HU, m.parenchymaHU + DENSE_ABOVE_PARENCHYMA_HU);
  for (let s = 0; s < crop.slices; s++)
    for (let r = 0; r < crop.rows; r++) {
      const src = ((s + crop.s0) * R + r + crop.r0) * C + crop.c0;
      const dst = s * cp + r * crop.columns;
      for (let c = 0; c < crop.columns; c++) {
        const p = src + c;
        if (!m.lung[p]) continue;
        const hu = g.hu[p];
        const inAir = m.aerated[p] !== 0;
        aerated[dst + c] = inAir ? 1 : 0;
        const wallTissue = !inAir && ((hu > FAT_HU[0] && hu < FAT_HU[1]) || hu > BONE_HU);
        dense[dst + c] = hu > denseHU && !wallTissue ? 1 : 0;
      }
    }
  const blood = takeOutEnhancedBlood(dense, g, crop, full);
  const dist2 = squaredDistanceToBackground(dense, crop, g.spacing);
  const search: Search = { v, g, m, walls, crop, full, dense, denseHU, aerated, dist2, blood, stamp: new Int32Array(n), stamps: { last: 0 } };
  const claimed = new Uint8Array(n);
  // every voxel ever claimed (some more than once, some given back): the few the next scale must skip
  const everClaimed: number[] = [];
  const voxelMm3 = g.spacing[0] * g.spacing[1] * g.spacing[2];
  const minVoxels = Math.max(2, Math.floor(((Math.PI / 6) * MIN_DIAMETER_MM ** 3) / voxelMm3));
  const maxVoxels = ((Math.PI / 6) * MAX_DIAMETER_MM ** 3) / voxelMm3;
  const out: Found[] = [];
  for (const radius of SCALES_MM) {
    const opened = openByBall(dense, dist2, crop, g.spacing, radius, 0.75 * Math.min(g.spacing[1], g.spacing[2]));
    for (const i of everClaimed) if (claimed[i]) opened[i] = 0;
    // voxel indices grouped by component, each in raster order
    const comps = componentRuns(opened, crop);
    const { start, members } = componentMembers(comps, crop);
    const parts: Int32Array[] = [];
    for (let id = 1; id <= comps.count; id++) {
      const size = comps.sizes[id];
      if (size < minVoxels || size > maxVoxels * 4) continue;
      // a lesion fused with what it touches is split from it where the two narrow
      for (const part of splitAtNecks(members.subarray(start[id], start[id + 1]), crop, dist2, (peak) => Math.max(1.5, 0.3 * peak))) {
        if (part.length < minVoxels || part.length > maxVoxels) continue;
        parts.push(part);
        for (const i of part) { claimed[i] = 2; everClaimed.push(i); } // reserved: no other part's rim may take it
      }
    }
    for (const part of parts) {
      const vox = reclaimRim(search, part, claimed, Math.min(radius, 4));
      const cand = describe(search, vox, radius);
      if (cand) {
        out.push({ cand, vox });
        for (const i of vox) { claimed[i] = 1; everClaimed.push(i); }
        continue;
      }
      for (const i of part) if (claimed[i] === 2) claimed[i] = 0;
      if (radius !== SCALES_MM[SCALES_MM.length - 1]) continue;
      // what is no lesion as a whole may hold one joined to a vessel through fainter tissue
      for (const piece of densityPieces(search, vox)) {
        if (piece.length < minVoxels) continue;
        const c = describe(search, piece, radius);
        if (!c || c.lesionLikelihood < MIN_PIECE_LIKELIHOOD) continue;
        out.push({ cand: c, vox: piece });
        for (const i of piece) { claimed[i] = 1; everClaimed.push(i); }
      }
    }
  }
  const joined = joinRounderPieces(search, splitFromWallRind(search, splitGroundGlass(search, out, minVoxels), minVoxels));
  joined.sort((a, b) => b.cand.lesionLikelihood - a.cand.lesionLikelihood);
  joined.forEach((o, i) => (o.cand.id = i));
  markTouching(crop, joined);
  return joined.map((o) => o.cand);
}

/**
 * Radius (mm) of the ball that opens the ground glass of a mixed candidate: a solid vessel leaves a rim of
 * ground-glass density up to about two grid voxels wide, which a 1.5 mm ball keeps (on 4D-Lung a 10 mm
 * ground-glass nodule against a vessel came out 40 mm long with it, 18 mm with this); the scale of nodules of
 * about 7 mm and more.
 */
const GROUND_GLASS_BALL_MM = 3;
/** A candidate this lesion-like or more answers as it is; it is not searched for a lesion fused with something else. */
const SPLIT_BELOW_LIKELIHOOD = 0.1;
/** Mixed: at least this share of its pixels solid and this share ground glass. */
const MIXED_MIN_SHARE = 0.1;

/**
 * A ground-glass nodule against a vessel is one candidate with it on the grid: long, part solid (the vessel)
 * and part ground glass (the nodule), and judged as a vessel. Such a candidate is replaced by the pieces of
 * its ground glass, opened by GROUND_GLASS_BALL_MM, that are more lesion-like than it, where there are any:
 * each is judged against the ground glass around it, since a solid vessel is not more of the same opacity.
 */
function splitGroundGlass(x: Search, found: Found[], minVoxels: number): Found[] {
  const { g } = x;
  // its ground glass could hold the ball: the ball's volume of it, and a voxel of it that deep among the dense voxels
  // (its depth in the ground glass alone is no more), checked before any opening
  const ballVoxels = ((4 / 3) * Math.PI * GROUND_GLASS_BALL_MM ** 3) / (g.spacing[0] * g.spacing[1] * g.spacing[2]);
  const holdsBall = (vox: Int32Array): boolean => {
    let n = 0, deep = false;
    for (const i of vox) if (g.hu[x.full(i)] <= SOLID_HU) { n++; if (x.dist2[i] >= GROUND_GLASS_BALL_MM ** 2) deep = true; }
    return deep && n >= Math.max(minVoxels, ballVoxels);
  };
  const mixed = (o: Found): boolean =>
    o.cand.lesionLikelihood < SPLIT_BELOW_LIKELIHOOD && o.cand.solidFraction >= MIXED_MIN_SHARE && o.cand.groundGlassFraction >= MIXED_MIN_SHARE && holdsBall(o.vox);
  // once a piece is to be described: the ground glass, its depth, and what the piece may not grow into when
  // measured (the solid tissue, like enhanced blood)
  let gx: Search | undefined;
  const glassSearch = (): Search => {
    if (gx) return gx;
    const solid = denseOf(x, true);
    for (let i = 0; i < solid.length; i++) if (x.blood[i]) solid[i] = 1;
    return (gx = searchOn(x, denseOf(x, false), solid));
  };
  return giveWayToPieces(found, mixed, (o) => groundGlassPiecesOf(x, o.vox), (vox) => (vox.length >= minVoxels ? describe(glassSearch(), vox, GROUND_GLASS_BALL_MM) : null));
}

/** The dense voxels of the crop that are solid (over SOLID_HU), or those that are ground glass. */
function denseOf(x: Search, solid: boolean): Uint8Array {
  const out = new Uint8Array(x.dense.length);
  for (let i = 0; i < out.length; i++) if (x.dense[i] && (x.g.hu[x.full(i)] > SOLID_HU) === solid) out[i] = 1;
  return out;
}

/** The search on `dense` alone, with its own depth, sharing the scratch; `blood` is what a piece may not grow into when measured. */
function searchOn(x: Search, dense: Uint8Array, blood = x.blood): Search {
  return { ...x, dense, dist2: squaredDistanceToBackground(dense, x.crop, x.g.spacing), blood };
}

/**
 * Each candidate that may hold a lesion fused with something else (`fused`) gives way to those of its pieces
 * that, described, are more lesion-like than it and than `floor`, where there are any.
 */
function giveWayToPieces(found: Found[], fused: (o: Found) => boolean, piecesOf: (o: Found) => Int32Array[], describePiece: (vox: Int32Array, o: Found) => Candidate | null, floor = 0): Found[] {
  const out: Found[] = [];
  for (const o of found) {
    if (!fused(o)) { out.push(o); continue; }
    const pieces: Found[] = [];
    for (const vox of piecesOf(o)) {
      const cand = describePiece(vox, o);
      if (cand && cand.lesionLikelihood > Math.max(floor, o.cand.lesionLikelihood)) pieces.push({ cand, vox });
    }
    out.push(...(pieces.length ? pieces : [o]));
  }
  return out;
}

/** The pieces (crop voxels) of the ground glass of `vox` opened by GROUND_GLASS_BALL_MM: the opening done in a box around them. */
function groundGlassPiecesOf(x: Search, vox: Int32Array): Int32Array[] {
  const { crop, g } = x;
  const spacing = g.spacing;
  const cp = crop.rows * crop.columns;
  const box = new VoxelBox();
  for (const i of vox) box.addIndex(i, crop);
  // a margin of twice the ball: every centre whose ball reaches the voxels has its depth (at least the ball) within the box
  const m = spacing.map((sp) => Math.ceil((2 * GROUND_GLASS_BALL_MM) / sp) + 1);
  const s0 = Math.max(0, box.s0 - m[0]), r0 = Math.max(0, box.r0 - m[1]), c0 = Math.max(0, box.c0 - m[2]);
  const L = { slices: Math.min(crop.slices, box.s1 + m[0] + 1) - s0, rows: Math.min(crop.rows, box.r1 + m[1] + 1) - r0, columns: Math.min(crop.columns, box.c1 + m[2] + 1) - c0 };
  const lp = L.rows * L.columns;
  const mask = new Uint8Array(L.slices * lp);
  for (let s = 0; s < L.slices; s++)
    for (let r = 0; r < L.rows; r++)
      for (let c = 0, from = (s + s0) * cp + (r + r0) * crop.columns + c0; c < L.columns; c++, from++)
        if (x.dense[from] && g.hu[x.full(from)] <= SOLID_HU) mask[s * lp + r * L.columns + c] = 1;
  const opened = openByBall(mask, squaredDistanceToBackground(mask, L, spacing), L, spacing, GROUND_GLASS_BALL_MM, 0.75 * Math.min(spacing[1], spacing[2]));
  // what the opening keeps of the candidate's own voxels, in its components
  const kept = new Uint8Array(mask.length);
  for (const i of vox) {
    const s = (i / cp) | 0, rem = i - s * cp, r = (rem / crop.columns) | 0;
    const j = (s - s0) * lp + (r - r0) * L.columns + rem - r * crop.columns - c0;
    kept[j] = opened[j];
  }
  const comps = componentRuns(kept, L);
  const { start, members } = componentMembers(comps, L);
  const toCrop = (j: number): number => {
    const s = (j / lp) | 0, rem = j - s * lp, r = (rem / L.columns) | 0;
    return (s + s0) * cp + (r + r0) * crop.columns + rem - r * L.columns + c0;
  };
  const out: Int32Array[] = [];
  for (let id = 1; id <= comps.count; id++) out.push(members.subarray(start[id], start[id + 1]).map(toCrop));
  return out;
}

/** Tissue this much denser than the faintest voxel joining it to the rest is a piece of its own (HU). */
const DENSITY_NECK_HU = 150;
/**
 * A piece split by density is kept only as far as it could answer: below this likelihood (a tenth of the
 * one-in-a-hundred prior) it cannot rank, and such pieces are mostly the partial-volumed rind of a wall.
 */
const MIN_PIECE_LIKELIHOOD = 1e-3;

/**
 * The pieces of a voxel set split where it narrows in density rather than in width: on the coarse grid a
 * small nodule and the vessel it touches are equally thick, but they meet through the fainter
 * partial-volumed rim of each. Empty when the set is one piece.
 */
function densityPieces(x: Search, vox: Int32Array): Int32Array[] {
  const height2 = (x.height2 ??= new Float32Array(x.dense.length));
  for (const i of vox) height2[i] = (Math.max(0, x.g.hu[x.full(i)] + 1000)) ** 2;
  const pieces = splitAtNecks(vox, x.crop, height2, () => DENSITY_NECK_HU);
  return pieces.length > 1 ? pieces : [];
}

/** Solid components of a candidate fused with a wall's rind are described from this equivalent diameter (mm). */
const MIN_SOLID_PIECE_MM = 4;

/**
 * A small nodule resting on the diaphragm or the chest wall is one candidate with the wall's partial-volume
 * rind on the grid: where a wall runs nearly along the slices (the dome's top, the curve of the ribs) a slice
 * cuts it obliquely, and its voxels read as ground glass over several millimetres of lung. Long, flat and
 * fused, the candidate is judged no lesion. Such a candidate gives way to those of its pieces that are more
 * lesion-like than it: the pieces split where it narrows in density (the rind is fainter than a nodule), and
 * its solid components. A solid component is judged against the solid tissue alone: the rind's ground glass
 * around a solid nodule is lung to it, not tissue it is part of (as splitGroundGlass judges ground glass
 * against ground glass); where the nodule meets the rind without a neck in density (a solid nodule on a
 * hazy dome) only that comes apart. Not against the mediastinum: the hilar vessels there are dense tissue
 * too, and their pieces would compete with the lesions.
 */
function splitFromWallRind(x: Search, found: Found[], minVoxels: number): Found[] {
  const againstWall = (o: Found): boolean => o.cand.lesionLikelihood < SPLIT_BELOW_LIKELIHOOD && (o.cand.wall === 'diaphragm' || o.cand.wall === 'chest wall');
  const solidOnes = new Set<Int32Array>();
  let sx: Search | undefined;
  const solidSearch = (): Search => (sx ??= searchOn(x, denseOf(x, true)));
  const piecesOf = (o: Found): Int32Array[] => {
    const solid = solidPieces(x, o.vox);
    for (const p of solid) solidOnes.add(p);
    return [...densityPieces(x, o.vox), ...solid];
  };
  // a solid component narrower than MIN_SOLID_PIECE_MM is the rind's own dense speckle (most are one to four voxels)
  const minSolid = Math.max(minVoxels, Math.ceil(((Math.PI / 6) * MIN_SOLID_PIECE_MM ** 3) / (x.g.spacing[0] * x.g.spacing[1] * x.g.spacing[2])));
  const describePiece = (vox: Int32Array, o: Found): Candidate | null => {
    const solid = solidOnes.has(vox);
    return vox.length >= (solid ? minSolid : minVoxels) ? describe(solid ? solidSearch() : x, vox, o.cand.scale) : null;
  };
  return giveWayToPieces(found, againstWall, piecesOf, describePiece, MIN_PIECE_LIKELIHOOD);
}

/** The face-connected components of the solid voxels (grid HU over SOLID_HU) of `vox`, each in raster order; none when it is all solid or all ground glass. */
function solidPieces(x: Search, vox: Int32Array): Int32Array[] {
  const { crop, g } = x;
  const solid = ++x.stamps.last;
  let n = 0;
  for (const i of vox) if (g.hu[x.full(i)] > SOLID_HU) { x.stamp[i] = solid; n++; }
  if (!n || n === vox.length) return [];
  const taken = ++x.stamps.last;
  const cp = crop.rows * crop.columns;
  const out: Int32Array[] = [];
  for (const seed of vox) {
    if (x.stamp[seed] !== solid) continue;
    x.stamp[seed] = taken;
    const comp = [seed];
    for (let k = 0; k < comp.length; k++) {
      const i = comp[k], s = (i / cp) | 0, rem = i - s * cp, r = (rem / crop.columns) | 0;
      for (let d = 0; d < 6; d++) {
        const j = faceNeighbour(i, s, r, rem - r * crop.columns, d, crop);
        if (j >= 0 && x.stamp[j] === solid) { x.stamp[j] = taken; comp.push(j); }
      }
    }
    out.push(Int32Array.from(comp).sort());
  }
  return out;
}

/**
 * Takes contrast-filled vessels out of the dense mask, in place, and returns what it took (crop voxels): a
 * lesion pressed against an enhanced vessel at a hilum or the mediastinum touches it only through blood,
 * so the search finds it on its own instead of as one piece with the vessel (or not at all, rejected
 * whole as a tube), and it is measured without the vessel. A piece of that density shaped as a
 * calcified nodule stays.
 */
function takeOutEnhancedBlood(dense: Uint8Array, g: Grid, crop: Crop, full: (i: number) => number): Uint8Array {
  const blood = new Uint8Array(dense.length);
  for (let i = 0; i < dense.length; i++) if (dense[i] && g.hu[full(i)] > ENHANCED_BLOOD_HU) blood[i] = 1;
  const comps = componentRuns(blood, crop);
  const { start, members } = componentMembers(comps, crop);
  for (let id = 1; id <= comps.count; id++) {
    const vox = members.subarray(start[id], start[id + 1]);
    const calcified = calcifiedNodule(crop, vox, g.spacing);
    for (const i of vox) {
      if (calcified) blood[i] = 0;
      else dense[i] = 0;
    }
  }
  return blood;
}

/**
 * Whether a piece of blood or calcium density is shaped as a calcified nodule: at least two pixels each
 * way in the plane and a reportable size, filling its ellipsoid, and round in the plane (thick slices do
 * not resolve its depth). A vessel is a tube, or a pixel or two where it crosses the slice.
 */
function calcifiedNodule(crop: Crop, vox: Int32Array, spacing: [number, number, number]): boolean {
  const m = momentsOf(crop, vox);
  const e = ellipsoidOf(m, spacing);
  const diameter = Math.cbrt((6 * e.volumeMm3) / Math.PI);
  if (diameter < MIN_DIAMETER_MM || diameter > MAX_CALCIFIED_MM || e.fill < CALCIFIED_MIN_FILL) return false;
  const cp = crop.rows * crop.columns;
  let r0 = Infinity, r1 = -Infinity, c0 = Infinity, c1 = -Infinity;
  for (const i of vox) {
    const rem = i % cp, r = (rem / crop.columns) | 0, c = rem - r * crop.columns;
    if (r < r0) r0 = r;
    if (r > r1) r1 = r;
    if (c < c0) c0 = c;
    if (c > c1) c1 = c;
  }
  if (r1 === r0 || c1 === c0) return false;
  // the in-plane covariance (mm², each pixel a square) and its eigenvalues
  const [, sy, sx] = spacing;
  const n = m.n, mr = m.r / n, mc = m.c / n;
  const a = (m.rr / n - mr * mr + 1 / 12) * sy * sy, b = (m.cc / n - mc * mc + 1 / 12) * sx * sx, h = (m.rc / n - mr * mc) * sy * sx;
  const half = Math.sqrt(((a - b) / 2) ** 2 + h * h);
  return Math.sqrt(Math.max(0, (a + b) / 2 - half) / ((a + b) / 2 + half)) >= CALCIFIED_MIN_ROUNDNESS;
}

/** Pieces at least this wide (equivalent diameter, mm) may be joined: the fragments of a mass, not of the vessel tree. */
const JOIN_MIN_DIAMETER_MM = 8;
/** A union must fill at least this share of its moments' ellipsoid: two tubes meeting at an angle are rounder, not fuller. */
const JOIN_MIN_FILL = 0.5;

/**
 * Touching pieces whose union is rounder than each of them are one lesion that the openings cut apart
 * (where a ball of one scale did not fit the whole of it: how a mass breaks up depends on the slice
 * thickness, not on the mass). Greedily, the pair whose union gains most in roundness first; each union
 * is described anew and replaces its pieces. Pieces of a vessel tree or a wall do not join: a branch
 * or a strip added to anything makes it less round.
 */
function joinRounderPieces(x: Search, found: Found[]): Found[] {
  const { crop, g } = x;
  const eligible = found.map((o) => o.cand.equivalentDiameterMm >= JOIN_MIN_DIAMETER_MM);
  const touching = touchingPieces(crop, found, (k) => eligible[k]);
  // group of each piece (union-find), with the group's moments and neighbours
  const parent = found.map((_, k) => k);
  const root = (k: number): number => { while (parent[k] !== k) { parent[k] = parent[parent[k]]; k = parent[k]; } return k; };
  const moments = new Map<number, Moments>();
  const sphericity = new Map<number, number>();
  const next = new Map<number, Set<number>>();
  found.forEach((o, k) => {
    if (!eligible[k]) return;
    moments.set(k, momentsOf(crop, o.vox));
    sphericity.set(k, o.cand.sphericity);
    next.set(k, touching[k]);
  });
  const maxVolume = ((Math.PI / 6) * MAX_DIAMETER_MM ** 3) / (g.spacing[0] * g.spacing[1] * g.spacing[2]);
  for (;;) {
    let best: { a: number; b: number; gain: number; m: Moments; sph: number } | null = null;
    for (const [a, ns] of next) {
      for (const b of ns) {
        if (b <= a) continue;
        const m = sumMoments(moments.get(a)!, moments.get(b)!);
        if (m.n > maxVolume) continue;
        const e = ellipsoidOf(m, g.spacing);
        const gain = e.sphericity - Math.max(sphericity.get(a)!, sphericity.get(b)!);
        if (gain > 0 && e.fill >= JOIN_MIN_FILL && (!best || gain > best.gain)) best = { a, b, gain, m, sph: e.sphericity };
      }
    }
    if (!best) break;
    const { a, b } = best;
    parent[b] = a;
    moments.set(a, best.m);
    sphericity.set(a, best.sph);
    for (const j of next.get(b)!) next.get(a)!.add(j);
    next.delete(b); moments.delete(b); sphericity.delete(b);
    for (const ns of next.values()) if (ns.delete(b)) ns.add(a);
    next.get(a)!.delete(a);
  }
  const members = new Map<number, number[]>();
  found.forEach((_, k) => { const r = root(k); const l = members.get(r); if (l) l.push(k); else members.set(r, [k]); });
  const out: Found[] = [];
  for (const ks of members.values()) {
    if (ks.length === 1) { out.push(found[ks[0]]); continue; }
    const vox = new Int32Array(ks.reduce((n, k) => n + found[k].vox.length, 0));
    let at = 0;
    for (const k of ks) { vox.set(found[k].vox, at); at += found[k].vox.length; }
    const cand = describe(x, vox, Math.max(...ks.map((k) => found[k].cand.scale)));
    if (cand) out.push({ cand, vox });
    else for (const k of ks) out.push(found[k]);
  }
  return out;
}

/** Per piece, the pieces (indices into `found`) whose voxels touch its own (face neighbours); only among those `included`. */
function touchingPieces(crop: Crop, found: ReadonlyArray<{ vox: Int32Array }>, included: (k: number) => boolean = () => true): Array<Set<number>> {
  const cp = crop.rows * crop.columns;
  const owner = new Map<number, number>();
  found.forEach((o, k) => { if (included(k)) for (const i of o.vox) owner.set(i, k); });
  return found.map((o, k) => {
    const touching = new Set<number>();
    if (!included(k)) return touching;
    for (const i of o.vox) {
      const s = (i / cp) | 0, rem = i - s * cp, r = (rem / crop.columns) | 0, c = rem - r * crop.columns;
      for (let d = 0; d < 6; d++) {
        const q = faceNeighbour(i, s, r, c, d, crop);
        const j = q >= 0 ? owner.get(q) : undefined;
        if (j !== undefined && j !== k) touching.add(j);
      }
    }
    return touching;
  });
}

/** Candidates whose voxels touch: pieces that may be one lesion, for the fusion to weigh together. */
function markTouching(crop: Crop, found: Found[]): void {
  const touching = touchingPieces(crop, found);
  found.forEach((o, k) => (o.cand.touching = [...touching[k]].map((j) => found[j].cand.id).sort((a, b) => a - b)));
}

/**
 * The opened component plus the dense voxels within `reachMm` of it that no other candidate owns: the
 * rim, lobules and spicule bases the ball could not enter, so the lesion is whole and finer scales do
 * not find its rim again as a separate candidate.
 */
function reclaimRim(x: Search, core: Int32Array, claimed: Uint8Array, reachMm: number): Int32Array {
  const { crop } = x;
  const cp = crop.rows * crop.columns;
  const stamp = ++x.stamps.last;
  const out: number[] = [];
  for (const i of core) { x.stamp[i] = stamp; out.push(i); }
  const steps = Math.max(1, Math.round(reachMm / Math.min(x.g.spacing[1], x.g.spacing[2])));
  let from = 0;
  for (let step = 0; step < steps; step++) {
    const to = out.length;
    // through-plane only at the first steps: slices are thicker than pixels
    const throughPlane = step * Math.min(x.g.spacing[1], x.g.spacing[2]) < x.g.spacing[0];
    for (let k = from; k < to; k++) {
      const p = out[k];
      const s = (p / cp) | 0, rem = p - s * cp, r = (rem / crop.columns) | 0, c = rem - r * crop.columns;
      for (let d = 0; d < (throughPlane ? 6 : 4); d++) {
        const q = faceNeighbour(p, s, r, c, d, crop);
        if (q < 0 || x.stamp[q] === stamp || !x.dense[q] || claimed[q]) continue;
        x.stamp[q] = stamp;
        out.push(q);
      }
    }
    from = to;
  }
  return Int32Array.from(out);
}

interface Shape {
  /** Centroid in crop voxels. */
  ms: number; mr: number; mc: number;
  sphericity: number;
  fill: number;
  volumeMm3: number;
  equivalentDiameterMm: number;
  /** Radius (mm) of the longest principal axis. */
  rMax: number;
  perSlice: Map<number, SliceBox>;
  left: number;
  right: number;
}

/** Raw first and second moments of a voxel set (crop voxel units): additive, so a union's shape is known before it is formed. */
interface Moments { n: number; s: number; r: number; c: number; ss: number; rr: number; cc: number; sr: number; sc: number; rc: number }

function momentsOf(crop: Crop, vox: Int32Array): Moments {
  const cp = crop.rows * crop.columns;
  const m: Moments = { n: vox.length, s: 0, r: 0, c: 0, ss: 0, rr: 0, cc: 0, sr: 0, sc: 0, rc: 0 };
  for (const i of vox) {
    const s = (i / cp) | 0, rem = i - s * cp, r = (rem / crop.columns) | 0, c = rem - r * crop.columns;
    m.s += s; m.r += r; m.c += c;
    m.ss += s * s; m.rr += r * r; m.cc += c * c; m.sr += s * r; m.sc += s * c; m.rc += r * c;
  }
  return m;
}

function sumMoments(a: Moments, b: Moments): Moments {
  return { n: a.n + b.n, s: a.s + b.s, r: a.r + b.r, c: a.c + b.c, ss: a.ss + b.ss, rr: a.rr + b.rr, cc: a.cc + b.cc, sr: a.sr + b.sr, sc: a.sc + b.sc, rc: a.rc + b.rc };
}

/** The ellipsoid of a voxel set's moments: how round it is (shortest over longest axis), how much of that ellipsoid it fills. */
function ellipsoidOf(m: Moments, spacing: [number, number, number]): { sphericity: number; fill: number; volumeMm3: number; rMax: number } {
  const [sz, sy, sx] = spacing;
  const N = m.n;
  const ms = m.s / N, mr = m.r / N, mc = m.c / N;
  // each voxel is a box, not a point: add its own variance so small objects are not called flat
  const [l1, l2, l3] = symmetricEigenvalues3(
    (m.ss / N - ms * ms + 1 / 12) * sz * sz, (m.rr / N - mr * mr + 1 / 12) * sy * sy, (m.cc / N - mc * mc + 1 / 12) * sx * sx,
    (m.sr / N - ms * mr) * sz * sy, (m.sc / N - ms * mc) * sz * sx, (m.rc / N - mr * mc) * sy * sx,
  );
  const volumeMm3 = N * sz * sy * sx;
  const ellipsoid = (4 / 3) * Math.PI * Math.sqrt(125 * Math.max(l1, 1e-9) * Math.max(l2, 1e-9) * Math.max(l3, 1e-9));
  return { sphericity: Math.sqrt(Math.max(l3, 0) / Math.max(l1, 1e-9)), fill: Math.min(1, volumeMm3 / ellipsoid), volumeMm3, rMax: Math.sqrt(5 * Math.max(l1, 0)) };
}

function shapeOf(x: Search, vox: Int32Array): Shape {
  const { crop, m } = x;
  const cp = crop.rows * crop.columns;
  let left = 0, right = 0;
  const perSlice: Shape['perSlice'] = new Map();
  for (const i of vox) {
    const s = (i / cp) | 0, rem = i - s * cp, r = (rem / crop.columns) | 0, c = rem - r * crop.columns;
    addToSliceBoxes(perSlice, s, r, c);
    const side = m.lung[x.full(i)];
    if (side === 2) left++; else if (side === 1) right++;
  }
  const mo = momentsOf(crop, vox);
  const e = ellipsoidOf(mo, x.g.spacing);
  return {
    ms: mo.s / mo.n, mr: mo.r / mo.n, mc: mo.c / mo.n, left, right, perSlice,
    volumeMm3: e.volumeMm3, sphericity: e.sphericity, fill: e.fill, rMax: e.rMax,
    equivalentDiameterMm: Math.cbrt((6 * e.volumeMm3) / Math.PI),
  };
}

/** Faces of the candidate: against aerated lung, other dense lung tissue, or the wall (anything not aerated lung). */
interface Surface {
  /** Share of faces onto lung that touch other dense tissue in the aerated lung (vessels). */
  attachment: number;
  /** Share of all faces against the wall. */
  wallContact: number;
  wall: Wall | null;
  /** Share of its voxels outside the aerated lung. */
  bulgeFraction: number;
  /** How far it reaches from the wall into the lung (mm, through itself); Infinity when it touches no wall. */
  protrusionMm: number;
}

function surfaceOf(x: Search, vox: Int32Array, stamp: number): Surface {
  const { crop, g } = x;
  const cp = crop.rows * crop.columns;
  const plane = g.rows * g.columns;
  let attached = 0, free = 0, wallFaces = 0, faces = 0, bulge = 0;
  const byWall: Record<Wall, number> = { 'chest wall': 0, mediastinum: 0, diaphragm: 0 };
  const onWall: number[] = [];
  for (const p of vox) {
    if (!x.aerated[p]) bulge++;
    const gp = x.full(p);
    let touches = false;
    for (const d of [1, -1, g.columns, -g.columns, plane, -plane]) {
      const q = gp + d;
      if (q < 0 || q >= g.hu.length) continue;
      const s = ((q / plane) | 0) - crop.s0, rem = q % plane, r = ((rem / g.columns) | 0) - crop.r0, c = (rem % g.columns) - crop.c0;
      const inCrop = s >= 0 && r >= 0 && c >= 0 && s < crop.slices && r < crop.rows && c < crop.columns;
      const cq = inCrop ? s * cp + r * crop.columns + c : -1;
      if (cq >= 0 && x.stamp[cq] === stamp) continue;
      faces++;
      if (cq >= 0 && x.aerated[cq]) {
        if (x.dense[cq]) attached++;
        else free++;
        continue;
      }
      // not aerated lung: the wall this lesion presses on, whatever tissue of it
      const k = x.walls[q];
      if (k === Compartment.Outside || k === Compartment.Airway || k === Compartment.Lung) continue;
      wallFaces++;
      touches = true;
      if (k === Compartment.Abdomen) byWall.diaphragm++;
      else if (k === Compartment.Mediastinum || k === Compartment.Heart) byWall.mediastinum++;
      else byWall['chest wall']++;
    }
    if (touches) onWall.push(p);
  }
  const wallContact = faces ? wallFaces / faces : 0;
  let wall: Wall | null = null;
  if (wallContact > 0.02) {
    wall = 'chest wall';
    for (const k of ['mediastinum', 'diaphragm'] as Wall[]) if (byWall[k] > byWall[wall]) wall = k;
  }
  return {
    attachment: attached + free > 0 ? attached / (attached + free) : 0,
    wallContact,
    wall,
    bulgeFraction: bulge / vox.length,
    protrusionMm: onWall.length ? depthFrom(x, onWall, vox.length, stamp) : Infinity,
  };
}

/** Largest distance (mm) from the seed voxels through the candidate (6-connected shortest paths), at least one voxel. */
function depthFrom(x: Search, seeds: number[], size: number, stamp: number): number {
  const { crop, g } = x;
  const cp = crop.rows * crop.columns;
  const [sz, sy, sx] = g.spacing;
  const dist = new Map<number, number>();
  // Dijkstra over few distinct step lengths: a bucketed queue at 0.1 mm is exact enough
  const buckets: number[][] = [];
  const push = (p: number, d: number): void => {
    const old = dist.get(p);
    if (old !== undefined && old <= d) return;
    dist.set(p, d);
    const b = Math.round(d * 10);
    (buckets[b] ??= []).push(p);
  };
  for (const p of seeds) push(p, Math.min(sy, sx) / 2);
  let far = 0;
  for (let b = 0; b < buckets.length && dist.size <= size; b++) {
    const list = buckets[b];
    if (!list) continue;
    for (const p of list) {
      const d = dist.get(p)!;
      if (Math.round(d * 10) !== b) continue;
      if (d > far) far = d;
      const s = (p / cp) | 0, rem = p - s * cp, r = (rem / crop.columns) | 0, c = rem - r * crop.columns;
      if (c > 0 && x.stamp[p - 1] === stamp) push(p - 1, d + sx);
      if (c < crop.columns - 1 && x.stamp[p + 1] === stamp) push(p + 1, d + sx);
      if (r > 0 && x.stamp[p - crop.columns] === stamp) push(p - crop.columns, d + sy);
      if (r < crop.rows - 1 && x.stamp[p + crop.columns] === stamp) push(p + crop.columns, d + sy);
      if (s > 0 && x.stamp[p - cp] === stamp) push(p - cp, d + sz);
      if (s < crop.slices - 1 && x.stamp[p + cp] === stamp) push(p + cp, d + sz);
    }
  }
  return far;
}

/**
 * Dense aerated-lung voxels connected to the candidate within a sphere around it, over the candidate's
 * own count minus one (a standalone nodule has little, a vessel piece has the rest of the vessel), and
 * the thickness of that attached tissue beyond the candidate's rim. Only aerated lung counts: the wall a
 * lesion bulges from is not a vessel.
 */
function contextOf(x: Search, vox: Int32Array, stamp: number, centre: [number, number, number], innerRadius: number, radius: number): { excess: number; outerRadius: number } {
  const { crop, g } = x;
  const cp = crop.rows * crop.columns;
  const [sz, sy, sx] = g.spacing;
  const queue: number[] = Array.from(vox);
  const r2 = radius * radius;
  const outer2 = (innerRadius + 2) ** 2;
  const cap = vox.length * (1 + MAX_CONTEXT_EXCESS);
  let head = 0, out2 = 0;
  while (head < queue.length && queue.length < cap) {
    const p = queue[head++];
    const s = (p / cp) | 0, rem = p - s * cp, r = (rem / crop.columns) | 0, c = rem - r * crop.columns;
    for (let k = 0; k < 6; k++) {
      let ns = s, nr = r, nc = c;
      if (k === 0) nc--; else if (k === 1) nc++; else if (k === 2) nr--; else if (k === 3) nr++; else if (k === 4) ns--; else ns++;
      if (ns < 0 || ns >= crop.slices || nr < 0 || nr >= crop.rows || nc < 0 || nc >= crop.columns) continue;
      const np = ns * cp + nr * crop.columns + nc;
      if (!x.dense[np] || !x.aerated[np] || x.stamp[np] === stamp) continue;
      const d2 = ((ns - centre[0]) * sz) ** 2 + ((nr - centre[1]) * sy) ** 2 + ((nc - centre[2]) * sx) ** 2;
      if (d2 > r2) continue;
      x.stamp[np] = stamp;
      if (d2 > outer2 && x.dist2[np] > out2) out2 = x.dist2[np];
      queue.push(np);
    }
  }
  return { excess: Math.min(MAX_CONTEXT_EXCESS, queue.length / vox.length - 1), outerRadius: Math.sqrt(out2) };
}

/** Share of the aerated lung in a shell around the candidate's equivalent sphere that is dense (vessels continue, nodules stand alone). */
function shellOccupancyOf(x: Search, sh: Shape): number {
  const { crop, g } = x;
  const cp = crop.rows * crop.columns;
  const [sz, sy, sx] = g.spacing;
  const rEq = sh.equivalentDiameterMm / 2;
  const inner = 1.25 * rEq + 1, outer = 2 * rEq + 2;
  const es = Math.ceil(outer / sz), er = Math.ceil(outer / sy), ec = Math.ceil(outer / sx);
  let lung = 0, dense = 0;
  for (let ds = -es; ds <= es; ds++) {
    const s = Math.round(sh.ms) + ds;
    if (s < 0 || s >= crop.slices) continue;
    for (let dr = -er; dr <= er; dr++) {
      const r = Math.round(sh.mr) + dr;
      if (r < 0 || r >= crop.rows) continue;
      for (let dc = -ec; dc <= ec; dc++) {
        const c = Math.round(sh.mc) + dc;
        if (c < 0 || c >= crop.columns) continue;
        const d2 = ((s - sh.ms) * sz) ** 2 + ((r - sh.mr) * sy) ** 2 + ((c - sh.mc) * sx) ** 2;
        if (d2 < inner * inner || d2 > outer * outer) continue;
        const i = s * cp + r * crop.columns + c;
        if (!x.aerated[i]) continue;
        lung++;
        if (x.dense[i]) dense++;
      }
    }
  }
  return lung ? dense / lung : 0;
}

function describe(x: Search, vox: Int32Array, radius: number): Candidate | null {
  const { v, g, m, crop } = x;
  const [sy, sx] = [g.spacing[1], g.spacing[2]];
  const sh = shapeOf(x, vox);
  // early out on shape and density alone, before the costlier context search
  let gridSum = 0;
  for (const i of vox) gridSum += g.hu[x.full(i)];
  const gridMeanHU = gridSum / vox.length;
  const base = { equivalentDiameterMm: sh.equivalentDiameterMm, sphericity: sh.sphericity, fill: sh.fill, calcifiedFraction: 0 };
  if (plausibility({ ...base, meanHU: gridMeanHU, shellOccupancy: 0, contextExcess: 0, thicknessRatio: 10 }) < MIN_PLAUSIBILITY) return null;
  const stamp = ++x.stamps.last;
  for (const i of vox) x.stamp[i] = stamp;
  const surface = surfaceOf(x, vox, stamp);
  const context = contextOf(x, vox, stamp, [sh.ms, sh.mr, sh.mc], sh.rMax, sh.equivalentDiameterMm / 2 + Math.max(6, sh.equivalentDiameterMm / 2));
  let in2 = 0;
  for (const i of vox) if (x.dist2[i] > in2) in2 = x.dist2[i];
  // a nodule is thicker than the vessels that touch it; a piece of vessel is as thick as the rest of it
  let thicknessRatio = Math.sqrt(in2) / Math.max(context.outerRadius, Math.min(sy, sx));
  if (plausibility({ ...base, meanHU: gridMeanHU, shellOccupancy: 0, contextExcess: context.excess, thicknessRatio }) < MIN_PLAUSIBILITY) return null;
  const shellOccupancy = context.excess < 3 ? shellOccupancyOf(x, sh) : 1;
  const density = densityOf(v, g, x, vox);
  if (!density) return null;
  // the full-resolution measurements are for what could be a lesion; the rest keeps the grid's
  const detailed = plausibility({ ...base, meanHU: gridMeanHU, shellOccupancy, contextExcess: context.excess, thicknessRatio }) >= DETAIL_PLAUSIBILITY;

  // slices and boxes; the axial measurement on the (up to three) largest grid slices
  const { fz, fy, fx } = g;
  const slicesOut: CandidateSlice[] = [];
  let maxN = 0;
  for (const b of sh.perSlice.values()) maxN = Math.max(maxN, b.n);
  // a volume slice's pixel is the lesion's where it is over the lung's dense cut
  const { denseHU } = x;
  for (const [s, b] of sh.perSlice) {
    const box: [number, number, number, number] = [(b.c0 + crop.c0) * fx, (b.r0 + crop.r0) * fy, Math.min(v.columns - 1, (b.c1 + crop.c0 + 1) * fx - 1), Math.min(v.rows - 1, (b.r1 + crop.r0 + 1) * fy - 1)];
    slicesOut.push(...volumeSlicesOf(v, (s + crop.s0) * fz, fz, box, b.n * fx * fy, b.n / maxN, (hu) => hu > denseHU));
  }
  slicesOut.sort((a, b) => a.index - b.index);
  const measured = detailed ? measureLargest(x, vox, sh) : null;
  const fallback = { longMm: sh.equivalentDiameterMm, shortMm: sh.equivalentDiameterMm };
  const axes = measured ?? fallback;
  // tighten the box of the measured slice to the grown lesion
  if (measured) for (const sl of slicesOut) if (sl.index === measured.slice) sl.box = measured.box;

  // the grid's distances are too coarse to compare a small nodule with the vessel beside it
  if (detailed && thicknessRatio < 2.2 && sh.equivalentDiameterMm < 14) {
    const fine = fullResThickness(x, vox, Math.max(density.medianHU, GGO_HU));
    if (fine !== null) thicknessRatio = fine;
  }

  const streakSourceMm = density.solidCoreHU < SOLID_HU ? nearestStreakSource(v, slicesOut, g, x.walls) : undefined;
  const gsC = sh.ms + crop.s0, grC = sh.mr + crop.r0, gcC = sh.mc + crop.c0;
  const centroidMm = gridToPatient(g, gsC, grC, gcC);
  const side: LungSide = sh.left >= sh.right ? 'left' : 'right';
  const position = positionInLung(g, m, side, centroidMm, gsC);
  const hilum = hilarAxis(m, side);
  const hilumDistanceMm = hilum ? Math.max(0, distanceToSegment(centroidMm, hilum[0], hilum[1]) - axes.longMm / 2) : undefined;

  const cand: Candidate = {
    id: 0,
    kind: 'lesion',
    scale: radius,
    volumeMm3: sh.volumeMm3,
    diameterMm: axes.longMm,
    shortAxisMm: axes.shortMm,
    equivalentDiameterMm: sh.equivalentDiameterMm,
    centroidMm,
    centroidPx: { slice: gsC * fz + (fz - 1) / 2, row: (grC + 0.5) * fy - 0.5, column: (gcC + 0.5) * fx - 0.5 },
    meanHU: density.meanHU,
    coreHU: density.coreHU,
    solidCoreHU: density.solidCoreHU,
    solidFraction: density.solid,
    groundGlassFraction: density.groundGlass,
    calcifiedFraction: density.calcified,
    sphericity: sh.sphericity,
    fill: sh.fill,
    shellOccupancy,
    contextExcess: context.excess,
    attachment: surface.attachment,
    thicknessRatio,
    bulgeFraction: surface.bulgeFraction,
    protrusionMm: surface.protrusionMm,
    wallContact: surface.wallContact,
    wall: surface.wall,
    hilumDistanceMm,
    ...(streakSourceMm !== undefined ? { streakSourceMm } : {}),
    marginIrregularity: measured?.irregularity ?? 0,
    side,
    ...position,
    touching: [],
    slices: slicesOut,
    lesionLikelihood: 0,
  };
  cand.lesionLikelihood = lesionLikelihood(cand);
  return cand;
}

/**
 * The in-plane distance (mm) from a candidate's box to the nearest streak source within STREAK_REACH_MM, on the
 * middle full-resolution slice of each of its grid slices; undefined when there is none.
 */
function nearestStreakSource(v: Volume, slices: readonly CandidateSlice[], g: Grid, walls: Uint8Array): number | undefined {
  const [rowMm, colMm] = v.pixelSpacing;
  const reachR = Math.ceil(STREAK_REACH_MM / rowMm), reachC = Math.ceil(STREAK_REACH_MM / colMm);
  let best = Infinity;
  for (const sl of slices) {
    if (sl.index !== middleVolumeSlice(g, v.slices, Math.floor(sl.index / g.fz))) continue;
    const [x0, y0, x1, y1] = sl.box;
    const gridSlice = Math.floor(sl.index / g.fz) * g.rows;
    for (let r = Math.max(0, y0 - reachR); r <= Math.min(v.rows - 1, y1 + reachR); r++) {
      const dy = (r < y0 ? y0 - r : r > y1 ? r - y1 : 0) * rowMm;
      const base = (sl.index * v.rows + r) * v.columns;
      const gridRow = (gridSlice + Math.floor(r / g.fy)) * g.columns;
      for (let c = Math.max(0, x0 - reachC); c <= Math.min(v.columns - 1, x1 + reachC); c++) {
        if (v.hu[base + c] <= STREAK_SOURCE_HU) continue;
        const k = walls[gridRow + Math.floor(c / g.fx)];
        if (k !== Compartment.Mediastinum && k !== Compartment.Heart) continue;
        const dx = (c < x0 ? x0 - c : c > x1 ? c - x1 : 0) * colMm;
        const d = Math.hypot(dx, dy);
        if (d < best) best = d;
      }
    }
  }
  return best <= STREAK_REACH_MM ? best : undefined;
}

/**
 * A hilum is not a point: its vessels run from the pulmonary artery, at about the carina's height, down
 * past where the main bronchus divides. Its axis: from that division up to 10 mm above the carina.
 */
function hilarAxis(m: LungMasks, side: LungSide): [Vec3, Vec3] | undefined {
  const end = m.airway.hila[side];
  if (!end) return undefined;
  const top = m.airway.carinaZ !== undefined ? Math.max(end[2], m.airway.carinaZ + 10) : end[2];
  return [end, [end[0], end[1], top]];
}

function distanceToSegment(p: Vec3, a: Vec3, b: Vec3): number {
  const ab = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
  const len2 = ab[0] ** 2 + ab[1] ** 2 + ab[2] ** 2;
  const t = len2 ? Math.max(0, Math.min(1, ((p[0] - a[0]) * ab[0] + (p[1] - a[1]) * ab[1] + (p[2] - a[2]) * ab[2]) / len2)) : 0;
  return Math.hypot(p[0] - a[0] - t * ab[0], p[1] - a[1] - t * ab[1], p[2] - a[2] - t * ab[2]);
}

/**
 * Density of the candidate at full resolution: mean, core (densest tenth), solid core (solidCoreHU),
 * median, and the share per density class.
 */
function densityOf(v: Volume, g: Grid, x: Search, vox: Int32Array): { meanHU: number; coreHU: number; solidCoreHU: number; medianHU: number; solid: number; groundGlass: number; calcified: number } | null {
  const plane = g.rows * g.columns;
  const { fz, fy, fx } = g;
  const values = new Float32Array(vox.length * fz * fy * fx);
  // the same pixels by slice, each as row * columns + column, for the solid core: on the middle slice of each grid
  // slice only (thin slices a grid slice apart sample the core as well, at a fraction of the openings)
  const bySlice = new Map<number, number[]>();
  // and those of its voxels away from the wall: a wall's partial volume is not a solid component (read on them
  // when they are a third of its pixels or more, as they are unless it is a sliver along the wall)
  const awayBySlice = new Map<number, number[]>();
  let sampled = 0, away = 0;
  let cnt = 0, sum = 0, solid = 0, gg = 0, calc = 0;
  for (const i of vox) {
    const p = x.full(i);
    const gs = (p / plane) | 0, rem = p - gs * plane, gr = (rem / g.columns) | 0, gc = rem - gr * g.columns;
    const middle = middleVolumeSlice(g, v.slices, gs);
    const atWall = besideWall(x.m.lung, g, gs, gr, gc);
    for (let s = gs * fz; s < Math.min(v.slices, gs * fz + fz); s++) {
      let pixels: number[] | undefined;
      if (s === middle && !(pixels = bySlice.get(s))) bySlice.set(s, (pixels = []));
      let awayPixels: number[] | undefined;
      if (s === middle && !atWall && !(awayPixels = awayBySlice.get(s))) awayBySlice.set(s, (awayPixels = []));
      for (let r = gr * fy; r < Math.min(v.rows, gr * fy + fy); r++) {
        const base = (s * v.rows + r) * v.columns;
        for (let c = gc * fx; c < Math.min(v.columns, gc * fx + fx); c++) {
          const hu = v.hu[base + c];
          values[cnt++] = hu;
          if (pixels) { pixels.push(r * v.columns + c); sampled++; }
          if (awayPixels) { awayPixels.push(r * v.columns + c); away++; }
          sum += hu;
          if (hu > CALCIFIED_HU) calc++;
          if (hu > SOLID_HU) solid++;
          else if (hu > GGO_HU) gg++;
        }
      }
    }
  }
  if (!cnt) return null;
  const sorted = values.subarray(0, cnt).sort();
  const coreHU = densestTenthMean(sorted), medianHU = sorted[cnt >> 1];
  return {
    meanHU: sum / cnt,
    coreHU,
    // the values are read: their room takes the opened ones
    solidCoreHU: solidCoreHU(v, 3 * away >= sampled ? awayBySlice : bySlice, values),
    medianHU,
    solid: solid / cnt,
    groundGlass: gg / cnt,
    calcified: calc / cnt,
  };
}

/** Whether grid voxel (s, r, c) touches, in its plane, a voxel outside the lung (chest wall, mediastinum, diaphragm). */
function besideWall(lung: Uint8Array, g: Grid, s: number, r: number, c: number): boolean {
  const o = s * g.rows * g.columns;
  for (let dr = -1; dr <= 1; dr++)
    for (let dc = -1; dc <= 1; dc++) {
      const rr = r + dr, cc = c + dc;
      if (rr < 0 || cc < 0 || rr >= g.rows || cc >= g.columns || !lung[o + rr * g.columns + cc]) return true;
    }
  return false;
}

/** The mean of the densest tenth of ascending values. */
function densestTenthMean(sorted: Float32Array): number {
  const q9 = Math.floor(sorted.length * 0.9);
  let sum = 0;
  for (let k = q9; k < sorted.length; k++) sum += sorted[k];
  return sum / Math.max(1, sorted.length - q9);
}

/**
 * A solid component spans at least this much of the plane (mm): brighter structures narrower than it (a
 * vessel crossing ground glass, pixel noise) are opened away before the core is read.
 */
const SOLID_COMPONENT_MM = 2;

/**
 * The candidate's core as a reader judges its texture: the mean of its densest tenth after a grey opening
 * in the plane (a minimum, then a maximum, over a square about SOLID_COMPONENT_MM wide). A solid component
 * that wide keeps its density; a vessel running through ground glass, or a few noisy pixels, does not
 * make the lesion solid as it makes its raw core (`coreHU`) dense. `bySlice`: its pixels per slice (row *
 * columns + column); `out`: room for one value per pixel.
 */
function solidCoreHU(v: Volume, bySlice: ReadonlyMap<number, number[]>, out: Float32Array): number {
  const R = v.rows, C = v.columns;
  const h = Math.max(1, Math.floor(SOLID_COMPONENT_MM / 2 / Math.min(v.pixelSpacing[0], v.pixelSpacing[1])));
  let n = 0;
  for (const [s, pixels] of bySlice) {
    let r0 = R, r1 = -1, c0 = C, c1 = -1;
    for (const q of pixels) {
      const r = (q / C) | 0, c = q - r * C;
      if (r < r0) r0 = r;
      if (r > r1) r1 = r;
      if (c < c0) c0 = c;
      if (c > c1) c1 = c;
    }
    // the window's reach twice over: the maximum at a pixel reads minima up to h away, each reading pixels up to h further
    r0 = Math.max(0, r0 - 2 * h); r1 = Math.min(R - 1, r1 + 2 * h);
    c0 = Math.max(0, c0 - 2 * h); c1 = Math.min(C - 1, c1 + 2 * h);
    const w = c1 - c0 + 1, ht = r1 - r0 + 1;
    const a = new Float32Array(w * ht);
    for (let r = 0; r < ht; r++) a.set(v.hu.subarray((s * R + r + r0) * C + c0, (s * R + r + r0) * C + c1 + 1), r * w);
    const open = greyOpening2D(a, w, ht, h);
    for (const q of pixels) {
      const r = (q / C) | 0, c = q - r * C;
      out[n++] = open[(r - r0) * w + c - c0];
    }
  }
  return densestTenthMean(out.subarray(0, n).sort());
}

/**
 * The axial measurement on the candidate's largest grid slices (up to three): the one with the longest
 * diameter. Each slice is trimmed as the thickest of them is, so the longest is not merely the slice
 * where a vessel fused with a small nodule was thick enough to stay.
 */
function measureLargest(x: Search, vox: Int32Array, sh: Shape): (AxialMeasure & { slice: number }) | null {
  const order = [...sh.perSlice.entries()].sort((a, b) => b[1].n - a[1].n).slice(0, 3).map(([s]) => s);
  const grown = order.map((s) => growGridSlice(x, vox, sh, s));
  const thickestMm = Math.max(0, ...grown.map((g) => g?.innerMm ?? 0));
  let best: (AxialMeasure & { slice: number }) | null = null;
  for (const g of grown) {
    const a = g && measureGrown(g, thickestMm);
    if (a && (!best || a.longMm > best.longMm)) best = { ...a, slice: g.slice };
  }
  return best;
}

/** The candidate grown on one grid slice (on the full-resolution slice at its middle). */
function growGridSlice(x: Search, vox: Int32Array, sh: Shape, s: number): (AxialGrowth & { slice: number }) | null {
  const { v, g, m, crop } = x;
  const cp = crop.rows * crop.columns;
  const { fy, fx } = g;
  const fullSlice = middleVolumeSlice(g, v.slices, s + crop.s0);
  const footprint: number[] = [];
  for (const i of vox) {
    if (((i / cp) | 0) !== s) continue;
    const rem = i % cp;
    const gr = ((rem / crop.columns) | 0) + crop.r0, gc = (rem % crop.columns) + crop.c0;
    for (let r = gr * fy; r < Math.min(v.rows, gr * fy + fy); r++)
      for (let c = gc * fx; c < Math.min(v.columns, gc * fx + fx); c++) footprint.push(r * v.columns + c);
  }
  const gs = s + crop.s0;
  // within the lung field, and never into an enhanced vessel it touches
  const allowed = (r: number, c: number): boolean => {
    const gr = (r / fy) | 0, gc = (c / fx) | 0;
    if (m.lung[(gs * g.rows + gr) * g.columns + gc] === 0) return false;
    const cr = gr - crop.r0, cc = gc - crop.c0;
    return cr < 0 || cr >= crop.rows || cc < 0 || cc >= crop.columns || !x.blood[s * cp + cr * crop.columns + cc];
  };
  const a = growAxial(v, { slice: fullSlice, footprint, allowed, sizeMm: sh.equivalentDiameterMm });
  return a && { ...a, slice: fullSlice };
}

/** What lies this close to a candidate (mm) is the candidate's own edge, not tissue attached to it. */
const FOOT_REACH_MM = 2;

/**
 * 1 where a voxel of the box lies within `reachMm` of the footprint (the voxels where `notFoot` is 0): the
 * balls around the footprint's border voxels (an outside voxel's nearest footprint voxel is on the border).
 */
function withinOfFoot(notFoot: Uint8Array, d: number, h: number, w: number, spacing: [number, number, number], reachMm: number): Uint8Array {
  const ball = ballOffsets(reachMm, spacing);
  const pl = h * w;
  const near = new Uint8Array(notFoot.length);
  for (let s = 0, q = 0; s < d; s++)
    for (let r = 0; r < h; r++)
      for (let c = 0; c < w; c++, q++) {
        if (notFoot[q]) continue;
        near[q] = 1;
        const inner = s > 0 && s < d - 1 && r > 0 && r < h - 1 && c > 0 && c < w - 1 &&
          !notFoot[q - 1] && !notFoot[q + 1] && !notFoot[q - w] && !notFoot[q + w] && !notFoot[q - pl] && !notFoot[q + pl];
        if (inner) continue;
        for (let k = 0; k < ball.length; k += 3) {
          const S = s + ball[k], R = r + ball[k + 1], C = c + ball[k + 2];
          if (S >= 0 && S < d && R >= 0 && R < h && C >= 0 && C < w) near[(S * h + R) * w + C] = 1;
        }
      }
  return near;
}

/**
 * Thickness ratio at full resolution, in a box around the candidate: its largest inner radius (distance
 * transform of the FWHM mask, slice spacing included) over the largest radius of the aerated-lung
 * tissue connected to it more than FOOT_REACH_MM beyond it. A wall is not counted: only lung tissue is. Null
 * when nothing of it is above the threshold.
 */
function fullResThickness(x: Search, vox: Int32Array, bulkHU: number): number | null {
  const { v, g, crop, m } = x;
  const cp = crop.rows * crop.columns;
  const { fy, fx } = g;
  const [py, px] = v.pixelSpacing;
  // full resolution in the plane; along the slices one slice per grid slice (its middle one): thin slices a grid
  // slice apart show the same thickness, at a fraction of the cost
  const zs = g.spacing[0];
  let s0 = Infinity, s1 = -1, r0 = Infinity, r1 = -1, c0 = Infinity, c1 = -1;
  for (const i of vox) {
    const gs = ((i / cp) | 0) + crop.s0;
    const rem = i % cp;
    const gr = ((rem / crop.columns) | 0) + crop.r0, gc = (rem % crop.columns) + crop.c0;
    s0 = Math.min(s0, gs); s1 = Math.max(s1, gs);
    r0 = Math.min(r0, gr * fy); r1 = Math.max(r1, gr * fy + fy - 1);
    c0 = Math.min(c0, gc * fx); c1 = Math.max(c1, gc * fx + fx - 1);
  }
  if (s1 < 0) return null;
  const pad = 6; // mm of context on each side
  const S0 = Math.max(0, s0 - Math.ceil(pad / zs)), S1 = Math.min(g.slices - 1, s1 + Math.ceil(pad / zs));
  const R0 = Math.max(0, r0 - Math.ceil(pad / py)), R1 = Math.min(v.rows - 1, r1 + Math.ceil(pad / py));
  const C0 = Math.max(0, c0 - Math.ceil(pad / px)), C1 = Math.min(v.columns - 1, c1 + Math.ceil(pad / px));
  const d = S1 - S0 + 1, h = R1 - R0 + 1, w = C1 - C0 + 1;
  const n = d * h * w;
  const threshold = (bulkHU + m.parenchymaHU) / 2;
  const notFoot = new Uint8Array(n).fill(1);
  for (const i of vox) {
    const gs = ((i / cp) | 0) + crop.s0;
    const rem = i % cp;
    const gr = ((rem / crop.columns) | 0) + crop.r0, gc = (rem % crop.columns) + crop.c0;
    for (let r = gr * fy; r < Math.min(v.rows, gr * fy + fy); r++)
      for (let c = gc * fx; c < Math.min(v.columns, gc * fx + fx); c++) notFoot[((gs - S0) * h + r - R0) * w + c - C0] = 0;
  }
  const mask = new Uint8Array(n);
  for (let s = 0; s < d; s++)
    for (let r = 0; r < h; r++) {
      const base = (middleVolumeSlice(g, v.slices, s + S0) * v.rows + r + R0) * v.columns + C0;
      const gRow = (s + S0) * g.rows * g.columns + (((r + R0) / fy) | 0) * g.columns;
      const o = (s * h + r) * w;
      for (let c = 0; c < w; c++) {
        const inLung = m.aerated[gRow + (((c + C0) / fx) | 0)] !== 0;
        mask[o + c] = v.hu[base + c] > threshold && (inLung || !notFoot[o + c]) ? 1 : 0;
      }
    }
  const inside = squaredDistanceToBackground(mask, { slices: d, rows: h, columns: w }, [zs, py, px]);
  const nearFoot = withinOfFoot(notFoot, d, h, w, [zs, py, px], FOOT_REACH_MM);
  let in2 = 0;
  for (let q = 0; q < n; q++) if (!notFoot[q] && inside[q] > in2) in2 = inside[q];
  if (in2 === 0) return null;
  // tissue connected to the candidate, beyond 2 mm of it
  const seen = new Uint8Array(n);
  const queue = new Int32Array(n);
  let tail = 0;
  for (let q = 0; q < n; q++) if (!notFoot[q] && mask[q]) { seen[q] = 1; queue[tail++] = q; }
  let head = 0, out2 = 0;
  const pl = h * w;
  while (head < tail) {
    const q = queue[head++];
    if (!nearFoot[q] && inside[q] > out2) out2 = inside[q];
    const s = (q / pl) | 0, rem = q - s * pl, r = (rem / w) | 0, c = rem - r * w;
    if (c > 0 && mask[q - 1] && !seen[q - 1]) { seen[q - 1] = 1; queue[tail++] = q - 1; }
    if (c < w - 1 && mask[q + 1] && !seen[q + 1]) { seen[q + 1] = 1; queue[tail++] = q + 1; }
    if (r > 0 && mask[q - w] && !seen[q - w]) { seen[q - w] = 1; queue[tail++] = q - w; }
    if (r < h - 1 && mask[q + w] && !seen[q + w]) { seen[q + w] = 1; queue[tail++] = q + w; }
    if (s > 0 && mask[q - pl] && !seen[q - pl]) { seen[q - pl] = 1; queue[tail++] = q - pl; }
    if (s < d - 1 && mask[q + pl] && !seen[q + pl]) { seen[q + pl] = 1; queue[tail++] = q + pl; }
  }
  return Math.sqrt(in2) / Math.max(Math.sqrt(out2), Math.min(py, px));
}
