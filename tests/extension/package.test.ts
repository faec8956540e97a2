/**
 * The two workspace packages as `npm pack` makes them: the dry run lists the built files and the README
 * and nothing of server/; the real tarballs, unpacked as a site's node_modules would hold them, load in
 * Node by package name (through their `exports`), and the extension they carry agrees with its manifest.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { checkPackages, EXPECTED, packProblems, REPO_ROOT, type PackResult } from '../../scripts/pack-check';
import { ensureBuilt } from '../support/build';
import { manifestProblems, type ExtensionDescription } from './support/describe-extension';

jest.setTimeout(300_000);

/** Under the repository, so that the unpacked library build finds `react` the way a host's build would. */
const WORK = path.join(REPO_ROOT, '.cache', `pack-test-${process.pid}`);
const npmEnv = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' };

// CI builds before the tests (.ci/run); elsewhere a missing or stale build is made here.
beforeAll(() => ensureBuilt());
afterAll(() => rmSync(WORK, { recursive: true, force: true }));

describe('npm pack --dry-run', () => {
  test('both packages: built files, README and package.json in; nothing of server/, no server code; name, keyword, peers', () => {
    const { results, problems } = checkPackages();
    expect(problems).toEqual([]);
    const files = (name: string) => results.find((r) => r.name === name)?.files.map((f) => f.path) ?? [];
    expect(files('@slice-finder/ohif-extension')).toEqual(expect.arrayContaining(['README.md', 'package.json', 'dist/index.mjs', 'dist/slice-finder.mjs']));
    expect(files('@slice-finder/ohif-mode')).toEqual(expect.arrayContaining(['README.md', 'package.json', 'dist/slice-finder-mode.mjs']));
    for (const f of [...files('@slice-finder/ohif-extension'), ...files('@slice-finder/ohif-mode')]) expect(f).not.toMatch(/server|src\//);
  });

  test('the check reports a missing build, a server file and a wrong name', () => {
    const bad: PackResult = {
      name: '@slice-finder/extension',
      version: '0.1.0',
      filename: 'x.tgz',
      files: [{ path: 'package.json', size: 1 }, { path: 'README.md', size: 1 }, { path: 'server/main.ts', size: 1 }],
    };
    const problems = packProblems(bad, EXPECTED[0], path.join(REPO_ROOT, 'extension'));
    expect(problems).toEqual(
      expect.arrayContaining([
        'name is @slice-finder/extension, expected @slice-finder/ohif-extension',
        '@slice-finder/ohif-extension: dist/index.mjs is not packed (run npm run build)',
        '@slice-finder/ohif-extension: server/main.ts must not be packed',
      ]),
    );
  });
});

interface Loaded {
  library: ExtensionDescription;
  runtime: ExtensionDescription;
  distinctBuilds: boolean;
  mode: { id: string; factory: string; valid: Record<string, boolean>; extensionDependencies: Record<string, string> };
}

/** Loads the unpacked packages in a plain Node (ES modules, which jest cannot import), by package name. */
function loadPacked(cwd: string): Loaded {
  const helper = path.join(__dirname, 'support', 'describe-extension.js');
  const script = `
    import { createRequire } from 'node:module';
    const { describeExtension } = createRequire(import.meta.url)(${JSON.stringify(helper)});
    const library = (await import('@slice-finder/ohif-extension')).default;
    const runtime = (await import('@slice-finder/ohif-extension/runtime')).default;
    const mode = (await import('@slice-finder/ohif-mode')).default;
    const valid = {
      ct133: mode.isValidMode({ modalities: 'CT', study: { instances: 133 } }).valid,
      ctSr: mode.isValidMode({ modalities: 'CT\\\\SR', study: { instances: 134 } }).valid,
      ct5: mode.isValidMode({ modalities: 'CT', study: { instances: 5 } }).valid,
      mr12: mode.isValidMode({ modalities: 'MR', study: { instances: 12 } }).valid,
    };
    console.log(JSON.stringify({
      library: describeExtension(library),
      runtime: describeExtension(runtime),
      distinctBuilds: library !== runtime,
      mode: { id: mode.id, factory: typeof mode.modeFactory, valid, extensionDependencies: mode.extensionDependencies },
    }));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out.trim().split('\n').pop() ?? '') as Loaded;
}

describe('the packed packages', () => {
  test("load by package name; the extension's id, module getters and manifest agree; the mode is CT-only", () => {
    mkdirSync(WORK, { recursive: true });
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', WORK, '-w', 'extension', '-w', 'mode'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        env: npmEnv,
      }),
    ) as PackResult[];
    const site = path.join(WORK, 'site');
    for (const p of packed) {
      const dir = path.join(site, 'node_modules', p.name);
      mkdirSync(dir, { recursive: true });
      execFileSync('tar', ['-xzf', path.join(WORK, p.filename), '-C', dir, '--strip-components=1']);
    }
    const pkg = JSON.parse(readFileSync(path.join(site, 'node_modules', '@slice-finder/ohif-extension', 'package.json'), 'utf8')) as { name: string };
    expect(existsSync(path.join(site, 'node_modules', '@slice-finder/ohif-extension', 'src'))).toBe(false);

    const loaded = loadPacked(site);
    for (const build of [loaded.library, loaded.runtime]) {
      expect(build.id).toBe(pkg.name);
      expect(build.getters).toEqual(['getCommandsModule', 'getCustomizationModule', 'getPanelModule']);
      expect(manifestProblems(build, pkg)).toEqual([]);
    }
    // Two builds (React from the host, React bundled) of one extension: they contribute the same.
    expect(loaded.distinctBuilds).toBe(true);
    expect(loaded.runtime).toEqual(loaded.library);
    expect(loaded.mode).toEqual({
      id: '@slice-finder/ohif-mode',
      factory: 'function',
      valid: { ct133: true, ctSr: true, ct5: false, mr12: false },
      extensionDependencies: { '@slice-finder/ohif-extension': '^0.1.0' },
    });
  });
});
