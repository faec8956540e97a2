/**
 * The lesion likelihood fitted without one development scan (models/train/fit-likelihood.ts --write keeps
 * these under .cache/likelihood/folds), and an analysis rescored with it: that scan's candidates are then
 * as unfamiliar to the likelihood as an unseen scan's are.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { lesionLikelihood, type LikelihoodWeights } from '../server/rerank/analysis/likelihood';
import type { VolumeAnalysis } from '../server/rerank/pipeline';

/** The weights fitted without `caseName`, or undefined (with a warning) where there are none. */
export async function foldWeights(dir: string, caseName: string): Promise<LikelihoodWeights | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, `${caseName}.json`), 'utf8')) as LikelihoodWeights;
  } catch {
    process.stderr.write(`no weights without ${caseName} in ${dir}: its candidates keep the shipped likelihood (in-sample, overconfident)\n`);
    return undefined;
  }
}

/** The analysis with its focal lesions' likelihood from `w` (the other findings keep theirs). */
export function withLikelihood(a: VolumeAnalysis, w: LikelihoodWeights): VolumeAnalysis {
  return { ...a, candidates: a.candidates.map((c) => (c.kind === 'lesion' ? { ...c, lesionLikelihood: lesionLikelihood(c, w) } : c)) };
}
