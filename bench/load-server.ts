/**
 * The service side of bench/load.ts, in its own process (so the load generator does not share its
 * event loop): builds the app on a folder, listens on loopback, and answers IPC requests for its
 * memory (after a full GC, so retained memory is reported, not garbage), CPU time and cache state.
 * Started by bench/load.ts with --expose-gc; not meant to be run by hand.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { defaultConfig } from '../server/config';
import { indexFolder } from '../server/dicomweb/folder-index';
import { buildApp } from '../server/http/app';

const MiB = 1024 * 1024;

async function main(): Promise<void> {
  const [root, cacheMb] = process.argv.slice(2);
  const config = defaultConfig();
  config.dicomDir = root;
  config.cache.maxBytes = Number(cacheMb) * MiB;
  config.log.level = 'warn';
  config.rateLimit.max = 1_000_000;
  config.docs = false;
  const folderIndex = await indexFolder(root);
  const sink = new Writable({ write: (_c, _e, cb) => cb() }); // the audit trail is not what we measure
  const app = await buildApp(config, { folderIndex, auditStream: sink });
  const origin = await app.listen({ host: '127.0.0.1', port: 0 });
  await app.sliceFinder.engine.ready();
  const gc = (globalThis as { gc?: () => void }).gc;
  // How long the event loop was blocked (what /healthz waits behind); reset per phase by the bench.
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  // Garbage-collection pauses of the event loop's thread over the same span.
  let gcMax = 0;
  let gcTotal = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMax = Math.max(gcMax, e.duration);
      gcTotal += e.duration;
      if (process.env.SF_BENCH_GC_LOG && e.duration > 10) console.error(`gc ${JSON.stringify((e as PerformanceEntry & { detail?: unknown }).detail)} ${e.duration.toFixed(1)} ms`);
    }
  }).observe({ entryTypes: ['gc'] });
  const stalls = traceStalls();
  process.on('message', (m: { type: string; collect?: boolean }) => {
    if (m.type === 'reset-loop-delay') {
      stalls?.reset();
      loopDelay.reset();
      gcMax = 0;
      gcTotal = 0;
      process.send?.({ type: 'reset-loop-delay' });
    } else if (m.type === 'loop-delay') {
      // No GC here: what the phase cost, not what measuring it costs.
      const r1 = (x: number): number => Math.round(x * 10) / 10;
      process.send?.({
        type: 'loop-delay',
        p99: r1(loopDelay.percentile(99) / 1e6),
        max: r1(loopDelay.max / 1e6),
        gcMaxMs: r1(gcMax),
        gcTotalMs: r1(gcTotal),
        stalls: stalls?.summary(),
      });
    } else if (m.type === 'memory') {
      const cpu = process.cpuUsage(); // before the GC below, so phases are not charged for it
      // what the server holds on its own, then after a full collection (what it could give back)
      const held = Math.round(process.memoryUsage().rss / MiB);
      if (m.collect) gc?.();
      const u = process.memoryUsage();
      const cache = app.sliceFinder.series.cache;
      process.send?.({
        type: 'memory',
        gc: Boolean(gc && m.collect),
        rssBeforeGcMiB: held,
        rssMiB: Math.round(u.rss / MiB),
        heapUsedMiB: Math.round(u.heapUsed / MiB),
        arrayBuffersMiB: Math.round(u.arrayBuffers / MiB),
        cpuMs: Math.round((cpu.user + cpu.system) / 1000),
        cache: { entries: cache.entries, bytes: cache.bytes, maxBytes: cache.maxBytes },
      });
    } else if (m.type === 'stop') {
      stalls?.write();
      void app.close().then(() => process.exit(0));
    }
  });
  process.send?.({
    type: 'ready',
    origin,
    series: folderIndex.studies.flatMap((s) => s.series.map((x) => x.seriesInstanceUID)),
  });
}

export interface Stall {
  /** When the gap began, µs of the monotonic clock (a --cpu-prof profile's clock). */
  at: number;
  wallMs: number;
  /** The event loop's thread on a CPU (its own work: JavaScript, clones, GC). */
  cpuMs: number;
  /** Runnable, waiting for a CPU that other threads (the workers, other processes) held. */
  waitMs: number;
}

/**
 * With SF_BENCH_STALLS=1 (or a file to write them to, as JSON, at the end): every gap of the event
 * loop over 30 ms, split by /proc schedstat into the loop's own work and its wait for a CPU; the rest
 * of a gap it was blocked (a lock, a page fault, the machine). Linux only.
 */
function traceStalls(): { reset(): void; write(): void; summary(): { count: number; wallMs: number; cpuMs: number; waitMs: number; worst: Stall[] } } | undefined {
  const file = process.env.SF_BENCH_STALLS;
  if (!file || process.platform !== 'linux') return undefined;
  const sched = (): [number, number] => {
    const [run, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ').map(Number);
    return [run / 1e6, wait / 1e6];
  };
  let out: Stall[] = [];
  let last = process.hrtime.bigint();
  let [run0, wait0] = sched();
  setInterval(() => {
    const now = process.hrtime.bigint();
    const [run, wait] = sched();
    const wallMs = Number(now - last) / 1e6;
    if (wallMs > 30) out.push({ at: Number(last / 1000n), wallMs: Math.round(wallMs), cpuMs: Math.round(run - run0), waitMs: Math.round(wait - wait0) });
    last = now;
    [run0, wait0] = [run, wait];
  }, 2).unref();
  return {
    reset: () => (out = []),
    write: () => file !== '1' && writeFileSync(file, JSON.stringify(out)),
    summary: () => {
      const sum = (k: 'wallMs' | 'cpuMs' | 'waitMs'): number => out.reduce((n, x) => n + x[k], 0);
      return { count: out.length, wallMs: sum('wallMs'), cpuMs: sum('cpuMs'), waitMs: sum('waitMs'), worst: [...out].sort((a, b) => b.wallMs - a.wallMs).slice(0, 5) };
    },
  };
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
