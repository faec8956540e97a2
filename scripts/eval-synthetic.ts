/**
 * `npm run -s eval:synthetic -- [--cases <dir>...] [--classes a,b] [--sizes 6,12] [--no-model] [--ep <order>] [--json]
 *  [--render DIR] [--reuse] [--cache-dir DIR] [--explain] [--look noise|sharp|soft|lowdose|thin]`:
 * the synthetic stress suite. Lesions of 5–70 mm (solid, part-solid, ground-glass with a faint rim) are
 * inserted at each site class (models/synthetic/sites.ts) into the development scans, in the slice bands
 * the lesion model never trained on and clear of the scans' annotated lesions, and each is queried in English and Chinese with its true side, zone
 * and size. Prints per site class and size the top-1, region and confident top-1 hits, and the candidates
 * of the unmodified scans that score 0.5 or more for "mass" or "nodule" in the mediastinum, heart,
 * abdomen or chest wall (false candidates), and the calibration line over all sizes and per size. Then the chest findings other than lesions, per finding type
 * (scripts/eval-findings.ts; `--findings-only` runs that section alone, `--no-findings` leaves it out).
 * `--explain` follows each missed trial (lesion or other finding) with what the pipeline made of it (scripts/explain.ts).
 * `--look` shows every scan, with and without its inserted lesion, as another scanner would (scripts/eval-looks.ts:
 * the looks that change pixels only, and `thin`, slices of half the spacing), on the same sites as the suite as it is.
 */
import pino from 'pino';
import { parseQuery } from '../server/query/parse';
import { Compartment, thoracicCompartments } from '../server/rerank/analysis/compartments';
import { analyseVolume, rerankSlices, type VolumeAnalysis } from '../server/rerank/pipeline';
import type { LearnedScorer } from '../server/rerank/learned';
import { openScorer } from '../server/runtime/registry';
import { loadSeriesFromDir } from '../server/series/load';
import { SAMPLE_DATA_DIR } from '../server/series/sample';
import type { Volume } from '../server/series/volume';
import { rng, seedOf, type Texture } from '../models/synthetic/lesion';
import { findSites, SITE_CLASSES, type SiteClass } from '../models/synthetic/sites';
import { drawSite, knownExtents, MARGINS, queriesFor, runTrial, textureFor, zoneOf } from '../models/synthetic/trials';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { COLOURS, cropAround, montage, renderTile, type Box, type Picture, type Tile } from './render/overlay';
import { calibrationLine, discoverCases, judgeResponse, readCase, type EvalCase, type GroundTruthLesion, type Tally } from './eval-cases';
import { analysed } from './analysis-cache';
import { runFindingsSuite } from './eval-findings';
import { caseLook, type Look } from './eval-looks';
import { explainMiss } from './explain';
import { exitWithError, parseArgs, single, UsageError } from './rerank-cli';

/** Nominal diameters (mm); the query states the inserted lesion's measured long axis. */
const SIZES = [6, 7, 10, 15, 22, 32, 45, 60, 70];
interface Trial {
  case: string;
  siteClass: SiteClass;
  sizeMm: number;
  texture: Texture;
  lang: 'en' | 'zh';
  text: string;
  top1: boolean;
  region: boolean;
  confident: boolean;
  topScore: number;
  /** Codes of the answer's caveats (what it cannot promise on this series). */
  caveats: string[];
}


/** The looks of eval-looks.ts that change the pixels only (the geometry, and so each trial's truth, stays). */
const PIXEL_LOOKS: Look[] = ['noise', 'sharp', 'soft', 'lowdose'];
/** The looks that change the geometry too, the truth carried to their slices: a thin-slice reconstruction. */
const GEOMETRY_LOOKS: Look[] = ['thin'];

interface Options { sizes: number[]; classes: SiteClass[]; scorer?: LearnedScorer; log: (s: string) => void; render?: string; cacheDir: string; reuse: boolean; explain: boolean; look?: Look }

