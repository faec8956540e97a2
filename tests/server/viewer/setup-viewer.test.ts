import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureViewer, verifyDist, viewerDistDir, viewerReady } from '../../../scripts/setup-viewer';

describe('setup-viewer verification', () => {
  let cache: string;
  beforeEach(async () => {
    cache = await mkdtemp(path.join(os.tmpdir(), 'sf-ohif-'));
  });
  afterEach(() => rm(cache, { recursive: true, force: true }));

  const makeDist = async (html: string, bundle = true): Promise<string> => {
    const dist = viewerDistDir(cache, '9.9.9');
    await mkdir(dist, { recursive: true });
    await writeFile(path.join(dist, 'index.html'), html);
    if (bundle) await writeFile(path.join(dist, 'app.bundle.0123456789abcdef.js'), '');
    return dist;
  };
  const GOOD = '<script src="/app-config.js"></script><script>function browserImportFunction(n){return import(n)}</script>';

  it('accepts a complete viewer and names what is missing otherwise', async () => {
    expect(verifyDist(await makeDist(GOOD))).toEqual([]);
    expect(verifyDist(path.join(cache, 'nowhere'))[0]).toMatch(/index\.html is missing/);
    await rm(path.join(cache, '9.9.9'), { recursive: true });
    expect(verifyDist(await makeDist('<html></html>', false))).toEqual([
      'no app.bundle.*.js',
      'index.html does not load app-config.js',
      'index.html has no browserImportFunction (extension loading)',
    ]);
  });

  it('is ready only with a marker of the same version, and then does not fetch again', async () => {
    await makeDist(GOOD);
    expect(viewerReady(cache, '9.9.9')).toBe(false);
    await writeFile(path.join(cache, '9.9.9', '.slice-finder-viewer.json'), JSON.stringify({ version: '9.9.9', files: 2 }));
    expect(viewerReady(cache, '9.9.9')).toBe(true);
    const lines: string[] = [];
    // A ready cache returns at once: no npm call (which would fail for this version).
    await expect(ensureViewer({ cacheDir: cache, version: '9.9.9', log: (l) => lines.push(l) })).resolves.toBe(viewerDistDir(cache, '9.9.9'));
    expect(lines).toEqual([]);
  });
});
