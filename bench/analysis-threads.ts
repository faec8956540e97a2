/**
 * `npm run -s bench:analysis-threads [-- --dicom-dir <dir>]... [--runs N]`
 *
 * What spreading one series' analysis over two threads (server/workers/analyse-in-pool.ts) gains over
 * running it on one (the `loadSeries` task: analyseVolume in one worker), in one process and interleaved
 * run by run, so that both meet the same load of the machine. Default cases: LIDC-IDRI-0001, and the
 * same resampled to 1.25 and 0.625 mm (.cache/thin/, made once). Prints each run's wall time, the
 * medians of the runs after the first (which pays for memory the process has not held before), and
 * the load average: on a machine whose other work holds the cores, the second thread has little to run on.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { exitWithError, numberArg, parseArgs } from '../scripts/rerank-cli';
import { loadSeriesFromBuffers, type NamedBuffer } from '../server/series/load';
import { SAMPLE_DICOM_DIR } from '../server/series/sample';
import { analyseInPool } from '../server/workers/analyse-in-pool';
import { relaunchWithMallocTunables } from '../server/workers/malloc';
import { WorkerPool } from '../server/workers/pool';
import { inSharedMemory } from '../server/workers/transfer';
import { thinSeries } from './thin-series';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r0 = (x: number): string => x.toFixed(0);

function filesOf(dir: string): NamedBuffer[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort()
    .map((name) => ({ name, data: new Uint8Array(readFileSync(path.join(dir, name))) }));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['dicom-dir', 'runs'], []);
  const runs = numberArg(args, 'runs', 2, 50) ?? 4;
  const dirs = args.values.get('dicom-dir') ?? [SAMPLE_DICOM_DIR, (await thinSeries(1.25)).dir, (await thinSeries(0.625)).dir];
  const pool = new WorkerPool({ threads: 2, maxOldGenerationSizeMb: 2048, taskTimeoutMs: 600_000 });
  const lines = [`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (2 cores)`];
  try {
    for (const dir of dirs) {
      const files = filesOf(dir);
      const loaded = loadSeriesFromBuffers(files).volume;
      const volume = { ...loaded, hu: inSharedMemory(loaded.hu) };
      const one: number[] = [];
      const two: number[] = [];
      for (let r = 0; r < runs; r++) {
        // loadSeries decodes too; its timings.analysis is analyseVolume's alone
        const copy = files.map((f) => ({ name: f.name, data: f.data.slice() }));
        const single = await pool.run('loadSeries', { files: copy }, { transfer: copy.map((f) => f.data.buffer as ArrayBuffer) });
        one.push(single.timings.analysis);
        const t = performance.now();
        await analyseInPool(pool, volume);
        two.push(performance.now() - t);
      }
      lines.push(
        `${path.basename(dir) === 'dicom' ? path.basename(path.dirname(dir)) : path.basename(dir)} (${volume.slices} slices): analysis on one thread ${one.map(r0).join(' ')} ms, on two ${two.map(r0).join(' ')} ms; ` +
          `median after the first: one ${r0(median(one.slice(1)))} ms, two ${r0(median(two.slice(1)))} ms (load average ${loadavg()[0].toFixed(2)})`,
      );
    }
  } finally {
    await pool.close();
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (!relaunchWithMallocTunables()) main().catch((err) => exitWithError('bench:analysis-threads', err));
