/**
 * Quality evaluation over annotated cases, pure scoring part. A case folder holds `ground-truth.json`
 * (`series_dir`, `lesions[]` with `id`, `sop_instance_uids[]`, optional `boxes` per SOP UID as [x0,y0,x1,y1])
 * and `queries.json` (`[{id, lang, lesion, text}]`, `lesion: null` for a finding the scan does not have).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { RerankResponse } from '../server/rerank/response';

export interface GroundTruthLesion {
  id: string;
  /** nodule, mass, lymph node, ... ("lesion" when the file does not say). */
  kind: string;
  sop_instance_uids: string[];
  boxes?: Record<string, [number, number, number, number]>;
}

/** A lesion asked for in a word, as a reader types it to find the one lesion of that kind: per kind, in English and Chinese. */
export const SHORT_WORDS: Record<'nodule' | 'mass', [string, string]> = { nodule: ['nodule', '结节'], mass: ['mass', '肿块'] };

export interface CaseQuery {
  id: string;
  lang?: string;
  lesion: string | null;
  text: string;
}

export interface EvalCase {
  name: string;
  dir: string;
  seriesDir: string;
  lesions: Map<string, GroundTruthLesion>;
  queries: CaseQuery[];
}

export interface QueryOutcome {
  case: string;
  id: string;
  /** The lesion's kind for positives, null for negatives. */
  kind: string | null;
  /** null for negative queries (no lesion to hit). */
  top1: boolean | null;
  top3: boolean | null;
  /** null for negative queries, and for lesions without boxes. */
  region: boolean | null;
  topScore: number;
  /** The top answer is confident (not flagged as no confident match). */
  confident: boolean;
  flagged: boolean;
  /** Codes of the answer's caveats (what it cannot promise on this series). */
  caveats: string[];
  latencyMs: number;
}

export interface Tally {
  positives: number;
  top1Hits: number;
  top3Hits: number;
  regionHits: number;
  /** Right top-1 answers that were also confident. */
  confidentTop1: number;
}

export interface Totals extends Tally {
  negatives: number;
  negativesFlagged: number;
  /** Per lesion kind (nodule, mass, lymph node, ...). */
  byKind: Record<string, Tally>;
  /** Of the confident answers (positives and negatives), how many were right (top-1 on the lesion). */
  calibration: { confident: number; confidentRight: number; right: number; rightConfident: number };
}

const emptyTally = (): Tally => ({ positives: 0, top1Hits: 0, top3Hits: 0, regionHits: 0, confidentTop1: 0 });

function count(t: Tally, o: Pick<QueryOutcome, 'top1' | 'top3' | 'region' | 'confident'>): void {
  t.positives++;
  if (o.top1) t.top1Hits++;
  if (o.top3) t.top3Hits++;
  if (o.region) t.regionHits++;
  if (o.top1 && o.confident) t.confidentTop1++;
}

/** Totals, per kind, and the calibration line, over judged outcomes (positives have a kind, negatives none). */
export function totalsOf(outcomes: ReadonlyArray<Pick<QueryOutcome, 'kind' | 'top1' | 'top3' | 'region' | 'confident' | 'flagged'>>): Totals {
  const t: Totals = { ...emptyTally(), negatives: 0, negativesFlagged: 0, byKind: {}, calibration: { confident: 0, confidentRight: 0, right: 0, rightConfident: 0 } };
  for (const o of outcomes) {
    if (o.confident) t.calibration.confident++;
    if (o.kind === null) {
      t.negatives++;
      if (o.flagged) t.negativesFlagged++;
      continue;
    }
    count(t, o);
    count((t.byKind[o.kind] ??= emptyTally()), o);
    if (o.top1) t.calibration.right++;
    if (o.top1 && o.confident) { t.calibration.confidentRight++; t.calibration.rightConfident++; }
  }
  return t;
}

/** "confident answers right: 18/19 (95 %); right answers confident: 18/19 (95 %)". */
export function calibrationLine(c: Totals['calibration']): string {
  const pct = (a: number, b: number): string => (b ? `${Math.round((100 * a) / b)} %` : '–');
  return `confident answers right ${c.confidentRight}/${c.confident} (${pct(c.confidentRight, c.confident)}); right answers confident ${c.rightConfident}/${c.right} (${pct(c.rightConfident, c.right)})`;
}

export class CaseFormatError extends Error {}

