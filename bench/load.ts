/**
 * npm run -s bench:load-api [-- --warm 20 --cold 4 --rounds 1 --pause-ms 0 --cache-mb 1024 --dir DIR --model ID]
 * Load on the HTTP API: the service runs in a child process (bench/load-server.ts) on a loopback port
 * and is called through the typed client from this one. First `--warm` concurrent reranks of one series already in the cache, then `--cold`
 * concurrent reranks of different series (made by rewriting the study/series/SOP UIDs of the sample
 * series with dcmjs, written to a temp folder and served by the `local` source), `--rounds` times with
 * new series each time and `--pause-ms` after each (a reader's pause: the server gives back the series its
 * cache let go when idle), /healthz polled throughout each (its worst answer per round). Prints p50/p95
 * latency and errors for each phase, and the server's memory (as it held it, and after a full GC) against the cache bound.
 * SF_BENCH_STALLS=1 splits the event loop's gaps into its own work and its wait for a CPU (Linux);
 * SF_BENCH_SERVER_ARGS adds node flags to the server (`--cpu-prof --cpu-prof-dir=DIR`); SF_BENCH_GC_LOG=1
 * prints each of its GC pauses over 10 ms with V8's kind and flags.
 */
import { fork } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createClient, type RerankResponse, type SliceFinderClient } from '../server/http/client';
import { SAMPLE_DICOM_DIR } from '../server/series/sample';
import { withMallocTunables } from '../server/workers/malloc';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- dcmjs ships no types
const dcmjs = require('dcmjs') as {
  data: {
    DicomMessage: { readFile(b: ArrayBuffer): { meta: Dict; dict: Dict; write(): ArrayBuffer } };
  };
  log: { getLogger(n: string): { setLevel(l: string): void } };
};
type Dict = Record<string, { vr: string; Value?: unknown[] }>;
dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');

const QUERIES = [
  '8 mm spiculated solid nodule, left lower lobe',
  'ground-glass opacity in the right upper lobe',
  'part-solid nodule right lower lobe',
  '右肺上叶磨玻璃影伴空泡征',
  'lobulated mass near the left hilum',
];

const MiB = 1024 * 1024;

function uid(): string {
  // 2.25.<128-bit decimal>: a UUID-derived UID (PS3.5 B.2), unique per run.
  const hex = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `2.25.${BigInt(`0x${hex}`).toString()}`;
}

/** Copies of the sample series under `root/<n>/`, each with new study, series and SOP UIDs. */
async function makeSeries(src: string, root: string, count: number): Promise<void> {
  const files = (await readdir(src)).sort();
  for (let n = 0; n < count; n++) {
    const dir = path.join(root, String(n));
    await mkdir(dir, { recursive: true });
    const study = uid();
    const series = uid();
    for (const f of files) {
      const buf = await readFile(path.join(src, f));
      const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
      const dicom = dcmjs.data.DicomMessage.readFile(ab);
      const sop = uid();
      dicom.dict['0020000D'] = { vr: 'UI', Value: [study] };
      dicom.dict['0020000E'] = { vr: 'UI', Value: [series] };
      dicom.dict['00080018'] = { vr: 'UI', Value: [sop] };
      dicom.meta['00020003'] = { vr: 'UI', Value: [sop] };
      await writeFile(path.join(dir, f), Buffer.from(dicom.write()));
    }
  }
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

interface PhaseResult {
  phase: string;
  /** Server CPU time per request: what the busy machine's wall times hide. */
  serverCpuMsPerRequest?: number;
  /** Median of the server's own `timings.total` (the rest is HTTP, JSON and waiting in line). */
  serverP50Ms: number;
  requests: number;
  errors: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  wallMs: number;
}

async function phase(name: string, calls: Array<() => Promise<RerankResponse>>): Promise<PhaseResult> {
  const latencies: number[] = [];
  const server: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    calls.map(async (call) => {
      const t = performance.now();
      try {
        const res = await call();
        latencies.push(performance.now() - t);
        server.push(res.timings.total);
      } catch (err) {
        errors++;
        console.error(`  ${name}: ${(err as Error).message}`);
      }
    }),
  );
  const r = (x: number): number => Math.round(x * 10) / 10;
  return {
    phase: name,
    requests: calls.length,
    errors,
    serverP50Ms: r(percentile(server, 50)),
    p50Ms: r(percentile(latencies, 50)),
    p95Ms: r(percentile(latencies, 95)),
    maxMs: r(Math.max(...latencies)),
    wallMs: r(performance.now() - t0),
  };
}

