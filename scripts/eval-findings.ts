/**
 * The chest-finding section of the synthetic suite (`npm run -s eval:synthetic`, or alone with
 * `-- --findings-only`): per development scan, four trials, each with one of every finding type drawn into
 * a copy of the scan (models/synthetic/findings.ts: a dependent effusion with a meniscus, a non-dependent
 * pneumothorax rim, a low-attenuation pattern, a dense wedge with air bronchograms, an air pocket or
 * bubbles inside a nodule, a node in mediastinal fat at a named station), four with one hemithorax
 * filled (with fluid: a massive effusion; with soft tissue: a collapsed lung; right and left) and two with one lung
 * emphysematous throughout (right and left), each queried in English and
 * Chinese with its true side, level and amount. A hit: the top slice lies on the finding (top-1), the top
 * region on its box (region), the top lesion on its side (side). Then the unmodified scans: the best score
 * of any effusion, pneumothorax or consolidation there (must stay under 0.5). Each insertion draws from its
 * own seed (scan, trial, finding), so a change that moves one finding's place leaves the other trials as they were.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseQuery } from '../server/query/parse';
import { stationOf } from '../server/rerank/analysis/mediastinum';
import type { LearnedScorer } from '../server/rerank/learned';
import { analyseVolume, rerankSlices, type VolumeAnalysis } from '../server/rerank/pipeline';
import { loadSeriesFromDir } from '../server/series/load';
import type { Vec3, Volume } from '../server/series/volume';
import {
  FINDING_KINDS, insertCavity, insertCollapsedLung, insertConsolidation, insertDiffuseEmphysema, insertEffusion, insertEmphysema, insertNode, insertOpaqueHemithorax, insertPneumothorax, sceneOf,
  type FindingKind, type InsertedFinding, type NodeStation, type Scene,
} from '../models/synthetic/findings';
import { rng, seedOf } from '../models/synthetic/lesion';
import { findSites } from '../models/synthetic/sites';
import { judgeResponse, readCase, type EvalCase, type GroundTruthLesion } from './eval-cases';
import { explainMiss } from './explain';
import { COLOURS, cropAround, montage, renderTile, type Picture } from './render/overlay';

export interface FindingsOptions {
  scorer?: LearnedScorer;
  log: (s: string) => void;
  /** Folder for a PNG per scan: each finding's central slice with its truth (red) and the answer (cyan). */
  render?: string;
  /** Follow each miss with what the pipeline made of the finding (scripts/explain.ts). */
  explain?: boolean;
  trials?: number;
}

interface Outcome { kind: FindingKind; top1: boolean; region: boolean; side: boolean; confident: boolean }

export interface FindingsReport {
  /** Per finding type: trials (queries), top-1, region and side hits, confident top-1. */
  byKind: Record<string, { trials: number; top1: number; region: number; side: number; confidentTop1: number }>;
  /** Per unmodified scan: the best score for an effusion, a pneumothorax and a consolidation. */
  absent: Record<string, Record<string, number>>;
  /**
   * Drawn pneumothoraces (each on the side without drawn emphysema), those that add 5 mL or more of low-attenuation
   * lung to what is reported as emphysema (likelihood 0.5 or more) on their side beyond the unmodified scan's, and that volume in all (mL).
   */
  emphysemaOnPneumothorax: { pneumothoraces: number; reported: number; addedMl: number };
}

/** What is queried on the unmodified scans: nothing of these may score 0.5. */
const ABSENT: Array<[string, string]> = [
  ['pleural effusion', 'pleural effusion'], ['pleural effusion', 'right pleural effusion'], ['pleural effusion', 'left pleural effusion'], ['pleural effusion', '胸腔积液'],
  ['pneumothorax', 'pneumothorax'], ['pneumothorax', '气胸'],
  ['consolidation', 'consolidation'], ['consolidation', '肺实变'],
];

/** Stations tried in turn; those of a real node in the scan are left out (it would be the right answer too). */
const STATIONS: NodeStation[] = ['7', '4R', '4L', '10R', '5', '2R', '10L', '1L', '1R'];

