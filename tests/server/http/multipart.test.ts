import { MultipartParser, multipartBoundary, parseMultipart, type Part } from '../../../server/series/sources/multipart';
import { SourceError } from '../../../server/series/sources/errors';

const BOUNDARY = 'b0undary-123';

function body(parts: Uint8Array[], withLength: boolean, preamble = ''): Buffer {
  const out: Buffer[] = [Buffer.from(preamble)];
  for (const p of parts) {
    const headers = [`Content-Type: application/dicom`];
    if (withLength) headers.push(`Content-Length: ${p.length}`);
    out.push(Buffer.from(`--${BOUNDARY}\r\n${headers.join('\r\n')}\r\n\r\n`), Buffer.from(p), Buffer.from('\r\n'));
  }
  out.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(out);
}

/** Deterministic pseudo-random bytes, including "\r\n--" runs that must not confuse the parser. */
function payload(n: number, seed: number): Uint8Array {
  const a = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    a[i] = x >>> 24;
  }
  if (n > 10) a.set(Buffer.from('\r\n--b0und'), 3);
  return a;
}

function parseInChunks(buf: Buffer, sizes: number[]): Part[] {
  const parser = new MultipartParser(BOUNDARY, { maxPartBytes: 1 << 20 });
  const out: Part[] = [];
  let pos = 0;
  let i = 0;
  while (pos < buf.length) {
    const n = sizes[i++ % sizes.length];
    out.push(...parser.push(buf.subarray(pos, pos + n)));
    pos += n;
  }
  parser.finish();
  return out;
}

describe('multipart/related parser', () => {
  const parts = [payload(1000, 1), payload(0, 2), payload(70_000, 3), payload(17, 4)];

  it.each([
    ['with Content-Length', true],
    ['without Content-Length', false],
  ])('returns every part byte for byte %s, whatever the chunking', (_name, withLength) => {
    const buf = body(parts, withLength, 'preamble text\r\n');
    for (const sizes of [[buf.length], [1], [7, 3, 1000], [65_536], [2, 9000]]) {
      const got = parseInChunks(buf, sizes);
      expect(got.map((p) => Buffer.from(p.body).toString('hex'))).toEqual(parts.map((p) => Buffer.from(p).toString('hex')));
      expect(got[0].headers['content-type']).toBe('application/dicom');
    }
  });

  it('streams parts out before the body ends', async () => {
    const buf = body(parts, true);
    const cut = buf.indexOf(Buffer.from(`--${BOUNDARY}`), 1100); // start of the 3rd part
    let seenBeforeEnd = 0;
    let delivered = false;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield buf.subarray(0, cut + 40);
      seenBeforeEnd = got.length;
      delivered = true;
      yield buf.subarray(cut + 40);
    }
    const got: Part[] = [];
    for await (const p of parseMultipart(chunks(), BOUNDARY, { maxPartBytes: 1 << 20 })) got.push(p);
    expect(delivered).toBe(true);
    expect(seenBeforeEnd).toBe(2);
    expect(got).toHaveLength(4);
  });

  it('rejects a body cut short, a wrong Content-Length and an oversized part', () => {
    const buf = body(parts, true);
    expect(() => parseInChunks(buf.subarray(0, buf.length - 30), [4096])).toThrow(SourceError);
    const lying = Buffer.from(buf.toString('latin1').replace('Content-Length: 1000', 'Content-Length: 990'), 'latin1');
    expect(() => parseInChunks(lying, [4096])).toThrow(/Content-Length/);
    const small = new MultipartParser(BOUNDARY, { maxPartBytes: 5000 });
    let err: unknown;
    try {
      small.push(body(parts, false));
    } catch (e) {
      err = e;
    }
    expect((err as SourceError).httpStatus).toBe(413);
  });

  it('reads the boundary from the Content-Type', () => {
    expect(multipartBoundary('multipart/related; type="application/dicom"; boundary=abc-1')).toBe('abc-1');
    expect(multipartBoundary('multipart/related; boundary="quoted b"; type=x')).toBe('quoted b');
    expect(multipartBoundary('application/dicom')).toBeUndefined();
    expect(multipartBoundary(null)).toBeUndefined();
  });
});
