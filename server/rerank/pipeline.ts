/**
 * The default reranking pipeline: analyse a volume once (masks, candidates, levels; cacheable per
 * series), then rank its slices for any parsed query (optional learned stage + fusion).
 */
import type { ParsedQuery } from '../query/finding';
import { requireCtStack } from '../series/ct-stack';
import type { Volume } from '../series/volume';
import { findCandidates } from './analysis/candidates';
import { lesionCavities } from './analysis/cavity';
import { findLesionFreeFindings, joinFindings, type LesionFreeFindings } from './analysis/findings';
import { diaphragmHeight, thoracicCompartments } from './analysis/compartments';
import { buildGrid, type Grid } from './analysis/grid';
import { segmentLungs, type LungMasks } from './analysis/lungs';
import { ENHANCED_BLOOD_HU } from './analysis/mediastinum';
import { quietened } from './analysis/noise';
import type { Analysis, AnatomicalLevels, Candidate } from './analysis/types';
import { fuse, PRESETS, type Preset } from './fuse';
import { CLASSICAL_MODEL, type CandidateScore, type LearnedScorer } from './learned';
import { lesionGroups, type RerankResponse, type SliceResult } from './response';

export { PRESETS };
export type { Preset };
export type { Analysis };

export interface RerankOptions {
  topK?: number;
  minScore?: number;
  preset?: Preset;
  scorer?: LearnedScorer;
  /** The viewport's displayed order of SOP Instance UIDs; result.index refers to it. */
  sopOrder?: string[];
}

/** The thoracic anatomy the analysis found, on its grid: for later stages and for drawing what it saw. */
export interface Anatomy {
  readonly grid: Grid;
  readonly lungs: LungMasks;
  /** One Compartment label per grid voxel. */
  readonly compartments: Uint8Array;
}

/** The analysis keeps its volume (a learned scorer reads pixels later) and its anatomy; neither is serialised. */
export interface VolumeAnalysis extends Analysis {
  readonly volume: Volume;
  readonly anatomy: Anatomy;
}

/** What a server keeps of an analysis: all but the anatomy, which only drawing reads (its grid and masks are ~75 MB for a 133-slice series). */
export type ServedAnalysis = Omit<VolumeAnalysis, 'anatomy'>;

export function servedAnalysis(a: VolumeAnalysis): ServedAnalysis {
  const { anatomy: _anatomy, ...served } = a;
  return served;
}

const now = (): number => performance.now();
const ms = (t: number): number => Math.round((now() - t) * 10) / 10;

/** Patient z of each slice (head is +z). */
function sliceZs(v: Volume): number[] {
  return v.positions.map((p) => p[2]);
}

function nearestSlice(zs: number[], z: number): number {
  let best = 0;
  for (let i = 1; i < zs.length; i++) if (Math.abs(zs[i] - z) < Math.abs(zs[best] - z)) best = i;
  return best;
}

/** What the two searches start from: the grid and the lungs (masks, airway, levels) with the diaphragm under them. */
export interface LungStage {
  readonly grid: Grid;
  readonly masks: LungMasks;
  /** Per grid column: patient z of the diaphragm (diaphragmHeight). */
  readonly diaphragm: Float64Array;
  readonly timings: { grid: number; lungs: number };
}

/** The focal lesion candidates, numbered from 0, and per lesion id what lies inside it (a cavity, vacuoles). */
export interface LesionStage {
  readonly candidates: Candidate[];
  readonly lesionMeasures: Map<number, Record<string, number>>;
  readonly timings: { candidates: number };
}

/** The chest findings that read no lesion (numbered from 0) and the compartments they were found in. */
export interface FindingStage {
  readonly findings: LesionFreeFindings;
  readonly compartments: Uint8Array;
  readonly timings: { findings: number };
}

/** The grid and the lungs. Throws NotCtStackError (422) for anything but a CT stack. */
export function analyseLungs(volume: Volume): LungStage {
  requireCtStack(volume);
  let t = now();
  const grid = buildGrid(volume);
  const gridMs = ms(t);
  t = now();
  const masks = segmentLungs(grid);
  const diaphragm = diaphragmHeight(grid, masks);
  return { grid, masks, diaphragm, timings: { grid: gridMs, lungs: ms(t) } };
}

