/**
 * A streaming parser for multipart/related bodies (RFC 2046), as WADO-RS returns them: bytes go in
 * chunk by chunk, whole parts come out as soon as their closing delimiter (or Content-Length) is seen,
 * so a 70 MB series never sits in memory twice. Limits guard against hostile or broken servers.
 */
import { SourceError } from './errors';

export interface Part {
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface MultipartLimits {
  /** Largest single part in bytes. */
  maxPartBytes: number;
  /** Largest header block of one part in bytes. */
  maxHeaderBytes?: number;
}

/** The boundary parameter of a multipart Content-Type, or undefined when it is not multipart. */
export function multipartBoundary(contentType: string | null | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\//i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = m ? (m[1] ?? m[2]) : undefined;
  return boundary && boundary.length <= 200 ? boundary : undefined;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

type State = 'preamble' | 'afterDelimiter' | 'headers' | 'body' | 'done';

function malformed(message: string): SourceError {
  return new SourceError(502, 'pacs_bad_response', `the PACS sent a malformed multipart response: ${message}`);
}

export class MultipartParser {
  private buf: Buffer = Buffer.alloc(64 * 1024);
  private start = 0;
  private bufEnd = 0;
  private state: State = 'preamble';
  private headers: Record<string, string> = {};
  private contentLength: number | undefined;
  /** Where the next delimiter search begins, so a body is never rescanned from its start. */
  private scanFrom = 0;
  private readonly delimiter: Buffer; // "--boundary"
  private readonly bodyDelimiter: Buffer; // "\r\n--boundary"
  private readonly maxHeaderBytes: number;

  constructor(
    boundary: string,
    private readonly limits: MultipartLimits,
  ) {
    this.delimiter = Buffer.from(`--${boundary}`);
    this.bodyDelimiter = Buffer.from(`\r\n--${boundary}`);
    this.maxHeaderBytes = limits.maxHeaderBytes ?? 16 * 1024;
  }

  get finished(): boolean {
    return this.state === 'done';
  }

  /** Feed one chunk; returns the parts it completed. */
  push(chunk: Uint8Array): Part[] {
    if (this.state === 'done') return []; // epilogue: ignored
    this.append(chunk);
    const parts: Part[] = [];
    while (this.step(parts)) {
      // step until the buffered bytes allow no more progress
    }
    return parts;
  }

  /** The input ended: throws unless the closing delimiter was seen. */
  finish(): void {
    if (this.state !== 'done') throw malformed('the response ended before its closing boundary');
  }

  private get available(): number {
    return this.bufEnd - this.start;
  }

  private append(chunk: Uint8Array): void {
    if (this.bufEnd + chunk.length > this.buf.length) {
      const live = this.available;
      const need = live + chunk.length;
      const next = need > this.buf.length ? Buffer.alloc(Math.max(need, this.buf.length * 2)) : this.buf;
      this.buf.copy(next, 0, this.start, this.bufEnd);
      this.scanFrom -= this.start;
      this.buf = next;
      this.start = 0;
      this.bufEnd = live;
    }
    this.buf.set(chunk, this.bufEnd);
    this.bufEnd += chunk.length;
  }

  private indexOf(needle: Buffer, from: number): number {
    return this.buf.subarray(0, this.bufEnd).indexOf(needle, from);
  }

  /** One state transition if the buffered bytes allow it. */
  private step(parts: Part[]): boolean {
    switch (this.state) {
      case 'preamble': {
        const i = this.indexOf(this.delimiter, this.start);
        if (i < 0) {
          if (this.available > this.maxHeaderBytes) throw malformed('no boundary at the start');
          return false;
        }
        this.start = i + this.delimiter.length;
        this.state = 'afterDelimiter';
        return true;
      }
      case 'afterDelimiter': {
        if (this.available < 2) return false;
        if (this.buf[this.start] === 0x2d && this.buf[this.start + 1] === 0x2d) {
          this.state = 'done'; // "--boundary--"
          return true;
        }
        // Transport padding (spaces/tabs) may precede the CRLF.
        const eol = this.indexOf(CRLF, this.start);
        if (eol < 0) {
          if (this.available > 256) throw malformed('bad boundary line');
          return false;
        }
        if (!/^[ \t]*$/.test(this.buf.toString('latin1', this.start, eol))) throw malformed('bad boundary line');
        this.start = eol; // keep the CRLF: an empty header block is "\r\n\r\n"
        this.state = 'headers';
        return true;
      }
      case 'headers': {
        const i = this.indexOf(HEADER_END, this.start);
        if (i < 0) {
          if (this.available > this.maxHeaderBytes) throw malformed('part headers too long');
          return false;
        }
        this.headers = parseHeaders(this.buf.toString('latin1', this.start + 2, i));
        const cl = this.headers['content-length'];
        this.contentLength = cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : undefined;
        if (this.contentLength !== undefined && this.contentLength > this.limits.maxPartBytes) {
          throw new SourceError(413, 'series_too_large', 'one instance of the series is larger than the configured limit');
        }
        this.start = i + HEADER_END.length;
        this.scanFrom = this.start;
        this.state = 'body';
        return true;
      }
      case 'body': {
        let bodyEnd: number;
        if (this.contentLength !== undefined) {
          // Trust Content-Length but check that the delimiter follows it.
          const need = this.contentLength + this.bodyDelimiter.length;
          if (this.available < need) return false;
          bodyEnd = this.start + this.contentLength;
          if (!this.buf.subarray(bodyEnd, bodyEnd + this.bodyDelimiter.length).equals(this.bodyDelimiter)) {
            throw malformed('part longer than its Content-Length');
          }
        } else {
          const i = this.indexOf(this.bodyDelimiter, this.scanFrom);
          if (i < 0) {
            if (this.available > this.limits.maxPartBytes + this.bodyDelimiter.length) {
              throw new SourceError(413, 'series_too_large', 'one instance of the series is larger than the configured limit');
            }
            this.scanFrom = Math.max(this.start, this.bufEnd - this.bodyDelimiter.length + 1);
            return false;
          }
          bodyEnd = i;
          if (bodyEnd - this.start > this.limits.maxPartBytes) {
            throw new SourceError(413, 'series_too_large', 'one instance of the series is larger than the configured limit');
          }
        }
        parts.push({ headers: this.headers, body: new Uint8Array(this.buf.subarray(this.start, bodyEnd)) });
        this.start = bodyEnd + this.bodyDelimiter.length;
        this.state = 'afterDelimiter';
        return true;
      }
      case 'done':
        return false;
    }
  }
}

function parseHeaders(block: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of block.split('\r\n')) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed('bad part header');
    out[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return out;
}

/** Parse a whole stream of chunks; yields parts as they complete. */
export async function* parseMultipart(
  chunks: AsyncIterable<Uint8Array>,
  boundary: string,
  limits: MultipartLimits,
): AsyncGenerator<Part> {
  const parser = new MultipartParser(boundary, limits);
  for await (const chunk of chunks) {
    for (const part of parser.push(chunk)) yield part;
    if (parser.finished) return;
  }
  parser.finish();
}