async function readJson(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new CaseFormatError(`${file}: cannot be read`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CaseFormatError(`${file}: not valid JSON`);
  }
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export async function readCase(dir: string): Promise<EvalCase> {
  const gtFile = path.join(dir, 'ground-truth.json');
  const qFile = path.join(dir, 'queries.json');
  const gt = await readJson(gtFile);
  if (!isObj(gt) || typeof gt.series_dir !== 'string' || !Array.isArray(gt.lesions)) {
    throw new CaseFormatError(`${gtFile}: needs "series_dir" (string) and "lesions" (array)`);
  }
  const lesions = new Map<string, GroundTruthLesion>();
  for (const l of gt.lesions) {
    if (!isObj(l) || typeof l.id !== 'string' || !Array.isArray(l.sop_instance_uids) || !l.sop_instance_uids.every((u) => typeof u === 'string')) {
      throw new CaseFormatError(`${gtFile}: each lesion needs "id" and "sop_instance_uids" (strings)`);
    }
    const boxes = isObj(l.boxes) ? (l.boxes as Record<string, [number, number, number, number]>) : undefined;
    lesions.set(l.id, { id: l.id, kind: typeof l.kind === 'string' ? l.kind : 'lesion', sop_instance_uids: l.sop_instance_uids as string[], boxes });
  }
  const qs = await readJson(qFile);
  if (!Array.isArray(qs)) throw new CaseFormatError(`${qFile}: must be a list of {id, lang, lesion, text}`);
  const queries: CaseQuery[] = [];
  for (const q of qs) {
    if (!isObj(q) || typeof q.id !== 'string' || typeof q.text !== 'string' || !(q.lesion === null || typeof q.lesion === 'string')) {
      throw new CaseFormatError(`${qFile}: each query needs "id", "text" and "lesion" (string or null)`);
    }
    if (typeof q.lesion === 'string' && !lesions.has(q.lesion)) throw new CaseFormatError(`${qFile}: query ${q.id} names unknown lesion ${q.lesion}`);
    queries.push({ id: q.id, lang: typeof q.lang === 'string' ? q.lang : undefined, lesion: q.lesion as string | null, text: q.text });
  }
  return { name: path.basename(path.resolve(dir)), dir, seriesDir: path.resolve(dir, gt.series_dir), lesions, queries };
}

/** Case folders under `root`: its subfolders that hold a ground-truth.json. */
export async function discoverCases(root: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await fs.readdir(root);
  } catch {
    throw new CaseFormatError(`${root}: cannot be read`);
  }
  const out: string[] = [];
  for (const e of entries.sort()) {
    const dir = path.join(root, e);
    try {
      await fs.access(path.join(dir, 'ground-truth.json'));
      out.push(dir);
    } catch {
      // not a case folder
    }
  }
  return out;
}

type Box = [number, number, number, number];

/**
 * A region hits a lesion's box when its centre lies on the box grown by a quarter of the box's size
 * (at least 5 px) on each side, or when the two overlap with an IoU of at least 0.2. Touching the
 * box is not enough: a region on another structure of the same slice must miss.
 */
export function regionHits(a: { x: number; y: number; w: number; h: number }, b: Box): boolean {
  const [x0, y0, x1, y1] = b;
  const mx = Math.max(5, (x1 - x0 + 1) / 4), my = Math.max(5, (y1 - y0 + 1) / 4);
  const cx = a.x + (a.w - 1) / 2, cy = a.y + (a.h - 1) / 2;
  if (cx >= x0 - mx && cx <= x1 + mx && cy >= y0 - my && cy <= y1 + my) return true;
  const ix = Math.max(0, Math.min(a.x + a.w - 1, x1) - Math.max(a.x, x0) + 1);
  const iy = Math.max(0, Math.min(a.y + a.h - 1, y1) - Math.max(a.y, y0) + 1);
  const inter = ix * iy;
  const union = a.w * a.h + (x1 - x0 + 1) * (y1 - y0 + 1) - inter;
  return union > 0 && inter / union >= 0.2;
}

/** Judges one response against one lesion (its slices and boxes), or against none for a negative query. */
export function judgeResponse(lesion: GroundTruthLesion | null, r: RerankResponse): Pick<QueryOutcome, 'top1' | 'top3' | 'region' | 'topScore' | 'flagged' | 'confident' | 'kind' | 'caveats'> {
  const topScore = r.results[0]?.score ?? 0;
  const base = { topScore, flagged: r.noConfidentMatch, confident: !r.noConfidentMatch && r.results.length > 0, caveats: (r.caveats ?? []).map((x) => x.code) };
  if (!lesion) return { ...base, kind: null, top1: null, top3: null, region: null };
  const uids = new Set(lesion.sop_instance_uids);
  const top1 = r.results.length > 0 && uids.has(r.results[0].sopInstanceUID);
  const top3 = r.results.slice(0, 3).some((s) => uids.has(s.sopInstanceUID));
  let region: boolean | null = null;
  if (lesion.boxes && Object.keys(lesion.boxes).length) {
    const top = r.results[0];
    const box = top ? lesion.boxes[top.sopInstanceUID] : undefined;
    const best = top?.regions[0];
    region = !!(box && best && regionHits(best, box));
  }
  return { ...base, kind: lesion.kind, top1, top3, region };
}

export function judge(c: EvalCase, q: CaseQuery, r: RerankResponse, latencyMs: number): QueryOutcome {
  const lesion = q.lesion === null ? null : c.lesions.get(q.lesion)!;
  return { case: c.name, id: q.id, latencyMs: Math.round(latencyMs * 10) / 10, ...judgeResponse(lesion, r) };
}
