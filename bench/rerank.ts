/**
 * `npm run -s bench:rerank [-- --dicom-dir <dir>]... [--runs N] [--model ID | --no-model] [--concurrent N] [--warm-up-runs N] [--json]`
 *
 * Cold end to end as the service does it for a folder (the pool's workers read and decode the files
 * and analyse the volume, its lesion and chest-finding searches on two threads at once; the model
 * worker scores with the learned model, the query worker fuses) and warm queries, for the thin-slice
 * case (LIDC-IDRI-0001 resampled to 0.625 mm: 529 slices, made once under .cache/thin/), the same at
 * 1.25 mm (265 slices, the 261-slice class), and the three development cases; per stage, and per 100
 * slices. Then the event-loop delay while `--concurrent` (4) cold series are analysed at once: what
 * /healthz waits behind.
 *
 * The engine warms up first as the service does before it reports ready (`--warm-up-runs`, the service's
 * default; 0 to see what the first series pays without it). The first run of a case in a fresh process
 * also pays for faulting in memory the process has not held before (expensive on virtual machines); the
 * median of the later runs is the steady state of a server (the process runs with the malloc tunables of
 * server/workers/malloc.ts). The machine's load average is
 * printed: numbers taken on a busy machine are slower.
 */
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { createEngine, type Engine } from '../server/http/engine';
import { parseQuery } from '../server/query/parse';
import { indexFolder } from '../server/dicomweb/folder-index';
import { scanPart10 } from '../server/series/part10';
import { localSeriesFiles } from '../server/series/sources/local';
import { SAMPLE_DICOM_DIR } from '../server/series/sample';
import { afterRelease } from '../server/workers/gc';
import { relaunchWithMallocTunables } from '../server/workers/malloc';
import { exitWithError, numberArg, parseArgs, single } from '../scripts/rerank-cli';
import { defaultConfig } from '../server/config';
import { thinSeries } from './thin-series';

const QUERIES = [
  'spiculated solid nodule in the left lung',
  '8 mm ground-glass nodule, right upper lobe',
  '3 cm mass at the level of the carina, posterior',
  '右肺下叶实性结节，边缘光滑',
  'part-solid nodule in the lingula, no calcification',
];

const DATA = path.resolve(__dirname, '..', '..', 'shared', 'data');

interface ColdRun {
  slices: number;
  candidates: number;
  /** Wall ms per stage; `total` from the first read to the first answer. */
  ms: Record<string, number>;
  /** CPU ms of the whole process (every thread) per phase: what a busy machine does not inflate much. */
  cpu: Record<string, number>;
}

const cpuNow = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r1 = (x: number): number => Math.round(x * 10) / 10;
/** The analysis' stage timings (indented keys) added up: its wall time were they run one after the other. */
const stageSum = (ms: Record<string, number>): number => Object.entries(ms).reduce((a, [k, v]) => (k.startsWith('  ') ? a + v : a), 0);

function filesOf(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Array<{ isFile(): boolean; name: string; parentPath: string }>)
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

type SeriesFiles = ReturnType<typeof localSeriesFiles>;

/** The folder's series as the service names it from its index (made at its start, not per request). */
async function seriesFiles(dir: string): Promise<SeriesFiles> {
  const index = await indexFolder(dir);
  const [series] = index.studies.flatMap((s) => s.series);
  return localSeriesFiles(index, { seriesInstanceUID: series.seriesInstanceUID });
}

/** One cold load + first query through the engine, as the series service runs it for a local folder (its files named, read by the workers). */
async function cold(engine: Engine, files: SeriesFiles, model: string | undefined): Promise<{ run: ColdRun; warm: number[] }> {
  const c0 = cpuNow();
  const t0 = performance.now();
  const load = engine.openLoad({ expected: files.length });
  for (const f of files) load.push(f);
  load.end();
  await load.decoded();
  const tDecoded = performance.now();
  const cDecoded = cpuNow();
  const out = await load.finish({ analyse: true });
  const tAnalysed = performance.now();
  const cAnalysed = cpuNow();
  const analysis = out.analysis;
  if (!analysis) throw new Error('no analysis');
  const res = await engine.rerank(analysis, parseQuery(QUERIES[0]), { topK: 10, model });
  const tAnswer = performance.now();
  const cAnswer = cpuNow();
  const warm: number[] = [];
  for (const q of QUERIES.slice(1)) {
    const t = performance.now();
    await engine.rerank(analysis, engine.parse(q), { topK: 10, model });
    warm.push(performance.now() - t);
  }
  const ms: Record<string, number> = {
    'read + decode': tDecoded - t0 + out.timings.assemble,
    analysis: out.timings.analysis ?? 0,
  };
  for (const [k, v] of Object.entries(analysis.wire.timings)) if (k !== 'analysis') ms[`  ${k}`] = v;
  ms.scoring = res.timings.scoring ?? 0;
  ms.fusion = res.timings.fusion ?? 0;
  ms.total = tAnswer - t0;
  void tAnalysed;
  const cpu = { 'read + decode': cDecoded - c0, 'assemble + analysis': cAnalysed - cDecoded, 'scoring + fusion': cAnswer - cAnalysed, total: cAnswer - c0 };
  return { run: { slices: out.volume.slices, candidates: analysis.wire.candidates, ms, cpu }, warm };
}

