/**
 * The lesion CNN as the pipeline's learned stage (`LearnedScorer`): one patch per candidate at its
 * centroid, all candidates in a few batched runs, scores in candidate order.
 */
import type { CandidateScore, LearnedScorer, ScorerInput } from '../../rerank/learned';
import type { ModelInfo } from '../../rerank/response';
import type { Volume } from '../../series/volume';
import { centralPeak, growFromSeed } from '../grid-region';
import type { LesionModel } from './model';
import type { PatchCentre } from './patches';

export function candidateCentre(c: ScorerInput): PatchCentre {
  return { slice: c.centroidPx.slice, row: c.centroidPx.row, column: c.centroidPx.column };
}

export class LesionCnnScorer implements LearnedScorer {
  constructor(private readonly model: LesionModel) {}

  get info(): ModelInfo {
    return this.model.info;
  }

  async scoreCandidates(volume: Volume, candidates: readonly ScorerInput[]): Promise<CandidateScore[]> {
    const centres = candidates.map(candidateCentre);
    const preds = await this.model.predict(volume, centres);
    const spec = this.model.spec;
    const halfMm = (spec.size * spec.mmPerPixel) / 2;
    return preds.map((p, i) => {
      const s: CandidateScore = { lesionProbability: p.lesion, fieldMm: 2 * halfMm };
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

/**
 * The region a CandidateScore's heatmap outlines, as a pixel box on its slice: the cells at or above
 * `threshold` connected to the strongest cell of the central half (where the candidate sits).
 * Undefined when no such cell exists. For the fusion to tighten a candidate's box.
 */
export function heatmapRegion(
  h: NonNullable<CandidateScore['heatmap']>,
  threshold = 0.5,
): { slice: number; x: number; y: number; w: number; h: number; score: number } | undefined {
  const n = h.size;
  const seed = centralPeak(h.data, n, threshold);
  if (seed < 0) return undefined;
  const best = h.data[seed];
  const { x0, y0, x1, y1 } = growFromSeed(h.data, n, seed, threshold);
  const cw = (h.box[2] - h.box[0]) / n;
  const ch = (h.box[3] - h.box[1]) / n;
  const x = h.box[0] + x0 * cw;
  const y = h.box[1] + y0 * ch;
  return { slice: h.slice, x: Math.round(x), y: Math.round(y), w: Math.round((x1 + 1 - x0) * cw), h: Math.round((y1 + 1 - y0) * ch), score: best };
}