interface ServerMemory {
  /** CPU time the server process has used so far (user + system). */
  cpuMs: number;
  /** RSS as the server held it, before the bench's full GC; `rssMiB` after it. */
  rssBeforeGcMiB: number;
  rssMiB: number;
  heapUsedMiB: number;
  arrayBuffersMiB: number;
  cache: { entries: number; bytes: number; maxBytes: number };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      warm: { type: 'string', default: '20' },
      cold: { type: 'string', default: '4' },
      rounds: { type: 'string', default: '1' },
      'pause-ms': { type: 'string', default: '0' },
      'cache-mb': { type: 'string', default: '1024' },
      dir: { type: 'string', default: SAMPLE_DICOM_DIR },
      /** A model id for every request ('classical': no learned stage). */
      model: { type: 'string' },
    },
  });
  const warm = Number(values.warm);
  const cold = Number(values.cold);
  const rounds = cold > 0 ? Math.max(1, Number(values.rounds)) : 0;
  const cacheMb = Number(values['cache-mb']);

  const root = await mkdtemp(path.join(os.tmpdir(), 'sf-bench-'));
  try {
    let t = performance.now();
    await makeSeries(values.dir!, root, cold * rounds + 1);
    console.log(`made ${cold * rounds + 1} series with new UIDs in ${Math.round(performance.now() - t)} ms`);

    const server = fork(path.join(__dirname, 'load-server.ts'), [root, String(cacheMb)], {
      cwd: path.join(__dirname, '..'),
      // SF_BENCH_SERVER_ARGS: extra node flags for the server (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
      execArgv: ['--require', 'tsx/cjs', '--expose-gc', ...(process.env.SF_BENCH_SERVER_ARGS?.split(/\s+/).filter(Boolean) ?? [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // As the server runs (server/workers/malloc.ts): freed memory stays in the process for the next series.
      env: withMallocTunables(),
    });
    const next = <T>(type: string): Promise<T> =>
      new Promise((resolve, reject) => {
        const onExit = (code: number | null): void => {
          server.off('message', onMessage);
          reject(new Error(`the server exited (${code})`));
        };
        const onMessage = (m: { type: string }): void => {
          if (m.type !== type) return;
          server.off('message', onMessage);
          server.off('exit', onExit);
          resolve(m as T);
        };
        server.on('message', onMessage);
        server.once('exit', onExit);
      });
    const { origin, series: seriesUIDs } = await next<{ origin: string; series: string[] }>('ready');
    const client: SliceFinderClient = createClient(origin);
    // `collect`: the server runs a full GC first (only around the whole run: one per round would free for it
    // what it lets go, and hide whether it does so itself)
    const memory = (collect = false): Promise<ServerMemory> => {
      const reply = next<ServerMemory>('memory');
      server.send({ type: 'memory', collect });
      return reply;
    };
    const baseline = await memory(true);

    const rerank = (series: string, i: number) => () =>
      client.rerank({ query: QUERIES[i % QUERIES.length], series: { source: 'local', seriesInstanceUID: series }, topK: 10, model: values.model });

    t = performance.now();
    await rerank(seriesUIDs[0], 0)();
    const firstMs = Math.round(performance.now() - t);

    const results: PhaseResult[] = [];
    const measured = async (name: string, calls: Array<() => Promise<RerankResponse>>): Promise<PhaseResult> => {
      const cpu0 = (await memory()).cpuMs;
      const r = await phase(name, calls);
      r.serverCpuMsPerRequest = Math.round((((await memory()).cpuMs - cpu0) / calls.length) * 10) / 10;
      return r;
    };
    results.push(await measured(`warm x${warm} (one cached series)`, Array.from({ length: warm }, (_, i) => rerank(seriesUIDs[0], i))));
    type Stalls = { count: number; wallMs: number; cpuMs: number; waitMs: number; worst: Array<{ wallMs: number; cpuMs: number; waitMs: number }> };
    type Health = { p50: number; max: number; samples: number; loop: { p99: number; max: number; gcMaxMs: number; gcTotalMs: number; stalls?: Stalls } };
    /** `cold` concurrent cold reranks (series `first`..), /healthz every 25 ms meanwhile, and the server's event-loop delay over the same span (the bench's own GC calls stay outside it). */
    const coldRound = async (first: number): Promise<{ result: PhaseResult; health: Health }> => {
      const cpu0 = (await memory()).cpuMs;
      const resetReply = next<{ type: string }>('reset-loop-delay');
      server.send({ type: 'reset-loop-delay' });
      await resetReply;
      const healthMs: number[] = [];
      let polling = true;
      const poll = (async () => {
        while (polling) {
          const t0 = performance.now();
          await fetch(`${origin}/healthz`).then((r) => r.text());
          healthMs.push(performance.now() - t0);
          await new Promise((r) => setTimeout(r, 25));
        }
      })();
      const result = await phase(`cold x${cold} (different series)`, Array.from({ length: cold }, (_, i) => rerank(seriesUIDs[first + i], i)));
      polling = false;
      await poll;
      const loopReply = next<Health['loop']>('loop-delay');
      server.send({ type: 'loop-delay' });
      const loop = await loopReply;
      result.serverCpuMsPerRequest = Math.round((((await memory()).cpuMs - cpu0) / cold) * 10) / 10;
      return { result, health: { p50: percentile(healthMs, 50), max: Math.max(...healthMs), samples: healthMs.length, loop } };
    };
    const healths: Health[] = [];
    for (let k = 0; k < rounds; k++) {
      const { result, health } = await coldRound(1 + k * cold);
      if (rounds > 1) result.phase = `${result.phase}, round ${k + 1}`;
      results.push(result);
      healths.push(health);
      await new Promise((r) => setTimeout(r, Number(values['pause-ms'])));
    }
    const after = await memory(true);
    const cache = after.cache;

    console.log(`first (cold) rerank of series 0: ${firstMs} ms`);
    const r1 = (x: number): number => Math.round(x * 10) / 10;
    healths.forEach((health, k) => {
      console.log(
        `during the cold phase${rounds > 1 ? ` (round ${k + 1})` : ''}: /healthz p50 ${r1(health.p50)} ms, max ${r1(health.max)} ms over ${health.samples} calls; ` +
          `server event-loop delay p99 ${health.loop.p99} ms, max ${health.loop.max} ms (${health.max < 50 ? 'within' : 'OVER'} 50 ms); ` +
          `its GC pauses: longest ${health.loop.gcMaxMs} ms, ${health.loop.gcTotalMs} ms in all`,
      );
      const st = health.loop.stalls;
      if (st) {
        const worst = st.worst.map((w) => `${w.wallMs} (cpu ${w.cpuMs}, wait ${w.waitMs})`).join(', ');
        console.log(
          `event-loop gaps over 30 ms: ${st.count}, ${st.wallMs} ms in all: the loop's thread on a CPU ${st.cpuMs} ms, ` +
            `waiting for one ${st.waitMs} ms, blocked the rest; longest, ms: ${worst} (load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')})`,
        );
      }
    });
    if (rounds > 1) {
      const within = healths.filter((h) => h.max < 50).length;
      console.log(`/healthz within 50 ms in ${within} of ${rounds} rounds; worst answers ${healths.map((h) => r1(h.max)).join(', ')} ms`);
    }
    console.log('phase                              requests errors   p50 ms   p95 ms   max ms  wall ms  server p50 ms  server CPU ms/req');
    for (const r of results) {
      const cols = [r.requests, r.errors, r.p50Ms, r.p95Ms, r.maxMs, r.wallMs].map((x, i) => String(x).padStart(i < 2 ? [8, 6][i] : 8));
      console.log(`${r.phase.padEnd(34)} ${cols.join(' ')} ${String(r.serverP50Ms).padStart(14)} ${String(r.serverCpuMsPerRequest).padStart(17)}`);
    }
    const withinBound = cache.bytes <= cache.maxBytes;
    console.log(
      `cache: ${cache.entries} series, ${Math.round(cache.bytes / MiB)} MiB of ${Math.round(cache.maxBytes / MiB)} MiB bound (${withinBound ? 'within' : 'OVER'})`,
    );
    const { cache: _b, cpuMs: _c0, ...before } = baseline;
    const { cache: _a, cpuMs: _c1, ...now } = after;
    console.log(`server memory after GC, before: ${JSON.stringify(before)}`);
    console.log(`server memory after GC, after:  ${JSON.stringify(now)}`);
    // Volumes are shared memory allocated in the workers, which the event loop's arrayBuffers leaves out: compare RSS.
    const grew = after.rssMiB - baseline.rssMiB;
    console.log(`server RSS grew ${grew} MiB (freed memory is kept for reuse, see malloc.ts): cache holds ${Math.round(cache.bytes / MiB)} MiB, bound ${cacheMb} MiB`);
    // what it held on its own: the series the cache let go come back only with a full GC (server/http/released-memory.ts)
    console.log(`server RSS on its own, before the bench's GC: ${after.rssBeforeGcMiB} MiB (with SLICE_FINDER_MALLOC=default, freed memory is given back)`);
    console.log(JSON.stringify({ firstMs, results, health: healths, cache, before, after: now }));
    server.send({ type: 'stop' });
    await new Promise((r) => server.once('exit', r));
    const errors = results.reduce((a, r) => a + r.errors, 0);
    if (errors > 0 || !withinBound) process.exitCode = 1;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
