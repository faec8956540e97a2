/**
 * The typed client of the Slice Finder API, shared by the OHIF extension and Node scripts (a RIS, the
 * benchmarks). Browser-safe: only global fetch, TextDecoder and ReadableStream; the schemas are
 * imported as types only, so TypeBox never reaches the browser bundle.
 */

import type {
  ErrorBody,
  ModelsResponse,
  PrepareResponse,
  ProgressPhase,
  RerankAnswer,
  RerankRequest,
  RerankResponse,
  ReportRequest,
  ReportResponse,
  SeriesRef,
  SkipReport,
  StreamEvent,
} from './schemas';

export type { ReportRequest, ReportResponse, RerankRequest, SeriesRef, ModelsResponse, PrepareResponse, ProgressPhase, StreamEvent, RerankResponse, RerankAnswer, SkipReport };

export interface Progress {
  phase: ProgressPhase;
  done?: number;
  total?: number;
}

/**
 * Codes the client itself produces (statusCode 0): the backend could not be reached, the call was
 * aborted, or the answer was not what the protocol says. Other codes come from the server.
 */
export const CLIENT_CODES = {
  unreachable: 'backend_unreachable',
  aborted: 'aborted',
  badResponse: 'bad_response',
} as const;

export class ClientError extends Error {
  readonly statusCode: number;
  readonly code: string;
  constructor(statusCode: number, code: string, message: string) {
    super(message);
    this.name = 'ClientError';
    this.statusCode = statusCode;
    this.code = code;
  }
}

export interface ClientOptions {
  /** Value of the Authorization header ("Bearer ..."), or a function read before every call. */
  auth?: string | (() => string | undefined);
  /** A fetch to use instead of the global one (tests, custom agents). */
  fetch?: typeof fetch;
}

export interface RerankCallOptions {
  /** When given, the streaming endpoint is used and each progress line is passed here. */
  onProgress?: (p: Progress) => void;
  signal?: AbortSignal;
}

export interface SliceFinderClient {
  rerank(body: RerankRequest, opts?: RerankCallOptions): Promise<RerankAnswer>;
  prepare(series: SeriesRef, opts?: { signal?: AbortSignal }): Promise<PrepareResponse>;
  models(opts?: { signal?: AbortSignal }): Promise<ModelsResponse>;
  /** Save lesions of an answer to the PACS as a structured report and key images (201: their UIDs). */
  saveReport(body: ReportRequest, opts?: { signal?: AbortSignal }): Promise<ReportResponse>;
}

export function createClient(baseUrl: string, options: ClientOptions = {}): SliceFinderClient {
  const root = baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  function headers(json: boolean): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json' };
    if (json) h['content-type'] = 'application/json';
    const auth = typeof options.auth === 'function' ? options.auth() : options.auth;
    if (auth) h.authorization = auth;
    return h;
  }

  async function send(path: string, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await doFetch(`${root}${path}`, init);
    } catch (err) {
      throw toClientError(err);
    }
    if (!res.ok) throw await errorFromResponse(res);
    return res;
  }

  async function json<T>(path: string, init: RequestInit): Promise<T> {
    const res = await send(path, init);
    try {
      return (await res.json()) as T;
    } catch (err) {
      throw toClientError(err, 'the backend sent a response that is not JSON');
    }
  }

  return {
    async rerank(body, opts = {}) {
      if (!opts.onProgress) {
        return json<RerankAnswer>('/api/v1/rerank', {
          method: 'POST',
          headers: headers(true),
          body: JSON.stringify(body),
          signal: opts.signal,
        });
      }
      const res = await send('/api/v1/rerank/stream', {
        method: 'POST',
        headers: { ...headers(true), accept: 'application/x-ndjson' },
        body: JSON.stringify(body),
        signal: opts.signal,
      });
      return readStream(res, opts.onProgress);
    },
    prepare(series, opts = {}) {
      return json<PrepareResponse>('/api/v1/series/prepare', {
        method: 'POST',
        headers: headers(true),
        body: JSON.stringify({ series }),
        signal: opts.signal,
      });
    },
    models(opts = {}) {
      return json<ModelsResponse>('/api/v1/models', { method: 'GET', headers: headers(false), signal: opts.signal });
    },
    saveReport(body, opts = {}) {
      return json<ReportResponse>('/api/v1/reports', { method: 'POST', headers: headers(true), body: JSON.stringify(body), signal: opts.signal });
    },
  };
}

/** Reads NDJSON lines until the result or error line; progress lines go to `onProgress`. */
async function readStream(res: Response, onProgress: (p: Progress) => void): Promise<RerankAnswer> {
  if (!res.body) throw new ClientError(0, CLIENT_CODES.badResponse, 'the backend sent an empty stream');
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  const handle = (line: string): RerankAnswer | undefined => {
    if (line.trim() === '') return undefined;
    let event: StreamEvent;
    try {
      event = JSON.parse(line) as StreamEvent;
    } catch {
      throw new ClientError(0, CLIENT_CODES.badResponse, 'the backend sent a malformed progress line');
    }
    if (event.type === 'progress') {
      const { phase, done, total } = event;
      onProgress({ phase, done, total });
      return undefined;
    }
    if (event.type === 'result') return event.response;
    if (event.type === 'error') throw new ClientError(event.statusCode, event.code, event.message);
    throw new ClientError(0, CLIENT_CODES.badResponse, 'the backend sent an unknown stream event');
  };
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw toClientError(err);
      }
      buffered += chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const result = handle(line);
        if (result) return result;
      }
      if (chunk.done) {
        const result = handle(buffered);
        if (result) return result;
        throw new ClientError(0, CLIENT_CODES.badResponse, 'the backend closed the stream before the result');
      }
    }
  } finally {
    // Stop the download if we return or throw early; ignore a reader that is already closed.
    reader.cancel().catch(() => undefined);
  }
}

async function errorFromResponse(res: Response): Promise<ClientError> {
  let body: Partial<ErrorBody> | undefined;
  try {
    body = (await res.json()) as Partial<ErrorBody>;
  } catch {
    body = undefined;
  }
  const code = typeof body?.code === 'string' ? body.code : `http_${res.status}`;
  const message = typeof body?.message === 'string' ? body.message : `the backend answered ${res.status}`;
  return new ClientError(res.status, code, message);
}

function toClientError(err: unknown, badResponseMessage?: string): ClientError {
  if (err instanceof ClientError) return err;
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'AbortError' || name === 'TimeoutError') {
    return new ClientError(0, CLIENT_CODES.aborted, 'the request was cancelled');
  }
  if (badResponseMessage) return new ClientError(0, CLIENT_CODES.badResponse, badResponseMessage);
  // fetch rejects with a TypeError when the network fails (refused, DNS, CORS, reset).
  if (err instanceof TypeError) {
    return new ClientError(0, CLIENT_CODES.unreachable, 'the Slice Finder backend cannot be reached');
  }
  return new ClientError(0, CLIENT_CODES.unreachable, err instanceof Error ? err.message : String(err));
}
