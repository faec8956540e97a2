/**
 * A read-only pass-through to a PACS's DICOMweb root, mounted at the same path the embedded
 * DICOMweb uses. The browser then reads same-origin (PACS servers such as Orthanc send no CORS
 * headers), and the viewer's config is the same in both modes.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { FastifyInstance } from 'fastify';

export interface DicomwebProxyOptions {
  /** Upstream DICOMweb root, e.g. http://pacs:8042/dicom-web */
  upstream: string;
  /** Authorization header sent upstream instead of the caller's (a service credential). */
  credential?: string;
  /** Forward the caller's Authorization header when no credential is set. */
  forwardAuthorization?: boolean;
  /** Abort an upstream request that sends no response headers in this time. */
  timeoutMs?: number;
}

const FORWARD_REQUEST_HEADERS = ['accept', 'if-none-match', 'if-modified-since', 'range'];
const FORWARD_RESPONSE_HEADERS = ['content-type', 'etag', 'last-modified', 'cache-control', 'content-range'];

export async function dicomwebProxyPlugin(app: FastifyInstance, opts: DicomwebProxyOptions): Promise<void> {
  const upstream = opts.upstream.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 30_000;

  app.get('/*', async (req, reply) => {
    const rest = (req.params as { '*': string })['*'];
    const qs = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
    if (rest.split('/').some((seg) => seg === '..')) {
      return reply.code(400).send({ statusCode: 400, code: 'BAD_PATH', message: 'invalid path' });
    }
    const headers: Record<string, string> = {};
    for (const h of FORWARD_REQUEST_HEADERS) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    const auth = opts.credential ?? (opts.forwardAuthorization !== false ? req.headers.authorization : undefined);
    if (auth) headers.authorization = auth;

    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    req.raw.once('close', () => {
      if (!reply.sent) controller.abort();
    });
    let res: Response;
    try {
      res = await fetch(`${upstream}/${rest}${qs}`, { headers, signal: controller.signal });
    } catch {
      const timedOut = controller.signal.aborted;
      return reply.code(timedOut ? 504 : 502).send({
        statusCode: timedOut ? 504 : 502,
        code: timedOut ? 'PACS_TIMEOUT' : 'PACS_UNREACHABLE',
        message: timedOut ? 'the PACS did not answer in time' : 'the PACS could not be reached',
      });
    } finally {
      clearTimeout(timer);
    }
    reply.code(res.status);
    for (const h of FORWARD_RESPONSE_HEADERS) {
      const v = res.headers.get(h);
      if (v) reply.header(h, v);
    }
    if (!res.body) return reply.send();
    return reply.send(Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>));
  });
}
