/**
 * npm run -s bench:load [-- <dir> [runs]]: how long loading a series folder takes.
 * Prints the first (cold-ish: fresh process, JIT not warm; the page cache is whatever it is) run
 * and the median and best of the warm runs, for the folder load and for the in-memory buffer load
 * (decode + assemble only), in ms and ms per slice, with the main thread's CPU time beside the
 * wall time (a busy machine inflates the wall time, less the CPU time). The goal for the 133-slice
 * LIDC series is under 400 ms warm on a 2-core machine.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { assembleVolume } from '../server/series/assemble';
import { decodeInstance, type DecodedFrame } from '../server/series/decode';
import { loadSeriesFromBuffers, loadSeriesFromDir } from '../server/series/load';
import { SAMPLE_DICOM_DIR } from '../server/series/sample';

/** User + system CPU time of the process, in ms. */
function cpuMs(u: NodeJS.CpuUsage): number {
  return (u.user + u.system) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function main(): Promise<void> {
  const dir = process.argv[2] ?? SAMPLE_DICOM_DIR;
  const runs = Number(process.argv[3] ?? 7);

  let t = performance.now();
  const first = await loadSeriesFromDir(dir);
  const firstMs = performance.now() - t;
  const slices = first.volume.slices;

  const dirTimes: number[] = [];
  const dirCpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    t = performance.now();
    await loadSeriesFromDir(dir);
    dirTimes.push(performance.now() - t);
    dirCpu.push(cpuMs(process.cpuUsage(c)));
  }

  const names = (await fs.readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  const buffers = await Promise.all(
    names.map(async (e) => ({ name: e.name, data: (await fs.readFile(path.join(e.parentPath ?? e.path, e.name))) as Uint8Array })),
  );
  const bufTimes: number[] = [];
  const bufCpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    t = performance.now();
    loadSeriesFromBuffers(buffers);
    bufTimes.push(performance.now() - t);
    bufCpu.push(cpuMs(process.cpuUsage(c)));
  }

  // Where the buffer load's time goes: parsing the files (walk + dcmjs header) vs building the volume.
  const decodeTimes: number[] = [];
  const assembleTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    t = performance.now();
    const frames: DecodedFrame[] = [];
    for (const b of buffers) {
      try {
        const d = decodeInstance(b.data, b.name);
        if (d.kind === 'image') frames.push(...d.frames);
      } catch {
        // not DICOM: skipped, as the loader does
      }
    }
    decodeTimes.push(performance.now() - t);
    t = performance.now();
    assembleVolume(frames);
    assembleTimes.push(performance.now() - t);
  }

  const fmt = (ms: number): string => `${ms.toFixed(1)} ms (${(ms / slices).toFixed(2)} ms/slice)`;
  const v = first.volume;
  console.log(`series: ${slices} slices of ${v.rows}x${v.columns}, ${dir}`);
  console.log(`folder load, first run:        ${fmt(firstMs)}`);
  console.log(
    `folder load, warm median of ${runs}: ${fmt(median(dirTimes))}, best ${fmt(Math.min(...dirTimes))}; ` +
      `CPU median ${median(dirCpu).toFixed(1)} ms (includes the thread pool's reads)`,
  );
  console.log(
    `buffers load, warm median of ${runs}: ${fmt(median(bufTimes))}, best ${fmt(Math.min(...bufTimes))}; ` +
      `CPU median ${median(bufCpu).toFixed(1)} ms`,
  );
  console.log(
    `  timed apart (medians; GC lands unevenly): decode (Part 10 walk + dcmjs header) ${median(decodeTimes).toFixed(1)} ms, ` +
      `assemble (sort, allocate, rescale to HU) ${median(assembleTimes).toFixed(1)} ms`,
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
