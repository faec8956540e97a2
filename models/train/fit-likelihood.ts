/**
 * Fits the lesion likelihood (server/rerank/analysis/likelihood.ts) on the candidate set built by
 * make-candidates.ts, and says how well it holds on a scan it was not fitted on:
 *
 *   npx tsx models/train/fit-likelihood.ts [--in .cache/likelihood] [--l2 1] [--write | --folds-only]
 *
 * An L2-regularised logistic regression (Newton's method), classes weighted equally, then shifted to
 * a base rate of one lesion per PRIOR_CANDIDATES candidates. Prints, with each development scan held out
 * in turn, the AUC and the share of positives above chosen scores, per site class and per wall; then the
 * weights fitted on all scans (written to likelihood-weights.json with --write, and beside the set, under
 * folds/<scan>.json, the weights fitted without each scan: scripts/calibrate.ts scores each scan with the
 * weights that never saw it; `--folds-only` writes those alone, leaving the shipped weights as they are).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { featuresOf, FEATURE_NAMES, logOdds, type LikelihoodWeights } from '../../server/rerank/analysis/likelihood';
import type { CandidateRecord } from './make-candidates';

/** The probability the likelihood reports assumes this many candidates per lesion. */
const PRIOR_CANDIDATES = 100;

const arg = (k: string, d: string): string => {
  const i = process.argv.indexOf(k);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : d;
};
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Solves A x = b for a symmetric positive definite A (Cholesky), in place of nothing. */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const L = A.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = A[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      L[i][j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j][j];
    }
  const y = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) { let s = b[i]; for (let k = 0; k < i; k++) s -= L[i][k] * y[k]; y[i] = s / L[i][i]; }
  const x = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) { let s = y[i]; for (let k = i + 1; k < n; k++) s -= L[k][i] * x[k]; x[i] = s / L[i][i]; }
  return x;
}

/** A record with its feature vector. */
type Row = CandidateRecord & { x: number[] };

export function fit(records: Row[], l2: number): LikelihoodWeights {
  const d = FEATURE_NAMES.length;
  const mean = new Array<number>(d).fill(0), std = new Array<number>(d).fill(0);
  for (const r of records) r.x.forEach((v, i) => (mean[i] += v / records.length));
  for (const r of records) r.x.forEach((v, i) => (std[i] += (v - mean[i]) ** 2 / records.length));
  for (let i = 0; i < d; i++) std[i] = Math.sqrt(std[i]) || 1;
  const z = records.map((r) => [1, ...r.x.map((v, i) => (v - mean[i]) / std[i])]);
  const pos = records.filter((r) => r.label === 1).length;
  const weightOf = (r: Row): number => (r.label === 1 ? records.length / (2 * pos) : records.length / (2 * (records.length - pos)));
  let w = new Array<number>(d + 1).fill(0);
  for (let iter = 0; iter < 30; iter++) {
    const g = new Array<number>(d + 1).fill(0);
    const H = Array.from({ length: d + 1 }, () => new Array<number>(d + 1).fill(0));
    records.forEach((r, k) => {
      const x = z[k];
      let s = 0;
      for (let i = 0; i <= d; i++) s += w[i] * x[i];
      const p = sigmoid(s), c = weightOf(r);
      for (let i = 0; i <= d; i++) {
        g[i] += c * (p - r.label) * x[i];
        const hi = c * p * (1 - p) * x[i];
        for (let j = 0; j <= i; j++) H[i][j] += hi * x[j];
      }
    });
    for (let i = 1; i <= d; i++) { g[i] += l2 * w[i]; H[i][i] += l2; }
    for (let i = 0; i <= d; i++) for (let j = i + 1; j <= d; j++) H[i][j] = H[j][i];
    const step = solve(H, g);
    w = w.map((v, i) => v - step[i]);
    if (Math.max(...step.map(Math.abs)) < 1e-6) break;
  }
  // balanced classes → one lesion per PRIOR_CANDIDATES candidates
  const intercept = w[0] + Math.log(1 / (PRIOR_CANDIDATES - 1));
  return { features: [...FEATURE_NAMES], mean, std, coefficients: w.slice(1), intercept };
}

/** Area under the ROC curve (Mann-Whitney). */
function auc(pos: number[], neg: number[]): number {
  if (!pos.length || !neg.length) return NaN;
  const all = [...pos.map((s) => ({ s, p: 1 })), ...neg.map((s) => ({ s, p: 0 }))].sort((a, b) => a.s - b.s);
  let rank = 0, sumPos = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j].s === all[i].s) j++;
    const r = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (all[k].p) sumPos += r;
    rank = j;
    i = j;
  }
  void rank;
  return (sumPos - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}

