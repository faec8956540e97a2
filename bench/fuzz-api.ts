/**
 * npm run -s bench:fuzz [-- --count 1000 --seed N --cache-mb 256 --concurrency 4]
 * The API under fuzzed series (issue #12's acceptance): `--count` small CT series, each with one
 * hostile file (byte flips, truncations, corrupt lengths, huge frame counts, nesting, deflate bombs,
 * mixed UIDs; tests/support/fuzz-series.ts), written as a folder tree that the service indexes at
 * start, then each sent as an upload and asked for as a local series. The service runs in its own
 * process (bench/load-server.ts). Prints the outcomes, the slowest answer, any 5xx, hang over 10 s or
 * misread volume, and the service's peak RSS (VmHWM) against the cache bound + 512 MB. Exit 1 on any.
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formData } from '../tests/server/http/helpers';
import { fuzzCall, fuzzProblem, fuzzSeries, type FuzzAnswer, type FuzzSeries } from '../tests/support/fuzz-series';
import { withMallocTunables } from '../server/workers/malloc';

function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '1000' },
      seed: { type: 'string', default: '20261201' },
      'cache-mb': { type: 'string', default: '256' },
      concurrency: { type: 'string', default: '4' },
    },
  });
  const count = Number(values.count);
  const cacheMb = Number(values['cache-mb']);
  const concurrency = Number(values.concurrency);
  const root = await mkdtemp(path.join(os.tmpdir(), 'sf-fuzz-'));
  try {
    let t = performance.now();
    const series = fuzzSeries(count, Number(values.seed));
    for (const s of series) {
      await mkdir(path.join(root, String(s.id)));
      for (const f of s.files) await writeFile(path.join(root, String(s.id), f.name), f.data);
    }
    const kinds = new Map<string, number>();
    for (const s of series) kinds.set(s.kind, (kinds.get(s.kind) ?? 0) + 1);
    console.log(`made ${count} series (${series.length * series[0].files.length} files) in ${Math.round(performance.now() - t)} ms: ${JSON.stringify(Object.fromEntries(kinds))}`);

    t = performance.now();
    const server = fork(path.join(__dirname, 'load-server.ts'), [root, String(cacheMb)], {
      cwd: path.join(__dirname, '..'),
      execArgv: ['--require', 'tsx/cjs', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // As the server runs (server/workers/malloc.ts): freed memory stays in the process for the next series.
      env: withMallocTunables(),
    });
    let exited: number | null | undefined;
    server.once('exit', (code) => (exited = code));
    const origin = await new Promise<string>((resolve, reject) => {
      server.on('message', (m: { type: string; origin?: string }) => m.type === 'ready' && resolve(m.origin as string));
      server.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
    });
    console.log(`service indexed the folder and is ready in ${Math.round(performance.now() - t)} ms`);

    const call = (url: string, init: RequestInit): Promise<FuzzAnswer> => fuzzCall(origin, url, init);
    const problems: string[] = [];
    const outcomes = new Map<string, number>();
    let slowest = 0;
    const judge = (s: FuzzSeries, via: 'upload' | 'local', a: FuzzAnswer): void => {
      const key = `${via} ${a.status} ${a.body?.code ?? ''}`.trim();
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      slowest = Math.max(slowest, a.ms);
      const p = a.status === 0 ? 'no answer (connection failed)' : fuzzProblem(s, via, a);
      if (p) problems.push(`series ${s.id} (${s.ops}) via ${via}: ${p}`);
    };
    t = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < series.length) {
          const s = series[next++];
          const { body, contentType } = formData(s.files);
          judge(s, 'upload', await call('/api/v1/series', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(body) }));
          judge(
            s,
            'local',
            await call('/api/v1/rerank', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ query: 'nodule', series: { source: 'local', seriesInstanceUID: s.seriesInstanceUID } }),
            }),
          );
        }
      }),
    );
    const wallMs = Math.round(performance.now() - t);
    const peak = exited === undefined ? peakRssMiB(server.pid as number) : NaN;
    const crashed = exited !== undefined;
    server.send({ type: 'stop' });
    await new Promise((r) => (crashed ? r(undefined) : server.once('exit', r)));

    console.log(`${count * 2} requests in ${wallMs} ms (concurrency ${concurrency}); slowest answer ${Math.round(slowest)} ms`);
    console.log('outcomes:');
    for (const [k, n] of [...outcomes].sort()) console.log(`  ${String(n).padStart(5)}  ${k}`);
    const bound = cacheMb + 512;
    console.log(`service peak RSS ${peak} MiB; bound: cache ${cacheMb} MiB + 512 MiB = ${bound} MiB (${peak <= bound ? 'within' : 'OVER'})`);
    console.log(`crashes: ${crashed ? 1 : 0}, problems (5xx, hangs over 10 s, misreads): ${problems.length}`);
    for (const p of problems.slice(0, 30)) console.log(`  ${p}`);
    console.log(JSON.stringify({ count, requests: count * 2, wallMs, slowestMs: Math.round(slowest), peakRssMiB: peak, boundMiB: bound, crashed, problems: problems.length }));
    if (crashed || problems.length > 0 || !(peak <= bound)) process.exitCode = 1;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
