/**
 * The query worker's task: rank the slices of an analysed series for one parsed query (the fusion
 * stage, rerankSlices), off the event loop. Fusion weighs every candidate against every finding: tens
 * of milliseconds for hundreds of candidates, which on the event loop delayed /healthz and every
 * other request behind each query.
 *
 * The worker keeps the analyses it was sent (a bounded LRU) and the learned scores per model, so a
 * query usually carries only the analysis' id and the parsed query; when something is not held (new,
 * or evicted), the task answers `missing` and the caller sends it along.
 */
import { LRUCache } from 'lru-cache';
import type { ParsedQuery } from '../query/finding';
import type { Analysis } from '../rerank/analysis/types';
import type { CandidateScore, LearnedScorer } from '../rerank/learned';
import { rerankSlices, type Preset, type VolumeAnalysis } from '../rerank/pipeline';
import type { ModelInfo, RerankResponse } from '../rerank/response';
import type { Volume } from '../series/volume';
import { defineTask } from './task';

interface Held {
  analysis: VolumeAnalysis;
  scores: Map<string, CandidateScore[]>;
}

/** Analyses by id; a few dozen series' candidates are a few MB each. */
const held = new LRUCache<string, Held>({ max: 64 });

/**
 * The pipeline hands a learned scorer the analysis' volume; here the scores were computed already (in
 * the model worker), so the analysis carries a volume without pixels, which nothing here reads.
 */
const NO_PIXELS = { hu: new Float32Array(0) } as unknown as Volume;

export interface QueryInput {
  /** Id the caller gave the analysis. */
  id: string;
  /** The analysis (without volume and anatomy), when the caller thinks this worker does not hold it. */
  analysis?: Analysis;
  query: ParsedQuery;
  opts: { topK?: number; minScore?: number; preset?: Preset; sopOrder?: string[] };
  /** The learned model's identity (`key` names its scores), and the scores when not sent before. */
  model?: { info: ModelInfo; key: string; scores?: CandidateScore[] };
}

export type QueryOutput = { response: RerankResponse } | { missing: Array<'analysis' | 'scores'> };

export const rerank = defineTask(async (input: QueryInput): Promise<QueryOutput> => {
  let h = held.get(input.id);
  if (input.analysis) {
    h = { analysis: { ...input.analysis, volume: NO_PIXELS } as VolumeAnalysis, scores: new Map() };
    held.set(input.id, h);
  }
  const model = input.model;
  if (h && model?.scores) h.scores.set(model.key, model.scores);
  const missing: Array<'analysis' | 'scores'> = [];
  if (!h) missing.push('analysis');
  if (model && !h?.scores.has(model.key)) missing.push('scores');
  if (!h || missing.length > 0) return { missing };
  const scores = model ? h.scores.get(model.key) : undefined;
  const scorer: LearnedScorer | undefined =
    model && scores ? { info: model.info, scoreCandidates: async () => scores } : undefined;
  const response = await rerankSlices(h.analysis, input.query, { ...input.opts, scorer });
  // A copy: the result's typed arrays are moved to the caller, and must not be the ones held here.
  return { response: structuredClone(response) };
});
