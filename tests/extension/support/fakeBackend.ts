/**
 * A fake Slice Finder backend behind a fake fetch (jsdom has neither fetch nor web streams). It
 * speaks the protocol of TEAM.md: JSON errors, and NDJSON for /api/v1/rerank/stream whose lines
 * the test can release one at a time to look at the panel mid-search.
 */
import { TextDecoder as NodeTextDecoder, TextEncoder as NodeTextEncoder } from 'util';
import type { RerankAnswer } from '../../../contract/schemas';

// The typed client decodes the stream with the global TextDecoder, which jsdom lacks.
(globalThis as { TextDecoder?: unknown }).TextDecoder ??= NodeTextDecoder;

export interface RecordedRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
  signal?: AbortSignal;
}

export type Reply =
  | { kind: 'json'; status: number; body: unknown }
  | { kind: 'stream'; lines: unknown[]; gate?: Promise<void>; gateAfter?: number }
  | { kind: 'network-error' };

interface FakeResponse {
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
  body: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> } } | null;
}

function jsonResponse(status: number, body: unknown): FakeResponse {
  return { ok: status >= 200 && status < 300, status, json: async () => body, body: null };
}

/** Lines after `gateAfter` wait for `gate` (or fail like fetch when the request is aborted), so a test can assert the progress shown so far. */
function streamResponse(lines: unknown[], gate?: Promise<void>, gateAfter = Infinity, signal?: AbortSignal): FakeResponse {
  const encoder = new NodeTextEncoder();
  let i = 0;
  return {
    ok: true,
    status: 200,
    json: async () => {
      throw new Error('stream');
    },
    body: {
      getReader: () => ({
        async read() {
          if (i >= lines.length) return { done: true };
          if (i === gateAfter && gate) {
            await Promise.race([
              gate,
              new Promise<never>((_, reject) => {
                const fail = () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
                if (signal?.aborted) fail();
                signal?.addEventListener('abort', fail, { once: true });
              }),
            ]);
          }
          return { done: false, value: encoder.encode(JSON.stringify(lines[i++]) + '\n') };
        },
        async cancel() {},
      }),
    },
  };
}

export class FakeBackend {
  readonly requests: RecordedRequest[] = [];
  /** Per path; the reply for rerank defaults to a stream with the given response. */
  readonly replies = new Map<string, Reply>();

  constructor() {
    this.replies.set('/api/v1/series/prepare', { kind: 'json', status: 202, body: { status: 'loading' } });
    this.replies.set('/api/v1/models', {
      kind: 'json',
      status: 200,
      body: { models: [], presets: ['report-match', 'lesion-search', 'strict'] },
    });
  }

  respondWith(response: RerankAnswer, progress: unknown[] = [], gate?: { promise: Promise<void>; after: number }) {
    this.replies.set('/api/v1/rerank/stream', {
      kind: 'stream',
      lines: [...progress, { type: 'result', response }],
      gate: gate?.promise,
      gateAfter: gate?.after,
    });
  }

  fail(path: string, reply: Reply) {
    this.replies.set(path, reply);
  }

  requestsTo(path: string) {
    return this.requests.filter((r) => new URL(r.url, 'http://viewer.local').pathname === path);
  }

  fetch = async (input: unknown, init: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal } = {}) => {
    const url = String(input);
    this.requests.push({ url, method: init.method ?? 'GET', headers: init.headers ?? {}, body: init.body ? JSON.parse(init.body) : undefined, signal: init.signal });
    const reply = this.replies.get(new URL(url, 'http://viewer.local').pathname);
    if (!reply) return jsonResponse(404, { statusCode: 404, code: 'not_found', message: 'no route' });
    if (reply.kind === 'network-error') throw new TypeError('fetch failed');
    if (reply.kind === 'json') return jsonResponse(reply.status, reply.body);
    return streamResponse(reply.lines, reply.gate, reply.gateAfter, init.signal);
  };

  install() {
    (globalThis as { fetch?: unknown }).fetch = this.fetch;
  }
}

export function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
