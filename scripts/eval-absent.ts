/**
 * `npm run -s eval:absent -- [--cases <dir>...] [--folds DIR] [--no-model]`: descriptions of a lesion a
 * development scan does not have, and how confidently each is answered anyway (it should be "no confident
 * match": under 0.5). Every development scan's masses and nodules are left-sided (their ground truth and
 * ../shared/data/README.md), so right-sided masses, a right hilar one included, are absent from all three.
 * None has a ground-glass lesion annotated (LIDC-IDRI-0001's four readers marked every nodule and
 * non-nodule of 3 mm and more, and none is ground glass), so ground-glass nodules in any lobe are asked too,
 * and counted apart: what answers them is ground glass the analysis takes for a lesion. Enlarged
 * mediastinal and hilar lymph nodes are asked of the scans whose ground truth has none (LIDC-IDRI-0001 and
 * Lung-PET-CT-Dx: their annotations are of the tumour only, so a node there is not known to be absent,
 * and a confident answer must be looked at: the two seen so far were the oesophagus).
 * With `--folds` (models/train/fit-likelihood.ts --write puts them in .cache/likelihood/folds) each scan's
 * candidates are scored by the likelihood fitted without it, as an unseen scan's are: the number that counts.
 */
import pino from 'pino';
import { parseQuery } from '../server/query/parse';
import { CONFIDENT_SCORE } from '../server/rerank/fuse';
import { analyseVolume, rerankSlices, type VolumeAnalysis } from '../server/rerank/pipeline';
import { openScorer } from '../server/runtime/registry';
import { loadSeriesFromDir } from '../server/series/load';
import { SAMPLE_DATA_DIR } from '../server/series/sample';
import { ABSENT, ONLY_WITHOUT } from './absent-descriptions';
import { discoverCases, readCase } from './eval-cases';
import { foldWeights, withLikelihood } from './fold-weights';
import { exitWithError, parseArgs, single } from './rerank-cli';

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['cases', 'folds'], ['no-model']);
  const dirs = args.values.get('cases') ?? (await discoverCases(SAMPLE_DATA_DIR));
  const folds = single(args, 'folds');
  const learned = args.flags.has('no-model') ? undefined : await openScorer({ log: pino({ level: 'warn' }, pino.destination(2)) });
  const tally = Object.fromEntries(Object.keys(ABSENT).map((k) => [k, { confident: 0, asked: 0, cautioned: 0 }]));
  for (const dir of dirs) {
    const c = await readCase(dir);
    const { volume } = await loadSeriesFromDir(c.seriesDir);
    let a: VolumeAnalysis = analyseVolume(volume);
    const w = folds ? await foldWeights(folds, c.name) : undefined;
    if (w) a = withLikelihood(a, w);
    const kinds = new Set([...c.lesions.values()].map((l) => l.kind));
    for (const [set, texts] of Object.entries(ABSENT)) for (const text of texts) {
      if (ONLY_WITHOUT[set] && kinds.has(ONLY_WITHOUT[set])) continue;
      const r = await rerankSlices(a, parseQuery(text), { topK: 1, scorer: learned?.scorer });
      const top = r.results[0]?.score ?? 0;
      const t = tally[set];
      t.asked++;
      const caveat = r.caveats?.map((x) => x.code).join(', ');
      if (top >= CONFIDENT_SCORE) {
        t.confident++;
        if (caveat) t.cautioned++;
      }
      process.stdout.write(
        `  ${c.name.padEnd(16)} ${top.toFixed(2)}${top >= CONFIDENT_SCORE ? ' CONFIDENT' : '          '}  "${text}"${top >= CONFIDENT_SCORE ? ` -> slice ${r.results[0].index}, ${r.results[0].regions[0]?.label ?? ''}` : ''}${caveat ? ` [caveat: ${caveat}]` : ''}\n`,
      );
    }
  }
  await learned?.close();
  for (const [set, t] of Object.entries(tally))
    process.stdout.write(`absent ${set} answered confidently: ${t.confident} of ${t.asked}${folds ? ' (each scan scored by the likelihood fitted without it)' : ''}; of those, with a caveat: ${t.cautioned}\n`);
}

main().catch((err) => exitWithError('eval:absent', err));
