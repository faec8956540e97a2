/**
 * Analyses kept on disk for the evaluation scripts: each is kept without its volume and anatomy, so
 * that a later run with `reuse`, after a change to the likelihood or the fusion only, skips the analysis.
 * Likelihoods are recomputed from the kept features on reading, so a refitted likelihood is what is
 * measured.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { lesionLikelihood } from '../server/rerank/analysis/likelihood';
import { analyseVolume, type VolumeAnalysis } from '../server/rerank/pipeline';
import type { Volume } from '../server/series/volume';

export async function analysed(v: Volume, file: string, reuse: boolean): Promise<VolumeAnalysis> {
  if (reuse) {
    try {
      const kept = JSON.parse(await fs.readFile(file, 'utf8'), (_k, x) => (x === 'Infinity' ? Infinity : x)) as VolumeAnalysis;
      for (const c of kept.candidates) if (c.kind === 'lesion') c.lesionLikelihood = lesionLikelihood(c);
      return { ...kept, volume: v } as VolumeAnalysis;
    } catch {
      // not kept yet: analyse
    }
  }
  const a = analyseVolume(v);
  const { volume: _v, anatomy: _a, ...rest } = a;
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, JSON.stringify(rest, (_k, x) => (x === Infinity ? 'Infinity' : x)));
  return a;
}
