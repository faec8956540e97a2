/**
 * `--explain` of the eval scripts: what the pipeline made of a described lesion it missed. For the
 * query's first finding, the candidates on the lesion's ground-truth boxes (or that there are none: the
 * candidate search lost it) and the top answers, each with its size and density, its likelihoods
 * (classical, model, fused), its score and rank among the lesions, and how well each stated attribute
 * fits it: enough to tell a lesion never found or merged with what it touches from one found and
 * outranked, and by which attribute.
 */
import type { ParsedQuery } from '../server/query/finding';
import { attainableOf, calibrationFor, lesionEvidence, matchCandidate, PRESET_WEIGHTS, scoresOf, type CandidateMatch } from '../server/rerank/fuse';
import type { CandidateScore, LearnedScorer } from '../server/rerank/learned';
import { learnedScores, type Analysis, type Preset, type ServedAnalysis } from '../server/rerank/pipeline';
import type { Candidate } from '../server/rerank/analysis/types';
import type { GroundTruthLesion } from './eval-cases';
import type { Box } from './render/overlay';

export interface ExplainOptions {
  /** Learned scores, in the order of the analysis' candidates (its lesions come first). */
  learned?: CandidateScore[];
  preset?: Preset;
  /** How many top answers to list (3). */
  answers?: number;
}

/** Candidates listed on the lesion at most: a large mass may lie in dozens of pieces. */
const MAX_ON_LESION = 5;

/** Whether a candidate overlaps a lesion's boxes (keyed by volume slice index) on any slice. */
export function onBoxes(c: Candidate, boxes: ReadonlyMap<number, Box>): boolean {
  return c.slices.some((s) => {
    const b = boxes.get(s.index);
    return !!b && s.box[0] <= b[2] && s.box[2] >= b[0] && s.box[1] <= b[3] && s.box[3] >= b[1];
  });
}

/** A ground-truth lesion's boxes (keyed by SOP instance UID) by the analysis' volume slice index. */
export function boxesByIndex(a: Pick<Analysis, 'sopInstanceUIDs'>, lesion: GroundTruthLesion): Map<number, Box> {
  const out = new Map<number, Box>();
  a.sopInstanceUIDs.forEach((uid, i) => {
    const b = lesion.boxes?.[uid];
    if (b) out.set(i, b);
  });
  return out;
}

const f2 = (x: number): string => x.toFixed(2);

/** One candidate in words and numbers: what it is, what the stages made of it, and how the description fits it. */
function describe(m: CandidateMatch, model: CandidateScore | undefined): string {
  const c = m.candidate;
  const slices = `${c.slices[0]?.index}–${c.slices[c.slices.length - 1]?.index}`;
  const what = c.kind === 'lesion'
    ? `${c.diameterMm.toFixed(1)} × ${c.shortAxisMm.toFixed(1)} mm (equivalent ${c.equivalentDiameterMm.toFixed(1)}), solid ${f2(c.solidFraction)} / ground glass ${f2(c.groundGlassFraction)}, core ${Math.round(c.coreHU)} HU (solid core ${Math.round(c.solidCoreHU)})${c.wall ? `, against the ${c.wall}` : ''}`
    : `${c.kind}${c.station ? ` ${c.station}` : ''}, ${c.diameterMm.toFixed(1)} × ${c.shortAxisMm.toFixed(1)} mm`;
  const judged = `likelihood ${f2(c.lesionLikelihood)}${model ? `, model ${f2(model.lesionProbability)}` : ''}, fused ${f2(m.likelihood)}`;
  const fit = m.factors.map((t) => `${t.term.kind === 'position' ? t.term.value : t.term.kind} ${f2(t.membership)}${t.measured && t.membership < 0.5 ? ` = ${t.measured}` : ''}`).join(', ');
  return `#${c.id} ${c.side} ${c.zone}, slices ${slices}: ${what}; ${judged}; fit: ${fit || 'nothing stated'}`;
}

/**
 * The explanation of one query, as lines. `truth`: the described lesion's boxes by volume slice index,
 * or null for a negative query (then only the answers are listed).
 */
export function explainQuery(a: Analysis, q: ParsedQuery, truth: ReadonlyMap<number, Box> | null, o: ExplainOptions = {}): string[] {
  const f = q.findings[0];
  if (!f) return ['    no finding to rank in the query'];
  const groups = lesionEvidence(a, f, 0, { learned: o.learned, preset: o.preset });
  const scores = scoresOf(groups.map((g) => g.evidence), calibrationFor(f), attainableOf(groups));
  const order = groups.map((_, k) => k).sort((x, y) => scores[y] - scores[x]);
  const weights = PRESET_WEIGHTS[o.preset ?? 'report-match'];
  const modelOf = (c: Candidate): CandidateScore | undefined => o.learned?.[a.candidates.indexOf(c)];
  // re-matched with words, only for the pieces shown
  const line = (m: CandidateMatch): string => describe(matchCandidate(a, f, 0, m.judged, weights, true), modelOf(m.candidate));
  const out: string[] = [];
  if (truth) {
    let found = 0;
    order.forEach((k, rank) => {
      for (const m of groups[k].pieces) {
        if (!onBoxes(m.candidate, truth)) continue;
        if (++found > MAX_ON_LESION) continue;
        out.push(`    on the lesion: rank ${rank + 1} of ${order.length}, score ${scores[k].toFixed(3)}${m === groups[k].pieces[0] ? '' : ' (a piece; another answers for it)'}: ${line(m)}`);
      }
    });
    if (!found) out.push(`    on the lesion: no ${f.type ?? 'lesion'} candidate overlaps its boxes (the search did not find it)`);
    if (found > MAX_ON_LESION) out.push(`    on the lesion: ${found - MAX_ON_LESION} more candidates, ranked lower`);
  }
  order.slice(0, o.answers ?? 3).forEach((k, rank) => {
    out.push(`    answer ${rank + 1}, score ${scores[k].toFixed(3)}: ${line(groups[k].pieces[0])}`);
  });
  return out;
}

/** explainQuery with the learned model's scores of the analysis when a scorer is given (the ones its rerank already computed). */
export async function explainMiss(a: ServedAnalysis, q: ParsedQuery, truth: ReadonlyMap<number, Box> | null, o: { scorer?: LearnedScorer; preset?: Preset } = {}): Promise<string[]> {
  return explainQuery(a, q, truth, { learned: o.scorer && (await learnedScores(a, o.scorer)), preset: o.preset });
}
