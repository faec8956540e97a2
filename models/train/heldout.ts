/**
 * Held-out end-to-end check of the learned stage: synthetic lesions of the kinds the classical stage
 * confuses (small ground glass, juxta-vascular, juxta-pleural) are inserted one at a time into the real
 * series, in the held-out slices only (LIDC-IDRI-0001 files 1-001..1-032, never used for training, with
 * seeds the training set did not use). Each is described in a query built from its known size, texture
 * and side; the full pipeline ranks the slices with and without the model. Prints top-1 / top-3 / region
 * hits per category for both.
 *
 *   npx tsx models/train/heldout.ts [--trials 45] [--model-dir models/lesion-cnn] [--dicom-dir DIR] [--json]
 */
import path from 'node:path';
import pino from 'pino';
import { parseQuery } from '../../server/query/parse';
import { analyseVolume, rerankSlices } from '../../server/rerank/pipeline';
import type { RerankResponse } from '../../server/rerank/response';
import { LesionModel } from '../../server/runtime/lesion-cnn/model';
import { LesionCnnScorer } from '../../server/runtime/lesion-cnn/scorer';
import { loadManifest } from '../../server/runtime/manifest';
import { loadSeriesFromDir } from '../../server/series/load';
import { SAMPLE_DICOM_DIR } from '../../server/series/sample';
import type { Volume } from '../../server/series/volume';
import { EXCLUDED_FILES, placementFor, placeLesion, type LesionCategory } from './make-dataset';
import { readCtFolder, sliceRange } from './read-ct';
import { insertLesion, lesionReachMm, occupancy, rng, type LesionParams } from './synth';

const CATEGORIES: LesionCategory[] = ['lesion-small-ggo', 'lesion-juxta-vascular', 'lesion-juxta-pleural'];

interface Outcome {
  category: LesionCategory;
  query: string;
  without: Hits;
  with: Hits;
}
interface Hits {
  top1: boolean;
  top3: boolean;
  region: boolean;
}

function args(): { trials: number; modelDir: string; dicomDir: string; json: boolean } {
  const a = process.argv.slice(2);
  const get = (k: string, d: string): string => {
    const i = a.indexOf(k);
    return i >= 0 && a[i + 1] ? a[i + 1] : d;
  };
  return {
    trials: Number(get('--trials', '45')),
    modelDir: path.resolve(get('--model-dir', path.resolve(__dirname, '..', 'lesion-cnn'))),
    dicomDir: path.resolve(get('--dicom-dir', SAMPLE_DICOM_DIR)),
    json: a.includes('--json'),
  };
}

/** Slices where the lesion shows (some in-plane point of it at least half occupied). */
function lesionSlices(v: Volume, p: LesionParams): Set<number> {
  const out = new Set<number>();
  const rad = p.diameterMm / 2;
  for (let s = 0; s < v.slices; s++) {
    const dz = (s - p.slice) * v.sliceSpacing;
    if (Math.abs(dz) > rad * 2) continue;
    let best = 0;
    for (let y = -rad; y <= rad; y += rad / 3) for (let x = -rad; x <= rad; x += rad / 3) best = Math.max(best, occupancy(p, x, y, dz).occ);
    if (best >= 0.5) out.add(s);
  }
  return out;
}

/** Patient side from the body midline on the lesion's slice (LPS: +x is the patient's left). */
function sideOf(v: Volume, p: LesionParams): 'left' | 'right' {
  const s = Math.round(p.slice);
  const plane = v.rows * v.columns;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < plane; i += 3) {
    if (v.hu[s * plane + i] > -500) {
      sum += i % v.columns;
      n++;
    }
  }
  const mid = n ? sum / n : v.columns / 2;
  const dx = (p.column - mid) * v.rowCosines[0];
  return dx > 0 ? 'left' : 'right';
}

function describe(v: Volume, p: LesionParams): string {
  const texture = p.texture === 'solid' ? 'solid' : p.texture === 'part-solid' ? 'part-solid' : 'ground-glass';
  return `${Math.max(3, Math.round(p.diameterMm))} mm ${texture} nodule in the ${sideOf(v, p)} upper lobe`;
}

function judge(r: RerankResponse, slices: Set<number>, p: LesionParams, v: Volume): Hits {
  const top = r.results;
  const rad = p.diameterMm / 2 / v.pixelSpacing[1];
  const box = [p.column - rad, p.row - rad, p.column + rad, p.row + rad];
  const first = top[0];
  const reg = first?.regions[0];
  const region =
    !!reg && !!first && slices.has(first.index) && reg.x <= box[2] && reg.x + reg.w >= box[0] && reg.y <= box[3] && reg.y + reg.h >= box[1];
  return { top1: !!first && slices.has(first.index), top3: top.slice(0, 3).some((x) => slices.has(x.index)), region };
}

