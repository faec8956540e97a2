/**
 * A DICOMweb server that misbehaves on request, on a loopback port: it answers WADO-RS series
 * requests with a multipart body of real files ('ok'), or sends the headers and part of the body
 * and then goes silent ('stall'), or never answers at all ('hang'), or answers 406 unless asked for
 * the files as they are stored ('stored-only': a PACS that cannot convert them). Counts the requests it
 * got, and keeps their Accept headers.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type PacsMode = 'ok' | 'stall' | 'hang' | 'stored-only';

export interface FakePacs {
  root: string;
  mode: PacsMode;
  /** Series requests received so far. */
  requests: number;
  /** Their Accept headers, in order. */
  readonly accepts: string[];
  /** Responses not finished (stalled or hanging). */
  readonly open: number;
  close(): Promise<void>;
}

export async function startFakePacs(files: Uint8Array[], mode: PacsMode = 'ok'): Promise<FakePacs> {
  const boundary = 'fake-pacs-boundary';
  const parts = files.map((f) =>
    Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), Buffer.from(f), Buffer.from('\r\n')]),
  );
  const body = Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]);
  const pending = new Set<ServerResponse>();
  const state = { mode, requests: 0 };
  const accepts: string[] = [];
  const server: Server = createServer((req, res) => {
    state.requests++;
    pending.add(res);
    res.on('close', () => pending.delete(res));
    accepts.push(req.headers.accept ?? '');
    if (state.mode === 'hang') return;
    if (state.mode === 'stored-only' && !/transfer-syntax=\*/.test(req.headers.accept ?? '')) {
      res.writeHead(406).end();
      return;
    }
    res.writeHead(200, { 'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}` });
    if (state.mode === 'stall') {
      // One and a half instances, then silence.
      res.write(body.subarray(0, parts[0].length + Math.floor(parts[1].length / 2)));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    root: `http://127.0.0.1:${port}/dicom-web`,
    get mode() {
      return state.mode;
    },
    set mode(m: PacsMode) {
      state.mode = m;
    },
    get requests() {
      return state.requests;
    },
    accepts,
    set requests(n: number) {
      state.requests = n;
    },
    get open() {
      return pending.size;
    },
    async close() {
      for (const res of pending) res.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
