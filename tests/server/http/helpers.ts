/** Shared bits of the service tests: a test config, captured log and audit lines. */
import { Writable } from 'node:stream';
import { defaultConfig, type Config } from '../../../server/config';

export function testConfig(overrides: (c: Config) => void = () => undefined): Config {
  const c = defaultConfig();
  c.port = 0;
  c.log.level = 'info';
  c.docs = true;
  c.rateLimit.max = 10_000;
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