async function main(): Promise<void> {
  const a = args();
  const log = pino({ level: 'warn' }, pino.destination(2));
  const model = await LesionModel.open(await loadManifest(a.modelDir), { order: ['cpu'], log });
  const scorer = new LesionCnnScorer(model);
  const { volume } = await loadSeriesFromDir(a.dicomDir);
  const ct = readCtFolder(a.dicomDir);
  if (ct.grid.slices !== volume.slices) throw new Error('loader and training reader disagree on the slice count');
  const nums = ct.files.map((n) => Number(/-(\d+)\.dcm$/i.exec(n)?.[1]));
  // Held-out range: above the excluded gap (files 1-001..1-032), as in make-dataset.ts.
  const from = nums.findIndex((n) => n < EXCLUDED_FILES.first);
  const to = ct.grid.slices;
  const held = sliceRange(ct.grid, from, to);
  const pl = placementFor(held);
  const r = rng(424242);
  const outcomes: Outcome[] = [];
  const hu = volume.hu as Float32Array;
  for (let t = 0; outcomes.length < a.trials && t < a.trials * 20; t++) {
    const category = CATEGORIES[outcomes.length % CATEGORIES.length];
    const placed = placeLesion(held, pl, r, category);
    if (!placed) continue;
    const lesion: LesionParams = { ...placed.lesion, slice: placed.lesion.slice + from };
    // Insert in place and restore afterwards (cheaper than copying the volume per trial).
    const reach = lesionReachMm(lesion) / volume.sliceSpacing + 2;
    const s0 = Math.max(0, Math.floor(lesion.slice - reach));
    const s1 = Math.min(volume.slices, Math.ceil(lesion.slice + reach) + 1);
    const plane = volume.rows * volume.columns;
    const saved = hu.slice(s0 * plane, s1 * plane);
    insertLesion(volume, lesion);
    try {
      const slices = lesionSlices(volume, lesion);
      const query = describe(volume, lesion);
      const analysis = analyseVolume(volume);
      const parsed = parseQuery(query);
      const without = await rerankSlices(analysis, parsed, { topK: 10 });
      const withModel = await rerankSlices(analysis, parsed, { topK: 10, scorer });
      const o: Outcome = { category, query, without: judge(without, slices, lesion, volume), with: judge(withModel, slices, lesion, volume) };
      outcomes.push(o);
      if (!a.json) {
        const f = (h: Hits): string => `${h.top1 ? 'T1' : '--'} ${h.top3 ? 'T3' : '--'} ${h.region ? 'R' : '-'}`;
        process.stdout.write(`${String(outcomes.length).padStart(3)} ${category.padEnd(22)} without [${f(o.without)}]  with [${f(o.with)}]  "${query}"\n`);
      }
    } finally {
      hu.set(saved, s0 * plane);
    }
  }
  await model.close();
  const sum = (xs: Outcome[], k: 'without' | 'with', m: keyof Hits): number => xs.filter((o) => o[k][m]).length;
  const table = [...CATEGORIES, 'all' as const].map((c) => {
    const xs = c === 'all' ? outcomes : outcomes.filter((o) => o.category === c);
    return {
      category: c,
      n: xs.length,
      without: { top1: sum(xs, 'without', 'top1'), top3: sum(xs, 'without', 'top3'), region: sum(xs, 'without', 'region') },
      with: { top1: sum(xs, 'with', 'top1'), top3: sum(xs, 'with', 'top3'), region: sum(xs, 'with', 'region') },
    };
  });
  if (a.json) {
    process.stdout.write(JSON.stringify({ model: model.info, table, outcomes }, null, 2) + '\n');
    return;
  }
  process.stdout.write(`\nheld-out synthetic lesions, ${outcomes.length} trials; model ${model.info.id} ${model.info.version}\n`);
  process.stdout.write('category                 n   top-1 without→with   top-3 without→with   region without→with\n');
  for (const row of table) {
    const f = (k: 'top1' | 'top3' | 'region'): string => `${row.without[k]}→${row.with[k]}`.padEnd(21);
    process.stdout.write(`${row.category.padEnd(22)} ${String(row.n).padStart(3)}   ${f('top1')}${f('top3')}${f('region')}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`heldout: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