async function main(): Promise<void> {
  const dir = arg('--in', path.resolve(__dirname, '..', '..', '.cache', 'likelihood'));
  const l2 = Number(arg('--l2', '1'));
  const raw = JSON.parse(await fs.readFile(path.join(dir, 'records.json'), 'utf8')) as { records: CandidateRecord[] };
  const records: Row[] = raw.records.map((r) => ({ ...r, x: featuresOf({ ...r.c, protrusionMm: r.c.protrusionMm < 0 ? Infinity : r.c.protrusionMm }) }));
  const cases = [...new Set(records.map((r) => r.case))];
  const out = (s: string): boolean => process.stdout.write(s + '\n');
  out(`${records.length} candidates (${records.filter((r) => r.label).length} lesions) from ${cases.join(', ')}; L2 ${l2}`);
  out('held out one scan at a time (fitted on the others):');
  const heldScores: Array<{ r: Row; p: number }> = [];
  const folds = new Map<string, LikelihoodWeights>();
  for (const held of cases) {
    const w = fit(records.filter((r) => r.case !== held), l2);
    folds.set(held, w);
    const test = records.filter((r) => r.case === held).map((r) => ({ r, p: sigmoid(logOdds(r.x, w)) }));
    heldScores.push(...test);
    const pos = test.filter((t) => t.r.label === 1).map((t) => t.p), neg = test.filter((t) => t.r.label === 0).map((t) => t.p);
    out(`  ${held.padEnd(16)} AUC ${auc(pos, neg).toFixed(3)}  lesions ${pos.length}, candidates ${neg.length}`);
  }
  const groups = [...new Set(heldScores.map((t) => t.r.group))].sort();
  const negAll = heldScores.filter((t) => t.r.label === 0).map((t) => t.p).sort((a, b) => b - a);
  // the score the 10th-highest negative per scan reaches: what a lesion must beat to be near the top
  const top = negAll[Math.min(negAll.length - 1, 10 * cases.length)] ?? 0;
  out(`per group (held-out scores; a lesion "ranks" when above the ${10}th-best non-lesion of its scan on average, ${top.toFixed(3)}):`);
  for (const gname of groups) {
    const pos = heldScores.filter((t) => t.r.group === gname && t.r.label === 1).map((t) => t.p);
    const neg = heldScores.filter((t) => t.r.group === gname && t.r.label === 0).map((t) => t.p);
    const ranks = pos.filter((p) => p > top).length;
    out(`  ${gname.padEnd(12)} lesions ${String(pos.length).padStart(3)} (rank ${ranks}/${pos.length})  non-lesions ${String(neg.length).padStart(4)}  AUC vs all non-lesions ${auc(pos, negAll).toFixed(3)}`);
  }
  const w = fit(records, l2);
  out('weights (standardised features), fitted on all scans:');
  FEATURE_NAMES.forEach((n, i) => out(`  ${n.padEnd(24)} ${w.coefficients[i] >= 0 ? ' ' : ''}${w.coefficients[i].toFixed(3)}`));
  out(`  intercept                ${w.intercept.toFixed(3)}`);
  const note = `fitted by models/train/fit-likelihood.ts (L2 ${l2}) on ${records.length} candidates of ${cases.join(', ')} (training bands), ${new Date().toISOString().slice(0, 10)}`;
  if (process.argv.includes('--write')) {
    const file = path.resolve(__dirname, '..', '..', 'server', 'rerank', 'analysis', 'likelihood-weights.json');
    await fs.writeFile(file, JSON.stringify({ note, ...w }, null, 1) + '\n');
    out(`wrote ${file}`);
  }
  if (process.argv.includes('--write') || process.argv.includes('--folds-only')) {
    await fs.mkdir(path.join(dir, 'folds'), { recursive: true });
    for (const [held, fw] of folds) await fs.writeFile(path.join(dir, 'folds', `${held}.json`), JSON.stringify({ note: `${note}, without ${held}`, ...fw }) + '\n');
    out(`wrote ${path.join(dir, 'folds')}/<scan>.json`);
  }
}

main().catch((err) => { process.stderr.write(`fit-likelihood: ${(err as Error).message}\n`); process.exit(1); });
