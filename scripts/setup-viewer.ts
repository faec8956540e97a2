/**
 * Fetch the prebuilt OHIF viewer (`npm pack @ohif/app@<version>`, its package/dist) into the
 * git-ignored .cache/ohif/. Idempotent: a verified copy with a matching marker is kept as is.
 * Run with `npm run setup:viewer`; `npm start` and the end-to-end tests call `ensureViewer()`.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const OHIF_VERSION = '3.13.2';
const REPO_ROOT = path.resolve(__dirname, '..');
export const VIEWER_CACHE_DIR = process.env.SLICE_FINDER_VIEWER_CACHE ?? path.join(REPO_ROOT, '.cache', 'ohif');
const MARKER = '.slice-finder-viewer.json';

interface Marker {
  package: string;
  version: string;
  integrity?: string;
  files: number;
}

/** Where the viewer's dist folder lives once set up. */
export function viewerDistDir(cacheDir = VIEWER_CACHE_DIR, version = OHIF_VERSION): string {
  return path.join(cacheDir, version, 'dist');
}

/** Problems with a dist folder; [] when it looks like a complete prebuilt viewer. */
export function verifyDist(dist: string): string[] {
  const problems: string[] = [];
  if (!existsSync(path.join(dist, 'index.html'))) return [`${dist}/index.html is missing`];
  const files = readdirSync(dist);
  if (!files.some((f) => /^app\.bundle\..*\.js$/.test(f))) problems.push('no app.bundle.*.js');
  const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
  if (!html.includes('app-config.js')) problems.push('index.html does not load app-config.js');
  if (!html.includes('browserImportFunction')) problems.push('index.html has no browserImportFunction (extension loading)');
  return problems;
}

function readMarker(dir: string): Marker | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, MARKER), 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}

/** True when a verified viewer of this version is in the cache. */
export function viewerReady(cacheDir = VIEWER_CACHE_DIR, version = OHIF_VERSION): boolean {
  const marker = readMarker(path.join(cacheDir, version));
  return marker?.version === version && verifyDist(viewerDistDir(cacheDir, version)).length === 0;
}

async function countFiles(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    n += e.isDirectory() ? await countFiles(path.join(dir, e.name)) : 1;
  }
  return n;
}

/**
 * Make sure the viewer is in the cache; download it with npm from the configured registry if not.
 * Returns the dist folder to serve.
 */
export async function ensureViewer(
  opts: { cacheDir?: string; version?: string; log?: (line: string) => void } = {},
): Promise<string> {
  const cacheDir = opts.cacheDir ?? VIEWER_CACHE_DIR;
  const version = opts.version ?? OHIF_VERSION;
  const log = opts.log ?? ((line: string) => console.log(line));
  const target = path.join(cacheDir, version);
  if (viewerReady(cacheDir, version)) return viewerDistDir(cacheDir, version);

  const spec = `@ohif/app@${version}`;
  log(`setup-viewer: fetching ${spec} with npm pack into ${path.relative(process.cwd(), cacheDir) || cacheDir} (about 10 s)`);
  const work = path.join(cacheDir, `.tmp-${process.pid}-${Date.now()}`);
  await mkdir(work, { recursive: true });
  try {
    const { stdout } = await run('npm', ['pack', spec, '--json', '--silent', '--pack-destination', work], {
      cwd: work,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, npm_config_loglevel: 'error' },
    });
    const packed = (JSON.parse(stdout) as Array<{ filename: string; integrity?: string; version: string }>)[0];
    if (!packed || packed.version !== version) throw new Error(`npm pack returned ${packed?.version ?? 'nothing'}, not ${version}`);
    const tgz = path.join(work, path.basename(packed.filename.replace(/^@/, '').replace(/\//g, '-')));
    const tarball = existsSync(tgz) ? tgz : path.join(work, (await readdir(work)).find((f) => f.endsWith('.tgz')) ?? '');
    await run('tar', ['-xzf', tarball, '-C', work, 'package/dist'], { maxBuffer: 16 * 1024 * 1024 });
    const dist = path.join(work, 'package', 'dist');
    const problems = verifyDist(dist);
    if (problems.length > 0) throw new Error(`the ${spec} package is not a usable viewer: ${problems.join('; ')}`);
    const marker: Marker = { package: '@ohif/app', version, integrity: packed.integrity, files: await countFiles(dist) };
    const staged = path.join(work, version);
    await mkdir(staged);
    await rename(dist, path.join(staged, 'dist'));
    await writeFile(path.join(staged, MARKER), JSON.stringify(marker, null, 2) + '\n');
    // Replace any half-made or stale copy in one rename; a concurrent setup that won the race is kept.
    await rm(target, { recursive: true, force: true });
    try {
      await rename(staged, target);
    } catch (err) {
      if (!viewerReady(cacheDir, version)) throw err;
    }
    log(`setup-viewer: OHIF ${version} ready (${marker.files} files) in ${viewerDistDir(cacheDir, version)}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return viewerDistDir(cacheDir, version);
}

if (require.main === module) {
  ensureViewer().then(
    (dist) => console.log(dist),
    (err: unknown) => {
      console.error(`setup-viewer failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