export async function runFindingsSuite(dirs: string[], o: FindingsOptions): Promise<FindingsReport> {
  const outcomes: Outcome[] = [];
  const absent: FindingsReport['absent'] = {};
  const emphysemaOnPneumothorax = { pneumothoraces: 0, reported: 0, addedMl: 0 };
  for (const dir of dirs) {
    const c = await readCase(dir);
    const r = await runCase(c, o);
    outcomes.push(...r.outcomes);
    absent[c.name] = r.absent;
    for (const ml of r.emphysemaAddedMl) {
      emphysemaOnPneumothorax.pneumothoraces++;
      if (ml >= 5) emphysemaOnPneumothorax.reported++;
      emphysemaOnPneumothorax.addedMl += Math.max(0, ml);
    }
  }
  const byKind: FindingsReport['byKind'] = {};
  for (const kind of FINDING_KINDS) {
    const xs = outcomes.filter((x) => x.kind === kind);
    byKind[kind] = {
      trials: xs.length,
      top1: xs.filter((x) => x.top1).length,
      region: xs.filter((x) => x.region).length,
      side: xs.filter((x) => x.side).length,
      confidentTop1: xs.filter((x) => x.top1 && x.confident).length,
    };
  }
  o.log('chest findings, by type:');
  for (const [kind, t] of Object.entries(byKind)) {
    const pct = t.trials ? Math.round((100 * t.top1) / t.trials) : 0;
    o.log(`  ${kind.padEnd(17)} trials ${String(t.trials).padStart(3)}  top-1 ${t.top1}/${t.trials} (${pct} %)  region ${t.region}/${t.trials}  side ${t.side}/${t.trials}  confident top-1 ${t.confidentTop1}/${t.trials}`);
  }
  o.log('unmodified scans, best score (must stay under 0.5):');
  for (const [name, best] of Object.entries(absent)) o.log(`  ${name.padEnd(16)} ${Object.entries(best).map(([k, x]) => `${k} ${x.toFixed(3)}`).join(', ')}`);
  const e = emphysemaOnPneumothorax;
  o.log(`pneumothoraces adding ≥ 5 mL of low-attenuation lung to the emphysema reported on their side: ${e.reported} of ${e.pneumothoraces} (${Math.round(e.addedMl)} mL in all)`);
  return { byKind, absent, emphysemaOnPneumothorax };
}

async function runCase(c: EvalCase, o: FindingsOptions): Promise<{ outcomes: Outcome[]; absent: Record<string, number>; emphysemaAddedMl: number[] }> {
  const { volume } = await loadSeriesFromDir(c.seriesDir);
  const base = analyseVolume(volume);
  const absent: Record<string, number> = {};
  for (const [kind, text] of ABSENT) {
    const r = await rerankSlices(base, parseQuery(text), { topK: 1, scorer: o.scorer });
    absent[kind] = Math.max(absent[kind] ?? 0, r.results[0]?.score ?? 0);
  }
  const scene = sceneOf(base, findSites(base.anatomy.grid, base.anatomy.lungs));
  const taken = realNodeStations(c, base, scene);
  const stations = STATIONS.filter((s) => !taken.has(s.replace(/[RL]$/, '')));
  const outcomes: Outcome[] = [];
  const pictures: Picture[] = [];
  const emphysemaAddedMl: number[] = [];
  const trials = o.trials ?? 4;
  let station = 0;
  for (let k = 0; k < trials; k++) {
    const side = k % 2 ? 'left' : 'right';
    const other = k % 2 ? 'right' : 'left';
    const hu = volume.hu.slice();
    // each insertion draws from its own seed: a change to one (a station's target, a place found or not) leaves the others as they were
    const draw = (what: string): (() => number) => rng(seedOf(`${c.name}/${k}/${what}`));
    const inserted: InsertedFinding[] = [];
    const put = (f: InsertedFinding | null, what: string): void => {
      if (f && f.boxes.size) inserted.push(f);
      else o.log(`  ${c.name} trial ${k}: no place for ${what}`);
    };
    put(insertEffusion(scene, hu, side, [22, 40, 60, 30][k % 4], draw('effusion')), 'an effusion');
    put(insertEmphysema(scene, hu, side, k < 2 ? 'centrilobular' : 'paraseptal', draw('emphysema')), 'emphysema');
    put(insertCavity(scene, hu, side, k >= 2, draw('cavity')), 'a cavitary nodule');
    put(insertPneumothorax(scene, hu, other, [14, 24, 36, 18][k % 4], draw('pneumothorax')), 'a pneumothorax');
    put(insertConsolidation(scene, hu, other, draw('consolidation')), 'a consolidation');
    let node: InsertedFinding | null = null;
    while (!node && station < stations.length) {
      const at = stations[station++];
      node = insertNode(scene, hu, at, draw(`node ${at}`));
    }
    put(node, 'a lymph node');
    const modified: Volume = { ...volume, hu };
    const a = analyseVolume(modified);
    for (const f of inserted) if (f.kind === 'pneumothorax') emphysemaAddedMl.push(emphysemaMl(a, f.side) - emphysemaMl(base, f.side));
    await judge(`trial ${k}`, modified, a, inserted);
  }
  // a massive effusion or a collapsed lung fills its hemithorax and hides everything else on that side, and emphysema
  // all through a lung is the lung: a trial of its own each
  for (const [what, insert] of [['opaque', insertOpaqueHemithorax], ['collapse', insertCollapsedLung], ['diffuse', insertDiffuseEmphysema]] as const)
    for (const side of ['right', 'left'] as const) {
      const hu = volume.hu.slice();
      const f = insert(scene, hu, side, rng(seedOf(`${c.name}/${what}/${side}`)));
      const modified: Volume = { ...volume, hu };
      await judge(what, modified, analyseVolume(modified), [f]);
    }

  /** Each inserted finding's queries on the analysis of the scan they were drawn into. */
  async function judge(trial: string, modified: Volume, a: VolumeAnalysis, inserted: InsertedFinding[]): Promise<void> {
    for (const f of inserted) {
      const gt: GroundTruthLesion = { id: f.kind, kind: f.kind, sop_instance_uids: [...f.boxes.keys()].map((s) => volume.sopInstanceUIDs[s]), boxes: {} };
      for (const [s, b] of f.boxes) gt.boxes![volume.sopInstanceUIDs[s]] = b;
      for (const q of f.queries) {
        const parsed = parseQuery(q.text);
        const r = await rerankSlices(a, parsed, { topK: 10, scorer: o.scorer });
        const j = judgeResponse(gt, r);
        const top = r.findings[0]?.lesions[0];
        const side = top?.side === f.side;
        outcomes.push({ kind: f.kind, top1: !!j.top1, region: !!j.region, side, confident: j.confident });
        o.log(
          `  ${c.name} ${trial} ${f.kind.padEnd(17)} ${f.side.padEnd(5)} ${q.lang}  top-1 ${j.top1 ? 'hit ' : 'MISS'}  region ${j.region ? 'hit ' : 'MISS'}  side ${side ? 'hit ' : 'MISS'}  score ${j.topScore.toFixed(2)}  ${f.note}  "${q.text}"`,
        );
        if (o.explain && !(j.top1 && j.region)) {
          for (const l of await explainMiss(a, parsed, f.boxes, { scorer: o.scorer })) o.log(l);
        }
        if (o.render && q.lang === 'en') pictures.push(...tiles(modified, f, r));
      }
    }
  }
  if (o.render && pictures.length) {
    await fs.mkdir(o.render, { recursive: true });
    const file = path.join(o.render, `findings-${c.name}.png`);
    await fs.writeFile(file, montage(pictures, 4));
    o.log(`  ${file}: per finding, its central slice (truth red, answers cyan) and the top answer's slice`);
  }
  return { outcomes, absent, emphysemaAddedMl };
}

