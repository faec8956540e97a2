/**
 * Mutated series for the API fuzz (bench/fuzz-api.ts and its seeded test): small CT series cut from
 * the sample case (12 slices of 64 × 64, real headers), each with one file made hostile — byte
 * flips, truncation, corrupt lengths, splices, odd attributes (tests/server/series/fuzz/mutate.ts),
 * or a huge declared frame count, deeply nested sequences, a deflate bomb, mixed series UIDs.
 * Seeded: the same seed gives the same series.
 */
import { headerEndOf, mutate, Rng, type Base } from '../server/series/fuzz/mutate';
import { parse, readSlice, rewrite, set } from '../server/series/fixtures';
import { deflateBombFile, nestedSequenceFile } from './hostile-dicom';

export type FuzzKind = 'clean' | 'mutate' | 'frames' | 'nested' | 'bomb' | 'mixed';

export interface FuzzSeries {
  id: number;
  kind: FuzzKind;
  ops: string;
  seriesInstanceUID: string;
  files: Array<{ name: string; data: Uint8Array }>;
  /** Files that are unchanged copies (a volume may never hold more slices than these). */
  clean: number;
}

const SIZE = 64;
const SLICES = 12;

let counter = 0;
function uid(seed: number): string {
  counter++;
  return `2.25.${seed}${String(counter).padStart(6, '0')}`;
}

/** Slice `n` of the sample case cropped to its central 64 × 64, with new UIDs. */
function smallSlice(n: number, study: string, series: string, sop: string): Uint8Array {
  return rewrite(readSlice(n), (d) => {
    const px = new Int16Array((d.dict['7FE00010'].Value as ArrayBuffer[])[0]);
    const out = new Int16Array(SIZE * SIZE);
    const off = (512 - SIZE) / 2;
    for (let r = 0; r < SIZE; r++) for (let c = 0; c < SIZE; c++) out[r * SIZE + c] = px[(off + r) * 512 + off + c];
    set(d.dict, '00280010', 'US', [SIZE]);
    set(d.dict, '00280011', 'US', [SIZE]);
    d.dict['7FE00010'] = { vr: 'OW', Value: [out.buffer] };
    set(d.dict, '0020000D', 'UI', [study]);
    set(d.dict, '0020000E', 'UI', [series]);
    set(d.dict, '00080018', 'UI', [sop]);
    set(d.meta, '00020003', 'UI', [sop]);
  });
}

const KINDS: Array<[FuzzKind, number]> = [
  ['clean', 1],
  ['mutate', 10],
  ['frames', 1],
  ['nested', 1],
  ['bomb', 1],
  ['mixed', 1],
];

/** `count` series from `seed`. */
export function fuzzSeries(count: number, seed: number): FuzzSeries[] {
  const rng = new Rng(seed);
  const weighted = KINDS.flatMap(([k, w]) => Array<FuzzKind>(w).fill(k));
  const out: FuzzSeries[] = [];
  for (let id = 0; id < count; id++) {
    const study = uid(seed);
    const series = uid(seed);
    const first = 40 + rng.int(60);
    const files = Array.from({ length: SLICES }, (_, i) => {
      const sop = uid(seed);
      return { name: `${String(i).padStart(3, '0')}.dcm`, data: smallSlice(first + i, study, series, sop) };
    });
    const kind = rng.pick(weighted);
    const victim = rng.int(SLICES);
    const v = files[victim];
    const sop = String(parse(v.data).dict['00080018'].Value[0]);
    let ops: string = kind;
    switch (kind) {
      case 'mutate': {
        const base: Base = { name: v.name, data: v.data, headerEnd: headerEndOf(v.data) };
        const m = mutate(rng, base, [base, { ...base, data: files[(victim + 1) % SLICES].data }]);
        v.data = m.data;
        ops = `mutate ${m.ops.join(', ')}`;
        break;
      }
      case 'frames': {
        const frames = rng.pick([4_000_000, 1_000_000, 65_536, 2 ** 31 - 1]);
        v.data = rewrite(v.data, (d) => {
          set(d.dict, '00280010', 'US', [1]);
          set(d.dict, '00280011', 'US', [1]);
          set(d.dict, '00280100', 'US', [8]);
          set(d.dict, '00280101', 'US', [8]);
          set(d.dict, '00280102', 'US', [7]);
          set(d.dict, '00280008', 'IS', [frames]);
          d.dict['7FE00010'] = { vr: 'OB', Value: [new Uint8Array(Math.min(frames, 1 << 20)).buffer] };
        });
        ops = `frames ${frames}`;
        break;
      }
      case 'nested':
        v.data = nestedSequenceFile(rng.pick([40, 1000, 20_000]), { study, series, sop });
        break;
      case 'bomb':
        v.data = deflateBombFile(rng.pick([10_000, 200_000]), { study, series, sop });
        break;
      case 'mixed':
        v.data = rewrite(v.data, (d) => set(d.dict, '0020000E', 'UI', [uid(seed)]));
        break;
      default:
        break;
    }
    out.push({ id, kind, ops, seriesInstanceUID: series, files, clean: kind === 'clean' ? SLICES : SLICES - 1 });
  }
  return out;
}

/** Kinds whose hostile file can never be part of a volume: an upload holding one must be refused. */
export const MUST_REFUSE: ReadonlySet<FuzzKind> = new Set(['frames', 'nested', 'bomb', 'mixed']);

export interface FuzzAnswer {
  status: number;
  ms: number;
  body: { slices?: number; skipped?: { count: number }; code?: string } | undefined;
}

/** Why an answer to a fuzzed series breaks the rules (5xx, over 10 s, a misread volume), or undefined. */
export function fuzzProblem(s: FuzzSeries, via: 'upload' | 'local', a: FuzzAnswer): string | undefined {
  if (a.status >= 500) return `${a.status} ${a.body?.code ?? ''}`;
  if (a.ms > 10_000) return `answered after ${Math.round(a.ms)} ms`;
  if (a.status >= 200 && a.status < 300) {
    const slices = a.body?.slices ?? -1;
    // A volume never holds more slices than the unchanged files: the hostile one never gets in silently.
    if (slices > s.clean && s.kind !== 'mutate') return `${slices} slices from ${s.clean} clean files (${s.ops})`;
    if (via === 'upload') {
      if (MUST_REFUSE.has(s.kind)) return `upload accepted (${s.ops})`;
      if (slices + (a.body?.skipped?.count ?? 0) !== s.files.length) return `slices + skipped ≠ ${s.files.length} files`;
    }
  } else if (![400, 404, 413, 415, 422].includes(a.status)) {
    return `unexpected status ${a.status}`;
  }
  return undefined;
}

/** One request, timed, its JSON body read if it has one; status 0 when the connection failed. */
export async function fuzzCall(origin: string, url: string, init: RequestInit): Promise<FuzzAnswer> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${origin}${url}`, { ...init, signal: AbortSignal.timeout(60_000) });
    const text = await res.text();
    let body: FuzzAnswer['body'];
    try {
      body = JSON.parse(text) as FuzzAnswer['body'];
    } catch {
      body = undefined;
    }
    return { status: res.status, ms: performance.now() - t0, body };
  } catch {
    return { status: 0, ms: performance.now() - t0, body: undefined };
  }
}