/** The lesion search: the walls a lesion may abut (compartments of the aerated lung), the candidates, the air inside them. */
export function searchLesions(volume: Volume, lungs: LungStage): LesionStage {
  const t = now();
  const { grid, masks, diaphragm } = lungs;
  const walls = thoracicCompartments(grid, masks, masks.aerated, diaphragm);
  const candidates = findCandidates(volume, grid, masks, walls);
  const lesionMeasures = lesionCavities({ v: volume, m: masks, lesions: candidates });
  return { candidates, lesionMeasures, timings: { candidates: ms(t) } };
}

/** The other chest findings' search (lymph nodes, effusions, ...), on the compartments of the lung field. */
export function searchFindings(volume: Volume, lungs: LungStage): FindingStage {
  const t = now();
  const { grid, masks, diaphragm } = lungs;
  const compartments = thoracicCompartments(grid, masks, masks.lung, diaphragm);
  const findings = findLesionFreeFindings(volume, grid, masks, compartments);
  return { findings, compartments, timings: { findings: ms(t) } };
}

/**
 * The analysis from both searches: the findings numbered after the lesions, what lies inside a lesion
 * joined to its measures, and the anatomical levels. Changes the stages' candidates in place. Cheap: the
 * searches may run on two threads (workers/analyse-in-pool.ts) and meet here.
 */
export function joinAnalysis(volume: Volume, masks: LungMasks, lesions: LesionStage, found: LesionFreeFindings, timings: Record<string, number>): ServedAnalysis {
  const t = now();
  const candidates = lesions.candidates;
  const findings = joinFindings(found, candidates, lesions.lesionMeasures);
  for (const c of candidates) { const f = findings.lesionMeasures.get(c.id); if (f) c.measures = { ...c.measures, ...f }; }
  candidates.push(...findings.candidates);
  const zs = sliceZs(volume);
  const levels: AnatomicalLevels = {};
  // levels are heights along the patient's z: only meaningful when the slices are (near) axial
  const axial = Math.abs(volume.normal[2]) >= 0.8;
  const { apexZ, baseZ, carinaZ, apexBeyondScan, baseBeyondScan } = axial ? masks.levels : {};
  if (apexZ !== undefined) levels.apex = { index: nearestSlice(zs, apexZ), z: apexZ, ...(apexBeyondScan ? { beyondScan: true } : {}) };
  if (baseZ !== undefined) levels.base = { index: nearestSlice(zs, baseZ), z: baseZ, ...(baseBeyondScan ? { beyondScan: true } : {}) };
  if (carinaZ !== undefined) levels.carina = { index: nearestSlice(zs, carinaZ), z: carinaZ };
  for (const side of ['right', 'left'] as const) {
    const h = masks.airway.hila[side];
    if (axial && h) (levels.hila ??= {})[side] = { index: nearestSlice(zs, h[2]), position: h };
  }
  let lungSlices: [number, number] | null = null;
  if (levels.apex && levels.base) {
    const a = levels.apex.index, b = levels.base.index;
    lungSlices = [Math.min(a, b), Math.max(a, b)];
  }
  return {
    volume,
    seriesInstanceUID: volume.seriesInstanceUID,
    sopInstanceUIDs: volume.sopInstanceUIDs,
    frames: volume.frames,
    slices: volume.slices,
    rows: volume.rows,
    columns: volume.columns,
    sliceZ: zs,
    sliceSpacing: volume.sliceSpacing,
    levels,
    lungSlices,
    candidates,
    ...(found.bloodHU !== undefined ? { contrastEnhanced: found.bloodHU > ENHANCED_BLOOD_HU } : {}),
    ...(volume.smoothedFromNoiseHU !== undefined ? { lowDoseNoiseHU: volume.smoothedFromNoiseHU } : {}),
    timings: { ...timings, join: ms(t) },
  };
}

/**
 * Pure: masks, candidates and anatomical levels of one CT volume, on this thread: the stages above one
 * after the other, on the volume as quietened (a low-dose scan's noise smoothed, noise.ts; the analysis
 * holds that volume). Throws NotCtStackError (422) for anything else.
 */
