/** Shared bits of the service tests: a test config, captured log and audit lines. */
import { Writable } from 'node:stream';
import { defaultConfig, type Config } from '../../../server/config';

export function testConfig(overrides: (c: Config) => void = () => undefined): Config {
  const c = defaultConfig();
  c.port = 0;
  c.log.level = 'info';
  // Swagger UI pulls @fastify/static, whose ESM-only dependency Jest cannot require; serve.test.ts covers /api/docs.
  c.docs = false;
  c.rateLimit.max = 10_000;
  // each app of a test would analyse the warm-up chest first (warm-up.test.ts covers it)
  c.workers.warmUpRuns = 0;
  overrides(c);
  return c;
}

/** A writable that keeps every line written to it (pino logs, audit lines). */
export class LineCapture extends Writable {
  readonly lines: string[] = [];
  private partial = '';
  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.partial += chunk.toString();
    const parts = this.partial.split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts.filter((l) => l !== ''));
    cb();
  }
  get text(): string {
    return this.lines.join('\n');
  }
  json(): Array<Record<string, unknown>> {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}

/** Build a multipart/form-data body by hand (no extra dependency in tests). */
export function formData(files: Array<{ name: string; data: Uint8Array }>): { body: Buffer; contentType: string } {
  const boundary = `----slicefinder${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const f of files) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${f.name}"\r\n` +
          'Content-Type: application/dicom\r\n\r\n',
      ),
      Buffer.from(f.data),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface TestResponse {
  statusCode: number;
  headers: Headers;
  body: string;
  json(): unknown;
}

/**
 * Requests over a real socket: Fastify's inject needs light-my-request, whose ESM-only `cookie`
 * dependency Jest cannot require. `origin` is the listening app's http://127.0.0.1:port.
 */
export async function http(
  origin: string,
  opts: { method?: string; url: string; headers?: Record<string, string>; payload?: string | Uint8Array },
): Promise<TestResponse> {
  const res = await fetch(`${origin}${opts.url}`, {
    method: opts.method ?? 'GET',
    headers: opts.headers,
    body: typeof opts.payload === 'string' || opts.payload === undefined ? opts.payload : new Uint8Array(opts.payload),
  });
  const body = await res.text();
  return { statusCode: res.status, headers: res.headers, body, json: () => JSON.parse(body) };
}

/** Listen on a free loopback port; returns the origin. */
export async function listen(app: { listen(o: { host: string; port: number }): Promise<string> }): Promise<string> {
  return app.listen({ host: '127.0.0.1', port: 0 });
}
