/**
 * The development scans the lesion model is trained on, as the product sees them: loaded by the
 * product loader (server/series/load), analysed by the product analysis (server/rerank/pipeline), with
 * their real lesions (ground-truth.json, plus LIDC reader marks when present) kept out of everything
 * sampled, and the slice bands of models/synthetic/split.ts deciding which split a place belongs to.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Compartment, thoracicCompartments } from '../../server/rerank/analysis/compartments';
import { analyseVolume, type VolumeAnalysis } from '../../server/rerank/pipeline';
import type { PatchCentre } from '../../server/runtime/lesion-cnn/patches';
import { loadSeriesFromDir } from '../../server/series/load';
import type { Volume } from '../../server/series/volume';
import { readCase } from '../../scripts/eval-cases';
import { isEvaluationBand, isTrainingBand } from '../synthetic/split';

export { Compartment };
export type Split = 'train' | 'test';

/** Real lesions of these kinds are never sampled from, as positives or negatives. */
export const REAL_LESION_KINDS = ['nodule', 'mass', 'lymph node'];
/** How far from a real lesion (in-plane from its box, mm; across slices) nothing is sampled. */
export const KEEP_OUT_MM = 15;
export const KEEP_OUT_SLICES = 3;
/** How far along the slice normal a patch reads (its ±3 mm planes, server/runtime/lesion-cnn/patches.ts). */
export const PATCH_REACH_MM = 3;

export interface RealMark {
  /** Volume slice index. */
  slice: number;
  /** [x0, y0, x1, y1] pixels; a point mark has x0 = x1, y0 = y1. */
  box: [number, number, number, number];
}

export interface DevScan {
  name: string;
  volume: Volume;
  analysis: VolumeAnalysis;
  /** Compartment per grid voxel judged against the aerated lung: what bulges into the lung is labelled by where it comes from. */
  walls: Uint8Array;
  /** Real lesions (ground truth of the listed kinds, and LIDC reader marks) per slice. */
  marks: RealMark[];
  /** Split of each volume slice: its band within the lungs (models/synthetic/split.ts), null outside the lungs. */
  sliceSplit: Array<Split | null>;
  loadSeconds: number;
  analysisSeconds: number;
}

export async function loadDevScan(caseDir: string): Promise<DevScan> {
  const c = await readCase(caseDir);
  let t = Date.now();
  const { volume } = await loadSeriesFromDir(c.seriesDir);
  const loadSeconds = (Date.now() - t) / 1000;
  t = Date.now();
  const analysis = analyseVolume(volume);
  const analysisSeconds = (Date.now() - t) / 1000;
  const walls = thoracicCompartments(analysis.anatomy.grid, analysis.anatomy.lungs, analysis.anatomy.lungs.aerated);
  const sliceOf = new Map<string, number[]>();
  volume.sopInstanceUIDs.forEach((u, i) => sliceOf.set(u, [...(sliceOf.get(u) ?? []), i]));
  const marks: RealMark[] = [];
  for (const l of c.lesions.values()) {
    if (!REAL_LESION_KINDS.includes(l.kind)) continue;
    for (const uid of l.sop_instance_uids) {
      const box = l.boxes?.[uid] ?? [0, 0, volume.columns - 1, volume.rows - 1]; // no box: the whole slice
      for (const s of sliceOf.get(uid) ?? []) marks.push({ slice: s, box });
    }
  }
  marks.push(...lidcReaderMarks(path.join(c.dir, 'annotations'), volume));
  const sliceSplit = volume.positions.map((p): Split | null => {
    if (isTrainingBand(analysis.anatomy.lungs, p[2])) return 'train';
    return isEvaluationBand(analysis.anatomy.lungs, p[2]) ? 'test' : null;
  });
  return { name: c.name, volume, analysis, walls, marks, sliceSplit, loadSeconds, analysisSeconds };
}

/**
 * The split a patch centre belongs to: every slice the patch reads (centre ± 3 mm, and the slices it
 * interpolates from) lies in a training band, or every one in an evaluation band; null otherwise
 * (straddling a band edge, or outside the lungs).
 */
export function splitOf(scan: DevScan, at: PatchCentre): Split | null {
  const v = scan.volume;
  const reach = PATCH_REACH_MM / v.sliceSpacing;
  const s0 = Math.floor(at.slice - reach), s1 = Math.ceil(at.slice + reach);
  if (s0 < 0 || s1 > v.slices - 1) return null;
  let out: Split | null = null;
  for (let s = s0; s <= s1; s++) {
    const b = scan.sliceSplit[s];
    if (!b || (out && b !== out)) return null;
    out = b;
  }
  return out;
}

/** Whether a place (plus `extraMm` around it, e.g. a lesion's radius) comes within the keep-out of a real lesion. */
export function nearRealLesion(scan: DevScan, at: PatchCentre, extraMm = 0): boolean {
  const v = scan.volume;
  const [rowSp, colSp] = v.pixelSpacing;
  const dz = KEEP_OUT_SLICES + extraMm / v.sliceSpacing;
  for (const m of scan.marks) {
    if (Math.abs(m.slice - at.slice) > dz) continue;
    const [x0, y0, x1, y1] = m.box;
    const dx = Math.max(0, x0 - at.column, at.column - x1) * colSp;
    const dy = Math.max(0, y0 - at.row, at.row - y1) * rowSp;
    if (Math.hypot(dx, dy) <= KEEP_OUT_MM + extraMm) return true;
  }
  return false;
}

/** Volume position (fractional slice, row, column) of the centre of a grid voxel. */
export function gridToVolume(scan: DevScan, s: number, r: number, c: number): PatchCentre {
  const g = scan.analysis.anatomy.grid;
  return { slice: (s + 0.5) * g.fz - 0.5, row: (r + 0.5) * g.fy - 0.5, column: (c + 0.5) * g.fx - 0.5 };
}

/**
 * Every ROI of every reader-marked nodule in LIDC XML files beside the series (any size, including the
 * small ones ground-truth.json leaves out), as point marks on the slice nearest its z.
 */
function lidcReaderMarks(dir: string, v: Volume): RealMark[] {
  if (!fs.existsSync(dir)) return [];
  const out: RealMark[] = [];
  const nearest = (z: number): number => {
    let best = 0;
    for (let s = 1; s < v.slices; s++) if (Math.abs(v.positions[s][2] - z) < Math.abs(v.positions[best][2] - z)) best = s;
    return best;
  };
  for (const f of fs.readdirSync(dir).filter((n) => n.toLowerCase().endsWith('.xml'))) {
    const xml = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const nodule of xml.match(/<unblindedReadNodule>[\s\S]*?<\/unblindedReadNodule>/g) ?? []) {
      for (const roi of nodule.match(/<roi>[\s\S]*?<\/roi>/g) ?? []) {
        const z = Number(/<imageZposition>\s*([-\d.]+)/.exec(roi)?.[1]);
        const xs = [...roi.matchAll(/<xCoord>(\d+)<\/xCoord>/g)].map((m) => Number(m[1]));
        const ys = [...roi.matchAll(/<yCoord>(\d+)<\/yCoord>/g)].map((m) => Number(m[1]));
        if (!Number.isFinite(z) || !xs.length) continue;
        out.push({ slice: nearest(z), box: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] });
      }
    }
  }
  return out;
}
