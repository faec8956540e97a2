/**
 * The typed client at the protocol level: a raw HTTP server plays the backend, so the NDJSON reader,
 * the error mapping and the "backend unreachable" case are exercised byte for byte.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ClientError, CLIENT_CODES, createClient } from '../../../server/http/client';
import { freePort } from '../../support/orthanc';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
let handler: Handler;
let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  origin = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const response = { results: [{ sopInstanceUID: '1.2', index: 3, score: 0.9, regions: [], matched: [] }], timings: {} };
const body = { query: 'nodule', series: { source: 'local' as const, seriesInstanceUID: '1.2.3' } };

describe('createClient', () => {
  it('posts JSON with the auth header read per call', async () => {
    let seen: { url?: string; auth?: string; body?: string } = {};
    handler = (req, res, b) => {
      seen = { url: req.url, auth: req.headers.authorization, body: b };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(response));
    };
    let n = 0;
    const client = createClient(origin, { auth: () => `Bearer t${++n}` });
    expect((await client.rerank(body)).results[0].index).toBe(3);
    expect(seen).toEqual({ url: '/api/v1/rerank', auth: 'Bearer t1', body: JSON.stringify(body) });
    await client.rerank(body);
    expect(seen.auth).toBe('Bearer t2');
  });

  it('reads NDJSON progress split anywhere, then the result', async () => {
    const lines = [
      { type: 'progress', phase: 'fetch', done: 0, total: 2 },
      { type: 'progress', phase: 'fetch', done: 2, total: 2 },
      { type: 'progress', phase: 'decode' },
      { type: 'progress', phase: 'score' },
      { type: 'result', response },
    ]
      .map((l) => JSON.stringify(l))
      .join('\n');
    handler = (req, res) => {
      expect(req.url).toBe('/api/v1/rerank/stream');
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      // Odd-sized chunks, some splitting a line (and a multi-byte character would be split too).
      let i = 0;
      const tick = (): void => {
        if (i >= lines.length) return void res.end();
        res.write(lines.slice(i, i + 7));
        i += 7;
        setImmediate(tick);
      };
      tick();
    };
    const seen: string[] = [];
    const r = await createClient(origin).rerank(body, { onProgress: (p) => seen.push(`${p.phase}${p.done ?? ''}`) });
    expect(seen).toEqual(['fetch0', 'fetch2', 'decode', 'score']);
    expect(r.results[0].score).toBe(0.9);
  });

  it('turns an error line into a ClientError with its status and code', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(`${JSON.stringify({ type: 'progress', phase: 'fetch', done: 0, total: 1 })}\n${JSON.stringify({ type: 'error', statusCode: 504, code: 'pacs_timeout', message: 'slow' })}\n`);
    };
    const err = await createClient(origin).rerank(body, { onProgress: () => undefined }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientError);
    expect(err).toMatchObject({ statusCode: 504, code: 'pacs_timeout', message: 'slow' });
  });

  it('says so when the stream ends without a result', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.end(`${JSON.stringify({ type: 'progress', phase: 'decode' })}\n`);
    };
    const err = await createClient(origin).rerank(body, { onProgress: () => undefined }).catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode: 0, code: CLIENT_CODES.badResponse });
  });

  it('maps HTTP errors: JSON bodies by their code, others by status', async () => {
    handler = (_req, res) => {
      res.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify({ statusCode: 422, code: 'NOT_CT', message: 'not a CT stack' }));
    };
    await expect(createClient(origin).models()).rejects.toMatchObject({ statusCode: 422, code: 'NOT_CT', message: 'not a CT stack' });
    handler = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html>proxy error</html>');
    };
    await expect(createClient(origin).prepare(body.series)).rejects.toMatchObject({ statusCode: 502, code: 'http_502' });
  });

  it('tells an unreachable backend and a cancelled call apart', async () => {
    const port = await freePort();
    const down = await createClient(`http://127.0.0.1:${port}`).models().catch((e: unknown) => e);
    expect(down).toMatchObject({ statusCode: 0, code: CLIENT_CODES.unreachable });
    handler = () => undefined; // never answers
    const ctl = new AbortController();
    const pending = createClient(origin).rerank(body, { signal: ctl.signal });
    setTimeout(() => ctl.abort(), 50);
    await expect(pending).rejects.toMatchObject({ code: CLIENT_CODES.aborted });
  });
});
