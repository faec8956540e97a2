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
import type { CandidateScore, LearnedScorer } from '../rerank/learned';
import { rerankSlices, type Preset, type ServedAnalysis } from '../rerank/pipeline';
import type { ModelInfo, RerankResponse } from '../rerank/response';
import type { Volume } from '../series/volume';
import { defineTask } from './task';
import { fromWire, type AnalysisIdentifiers } from './wire';

interface Held {
  analysis: ServedAnalysis;
  /** Learned scores by model key, then by candidate id. */
  scores: Map<string, Map<number, CandidateScore>>;
}

/** Analyses by id; a few dozen series' candidates are a few MB each. */
const held = new LRUCache<string, Held>({ max: 64 });

/**
 * The pipeline hands a learned scorer the analysis' volume; here the scores are computed elsewhere (in
 * the model worker), so the analysis carries a volume without pixels, which nothing here reads.
 */
const NO_PIXELS = { hu: new Float32Array(0) } as unknown as Volume;

/** Thrown by the lookup scorer: the pipeline asked for scores of candidates this worker was not sent. */
class ScoresNeeded extends Error {
  constructor(readonly ids: number[]) {
    super('scores needed');
  }
}

export interface QueryInput {
  /** Id the caller gave the analysis. */
  id: string;
  /** The analysis (serialized where it was made, wire.ts), when the caller thinks this worker does not hold it. */
  analysis?: AnalysisIdentifiers & { bytes: Uint8Array };
  query: ParsedQuery;
  opts: { topK?: number; minScore?: number; preset?: Preset; sopOrder?: string[] };
  /** The learned model's identity (`key` names its scores), and scores of candidates (by id) not sent before. */
  model?: { info: ModelInfo; key: string; ids?: number[]; scores?: CandidateScore[] };
}

/**
 * The response; or what is missing: the analysis, or the model's scores of the candidates `ids` (the
 * pipeline decides which candidates the model judges; the caller computes those and asks again).
 */
export type QueryOutput = { response: RerankResponse } | { missing: 'analysis' } | { missing: 'scores'; ids: number[] };

export const rerank = defineTask(async (input: QueryInput): Promise<QueryOutput> => {
  if (input.analysis) held.set(input.id, { analysis: { ...fromWire(input.analysis.bytes, input.analysis), volume: NO_PIXELS }, scores: new Map() });
  const h = held.get(input.id);
  if (!h) return { missing: 'analysis' };
  const model = input.model;
  let scorer: LearnedScorer | undefined;
  if (model) {
    let byId = h.scores.get(model.key);
    if (!byId) h.scores.set(model.key, (byId = new Map()));
    const ids = model.ids ?? [];
    model.scores?.forEach((score, i) => byId.set(ids[i], score));
    const known = byId;
    scorer = {
      info: model.info,
      async scoreCandidates(_volume, candidates) {
        const out = candidates.map((c) => known.get(c.id));
        if (out.some((x) => x === undefined)) throw new ScoresNeeded(candidates.map((c) => c.id));
        return out as CandidateScore[];
      },
    };
  }
  try {
    const response = await rerankSlices(h.analysis, input.query, { ...input.opts, scorer });
    // A copy: the result's typed arrays are moved to the caller, and must not be the ones held here.
    return { response: structuredClone(response) };
  } catch (err) {
    if (err instanceof ScoresNeeded) return { missing: 'scores', ids: err.ids };
    throw err;
  }
});