async function runCase(c: EvalCase, o: Options): Promise<{ trials: Trial[]; falseCandidates: Record<string, number> }> {
  const { volume } = await loadSeriesFromDir(c.seriesDir);
  const base = analyseVolume(volume);
  const sites = findSites(base.anatomy.grid, base.anatomy.lungs);
  const known = knownExtents(volume, c.lesions.values());
  const trials: Trial[] = [];
  const tiles: Picture[] = [];
  for (const siteClass of o.classes) {
    for (const sizeMm of o.sizes) {
      // each trial draws from its own seed, so a run of some classes or sizes repeats those trials of the full suite
      const k = SITE_CLASSES.indexOf(siteClass) * 7 + Math.max(0, SIZES.indexOf(sizeMm));
      const random = rng(seedOf(`${c.name}/${siteClass}/${sizeMm}`));
      const site = drawSite(base, sites, siteClass, sizeMm, random, known);
      if (!site) continue;
      const texture = textureFor(sizeMm, k);
      const trial = runTrial(base, site, sizeMm, random, { texture, margin: MARGINS[k % 3], rim: k % 2 === 0 });
      const { truth } = trial;
      const drawn: GroundTruthLesion = { id: 'synthetic', kind: sizeMm > 30 ? 'mass' : 'nodule', sop_instance_uids: trial.sopInstanceUIDs, boxes: trial.boxes };
      // the scan with its lesion as another scanner would show it; the look carries the truth to its slices
      const looked = o.look ? caseLook({ ...c, lesions: new Map([[drawn.id, drawn]]), queries: [] }, trial.volume, o.look) : undefined;
      const modified = looked?.volume ?? trial.volume;
      const gt = looked?.case.lesions.get(drawn.id) ?? drawn;
      const boxes = new Map(Object.entries(gt.boxes ?? {}).map(([uid, b]) => [modified.sopInstanceUIDs.indexOf(uid), b]));
      const a = await analysed(modified, path.join(o.cacheDir, c.name, `${siteClass}-${sizeMm}-t${k}.json`), o.reuse);
      const stated = Math.max(5, Math.round(truth.longAxisMm));
      const zone = zoneOf(site.zoneFraction);
      for (const q of queriesFor(site.side, zone, stated, texture)) {
        const parsed = parseQuery(q.text);
        const r = await rerankSlices(a, parsed, { topK: 10, scorer: o.scorer });
        const j = judgeResponse(gt, r);
        trials.push({ case: c.name, siteClass, sizeMm: stated, texture, lang: q.lang, text: q.text, top1: !!j.top1, region: !!j.region, confident: j.confident, topScore: j.topScore, caveats: j.caveats });
        if (o.render && q.lang === 'en') for (const t of trialTiles(modified, boxes, r)) tiles.push(renderTile(modified, t, { size: 200, window: [-500, 1400], anatomy: a.anatomy }));
        o.log(`  ${c.name} ${siteClass.padEnd(11)} ${String(stated).padStart(3)} mm ${texture.padEnd(12)} ${q.lang}  top-1 ${j.top1 ? 'hit ' : 'MISS'}  region ${j.region ? 'hit ' : 'MISS'}  score ${j.topScore.toFixed(2)}${j.confident ? '' : ' (not confident)'}${j.caveats.length ? ` [caveat: ${j.caveats.join(', ')}]` : ''}`);
        if (o.explain && !(j.top1 && j.region)) {
          for (const l of await explainMiss(a, parsed, boxes, { scorer: o.scorer })) o.log(l);
        }
      }
    }
  }
  if (o.render) {
    await fs.mkdir(o.render, { recursive: true });
    const file = path.join(o.render, `synthetic-${c.name}.png`);
    await fs.writeFile(file, montage(tiles, 4));
    o.log(`  ${file}: per trial, the lesion's central slice (truth red, answers cyan) and the top answer's slice`);
  }
  const scan = o.look ? caseLook(c, volume, o.look) : undefined;
  return { trials, falseCandidates: await falseCandidates(scan?.case ?? c, scan ? analyseVolume(scan.volume) : base, o.scorer) };
}

/** Two tiles per trial: the lesion's largest slice, and the slice of the top answer. */
function trialTiles(v: Volume, boxes: Map<number, Box>, r: Awaited<ReturnType<typeof rerankSlices>>): Tile[] {
  let centre = -1, area = -1;
  for (const [s, b] of boxes) { const a = (b[2] - b[0] + 1) * (b[3] - b[1] + 1); if (a > area) { area = a; centre = s; } }
  const truthBox = boxes.get(centre)!;
  const crop = cropAround(v, truthBox, 140);
  const onSlice = (s: number): Tile['boxes'] => {
    const out: NonNullable<Tile['boxes']> = [];
    const t = boxes.get(s);
    if (t) out.push({ box: t, colour: COLOURS.truth });
    const res = r.results.find((x) => x.index === s);
    for (const reg of res?.regions ?? []) out.push({ box: [reg.x, reg.y, reg.x + reg.w - 1, reg.y + reg.h - 1], colour: COLOURS.answer });
    return out;
  };
  const top = r.results[0];
  const answer: Tile = top ? { slice: top.index, crop: cropAround(v, [top.regions[0]?.x ?? 0, top.regions[0]?.y ?? 0, (top.regions[0]?.x ?? 0) + (top.regions[0]?.w ?? 1), (top.regions[0]?.y ?? 0) + (top.regions[0]?.h ?? 1)], 140), boxes: onSlice(top.index) } : { slice: centre, crop };
  return [{ slice: centre, crop, boxes: onSlice(centre) }, answer];
}