export function analyseVolume(raw: Volume): VolumeAnalysis {
  const t0 = now();
  const volume = quietened(raw);
  const lungs = analyseLungs(volume);
  const lesions = searchLesions(volume, lungs);
  const found = searchFindings(volume, lungs);
  const timings = { ...lungs.timings, ...lesions.timings, ...found.timings };
  const analysis = joinAnalysis(volume, lungs.masks, lesions, found.findings, timings);
  analysis.timings.analysis = ms(t0);
  return { ...analysis, anatomy: { grid: lungs.grid, lungs: lungs.masks, compartments: found.compartments } };
}

/** Learned scores are query-independent: computed once per analysis and model. */
const learnedCache = new WeakMap<Analysis, Map<string, Promise<CandidateScore[]>>>();

/** The learned model's scores of an analysis' lesion candidates (which come first), once per analysis and model. */
export function learnedScores(a: ServedAnalysis, scorer: LearnedScorer): Promise<CandidateScore[]> {
  let m = learnedCache.get(a);
  if (!m) { m = new Map(); learnedCache.set(a, m); }
  const key = `${scorer.info.id}@${scorer.info.version}/${scorer.info.executionProvider}`;
  let p = m.get(key);
  if (!p) {
    // the learned model judges focal lesions only (they come first)
    p = scorer.scoreCandidates(a.volume, a.candidates.filter((c) => c.kind === 'lesion'));
    p.catch(() => m?.delete(key)); // a failed run is not cached
    m.set(key, p);
  }
  return p;
}

/** Maps volume slice indices to the caller's order (viewport order), when given. */
function indexMapper(a: Analysis, sopOrder?: string[]): (volumeIndex: number) => number | undefined {
  if (!sopOrder) return (i) => i;
  const pos = new Map<string, number>();
  sopOrder.forEach((uid, i) => { if (!pos.has(uid)) pos.set(uid, i); });
  return (i) => {
    const p = pos.get(a.sopInstanceUIDs[i]);
    if (p === undefined) return undefined;
    return p + (a.frames[i] ?? 1) - 1; // frames of one multi-frame instance follow each other
  };
}

export async function rerankSlices(analysis: Analysis, query: ParsedQuery, opts: RerankOptions = {}): Promise<RerankResponse> {
  const t0 = now();
  const timings: Record<string, number> = {};
  let learned: CandidateScore[] | undefined;
  const model = opts.scorer?.info ?? CLASSICAL_MODEL;
  if (opts.scorer && analysis.candidates.length) {
    const va = analysis as ServedAnalysis;
    if (!va.volume) throw new Error('a learned scorer needs the analysis from analyseVolume (with its volume)');
    const t = now();
    learned = await learnedScores(va, opts.scorer);
    timings.scoring = ms(t);
  }
  const t = now();
  const fused = fuse(analysis, query, { preset: opts.preset, learned });
  const toIndex = indexMapper(analysis, opts.sopOrder);
  const minScore = opts.minScore ?? 0;
  const topK = opts.topK ?? 10;
  const results: SliceResult[] = [];
  for (const s of fused.slices) {
    if (results.length >= topK) break;
    if (s.score < minScore) break;
    const index = toIndex(s.index);
    if (index === undefined) continue;
    const r: SliceResult = { sopInstanceUID: analysis.sopInstanceUIDs[s.index], index, score: s.score, regions: s.regions, matched: s.matched };
    if (s.mismatched.length) r.mismatched = s.mismatched;
    if ((analysis.frames[s.index] ?? 1) > 1 || analysis.sopInstanceUIDs.indexOf(analysis.sopInstanceUIDs[s.index]) !== analysis.sopInstanceUIDs.lastIndexOf(analysis.sopInstanceUIDs[s.index])) {
      r.frame = analysis.frames[s.index] ?? 1;
    }
    results.push(r);
  }
  // The answer in lesions: per parsed finding, its lesions with slice ranges and regions in the caller's order.
  const findings = lesionGroups(query, fused.findings, { topK, minScore, toIndex });
  timings.fusion = ms(t);
  timings.total = ms(t0);
  return {
    findings,
    results,
    query,
    timings,
    noConfidentMatch: fused.noConfidentMatch,
    unsupported: fused.unsupported,
    ...(fused.caveats.length ? { caveats: fused.caveats } : {}),
    model,
  };
}
