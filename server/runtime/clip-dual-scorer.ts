/**
 * A clip-dual model as the pipeline's learned stage (`LearnedScorer`), zero-shot: each candidate's
 * field (a square around its centroid on its central slice, about 2.5× its diameter, 32–96 mm) is
 * embedded once and compared with fixed prompts. Lesion probability is the softmax share of the lesion
 * prompts against the look-alike prompts (vessel, airway, pleura, normal lung); texture and margin come
 * from their own prompt sets. Query-independent, like the lesion CNN, so the pipeline caches it per series.
 */
import type { CandidateScore, LearnedScorer, ScorerInput } from '../rerank/learned';
import type { ModelInfo } from '../rerank/response';
import type { Volume } from '../series/volume';
import { dot, type ClipDualModel } from './clip-dual';

export interface ClipPrompts {
  lesion: string[];
  other: string[];
  texture: { solid: string; partSolid: string; groundGlass: string };
  margin: { smooth: string; lobulated: string; spiculated: string };
}

export const DEFAULT_CLIP_PROMPTS: ClipPrompts = {
  lesion: ['a lung nodule', 'a lung mass', 'a ground-glass nodule'],
  other: ['a pulmonary blood vessel', 'an airway', 'the pleura and chest wall', 'normal lung tissue'],
  texture: { solid: 'a solid lung nodule', partSolid: 'a part-solid lung nodule', groundGlass: 'a pure ground-glass nodule' },
  margin: { smooth: 'a nodule with smooth margins', lobulated: 'a lobulated nodule', spiculated: 'a spiculated nodule' },
};

function softmax(xs: number[], scale: number): number[] {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp((x - m) * scale));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

export class ClipCandidateScorer implements LearnedScorer {
  private textCache?: Promise<Float32Array[]>;

  constructor(
    private readonly model: ClipDualModel,
    private readonly prompts: ClipPrompts = DEFAULT_CLIP_PROMPTS,
    /** CLIP's logit scale (BiomedCLIP and OpenAI CLIP learn ≈100). */
    private readonly logitScale = 100,
  ) {}

  get info(): ModelInfo {
    return this.model.info;
  }

  private texts(): Promise<Float32Array[]> {
    const p = this.prompts;
    this.textCache ??= this.model.encodeTexts([
      ...p.lesion,
      ...p.other,
      p.texture.solid,
      p.texture.partSolid,
      p.texture.groundGlass,
      p.margin.smooth,
      p.margin.lobulated,
      p.margin.spiculated,
    ]);
    return this.textCache;
  }

  async scoreCandidates(volume: Volume, candidates: readonly ScorerInput[]): Promise<CandidateScore[]> {
    if (!candidates.length) return [];
    const t = await this.texts();
    const nl = this.prompts.lesion.length;
    const no = this.prompts.other.length;
    const fields = candidates.map((c) => ({ ...c.centroidPx, fieldMm: Math.min(96, Math.max(32, 2.5 * (c.diameterMm || 0))) }));
    const { image } = await this.model.encodeFields(volume, fields);
    return image.map((e) => {
      const sims = t.map((x) => dot(e, x));
      const cls = softmax(sims.slice(0, nl + no), this.logitScale);
      const tex = softmax(sims.slice(nl + no, nl + no + 3), this.logitScale);
      const mar = softmax(sims.slice(nl + no + 3, nl + no + 6), this.logitScale);
      return {
        lesionProbability: cls.slice(0, nl).reduce((a, b) => a + b, 0),
        texture: { solid: tex[0], partSolid: tex[1], groundGlass: tex[2] },
        marginIrregularity: mar[1] * 0.5 + mar[2],
      };
    });
  }
}