const FALSE_SITES: Array<[Compartment, string]> = [
  [Compartment.Mediastinum, 'mediastinum'],
  [Compartment.Heart, 'heart'],
  [Compartment.Abdomen, 'abdomen'],
  [Compartment.ChestWall, 'chestWall'],
];

/**
 * Regions scoring ≥ 0.5 for "mass" or "nodule" in the unmodified scan that lie on no real lesion, by the
 * compartment under the region's centre, judged against the aerated lung (what bulges into the lung
 * from a compartment counts as that compartment). One count per structure (a region's label), and none for
 * a structure that lies on a real lesion on any slice: a lesion reaching a slice or two past its annotated
 * ones is that lesion, not a false candidate.
 */
async function falseCandidates(c: EvalCase, a: VolumeAnalysis, scorer?: LearnedScorer): Promise<Record<string, number>> {
  const g = a.anatomy.grid;
  const labels = thoracicCompartments(g, a.anatomy.lungs, a.anatomy.lungs.aerated);
  const counts: Record<string, number> = Object.fromEntries(FALSE_SITES.map(([, n]) => [n, 0]));
  const onLesion = new Set<string>();
  const sitesOf = new Map<string, Set<string>>();
  for (const text of ['mass', 'nodule', '肿块', '结节']) {
    const r = await rerankSlices(a, parseQuery(text), { topK: a.slices, scorer });
    for (const s of r.results) {
      for (const reg of s.regions) {
        if (reg.score < 0.5) continue;
        const onReal = [...c.lesions.values()].some((l) => {
          const b = l.boxes?.[s.sopInstanceUID];
          return b && reg.x <= b[2] && reg.x + reg.w - 1 >= b[0] && reg.y <= b[3] && reg.y + reg.h - 1 >= b[1];
        });
        if (onReal) { onLesion.add(reg.label); continue; }
        const cx = reg.x + reg.w / 2, cy = reg.y + reg.h / 2;
        const q = (Math.floor(s.index / g.fz) * g.rows + Math.floor(cy / g.fy)) * g.columns + Math.floor(cx / g.fx);
        const site = FALSE_SITES.find(([k]) => k === labels[q]);
        if (!site) continue;
        const sites = sitesOf.get(reg.label) ?? new Set<string>();
        sites.add(site[1]);
        sitesOf.set(reg.label, sites);
      }
    }
  }
  for (const [label, sites] of sitesOf) if (!onLesion.has(label)) for (const site of sites) counts[site]++;
  return counts;
}

/** The calibration line's counts: of the confident answers, the right ones; of the right answers, the confident ones. */
function calibrationOf(ts: Trial[]): { confident: number; confidentRight: number; right: number; rightConfident: number } {
  return {
    confident: ts.filter((t) => t.confident).length,
    confidentRight: ts.filter((t) => t.confident && t.top1).length,
    right: ts.filter((t) => t.top1).length,
    rightConfident: ts.filter((t) => t.top1 && t.confident).length,
  };
}

