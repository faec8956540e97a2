/**
 * The lesion CNN as the pipeline's learned stage (`LearnedScorer`): one patch per candidate at its
 * centroid, all candidates in a few batched runs, scores in candidate order.
 */
import type { Candidate } from '../../rerank/analysis/types';
import type { CandidateScore, LearnedScorer } from '../../rerank/learned';
import type { ModelInfo } from '../../rerank/response';
import type { Volume } from '../../series/volume';
import type { LesionModel } from './model';
import type { PatchCentre } from './patches';

export function candidateCentre(c: Candidate): PatchCentre {
  return { slice: c.centroidPx.slice, row: c.centroidPx.row, column: c.centroidPx.column };
}

export class LesionCnnScorer implements LearnedScorer {
  constructor(private readonly model: LesionModel) {}

  get info(): ModelInfo {
    return this.model.info;
  }

  async scoreCandidates(volume: Volume, candidates: readonly Candidate[]): Promise<CandidateScore[]> {
    const centres = candidates.map(candidateCentre);
    const preds = await this.model.predict(volume, centres);
    const spec = this.model.spec;
    const halfMm = (spec.size * spec.mmPerPixel) / 2;
    return preds.map((p, i) => {
      const s: CandidateScore = { lesionProbability: p.lesion };
      if (p.texture) s.texture = { solid: p.texture.solid, partSolid: p.texture['part-solid'], groundGlass: p.texture['ground-glass'] };
      if (p.margin !== undefined) s.marginIrregularity = p.margin;
      if (p.heatmap && p.heatSize) {
        const c = centres[i];
        const hx = halfMm / volume.pixelSpacing[1];
        const hy = halfMm / volume.pixelSpacing[0];
        s.heatmap = {
          slice: Math.max(0, Math.min(volume.slices - 1, Math.round(c.slice))),
          box: [c.column - hx, c.row - hy, c.column + hx, c.row + hy],
          size: p.heatSize,
          data: p.heatmap,
        };
      }
      return s;
    });
  }
}