/** The low-attenuation volume (mL) of the emphysema reported (likelihood 0.5 or more) on one side. */
function emphysemaMl(a: VolumeAnalysis, side: string): number {
  return a.candidates.filter((x) => x.kind === 'emphysema' && x.side === side && x.lesionLikelihood >= 0.5).reduce((t, x) => t + (x.measures?.lowAttenuationMl ?? 0), 0);
}

/** The stations of the scan's own lymph nodes (ground truth), by their centres. */
function realNodeStations(c: EvalCase, a: VolumeAnalysis, sc: Scene): Set<string> {
  const v = a.volume;
  const out = new Set<string>();
  for (const l of c.lesions.values()) {
    if (l.kind !== 'lymph node') continue;
    for (const [uid, b] of Object.entries(l.boxes ?? {})) {
      const s = v.sopInstanceUIDs.indexOf(uid);
      if (s < 0) continue;
      const col = (b[0] + b[2]) / 2, row = (b[1] + b[3]) / 2;
      const p = [0, 1, 2].map((k) => v.positions[s][k] + v.rowCosines[k] * col * v.pixelSpacing[1] + v.columnCosines[k] * row * v.pixelSpacing[0]) as Vec3;
      const st = stationOf(sc.landmarks, a.anatomy.lungs, a.anatomy.grid, p);
      if (st) out.add(st.replace(/[RL]$/, ''));
    }
  }
  return out;
}

/** Two tiles per query: the finding's largest slice with its truth, and the top answer's slice. */
function tiles(v: Volume, f: InsertedFinding, r: Awaited<ReturnType<typeof rerankSlices>>): Picture[] {
  let centre = -1, area = -1;
  for (const [s, b] of f.boxes) { const x = (b[2] - b[0] + 1) * (b[3] - b[1] + 1); if (x > area) { area = x; centre = s; } }
  const truth = f.boxes.get(centre)!;
  const soft = f.kind === 'lymph node' || f.kind === 'pleural effusion' || f.kind === 'opaque hemithorax' || f.kind === 'collapsed lung';
  const window: [number, number] = soft ? [40, 400] : [-600, 1500];
  const draw = (s: number) => {
    const boxes = [];
    const t = f.boxes.get(s);
    if (t) boxes.push({ box: t, colour: COLOURS.truth });
    for (const reg of r.results.find((x) => x.index === s)?.regions ?? []) boxes.push({ box: [reg.x, reg.y, reg.x + reg.w - 1, reg.y + reg.h - 1] as [number, number, number, number], colour: COLOURS.answer });
    return boxes;
  };
  const crop = cropAround(v, truth, 200);
  const out = [renderTile(v, { slice: centre, crop, boxes: draw(centre) }, { size: 220, window })];
  const top = r.results[0];
  if (top) {
    const reg = top.regions[0];
    const at = reg ? cropAround(v, [reg.x, reg.y, reg.x + reg.w - 1, reg.y + reg.h - 1], 200) : crop;
    out.push(renderTile(v, { slice: top.index, crop: at, boxes: draw(top.index) }, { size: 220, window }));
  } else out.push(renderTile(v, { slice: centre, crop }, { size: 220, window }));
  return out;
}