function tally(ts: Trial[]): Tally & { trials: number } {
  const t = { trials: ts.length, positives: ts.length, top1Hits: 0, top3Hits: 0, regionHits: 0, confidentTop1: 0 };
  for (const x of ts) {
    if (x.top1) t.top1Hits++;
    if (x.region) t.regionHits++;
    if (x.top1 && x.confident) t.confidentTop1++;
  }
  return t;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['cases', 'classes', 'sizes', 'model', 'ep', 'render', 'cache-dir', 'look'], ['json', 'no-model', 'findings-only', 'no-findings', 'reuse', 'explain']);
  const look = single(args, 'look') as Look | undefined;
  const looks = [...PIXEL_LOOKS, ...GEOMETRY_LOOKS];
  if (look !== undefined && !looks.includes(look)) throw new UsageError(`--look: one of ${looks.join(', ')}`);
  const dirs = args.values.get('cases') ?? (await discoverCases(SAMPLE_DATA_DIR));
  if (!dirs.length) throw new UsageError('no cases: pass --cases <dir>...');
  const classes = (single(args, 'classes')?.split(',') ?? [...SITE_CLASSES]) as SiteClass[];
  for (const k of classes) if (!SITE_CLASSES.includes(k)) throw new UsageError(`--classes: unknown site class ${k} (${SITE_CLASSES.join(', ')})`);
  const sizes = single(args, 'sizes')?.split(',').map(Number) ?? SIZES;
  if (sizes.some((d) => !(d >= 3 && d <= 90))) throw new UsageError('--sizes: diameters in mm between 3 and 90');
  const json = args.flags.has('json');
  const log = (s: string): void => { if (!json) process.stdout.write(s + '\n'); };
  const learned = args.flags.has('no-model')
    ? undefined
    : await openScorer({ id: single(args, 'model'), executionProviders: single(args, 'ep'), log: pino({ level: 'warn' }, pino.destination(2)) });
  log(`model: ${learned ? `${learned.scorer.info.id} ${learned.scorer.info.version}` : 'none (classical stages only)'}`);
  // the chest findings other than lesions (lymph nodes, effusions, ...): their own section (scripts/eval-findings.ts)
  const findings = args.flags.has('no-findings') ? undefined : () => runFindingsSuite(dirs, { scorer: learned?.scorer, log, render: single(args, 'render'), explain: args.flags.has('explain') });
  if (args.flags.has('findings-only')) {
    const report = await findings!();
    await learned?.close();
    if (json) process.stdout.write(JSON.stringify({ findings: report }, null, 2) + '\n');
    return;
  }
  const trials: Trial[] = [];
  const falseCands: Record<string, number> = {};
  for (const dir of dirs) {
    const r = await runCase(await readCase(dir), {
      sizes, classes, scorer: learned?.scorer, log, render: single(args, 'render'),
      cacheDir: single(args, 'cache-dir') ?? path.join('.cache', look ? `synthetic-${look}` : 'synthetic'), reuse: args.flags.has('reuse'), explain: args.flags.has('explain'), look,
    });
    trials.push(...r.trials);
    for (const [k, n] of Object.entries(r.falseCandidates)) falseCands[k] = (falseCands[k] ?? 0) + n;
  }
  const findingsReport = await findings?.();
  await learned?.close();
  const byClass = Object.fromEntries(classes.map((k) => [k, tally(trials.filter((t) => t.siteClass === k))]));
  const bySize = { '5-8': tally(trials.filter((t) => t.sizeMm < 8)), '8+': tally(trials.filter((t) => t.sizeMm >= 8)) };
  const byTexture = Object.fromEntries((['solid', 'part-solid', 'ground-glass'] as Texture[]).map((x) => [x, tally(trials.filter((t) => t.texture === x))]));
  const strip = (t: ReturnType<typeof tally>): { trials: number; top1Hits: number; regionHits: number; confidentTop1: number } =>
    ({ trials: t.trials, top1Hits: t.top1Hits, regionHits: t.regionHits, confidentTop1: t.confidentTop1 });
  const classes8 = Object.fromEntries(classes.map((k) => [k, strip(tally(trials.filter((t) => t.siteClass === k && t.sizeMm >= 8)))]));
  const out = {
    classes: Object.fromEntries(Object.entries(byClass).map(([k, t]) => [k, strip(t)])),
    classes8plus: classes8,
    bySize: { '5-8': strip(bySize['5-8']), '8+': strip(bySize['8+']) },
    byTexture: Object.fromEntries(Object.entries(byTexture).map(([k, t]) => [k, strip(t)])),
    falseCandidates: falseCands,
    ...(findingsReport ? { findings: findingsReport } : {}),
    // over all trials and per size: a small lesion's confident answer is wrong more often than a larger one's
    calibration: { ...calibrationOf(trials), bySize: { '5-8': calibrationOf(trials.filter((t) => t.sizeMm < 8)), '8+': calibrationOf(trials.filter((t) => t.sizeMm >= 8)) } },
    caveats: { right: trials.filter((t) => t.top1 && t.caveats.length).length, wrong: trials.filter((t) => !t.top1 && t.caveats.length).length },
  };
  if (json) { process.stdout.write(JSON.stringify(out, null, 2) + '\n'); return; }
  const line = (name: string, t: { trials: number; top1Hits: number; regionHits: number; confidentTop1: number }): string =>
    `${name.padEnd(14)} trials ${String(t.trials).padStart(3)}  top-1 ${t.top1Hits}/${t.trials}  region ${t.regionHits}/${t.trials}  confident top-1 ${t.confidentTop1}/${t.trials}`;
  log('by site class (all sizes):');
  for (const [k, t] of Object.entries(out.classes)) log('  ' + line(k, t));
  log('by site class, 8 mm and more:');
  for (const [k, t] of Object.entries(classes8)) log('  ' + line(k, t));
  log('by size:');
  for (const [k, t] of Object.entries(out.bySize)) log('  ' + line(k + ' mm', t));
  log('by texture:');
  for (const [k, t] of Object.entries(out.byTexture)) log('  ' + line(k, t));
  log(`false candidates (≥ 0.5 for mass or nodule, unmodified scans): ${Object.entries(falseCands).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  log(`calibration: ${calibrationLine(out.calibration)}`);
  for (const [k, c] of Object.entries(out.calibration.bySize)) log(`  ${k} mm: ${calibrationLine(c)}`);
  log(`caveats: on ${out.caveats.right} right top-1 answers, ${out.caveats.wrong} wrong ones`);
}

main().catch((err) => exitWithError('eval:synthetic', err));
