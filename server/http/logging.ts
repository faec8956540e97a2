/**
 * The service logger: pino, with request bodies and credentials redacted, URLs reduced to their path
 * with UIDs hashed, and every string scrubbed of UID-shaped values. Query text and patient data never
 * reach a log line because nothing logs bodies, and errors are logged by type, code and stack frames only.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import { scrubUids, type Hasher } from './hash';

export interface LoggerOptions {
  level: string;
  hash: Hasher;
  /** Where lines go; stdout when absent. */
  stream?: DestinationStream;
}

function scrubDeep(value: unknown, hash: Hasher, depth = 0): unknown {
  if (typeof value === 'string') return scrubUids(value, hash);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, hash, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubDeep(v, hash, depth + 1);
  return out;
}

/** An error as a log can hold it: no message (it may quote input), just what and where. */
export function safeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const frames = (err.stack ?? '')
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .slice(0, 8)
    .map((l) => l.trim());
  const code = (err as { code?: unknown }).code;
  return { type: err.name, code: typeof code === 'string' ? code : undefined, frames };
}

export function createLogger(opts: LoggerOptions): Logger {
  const { hash } = opts;
  return pino(
    {
      level: opts.level,
      base: { service: 'slice-finder' },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.body',
          'body',
          'query',
          'headers.authorization',
        ],
        censor: '[redacted]',
      },
      serializers: {
        req: (req: { method?: string; url?: string; id?: string }) => ({
          method: req.method,
          // The path only (a query string may carry anything), with UIDs hashed.
          path: scrubUids(String(req.url ?? '').split('?')[0], hash),
          id: req.id,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: safeError,
      },
      formatters: {
        log: (obj) => scrubDeep(obj, hash) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const clean = args.map((a) => (typeof a === 'string' ? scrubUids(a, hash) : a)) as Parameters<typeof method>;
          method.apply(this, clean);
        },
      },
    },
    opts.stream,
  );
}
