/**
 * The learned stage's contract: a model that scores the analysis' lesion candidates.
 * Implemented in server/runtime (e.g. the lesion CNN); the pipeline works without one ("classical").
 * Scores are query-independent, so the pipeline computes them once per analysis and model.
 */
import type { Volume } from '../series/volume';
import type { Candidate } from './analysis/types';
import type { ModelInfo } from './response';

export interface TextureProbabilities {
  solid: number;
  partSolid: number;
  groundGlass: number;
}

export interface CandidateScore {
  /** 0..1: lesion (nodule / mass) rather than vessel, airway, pleura or noise. */
  lesionProbability: number;
  /**
   * Width (mm) of the field the model saw around the candidate, when it is a patch model: a lesion about
   * as wide as the field shows no margin in it, so the fusion leans on the model less as size nears it.
   */
  fieldMm?: number;
  /** Probabilities per texture (sum ≈ 1), when the model has that head. */
  texture?: TextureProbabilities;
  /** 0 smooth .. 1 spiculated, when the model has that head. */
  marginIrregularity?: number;
  /**
   * Coarse lesion map around the candidate on its central slice, row-major size×size over `box`
   * ([x0, y0, x1, y1] in pixels of slice `slice`, volume order); used to tighten the region outline.
   */
  heatmap?: { slice: number; box: [number, number, number, number]; size: number; data: Float32Array };
}

/** What a scorer reads of a candidate: where it is, how wide (for the field it looks at), its id. */
export type ScorerInput = Pick<Candidate, 'id' | 'centroidPx' | 'diameterMm'>;

export interface LearnedScorer {
  readonly info: ModelInfo;
  /** One score per candidate, same order. Must not mutate its inputs. */
  scoreCandidates(volume: Volume, candidates: readonly ScorerInput[]): Promise<CandidateScore[]>;
}

/** The model info reported when no learned scorer runs. */
export const CLASSICAL_MODEL: ModelInfo = { id: 'classical', version: '1', executionProvider: 'cpu' };
