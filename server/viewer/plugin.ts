/**
 * Serves the prebuilt OHIF viewer at the origin root (with a single-page-app fallback to
 * index.html), the generated /app-config.js, and the extension bundle under /ext/.
 * Register without a prefix. Files are streamed by hand (a short type table) rather than with
 * @fastify/static, whose ES-only dependencies Jest under Node 20 cannot load.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { markRoutesPublic } from '../http/plugins/auth';

export interface ViewerPluginOptions {
  /** OHIF's dist folder (index.html, app bundles, wasm). */
  distDir: string;
  /** The extension build output folder (the .mjs and its CSS). */
  extensionDir: string;
  /** Text of /app-config.js, or a function of the origin the browser used (e.g. http://localhost:3000). */
  appConfig: string | ((origin: string) => string);
  /** Path prefixes that belong to other plugins: never answered with index.html. */
  reservedPrefixes?: string[];
  /** Extra origins the page may connect to (a backend on another origin). */
  connectSrc?: string[];
  /** A generated module served at /ext/<name> (the extension with its configuration bound). */
  extensionEntry?: { name: string; source: () => string };
}

/** sha256 sources for index.html's inline scripts, so the policy need not allow every inline script. */
export function inlineScriptHashes(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi)) {
    out.push(`'sha256-${createHash('sha256').update(m[1], 'utf8').digest('base64')}'`);
  }
  return out;
}

/** The viewer's Content-Security-Policy: its own scripts, WebAssembly codecs, workers, same-origin data. */
export function viewerCsp(html: string, connectSrc: string[] = []): string {
  return [
    "default-src 'self'",
    `script-src 'self' ${inlineScriptHashes(html).join(' ')} 'wasm-unsafe-eval'`,
    "worker-src 'self' blob:",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self' data: blob: ${connectSrc.join(' ')}`.trim(),
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'self'",
  ].join('; ');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.jsonc': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.xml': 'application/xml',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
};

/** Stream one file that is known to exist inside the served folder. */
function sendFile(reply: FastifyReply, file: string, cache: string): FastifyReply {
  const { size } = statSync(file);
  return reply
    .type(TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream')
    .header('content-length', size)
    .header('cache-control', cache)
    .send(createReadStream(file));
}

const EXT_TYPES: Record<string, string> = {
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};

export async function viewerPlugin(app: FastifyInstance, opts: ViewerPluginOptions): Promise<void> {
  // The viewer's files are what a browser loads before anyone signs in: public (this plugin's scope only).
  markRoutesPublic(app);
  const dist = path.resolve(opts.distDir);
  const reserved = opts.reservedPrefixes ?? ['/api', '/dicom-web', '/ext', '/healthz', '/readyz', '/metrics'];
  const indexHtml = path.join(dist, 'index.html');
  // The service's security headers are for the API; the viewer page needs its own policy (OHIF's
  // index.html runs two inline scripts and compiles WebAssembly codecs).
  const csp = viewerCsp(readFileSync(path.join(dist, 'index.html'), 'utf8'), opts.connectSrc);
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('content-security-policy', csp);
    return payload;
  });

  app.get('/app-config.js', async (req, reply) => {
    const text = typeof opts.appConfig === 'string' ? opts.appConfig : opts.appConfig(`${req.protocol}://${req.host}`);
    return reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-store').send(text);
  });

  const entry = opts.extensionEntry;
  if (entry) {
    app.get(`/ext/${entry.name}`, async (_req, reply) =>
      reply.type(EXT_TYPES['.mjs']).header('cache-control', 'no-store').send(entry.source()),
    );
  }

  app.get<{ Params: { file: string } }>('/ext/:file', async (req, reply) => {
    const name = req.params.file;
    const type = EXT_TYPES[path.extname(name)];
    const file = path.join(opts.extensionDir, name);
    if (!type || name !== path.basename(name) || !existsSync(file)) {
      return reply.code(404).send({ statusCode: 404, code: 'NOT_FOUND', message: 'no such extension file' });
    }
    return reply.type(type).header('cache-control', 'no-cache').send(await readFile(file));
  });

  app.get('/', async (_req, reply) => sendFile(reply, indexHtml, 'no-cache'));
  app.get('/*', async (req, reply) => {
    const urlPath = decodeURIComponent(req.url.split('?')[0]);
    if (reserved.some((p) => urlPath === p || urlPath.startsWith(`${p}/`))) {
      return reply.code(404).send({ statusCode: 404, code: 'NOT_FOUND', message: 'not found' });
    }
    const rel = path.normalize(urlPath).replace(/^([/\\])+/, '');
    const abs = path.join(dist, rel);
    if (abs.startsWith(dist + path.sep) && existsSync(abs) && statSync(abs).isFile()) {
      // Bundles and codecs carry content hashes in their names; the rest is revalidated.
      return sendFile(reply, abs, /\.[0-9a-f]{16}\.(js|wasm)$|^[0-9a-f]{16}\.wasm$/.test(path.basename(abs)) ? 'public, max-age=31536000, immutable' : 'no-cache');
    }
    if (path.extname(rel) === '') return sendFile(reply, indexHtml, 'no-cache');
    return reply.code(404).send({ statusCode: 404, code: 'NOT_FOUND', message: 'not found' });
  });
}
