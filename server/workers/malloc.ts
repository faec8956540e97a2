/**
 * Keep freed memory in the process, so a new volume reuses it instead of faulting in fresh pages.
 *
 * glibc returns every block of 32 MiB or more (a decoded volume, a mask, a series' files) to the
 * kernel when it is freed, and the next such block is faulted in again page by page. On virtual
 * machines a first touch is expensive: on the 2-core development VM, filling a fresh 140 MB
 * Float32Array takes 460 ms and filling it again 5 ms, so a cold series paid more for page faults
 * than for decoding. With these glibc tunables (no mmap for large blocks, no trimming, one arena so
 * the worker threads share the freed blocks) a new 140 MB volume costs 15–40 ms once the process has
 * held that much before. The price: the process keeps its peak memory (bounded by --cache-mb plus the
 * loads in flight) instead of giving it back.
 *
 * glibc reads its tunables at start, so entry points relaunch themselves once with them set
 * (`relaunchWithMallocTunables`); SLICE_FINDER_MALLOC=default turns this off. Other C libraries
 * (musl) ignore the variable.
 */
import { spawn } from 'node:child_process';

export const MALLOC_TUNABLES = [
  'glibc.malloc.mmap_max=0',
  // 64 GiB: never give the top of the heap back.
  'glibc.malloc.trim_threshold=68719476736',
  'glibc.malloc.arena_max=1',
].join(':');

/** `env` with the tunables added to any GLIBC_TUNABLES already there. */
export function withMallocTunables(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (mallocTunablesSet(env) || env.SLICE_FINDER_MALLOC === 'default') return env;
  const current = env.GLIBC_TUNABLES;
  return { ...env, GLIBC_TUNABLES: current ? `${current}:${MALLOC_TUNABLES}` : MALLOC_TUNABLES };
}

export function mallocTunablesSet(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.GLIBC_TUNABLES ?? '').includes('glibc.malloc.mmap_max=0');
}

function usesGlibc(): boolean {
  if (process.platform !== 'linux') return false;
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return typeof header?.glibcVersionRuntime === 'string';
}

/**
 * Starts this same command again with the tunables and waits for it, passing signals on and exiting
 * with its status; true in the parent, which must then do nothing else. False (carry on) when the
 * tunables are already set, turned off, or the C library is not glibc. Not for processes started
 * with an IPC channel (a forked child): give those `withMallocTunables()` as their env instead.
 */
export function relaunchWithMallocTunables(): boolean {
  if (mallocTunablesSet() || process.env.SLICE_FINDER_MALLOC === 'default' || process.send !== undefined || !usesGlibc()) return false;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: withMallocTunables(),
  });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, forward);
  child.on('exit', (code, signal) => {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
  child.on('error', () => process.exit(1));
  return true;
}