/**
 * The run's series let go as the server's cache lets one go (http/released-memory.ts: a full collection once no
 * series has loaded for a while), so the next run reuses its memory as a server's next series does, instead of
 * faulting in fresh pages for every run (the thin series read and decoded in 1.4–1.8 s without it, 0.6 s with it).
 */
async function letGo(): Promise<void> {
  afterRelease();
  await new Promise((r) => setTimeout(r, 100));
}

/** A plain copy of the same pixel bytes into memory already held: the floor decoding is compared with. */
async function copyMs(dir: string): Promise<number> {
  const bufs = await Promise.all(filesOf(dir).map((p) => readFile(p)));
  const pixels = bufs.flatMap((b) => {
    try {
      const px = scanPart10(b).pixelData;
      return px ? [b.subarray(px.valueOffset, px.valueOffset + px.length)] : [];
    } catch {
      return [];
    }
  });
  const dst = new Uint8Array(pixels.reduce((n, p) => n + p.length, 0));
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    let at = 0;
    for (const p of pixels) {
      dst.set(p, at);
      at += p.length;
    }
    times.push(performance.now() - t);
  }
  return median(times);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['dicom-dir', 'runs', 'model', 'concurrent', 'warm-up-runs'], ['no-model', 'json']);
  const runs = numberArg(args, 'runs', 1, 50) ?? 3;
  const warmUpRuns = numberArg(args, 'warm-up-runs', 0, 10) ?? defaultConfig().workers.warmUpRuns;
  const concurrent = numberArg(args, 'concurrent', 0, 16) ?? 4;
  const model = args.flags.has('no-model') ? 'classical' : single(args, 'model');
  const cases: Array<{ name: string; dir: string }> = [];
  const dirs = args.values.get('dicom-dir');
  if (dirs) for (const d of dirs) cases.push({ name: path.basename(d), dir: d });
  else {
    const thin = await thinSeries(0.625);
    const medium = await thinSeries(1.25);
    cases.push(
      { name: 'thin 0.625 mm (LIDC resampled)', dir: thin.dir },
      { name: '1.25 mm (LIDC resampled)', dir: medium.dir },
      { name: 'lidc-idri-0001', dir: SAMPLE_DICOM_DIR },
      { name: '4dlung-113', dir: path.join(DATA, '4dlung-113', 'dicom') },
      { name: 'lungdx-a0001', dir: path.join(DATA, 'lungdx-a0001', 'dicom') },
    );
  }
  const log = pino({ level: 'warn' }, pino.destination(2));
  const engine = createEngine({
    executionProviders: ['cpu'],
    log,
    workers: { threads: Math.min(4, (await import('node:os')).availableParallelism()), maxOldGenerationSizeMb: 2048, taskTimeoutMs: 600_000 },
    warmUpRuns,
  });
  const tReady = performance.now();
  await engine.ready();
  const readyMs = performance.now() - tReady;
  const lines: string[] = [
    `load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (2 cores; over ~1 the numbers are inflated)`,
    `ready after ${Math.round(readyMs)} ms (models loaded; ${warmUpRuns} warm-up runs)`,
  ];
  const report: Record<string, unknown> = { readyMs: Math.round(readyMs), warmUpRuns };
  try {
    const seriesOf = new Map(await Promise.all(cases.map(async (c) => [c.dir, await seriesFiles(c.dir)] as const)));
    for (const c of cases) {
      const files = seriesOf.get(c.dir)!;
      const first = await cold(engine, files, model);
      await letGo();
      const later: ColdRun[] = [];
      const warm: number[] = [...first.warm];
      for (let i = 1; i < runs; i++) {
        const r = await cold(engine, files, model);
        await letGo();
        later.push(r.run);
        warm.push(...r.warm);
      }
      const steady = later.length ? later : [first.run];
      const stages = Object.keys(first.run.ms);
      const med = Object.fromEntries(stages.map((k) => [k, median(steady.map((r) => r.ms[k]))]));
      const copy = await copyMs(c.dir);
      const { slices } = first.run;
      const per100 = (ms: number): string => `${r1((ms * 100) / slices)}`.padStart(8);
      lines.push(
        '',
        `${c.name}: ${slices} slices, ${first.run.candidates} candidates; cold runs: first in this process, then the median of ${later.length}`,
        `  stage                       first ms   median ms   ms/100 slices`,
        ...stages.map((k) => `  ${k.padEnd(26)} ${String(r1(first.run.ms[k])).padStart(9)} ${String(r1(med[k])).padStart(11)} ${per100(med[k])}`),
        `  CPU of the process (all threads), median: ${Object.keys(first.run.cpu).map((k) => `${k} ${r1(median(steady.map((r) => r.cpu[k])))} ms`).join(', ')}`,
        // the two searches run at once (server/workers/analyse-in-pool.ts): what that saved against their sum
        `  analysis stages end to end ${r1(stageSum(med))} ms, the analysis took ${r1(med.analysis)} ms wall: ${r1(stageSum(med) - med.analysis)} ms overlapped`,
        `  read + decode ${r1(med['read + decode'] / slices)} ms/slice; a plain copy of the pixel bytes ${r1(copy)} ms (${r1(copy / slices)} ms/slice): decode/copy = ${r1(med['read + decode'] / copy)}`,
        `  warm query (parse + rerank): median ${r1(median(warm))} ms over ${warm.length}`,
      );
      const cpu = Object.fromEntries(Object.keys(first.run.cpu).map((k) => [k, median(steady.map((r) => r.cpu[k]))]));
      report[c.name] = { slices, candidates: first.run.candidates, first: first.run.ms, median: med, cpu, copyMs: copy, warmMs: median(warm) };
    }
    if (concurrent > 0) {
      // The event loop while `concurrent` cold series load at once (their first query included).
      const dirs = Array.from({ length: concurrent }, (_, i) => cases[i % cases.length].dir);
      const delay = monitorEventLoopDelay({ resolution: 1 });
      const late: number[] = [];
      let ticking = true;
      const tick = async (): Promise<void> => {
        while (ticking) {
          const t = performance.now();
          await new Promise((r) => setTimeout(r, 10));
          late.push(performance.now() - t - 10);
        }
      };
      delay.enable();
      const ticker = tick();
      const t0 = performance.now();
      await Promise.all(dirs.map((d) => cold(engine, seriesOf.get(d)!, model)));
      const wall = performance.now() - t0;
      ticking = false;
      await ticker;
      delay.disable();
      const p99 = r1(delay.percentile(99) / 1e6);
      const max = r1(delay.max / 1e6);
      lines.push(
        '',
        `${concurrent} concurrent cold series (${dirs.map((d) => path.basename(path.dirname(d)) === 'thin' ? path.basename(d) : path.basename(path.dirname(d))).join(', ')}): ${r1(wall)} ms wall; ` +
          `event-loop delay p99 ${p99} ms, max ${max} ms; a 10 ms timer was late by at most ${r1(Math.max(...late))} ms (${max < 50 ? 'within' : 'OVER'} 50 ms)`,
      );
      report.concurrent = { series: concurrent, wallMs: wall, loopDelayP99Ms: p99, loopDelayMaxMs: max, timerLateMaxMs: Math.max(...late) };
    }
    lines.push('', `load average at end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    lines.push('bars (issue 15, 2 cores): 530-slice ≤ 3 s, 261-slice class ≤ 1.5 s, LIDC ≤ 0.8 s cold end to end; warm query < 5 ms; decode ≤ 1 ms/slice');
    process.stdout.write(`${args.flags.has('json') ? JSON.stringify(report, null, 2) : lines.join('\n')}\n`);
  } finally {
    await engine.close?.();
  }
}

if (!relaunchWithMallocTunables()) main().catch((err) => exitWithError('bench:rerank', err));
