/**
 * Serves the prebuilt OHIF viewer at the origin root (with a single-page-app fallback to
 * index.html), the generated /app-config.js, and the extension bundle under /ext/.
 * Register without a prefix; it is encapsulated, so its sendFile decorator stays private.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export interface ViewerPluginOptions {
  /** OHIF's dist folder (index.html, app bundles, wasm). */
  distDir: string;
  /** The extension build output folder (the .mjs and its CSS). */
  extensionDir: string;
  /** Text of /app-config.js, or a function of the origin the browser used (e.g. http://localhost:3000). */
  appConfig: string | ((origin: string) => string);
  /** Path prefixes that belong to other plugins: never answered with index.html. */
  reservedPrefixes?: string[];
}

const EXT_TYPES: Record<string, string> = {
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

export async function viewerPlugin(app: FastifyInstance, opts: ViewerPluginOptions): Promise<void> {
  const dist = path.resolve(opts.distDir);
  const reserved = opts.reservedPrefixes ?? ['/api', '/dicom-web', '/ext', '/healthz', '/readyz', '/metrics'];
  await app.register(fastifyStatic, { root: dist, serve: false, index: false });

  app.get('/app-config.js', async (req, reply) => {
    const text = typeof opts.appConfig === 'string' ? opts.appConfig : opts.appConfig(`${req.protocol}://${req.host}`);
    return reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-store').send(text);
  });

  app.get<{ Params: { file: string } }>('/ext/:file', async (req, reply) => {
    const name = req.params.file;
    const type = EXT_TYPES[path.extname(name)];
    const file = path.join(opts.extensionDir, name);
    if (!type || name !== path.basename(name) || !existsSync(file)) {
      return reply.code(404).send({ statusCode: 404, code: 'NOT_FOUND', message: 'no such extension file' });
    }
    return reply.type(type).header('cache-control', 'no-cache').send(await readFile(file));
  });

  app.get('/', async (_req, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html'));
  app.get('/*', async (req, reply) => {
    const urlPath = decodeURIComponent(req.url.split('?')[0]);
    if (reserved.some((p) => urlPath === p || urlPath.startsWith(`${p}/`))) {
      return reply.code(404).send({ statusCode: 404, code: 'NOT_FOUND', message: 'not found' });
    }
    const rel = path.normalize(urlPath).replace(/^([/\\])+/, '');
    const abs = path.join(dist, rel);
    if (abs.startsWith(dist + path.sep) && existsSync(abs) && statSync(abs).isFile()) {
      return reply.sendFile(rel);
    }
    if (path.extname(rel) === '') return reply.header('cache-control', 'no-cache').sendFile('index.html');
    return reply.code(404).send({ statusCode: 404, code: 'NOT_FOUND', message: 'not found' });
  });
}
