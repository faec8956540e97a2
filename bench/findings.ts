/**
 * `npx tsx bench/findings.ts [--runs N] [dir ...]`: the chest-findings stage's cost per development scan
 * (default: the three under ../shared/data), per sub-stage, wall and CPU (the process's, every thread)
 * beside the whole analysis. The first run of each scan warms the JIT; the medians of the later runs
 * and the fastest are printed. The machine's load average is printed too: wall times on a busy machine are inflated,
 * CPU times much less.
 */
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { findChestFindings } from '../server/rerank/analysis/findings';
import { analyseVolume } from '../server/rerank/pipeline';
import { loadSeriesFromDir } from '../server/series/load';

const DATA = path.resolve(__dirname, '..', '..', 'shared', 'data');

const cpuNow = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const min = (xs: number[]): number => Math.min(...xs);
const r0 = (x: number): string => String(Math.round(x));

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const ri = args.indexOf('--runs');
  const runs = ri >= 0 ? Number(args.splice(ri, 2)[1]) : 3;
  const dirs = args.length ? args : readdirSync(DATA, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(DATA, e.name));
  process.stdout.write(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}; ${runs} runs per scan (the first warms up)\n`);
  for (const dir of dirs) {
    const { volume } = await loadSeriesFromDir(path.join(dir, 'dicom'));
    const stages = new Map<string, number[]>();
    const push = (k: string, x: number): void => { let a = stages.get(k); if (!a) stages.set(k, (a = [])); a.push(x); };
    for (let k = 0; k < runs; k++) {
      const c0 = cpuNow(), t0 = performance.now();
      const a = analyseVolume(volume);
      const analysisWall = performance.now() - t0, analysisCpu = cpuNow() - c0;
      const lesions = a.candidates.filter((c) => c.kind === 'lesion');
      const c1 = cpuNow(), t1 = performance.now();
      const f = findChestFindings(volume, a.anatomy.grid, a.anatomy.lungs, a.anatomy.compartments, lesions, cpuNow);
      const wall = performance.now() - t1, cpu = cpuNow() - c1;
      if (k === 0 && runs > 1) continue;
      push('analysis wall', analysisWall); push('analysis cpu', analysisCpu);
      push('findings (in analysis) wall', a.timings.findings);
      push('findings wall', wall); push('findings cpu', cpu);
      for (const [s, x] of Object.entries(f.timings)) push(`  ${s} (cpu)`, x);
    }
    process.stdout.write(`${path.basename(dir)} (${volume.slices} slices):\n`);
    for (const [k, xs] of stages) process.stdout.write(`  ${k.padEnd(30)} ${r0(median(xs)).padStart(6)} ms median ${r0(min(xs)).padStart(6)} ms min\n`);
  }
}

void main();
