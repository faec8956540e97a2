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
  sop_instance_uids: string[];
  boxes?: Record<string, [number, number, number, number]>;
}

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
  /** null for negative queries (no lesion to hit). */
  top1: boolean | null;
  top3: boolean | null;
  /** null for negative queries, and for lesions without boxes. */
  region: boolean | null;
  topScore: number;
  flagged: boolean;
  latencyMs: number;
}

export interface Totals {
  positives: number;
  top1Hits: number;
  top3Hits: number;
  regionHits: number;
  negatives: number;
  negativesFlagged: number;
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
    lesions.set(l.id, { id: l.id, sop_instance_uids: l.sop_instance_uids as string[], boxes });
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

function overlaps(a: { x: number; y: number; w: number; h: number }, b: [number, number, number, number]): boolean {
  const [x0, y0, x1, y1] = b;
  return a.x <= x1 && a.x + a.w - 1 >= x0 && a.y <= y1 && a.y + a.h - 1 >= y0;
}

function containsCentre(a: { x: number; y: number; w: number; h: number }, b: [number, number, number, number]): boolean {
  const cx = (b[0] + b[2]) / 2, cy = (b[1] + b[3]) / 2;
  return cx >= a.x && cx <= a.x + a.w && cy >= a.y && cy <= a.y + a.h;
}

export function judge(c: EvalCase, q: CaseQuery, r: RerankResponse, latencyMs: number): QueryOutcome {
  const topScore = r.results[0]?.score ?? 0;
  const base = { case: c.name, id: q.id, topScore, flagged: r.noConfidentMatch, latencyMs: Math.round(latencyMs * 10) / 10 };
  if (q.lesion === null) return { ...base, top1: null, top3: null, region: null };
  const lesion = c.lesions.get(q.lesion)!;
  const uids = new Set(lesion.sop_instance_uids);
  const top1 = r.results.length > 0 && uids.has(r.results[0].sopInstanceUID);
  const top3 = r.results.slice(0, 3).some((s) => uids.has(s.sopInstanceUID));
  let region: boolean | null = null;
  if (lesion.boxes && Object.keys(lesion.boxes).length) {
    const top = r.results[0];
    const box = top ? lesion.boxes[top.sopInstanceUID] : undefined;
    const best = top?.regions[0];
    region = !!(box && best && (overlaps(best, box) || containsCentre(best, box)));
  }
  return { ...base, top1, top3, region };
}

export function totalsOf(outcomes: QueryOutcome[], cases: EvalCase[]): Totals {
  const t: Totals = { positives: 0, top1Hits: 0, top3Hits: 0, regionHits: 0, negatives: 0, negativesFlagged: 0 };
  const byCase = new Map(cases.map((c) => [c.name, c]));
  for (const o of outcomes) {
    const q = byCase.get(o.case)?.queries.find((x) => x.id === o.id);
    if (q?.lesion === null) {
      t.negatives++;
      if (o.flagged) t.negativesFlagged++;
      continue;
    }
    t.positives++;
    if (o.top1) t.top1Hits++;
    if (o.top3) t.top3Hits++;
    if (o.region) t.regionHits++;
  }
  return t;
}
