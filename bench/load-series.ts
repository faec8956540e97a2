/**
 * npm run -s bench:load [-- <dir> [runs]]: how long loading a series takes, against a plain copy of
 * the same pixel bytes (the floor: decoding cannot do less than move them).
 *
 * Printed, in ms and ms per slice, with the decode/copy ratio:
 * - a plain copy of every file's pixel bytes into memory already held;
 * - the buffers decoded and assembled into HU on this thread (loadSeriesFromBuffers), and apart:
 *   the Part 10 walk and header reads, and the assembly (sort, allocate, rescale);
 * - the same in the worker pool as the service does it (SeriesLoad: batches decoded in parallel into
 *   one shared buffer, put in order in place), on every core;
 * - the folder load (read + decode), its first run in a fresh process and the warm median.
 * The process runs with the malloc tunables of server/workers/malloc.ts (as the server does); the first
 * run pays for faulting in fresh memory, the warm runs reuse it. The load average is printed: a busy
 * machine inflates wall times, so CPU times are printed beside them.
 */
import { promises as fs } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { assembleVolume } from '../server/series/assemble';
import { decodeInstance, type DecodedFrame } from '../server/series/decode';
import { loadSeriesFromBuffers, loadSeriesFromDir } from '../server/series/load';
import { scanPart10 } from '../server/series/part10';
import { SAMPLE_DICOM_DIR } from '../server/series/sample';
import { relaunchWithMallocTunables } from '../server/workers/malloc';
import { WorkerPool } from '../server/workers/pool';
import { SeriesLoad } from '../server/workers/series-load';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

// A full GC between runs frees the previous run's volume, as a server's quiet moments would; without
// it each run would allocate (and fault in) a new one.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Median wall and CPU (this thread and the pool's threads: the process) of `runs` calls. */
async function timed(runs: number, fn: () => unknown): Promise<{ wall: number; cpu: number; all: number[] }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
    const c = process.cpuUsage();
    const t = performance.now();
    await fn();
    wall.push(performance.now() - t);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu), all: wall };
}

async function main(): Promise<void> {
  const dir = process.argv[2] ?? SAMPLE_DICOM_DIR;
  const runs = Number(process.argv[3] ?? 7);
  const load0 = loadavg()[0];

  const t = performance.now();
  const first = await loadSeriesFromDir(dir);
  const firstMs = performance.now() - t;
  const slices = first.volume.slices;
  const v = first.volume;

  const names = (await fs.readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  const buffers = await Promise.all(
    names.map(async (e) => ({ name: e.name, data: (await fs.readFile(path.join(e.parentPath ?? e.path, e.name))) as Uint8Array })),
  );

  // The floor: the pixel bytes of every file copied into one buffer already held.
  const pixels = buffers.flatMap((b) => {
    try {
      const px = scanPart10(b.data).pixelData;
      return px ? [b.data.subarray(px.valueOffset, px.valueOffset + px.length)] : [];
    } catch {
      return [];
    }
  });
  const dst = new Uint8Array(pixels.reduce((n, p) => n + p.length, 0));
  const copy = await timed(runs, () => {
    let at = 0;
    for (const p of pixels) {
      dst.set(p, at);
      at += p.length;
    }
  });

  const dirLoad = await timed(runs, () => loadSeriesFromDir(dir));
  const single = await timed(runs, () => loadSeriesFromBuffers(buffers));

  // Where the single-thread time goes: reading the files (walk + header values) vs building the volume.
  const frames: DecodedFrame[] = [];
  const decode = await timed(runs, () => {
    frames.length = 0;
    for (const b of buffers) {
      try {
        const d = decodeInstance(b.data, b.name);
        if (d.kind === 'image') frames.push(...d.frames);
      } catch {
        // not DICOM: skipped, as the loader does
      }
    }
  });
  const assemble = await timed(runs, () => assembleVolume(frames));

  // The service's way: the worker pool, files handed over as they come (here: all at once).
  const threads = Math.min(4, availableParallelism());
  const pool = new WorkerPool({ threads });
  let pooled;
  try {
    const once = async (): Promise<void> => {
      const load = new SeriesLoad(pool, { expected: buffers.length });
      for (const b of buffers) load.push({ name: b.name, data: new Uint8Array(b.data) }); // a copy: it moves to a worker
      load.end();
      await load.decoded();
      await load.finish({ analyse: false });
    };
    await once(); // workers started, code warm
    pooled = await timed(runs, once);
  } finally {
    await pool.close();
  }

  const ms = (x: number): string => `${x.toFixed(1)} ms (${(x / slices).toFixed(2)} ms/slice)`;
  const ratio = (x: number): string => `${(x / copy.wall).toFixed(1)}x the copy`;
  console.log(`series: ${slices} slices of ${v.rows}x${v.columns}, ${dir}; load average ${load0.toFixed(2)} at start, ${loadavg()[0].toFixed(2)} at end (2 cores)`);
  console.log(`plain copy of the pixel bytes (${(dst.length / 2 ** 20).toFixed(0)} MiB), median of ${runs}: ${ms(copy.wall)}`);
  console.log(`decode + assemble into HU, this thread, median of ${runs}: ${ms(single.wall)}, CPU ${single.cpu.toFixed(1)} ms: ${ratio(single.wall)}`);
  console.log(`  apart: Part 10 walk + header values ${ms(decode.wall)}; assemble (sort, allocate, rescale) ${ms(assemble.wall)}`);
  console.log(`decode + assemble in the worker pool (${threads} threads), median of ${runs}: ${ms(pooled.wall)}, CPU ${pooled.cpu.toFixed(1)} ms: ${ratio(pooled.wall)}`);
  console.log(`folder load (read + decode, this thread): first run ${ms(firstMs)}; warm median of ${runs} ${ms(dirLoad.wall)}, CPU ${dirLoad.cpu.toFixed(1)} ms`);
  console.log('bar (issue 15): decoded and assembled into HU at ≤ 1 ms/slice on 2 cores');
}

if (!relaunchWithMallocTunables()) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
