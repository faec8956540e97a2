/**
 * Fetch one series from a PACS by DICOMweb: a single WADO-RS series request asking for explicit VR
 * little endian (once more for the syntax it is stored in, where the PACS answers 406 because it cannot
 * convert: the loader decodes the compressed ones, server/series/codecs), the multipart answer parsed as it
 * streams in, only the SOP instances the viewer shows kept. PACS failures become typed errors:
 * refused/failed → 502, slow → 504 (no headers in time, a silence in the body, or past the overall deadline),
 * 401/403 as sent.
 */
import { clientClosed, SourceError } from './errors';
import type { Limiter } from './limiter';
import { multipartBoundary, MultipartParser } from './multipart';
import { mediaStorageSopInstanceUid } from './sop-uid';

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const WADO_SERIES_ACCEPT = `multipart/related; type="application/dicom"; transfer-syntax=${EXPLICIT_VR_LITTLE_ENDIAN}`;
/** What is asked for after a 406: the instances as the PACS holds them. */
export const WADO_SERIES_ACCEPT_STORED = 'multipart/related; type="application/dicom"; transfer-syntax=*';

export interface SeriesFile {
  name: string;
  data: Uint8Array;
}

export interface DicomwebFetchOptions {
  wadoRoot: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  /** Instances to keep; others in the answer are dropped. */
  sopInstanceUIDs: readonly string[];
  /** Authorization header value sent to the PACS (the user's, or the service credential). */
  authorization?: string;
  /** Until the response headers arrive (connect + the PACS starting to answer). */
  connectTimeoutMs: number;
  /** Longest silence between two chunks of the body. */
  readTimeoutMs: number;
  /** Deadline for the whole request, headers and body. */
  totalTimeoutMs?: number;
  /** Largest total of bytes read from the PACS for one series. */
  maxBytes: number;
  /** The slots of this PACS root: the request waits for one (bounded), and holds it until done. */
  limiter: Limiter;
  onProgress?: (done: number, total: number) => void;
  /**
   * Each wanted instance as soon as it has arrived whole (to decode while the rest stream in); the
   * fetch then keeps none of them and returns an empty list.
   */
  onFile?: (file: SeriesFile) => void;
  /** Cancels the fetch, e.g. when every client waiting for it went away. */
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

const EMPTY = new Uint8Array(0);

export function seriesUrl(wadoRoot: string, study: string, series: string): string {
  return `${wadoRoot.replace(/\/+$/, '')}/studies/${encodeURIComponent(study)}/series/${encodeURIComponent(series)}`;
}

export async function fetchDicomwebSeries(opts: DicomwebFetchOptions): Promise<SeriesFile[]> {
  return opts.limiter.run(() => fetchOnce(opts), opts.signal);
}

function timeout(which: string): SourceError {
  return new SourceError(504, 'pacs_timeout', `the PACS did not answer in time (${which} timeout)`);
}

async function fetchOnce(opts: DicomwebFetchOptions): Promise<SeriesFile[]> {
  const doFetch = opts.fetch ?? fetch;
  const controller = new AbortController();
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  // Every way this fetch can end early (connect, read or total timeout, the caller leaving) goes
  // through halt(): aborting the controller alone does not end a pending body read everywhere
  // (under tsx a stalled read stayed pending), so the reader is cancelled and the read raced too.
  let halted: SourceError | undefined;
  let rejectHalted!: (err: SourceError) => void;
  const haltedP = new Promise<never>((_, reject) => (rejectHalted = reject));
  haltedP.catch(() => undefined);
  const halt = (err: SourceError): void => {
    if (halted) return;
    halted = err;
    controller.abort(err);
    reader?.cancel(err).catch(() => undefined);
    rejectHalted(err);
  };
  const connectTimer = setTimeout(() => halt(timeout('connect')), opts.connectTimeoutMs);
  const totalTimer = opts.totalTimeoutMs !== undefined ? setTimeout(() => halt(timeout('overall')), opts.totalTimeoutMs) : undefined;
  let readTimer: NodeJS.Timeout | undefined;
  const armReadTimer = (): void => {
    clearTimeout(readTimer);
    readTimer = setTimeout(() => halt(timeout('read')), opts.readTimeoutMs);
  };
  const onCallerAbort = (): void => {
    const reason: unknown = opts.signal?.reason;
    halt(reason instanceof SourceError ? reason : clientClosed());
  };
  if (opts.signal?.aborted) onCallerAbort();
  opts.signal?.addEventListener('abort', onCallerAbort, { once: true });

  try {
    const request = async (accept: string): Promise<Response> => {
      const headers: Record<string, string> = { accept };
      if (opts.authorization) headers.authorization = opts.authorization;
      try {
        return await Promise.race([
          doFetch(seriesUrl(opts.wadoRoot, opts.studyInstanceUID, opts.seriesInstanceUID), {
            headers,
            signal: controller.signal,
            redirect: 'error',
          }),
          haltedP,
        ]);
      } catch (err) {
        if (halted) throw halted;
        if (err instanceof SourceError) throw err;
        throw new SourceError(502, 'pacs_unreachable', 'the PACS could not be reached');
      }
    };
    let res = await request(WADO_SERIES_ACCEPT);
    if (res.status === 406) {
      await res.body?.cancel().catch(() => undefined);
      res = await request(WADO_SERIES_ACCEPT_STORED);
    }
    clearTimeout(connectTimer);
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw statusError(res.status);
    }
    const boundary = multipartBoundary(res.headers.get('content-type'));
    if (!boundary || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw new SourceError(502, 'pacs_bad_response', 'the PACS did not answer with a multipart series');
    }

    const wanted = new Set(opts.sopInstanceUIDs);
    const total = wanted.size;
    const kept = new Map<string, Uint8Array>();
    const parser = new MultipartParser(boundary, { maxPartBytes: opts.maxBytes });
    reader = res.body.getReader();
    if (halted) throw halted;
    let bytes = 0;
    opts.onProgress?.(0, total);
    armReadTimer();
    try {
      for (;;) {
        const { done, value } = await Promise.race([reader.read(), haltedP]);
        if (done) break;
        armReadTimer();
        bytes += value.byteLength;
        if (bytes > opts.maxBytes) {
          throw new SourceError(413, 'series_too_large', 'the series is larger than the configured limit');
        }
        for (const part of parser.push(value)) {
          const sop = mediaStorageSopInstanceUid(part.body);
          if (sop === undefined) {
            throw new SourceError(502, 'pacs_bad_response', 'the PACS sent a part that is not a DICOM file');
          }
          if (!wanted.has(sop) || kept.has(sop)) continue;
          if (opts.onFile) {
            kept.set(sop, EMPTY);
            opts.onFile({ name: `${sop}.dcm`, data: part.body });
          } else {
            kept.set(sop, part.body);
          }
          opts.onProgress?.(kept.size, total);
        }
        if (parser.finished) break;
      }
      parser.finish();
    } catch (err) {
      await reader.cancel().catch(() => undefined);
      if (halted) throw halted;
      if (err instanceof SourceError) throw err;
      throw new SourceError(502, 'pacs_unreachable', 'the connection to the PACS failed');
    }

    if (kept.size < total) {
      throw new SourceError(
        502,
        'pacs_incomplete_series',
        `the PACS returned ${kept.size} of the ${total} instances the viewer shows`,
      );
    }
    if (opts.onFile) return [];
    // In the order the viewer sent, each instance once.
    return [...wanted].map((sop) => ({ name: `${sop}.dcm`, data: kept.get(sop) as Uint8Array }));
  } finally {
    clearTimeout(connectTimer);
    clearTimeout(totalTimer);
    clearTimeout(readTimer);
    opts.signal?.removeEventListener('abort', onCallerAbort);
  }
}

function statusError(status: number): SourceError {
  if (status === 401) return new SourceError(401, 'pacs_unauthorized', 'the PACS asks for credentials');
  if (status === 403) return new SourceError(403, 'pacs_forbidden', 'the PACS refused access to this series');
  if (status === 404) return new SourceError(404, 'series_not_found', 'the PACS does not have this series');
  if (status === 504 || status === 408) return new SourceError(504, 'pacs_timeout', 'the PACS timed out');
  return new SourceError(502, 'pacs_error', `the PACS answered with status ${status}`);
}
