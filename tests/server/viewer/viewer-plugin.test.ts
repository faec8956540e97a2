import Fastify, { type FastifyInstance } from 'fastify';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { appConfigObject } from '../../../server/viewer/app-config';
import { extensionEntryModule } from '../../../server/viewer/extension-entry';
import { inlineScriptHashes, viewerPlugin } from '../../../server/viewer/plugin';

const INLINE = 'window.x=1';
const INDEX = `<!doctype html><html><head><script>${INLINE}</script><script src="/app-config.js"></script></head><body></body></html>`;

describe('viewer plugin', () => {
  let dir: string;
  let app: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sf-viewer-'));
    await mkdir(path.join(dir, 'dist'));
    await mkdir(path.join(dir, 'ext'));
    await writeFile(path.join(dir, 'dist', 'index.html'), INDEX);
    await writeFile(path.join(dir, 'dist', 'app.bundle.abc.js'), 'console.log(1)');
    await writeFile(path.join(dir, 'ext', 'slice-finder.mjs'), 'export default {id:"x"}');
    await writeFile(path.join(dir, 'secret.txt'), 'outside');
    app = Fastify({ forceCloseConnections: true }); // some responses below are never read
    app.get('/api/v1/models', async () => ({ models: [] }));
    await app.register(viewerPlugin, {
      distDir: path.join(dir, 'dist'),
      extensionDir: path.join(dir, 'ext'),
      appConfig: (origin) => `window.config={root:${JSON.stringify(origin)}}`,
      extensionEntry: { name: 'entry.mjs', source: () => 'export default 1' },
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves files, falls back to index.html for viewer routes, and keeps other prefixes out', async () => {
    const bundle = await fetch(`${base}/app.bundle.abc.js`);
    expect(bundle.status).toBe(200);
    expect(await bundle.text()).toBe('console.log(1)');
    const route = await fetch(`${base}/viewer?StudyInstanceUIDs=1.2.3`);
    expect(route.status).toBe(200);
    expect(await route.text()).toBe(INDEX);
    expect((await fetch(`${base}/missing.js`)).status).toBe(404);
    expect((await fetch(`${base}/api/v2/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/dicom-web/studies`)).status).toBe(404);
    expect((await fetch(`${base}/api/v1/models`)).status).toBe(200);
    expect((await fetch(`${base}/..%2fsecret.txt`)).status).toBe(404);
  });

  it('generates app-config from the origin the browser used, and serves the extension files', async () => {
    const cfg = await fetch(`${base}/app-config.js`);
    expect(await cfg.text()).toBe(`window.config={root:${JSON.stringify(base)}}`);
    expect(cfg.headers.get('cache-control')).toBe('no-store');
    const ext = await fetch(`${base}/ext/slice-finder.mjs`);
    expect(ext.headers.get('content-type')).toContain('text/javascript');
    expect(await (await fetch(`${base}/ext/entry.mjs`)).text()).toBe('export default 1');
    expect((await fetch(`${base}/ext/other.mjs`)).status).toBe(404);
    expect((await fetch(`${base}/ext/..%2fsecret.txt`)).status).toBe(404);
  });

  it('allows exactly the index page inline scripts by hash', async () => {
    const csp = (await fetch(`${base}/`)).headers.get('content-security-policy') ?? '';
    const hash = `'sha256-${createHash('sha256').update(INLINE).digest('base64')}'`;
    expect(inlineScriptHashes(INDEX)).toEqual([hash]);
    expect(csp).toContain(`script-src 'self' ${hash} 'wasm-unsafe-eval'`);
    expect(csp).not.toContain('unsafe-inline\' \'wasm');
  });
});

describe('app-config', () => {
  it('points the data source at the root, adds the panel to the Basic Viewer, silences the tour', () => {
    const cfg = appConfigObject({ dicomwebRoot: 'http://h:1/dicom-web/', extensionUrl: '/ext/e.mjs', panelId: 'x.panelModule.y' });
    const ds = (cfg.dataSources as Array<{ configuration: Record<string, unknown> }>)[0].configuration;
    expect(ds.wadoRoot).toBe('http://h:1/dicom-web');
    expect(ds.qidoRoot).toBe('http://h:1/dicom-web');
    expect(ds.qidoSupportsIncludeField).toBe(false);
    expect(ds.imageRendering).toBe('wadors');
    expect(cfg.extensions).toEqual(['/ext/e.mjs']);
    expect(cfg.customizationService).toEqual({
      global: { 'ohif.tours': { $set: [] } },
      mode: { '@ohif/mode-longitudinal': { rightPanels: { $push: ['x.panelModule.y'] } } },
    });
    expect(cfg.investigationalUseDialog).toEqual({ option: 'never' });
    // Without the bundle, the stock viewer with no panel.
    const bare = appConfigObject({ dicomwebRoot: 'http://h:1/dicom-web', panelId: 'x.panelModule.y' });
    expect(bare.extensions).toEqual([]);
    expect(bare.customizationService).toEqual({ global: { 'ohif.tours': { $set: [] } }, mode: {} });
  });
});

describe('extension entry module', () => {
  it('hands every getter the bound configuration, letting the host\'s own configuration win', async () => {
    const src = extensionEntryModule('BASE', { backendUrl: 'http://b:2' });
    // Evaluate the module text with a stand-in for the imported bundle.
    const body = src.replace(/^import base from "BASE";$/m, '').replace('export default extension;', 'return extension;');
    const base = {
      id: 'ext',
      getPanelModule: (p: { configuration: Record<string, unknown> }) => p.configuration,
    };
    const ext = new Function('base', body)(base) as typeof base;
    expect(ext.id).toBe('ext');
    expect(ext.getPanelModule({ configuration: {} })).toEqual({ backendUrl: 'http://b:2' });
    expect(ext.getPanelModule({ configuration: { backendUrl: 'x' } })).toEqual({ backendUrl: 'x' });
  });
});
