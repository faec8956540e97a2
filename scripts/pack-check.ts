/**
 * What `npm pack` would publish of the two workspace packages, checked: the files an OHIF build or a
 * prebuilt viewer needs are in (built modules, README, package.json), nothing of server/ or of the
 * sources is, no packed file carries server code, and the package fields OHIF's plugin build relies on
 * (name, keywords, @ohif/core peer range) are right. `npm run pack:check` (CI, after `npm run build`);
 * tests/extension/package.test.ts runs the same checks.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..');

export interface PackedFile {
  path: string;
  size: number;
}
/** One entry of `npm pack --json`. */
export interface PackResult {
  name: string;
  version: string;
  filename: string;
  files: PackedFile[];
}

export interface PackageExpectation {
  workspace: string;
  name: string;
  keyword: string;
  /** Files that must be in the tarball (relative to the package). */
  required: string[];
  peerDependencies: Record<string, string>;
}

export const EXPECTED: PackageExpectation[] = [
  {
    workspace: 'extension',
    name: '@slice-finder/ohif-extension',
    keyword: 'ohif-extension',
    required: ['package.json', 'README.md', 'dist/index.mjs', 'dist/slice-finder.mjs'],
    peerDependencies: { '@ohif/core': '^3.13.0', react: '^18.3.0', 'react-dom': '^18.3.0' },
  },
  {
    workspace: 'mode',
    name: '@slice-finder/ohif-mode',
    keyword: 'ohif-mode',
    required: ['package.json', 'README.md', 'dist/slice-finder-mode.mjs'],
    peerDependencies: { '@ohif/core': '^3.13.0', '@ohif/mode-longitudinal': '^3.13.0', '@slice-finder/ohif-extension': '^0.1.0' },
  },
];

/** Paths that must never be published: the backend, sources, tests, tooling. */
const FORBIDDEN_PATH = /(^|\/)(server|src|tests?|contract|scripts|node_modules)\//;
/** What server code would bring into a bundle (its runtime dependencies and Node built-ins). */
const SERVER_CODE = /fastify|onnxruntime|piscina|ioredis|prom-client|["']node:[a-z_]+["']/;

/**
 * `npm pack --dry-run --json` of these workspaces. Scripts are skipped (prepack would build): the
 * caller builds first, and a missing build shows up as missing files.
 */
export function packDryRun(workspaces: string[], cwd = REPO_ROOT): PackResult[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', ...workspaces.flatMap((w) => ['-w', w])], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
  return JSON.parse(out) as PackResult[];
}

/** Problems with one packed package; [] when it is fine. `dir` is the package folder (to read the files). */
export function packProblems(result: PackResult, expected: PackageExpectation, dir: string): string[] {
  const problems: string[] = [];
  const files = result.files.map((f) => f.path);
  if (result.name !== expected.name) problems.push(`name is ${result.name}, expected ${expected.name}`);
  for (const f of expected.required) if (!files.includes(f)) problems.push(`${expected.name}: ${f} is not packed${f.startsWith('dist/') ? ' (run npm run build)' : ''}`);
  for (const f of files) {
    if (FORBIDDEN_PATH.test(f)) problems.push(`${expected.name}: ${f} must not be packed`);
    const file = path.join(dir, f);
    if (/\.(m?js|json)$/.test(f) && f !== 'package.json' && existsSync(file) && SERVER_CODE.test(readFileSync(file, 'utf8'))) {
      problems.push(`${expected.name}: ${f} contains server code (${SERVER_CODE.exec(readFileSync(file, 'utf8'))?.[0]})`);
    }
  }
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
    keywords?: string[];
    peerDependencies?: Record<string, string>;
    dependencies?: Record<string, string>;
  };
  if (!pkg.keywords?.includes(expected.keyword)) problems.push(`${expected.name}: keywords lack ${expected.keyword}`);
  for (const [dep, range] of Object.entries(expected.peerDependencies)) {
    if (pkg.peerDependencies?.[dep] !== range) problems.push(`${expected.name}: peerDependencies.${dep} is ${pkg.peerDependencies?.[dep]}, expected ${range}`);
  }
  // Everything is bundled or left to the host: a dependency would be installed into the vendor's build.
  if (pkg.dependencies && Object.keys(pkg.dependencies).length > 0) problems.push(`${expected.name}: has dependencies ${Object.keys(pkg.dependencies).join(', ')}`);
  return problems;
}

export function checkPackages(cwd = REPO_ROOT): { results: PackResult[]; problems: string[] } {
  const results = packDryRun(EXPECTED.map((e) => e.workspace), cwd);
  const problems: string[] = [];
  for (const expected of EXPECTED) {
    const result = results.find((r) => r.name === expected.name);
    if (!result) problems.push(`npm pack listed no ${expected.name}`);
    else problems.push(...packProblems(result, expected, path.join(cwd, expected.workspace)));
  }
  return { results, problems };
}

function main(): void {
  const { results, problems } = checkPackages();
  for (const r of results) console.log(`pack:check: ${r.name}@${r.version}: ${r.files.map((f) => f.path).join(', ')}`);
  if (problems.length > 0) {
    for (const p of problems) console.error(`pack:check: ${p}`);
    process.exit(1);
  }
  console.log('pack:check: both packages are complete and carry no server code');
}

if (require.main === module) main();
