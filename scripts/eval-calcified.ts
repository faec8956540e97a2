/**
 * `npx tsx scripts/eval-calcified.ts [--cases <dir>...] [--no-model]`: calcified nodules (granulomas, 250–700 HU:
 * as dense as contrast-filled blood) of 5, 8 and 12 mm inserted into the development scans at the lung,
 * pleura, hilum and mediastinum sites of the synthetic suite (evaluation bands, clear of the annotated
 * lesions), each queried in English and Chinese as a calcified nodule with its side and zone. Guards the
 * candidate search's blood removal (candidates.ts), which must leave calcium standing; prints per trial and
 * the totals per site class.
 */
import pino from 'pino';
import { parseQuery } from '../server/query/parse';
import { analyseVolume, rerankSlices } from '../server/rerank/pipeline';
import { openScorer } from '../server/runtime/registry';
import { loadSeriesFromDir } from '../server/series/load';
import { SAMPLE_DATA_DIR } from '../server/series/sample';
import { rng, seedOf } from '../models/synthetic/lesion';
import { findSites, type SiteClass } from '../models/synthetic/sites';
import { calcifiedQueries, drawSite, knownExtents, runTrial, zoneOf } from '../models/synthetic/trials';
import { discoverCases, judgeResponse, readCase } from './eval-cases';
import { exitWithError, parseArgs, single } from './rerank-cli';

const CLASSES: SiteClass[] = ['lung', 'pleura', 'hilum', 'mediastinum'];
const SIZES = [5, 8, 12];

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['cases', 'model'], ['no-model']);
  const dirs = args.values.get('cases') ?? (await discoverCases(SAMPLE_DATA_DIR));
  const learned = args.flags.has('no-model') ? undefined : await openScorer({ id: single(args, 'model'), log: pino({ level: 'warn' }, pino.destination(2)) });
  const totals = new Map<SiteClass, { trials: number; top1: number; region: number }>(CLASSES.map((k) => [k, { trials: 0, top1: 0, region: 0 }]));
  for (const dir of dirs) {
    const c = await readCase(dir);
    const { volume } = await loadSeriesFromDir(c.seriesDir);
    const base = analyseVolume(volume);
    const sites = findSites(base.anatomy.grid, base.anatomy.lungs);
    const known = knownExtents(volume, c.lesions.values());
    for (const siteClass of CLASSES)
      for (const sizeMm of SIZES) {
        const random = rng(seedOf(`${c.name}/calcified/${siteClass}/${sizeMm}`));
        const site = drawSite(base, sites, siteClass, sizeMm, random, known);
        if (!site) continue;
        const trial = runTrial(base, site, sizeMm, random, { texture: 'solid', margin: 'smooth', calcified: true });
        const a = analyseVolume(trial.volume);
        for (const q of calcifiedQueries(site.side, zoneOf(site.zoneFraction))) {
          const r = await rerankSlices(a, parseQuery(q.text), { topK: 10, scorer: learned?.scorer });
          const j = judgeResponse({ id: 'synthetic', kind: 'nodule', sop_instance_uids: trial.sopInstanceUIDs, boxes: trial.boxes }, r);
          const t = totals.get(siteClass)!;
          t.trials++;
          if (j.top1) t.top1++;
          if (j.region) t.region++;
          process.stdout.write(`  ${c.name} ${siteClass.padEnd(11)} ${String(sizeMm).padStart(2)} mm ${Math.round(trial.lesion.solidHu)} HU ${q.lang}  top-1 ${j.top1 ? 'hit ' : 'MISS'}  region ${j.region ? 'hit ' : 'MISS'}  score ${j.topScore.toFixed(2)}\n`);
        }
      }
  }
  await learned?.close();
  let trials = 0, top1 = 0, region = 0;
  for (const [k, t] of totals) {
    process.stdout.write(`${k.padEnd(12)} trials ${String(t.trials).padStart(3)}  top-1 ${t.top1}/${t.trials}  region ${t.region}/${t.trials}\n`);
    trials += t.trials; top1 += t.top1; region += t.region;
  }
  process.stdout.write(`calcified nodules: top-1 ${top1}/${trials}, region ${region}/${trials}\n`);
}

main().catch((err: unknown) => exitWithError('eval-calcified', err));
