/**
 * End-to-end held-out check of the learned stage: the synthetic stress suite (`npm run -s eval:synthetic`,
 * scripts/eval-synthetic.ts) run twice, without and with the model, side by side. The suite inserts
 * lesions at every site class into the three development scans, in the evaluation bands of
 * models/synthetic/split.ts (the model trains only on the other bands), and queries each in English and
 * Chinese with its true side, zone and size; it also counts false candidates in the unmodified scans.
 *
 *   npx tsx models/train/heldout.ts [--model <id>] [--json] [-- <more eval:synthetic options, e.g. --sizes 6,15,45>]
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

interface Row { trials: number; top1Hits: number; regionHits: number; confidentTop1: number }
interface Suite {
  classes: Record<string, Row>;
  classes8plus: Record<string, Row>;
  bySize: Record<string, Row>;
  byTexture: Record<string, Row>;
  falseCandidates: Record<string, number>;
}

const ROOT = path.resolve(__dirname, '..', '..');

function run(extra: string[]): Suite {
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  const out = execFileSync(tsx, [path.join(ROOT, 'scripts', 'eval-synthetic.ts'), '--json', ...extra], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out) as Suite;
}

function main(): void {
  const argv = process.argv.slice(2);
  const json = argv.includes('--json');
  const mi = argv.indexOf('--model');
  const model = mi >= 0 ? ['--model', argv[mi + 1]] : [];
  const dash = argv.indexOf('--');
  const extra = dash >= 0 ? argv.slice(dash + 1) : [];
  process.stderr.write('eval:synthetic without the model ...\n');
  const without = run(['--no-model', ...extra]);
  process.stderr.write('eval:synthetic with the model ...\n');
  const withModel = run([...model, ...extra]);
  if (json) {
    process.stdout.write(JSON.stringify({ without, with: withModel }, null, 2) + '\n');
    return;
  }
  const f = (a: number, b: number, n: number): string => `${a}→${b}/${n}`.padEnd(14);
  const table = (title: string, key: 'classes' | 'classes8plus' | 'bySize' | 'byTexture'): void => {
    process.stdout.write(`\n${title}\n${''.padEnd(16)}${'top-1'.padEnd(14)}${'region'.padEnd(14)}confident top-1\n`);
    for (const [k, b] of Object.entries(without[key])) {
      const w = withModel[key][k];
      if (!w) continue;
      process.stdout.write(`${k.padEnd(16)}${f(b.top1Hits, w.top1Hits, b.trials)}${f(b.regionHits, w.regionHits, b.trials)}${f(b.confidentTop1, w.confidentTop1, b.trials)}\n`);
    }
  };
  process.stdout.write('synthetic stress suite, evaluation bands of the three development scans: without → with the model\n');
  table('by site class (all sizes)', 'classes');
  table('by site class, 8 mm and more', 'classes8plus');
  table('by size', 'bySize');
  table('by texture', 'byTexture');
  process.stdout.write(
    `\nfalse candidates (≥ 0.5 for mass or nodule, unmodified scans): ${Object.keys(without.falseCandidates)
      .map((k) => `${k} ${without.falseCandidates[k]}→${withModel.falseCandidates[k]}`)
      .join(', ')}\n`,
  );
}

main();
