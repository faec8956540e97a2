/**
 * Service configuration from command-line flags and SLICE_FINDER_* environment variables (flags win).
 * Secrets (tokens, PACS credential) come from the environment or files only, never from argv.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

export interface JwtConfig {
  issuer: string;
  /** A local JWKS file (JSON {keys:[...]}); never fetched over the network. */
  jwksFile: string;
  audience?: string;
}

export interface Config {
  host: string;
  port: number;
  /** Folder of DICOM files served as the `local` source (and by the embedded DICOMweb). */
  dicomDir?: string;
  /** Path of the embedded DICOMweb root when this process serves one (e.g. "/dicom-web"). */
  embeddedDicomwebRoot?: string;
  pacs: {
    /** Default wadoRoot when a request names none. */
    url?: string;
    /** wadoRoots that may be fetched; defaults to [url]. */
    allow: string[];
    /** Authorization header value sent to the PACS instead of the user's (e.g. "Basic ..."). */
    credential?: string;
    /** Send the caller's Authorization header to the PACS when no service credential is set. */
    forwardAuthorization: boolean;
    connectTimeoutMs: number;
    readTimeoutMs: number;
    /** Deadline for a whole series fetch (headers and body), ms (→ 504). */
    totalTimeoutMs: number;
    /** Concurrent WADO-RS requests per PACS root (one slow PACS cannot take another's slots). */
    maxConcurrent: number;
    /** Longest wait for a free slot of a PACS root before answering 503 with Retry-After, ms. */
    queueTimeoutMs: number;
  };
  /** The worker threads that decode and analyse series (the event loop only routes). */
  workers: {
    threads: number;
    /** V8 heap limit per worker, MiB. */
    maxOldGenerationSizeMb: number;
    /** Longest a decode + analysis may run, ms (→ 503). */
    taskTimeoutMs: number;
    /** Rounds of the analysis' warm-up on a synthetic chest before the service reports ready (http/warm-up.ts); 0: none. */
    warmUpRuns: number;
  };
  auth: {
    /** Static bearer tokens, each with a name for the audit log. */
    tokens: Array<{ name: string; token: string }>;
    jwt?: JwtConfig;
  };
  cors: { origins: string[] };
  rateLimit: { max: number; timeWindowMs: number };
  bodyLimitBytes: number;
  upload: { maxBytes: number; maxFiles: number };
  /** Largest series read from the PACS, in bytes. */
  maxSeriesBytes: number;
  cache: { maxBytes: number };
  /** Analyses shared with other replicas through Redis (absent: this process's cache only). */
  redis?: {
    url: string;
    /** Lifetime of a shared entry, seconds. */
    ttlSeconds: number;
  };
  /** Execution providers in order of preference. */
  executionProviders: string[];
  modelsDir?: string;
  /** A hospital's own vocabulary rows (JSON, see server/query/lexicon/types.ts), added to the built-in tables. */
  lexiconFile?: string;
  log: { level: string; hashKey?: string };
  /** Audit log file (JSON lines); absent → stdout of the audit logger is off. */
  auditFile?: string;
  /** Serve OpenAPI + Swagger UI at /api/docs. */
  docs: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const MiB = 1024 * 1024;

export function defaultConfig(): Config {
  return {
    host: '127.0.0.1',
    port: 3030,
    pacs: {
      allow: [],
      forwardAuthorization: true,
      connectTimeoutMs: 10_000,
      readTimeoutMs: 30_000,
      totalTimeoutMs: 120_000,
      maxConcurrent: 4,
      queueTimeoutMs: 10_000,
    },
    workers: { threads: Math.min(4, availableParallelism()), maxOldGenerationSizeMb: 1024, taskTimeoutMs: 120_000, warmUpRuns: 4 },
    auth: { tokens: [] },
    cors: { origins: [] },
    rateLimit: { max: 600, timeWindowMs: 60_000 },
    bodyLimitBytes: 1 * MiB,
    upload: { maxBytes: 512 * MiB, maxFiles: 5000 },
    maxSeriesBytes: 2048 * MiB,
    cache: { maxBytes: 1024 * MiB },
    executionProviders: ['cuda', 'webgpu', 'cpu'],
    log: { level: 'info' },
    docs: true,
  };
}

/** Build the config from argv (without node and script) and the environment. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): Config {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'dicom-dir': { type: 'string' },
      pacs: { type: 'string' },
      'pacs-allow': { type: 'string', multiple: true },
      ep: { type: 'string' },
      'models-dir': { type: 'string' },
      lexicon: { type: 'string' },
      'cache-mb': { type: 'string' },
      'upload-mb': { type: 'string' },
      'tokens-file': { type: 'string' },
      'jwt-issuer': { type: 'string' },
      'jwt-audience': { type: 'string' },
      'jwks-file': { type: 'string' },
      'cors-origin': { type: 'string', multiple: true },
      'audit-log': { type: 'string' },
      'log-level': { type: 'string' },
      'pacs-connect-timeout-ms': { type: 'string' },
      'pacs-read-timeout-ms': { type: 'string' },
      'pacs-total-timeout-ms': { type: 'string' },
      workers: { type: 'string' },
      'analysis-timeout-ms': { type: 'string' },
      'warm-up-runs': { type: 'string' },
      'rate-limit': { type: 'string' },
      redis: { type: 'string' },
    },
  });
  const c = defaultConfig();
  const pick = (flag: string | undefined, name: string): string | undefined => flag ?? nonEmpty(env[`SLICE_FINDER_${name}`]);
  const list = (flag: string[] | undefined, name: string): string[] | undefined =>
    flag ?? nonEmpty(env[`SLICE_FINDER_${name}`])?.split(',').map((s) => s.trim()).filter(Boolean);

  c.host = pick(values.host, 'HOST') ?? c.host;
  c.port = intIn(pick(values.port, 'PORT'), 'port', 0, 65535) ?? c.port;
  c.dicomDir = pick(values['dicom-dir'], 'DICOM_DIR');
  c.pacs.url = pick(values.pacs, 'PACS_URL')?.replace(/\/+$/, '');
  c.pacs.allow = (list(values['pacs-allow'], 'PACS_ALLOW') ?? (c.pacs.url ? [c.pacs.url] : [])).map((u) => u.replace(/\/+$/, ''));
  c.pacs.credential = nonEmpty(env.SLICE_FINDER_PACS_CREDENTIAL);
  c.pacs.forwardAuthorization = env.SLICE_FINDER_PACS_FORWARD_AUTH !== 'false';
  c.pacs.connectTimeoutMs = intIn(pick(values['pacs-connect-timeout-ms'], 'PACS_CONNECT_TIMEOUT_MS'), 'PACS connect timeout', 1, 600_000) ?? c.pacs.connectTimeoutMs;
  c.pacs.readTimeoutMs = intIn(pick(values['pacs-read-timeout-ms'], 'PACS_READ_TIMEOUT_MS'), 'PACS read timeout', 1, 600_000) ?? c.pacs.readTimeoutMs;
  c.pacs.totalTimeoutMs = intIn(pick(values['pacs-total-timeout-ms'], 'PACS_TOTAL_TIMEOUT_MS'), 'PACS total timeout', 1, 3_600_000) ?? c.pacs.totalTimeoutMs;
  c.pacs.maxConcurrent = intIn(nonEmpty(env.SLICE_FINDER_PACS_MAX_CONCURRENT), 'PACS concurrency', 1, 256) ?? c.pacs.maxConcurrent;
  c.pacs.queueTimeoutMs = intIn(nonEmpty(env.SLICE_FINDER_PACS_QUEUE_TIMEOUT_MS), 'PACS queue timeout', 0, 600_000) ?? c.pacs.queueTimeoutMs;
  c.workers.threads = intIn(pick(values.workers, 'WORKERS'), 'worker threads', 1, 64) ?? c.workers.threads;
  c.workers.maxOldGenerationSizeMb = intIn(nonEmpty(env.SLICE_FINDER_WORKER_MEMORY_MB), 'worker memory', 64, 65_536) ?? c.workers.maxOldGenerationSizeMb;
  c.workers.taskTimeoutMs = intIn(pick(values['analysis-timeout-ms'], 'ANALYSIS_TIMEOUT_MS'), 'analysis timeout', 100, 3_600_000) ?? c.workers.taskTimeoutMs;
  c.workers.warmUpRuns = intIn(pick(values['warm-up-runs'], 'WARM_UP_RUNS'), 'warm-up runs', 0, 10) ?? c.workers.warmUpRuns;
  const ep = list(values.ep ? [values.ep] : undefined, 'EP');
  if (ep) c.executionProviders = ep.flatMap((e) => e.split(',')).map((e) => e.trim()).filter(Boolean);
  c.modelsDir = pick(values['models-dir'], 'MODELS_DIR');
  c.lexiconFile = pick(values.lexicon, 'LEXICON');
  const cacheMb = intIn(pick(values['cache-mb'], 'CACHE_MB'), 'cache size', 16, 1_000_000);
  if (cacheMb) c.cache.maxBytes = cacheMb * MiB;
  const redisUrl = pick(values.redis, 'REDIS_URL');
  if (redisUrl) {
    if (!/^rediss?:\/\//.test(redisUrl)) throw new ConfigError('the Redis URL must start with redis:// or rediss://');
    c.redis = { url: redisUrl, ttlSeconds: intIn(nonEmpty(env.SLICE_FINDER_REDIS_TTL_S), 'Redis TTL', 60, 30 * 86_400) ?? 86_400 };
  }
  const uploadMb = intIn(pick(values['upload-mb'], 'UPLOAD_MB'), 'upload size', 1, 100_000);
  if (uploadMb) c.upload.maxBytes = uploadMb * MiB;
  const rate = intIn(pick(values['rate-limit'], 'RATE_LIMIT'), 'rate limit', 1, 1_000_000);
  if (rate) c.rateLimit.max = rate;

  const tokens = [
    ...tokenList(nonEmpty(env.SLICE_FINDER_TOKENS)?.split(',') ?? []),
    ...tokensFromFile(pick(values['tokens-file'], 'TOKENS_FILE')),
  ];
  c.auth.tokens = tokens;
  const issuer = pick(values['jwt-issuer'], 'JWT_ISSUER');
  const jwksFile = pick(values['jwks-file'], 'JWKS_FILE');
  if (issuer || jwksFile) {
    if (!issuer || !jwksFile) throw new ConfigError('JWT auth needs both an issuer and a JWKS file');
    c.auth.jwt = { issuer, jwksFile, audience: pick(values['jwt-audience'], 'JWT_AUDIENCE') };
  }
  c.cors.origins = list(values['cors-origin'], 'CORS_ORIGINS') ?? [];
  c.auditFile = pick(values['audit-log'], 'AUDIT_LOG');
  c.log.level = pick(values['log-level'], 'LOG_LEVEL') ?? c.log.level;
  c.log.hashKey = nonEmpty(env.SLICE_FINDER_LOG_HASH_KEY);
  return c;
}

/** True for 127.0.0.0/8, ::1 and "localhost". */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  const h = host.replace(/^\[|\]$/g, '');
  return h === '::1' || h === '::ffff:127.0.0.1';
}

export function authConfigured(c: Config): boolean {
  return c.auth.tokens.length > 0 || c.auth.jwt !== undefined;
}

/** A server reachable from other machines must not run without auth. */
export function assertSafeBinding(c: Config): void {
  if (!isLoopback(c.host) && !authConfigured(c)) {
    throw new ConfigError(
      `refusing to listen on ${c.host} without auth: set SLICE_FINDER_TOKENS / --tokens-file, or --jwt-issuer with --jwks-file`,
    );
  }
}

function nonEmpty(s: string | undefined): string | undefined {
  return s !== undefined && s.trim() !== '' ? s.trim() : undefined;
}

function intIn(s: string | undefined, what: string, min: number, max: number): number | undefined {
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s)) throw new ConfigError(`${what} must be a whole number, got "${s}"`);
  const n = Number(s);
  if (n < min || n > max) throw new ConfigError(`${what} must be between ${min} and ${max}`);
  return n;
}

/** Entries "token" or "name:token" (a name for the audit log). */
function tokenList(entries: string[]): Array<{ name: string; token: string }> {
  return entries
    .map((e) => e.trim())
    .filter((e) => e !== '' && !e.startsWith('#'))
    .map((e, i) => {
      const colon = e.indexOf(':');
      const named = colon > 0 && colon < e.length - 1;
      const token = named ? e.slice(colon + 1) : e;
      if (token.length < 16) throw new ConfigError('bearer tokens must be at least 16 characters');
      return { name: named ? e.slice(0, colon) : `token-${i + 1}`, token };
    });
}

function tokensFromFile(file: string | undefined): Array<{ name: string; token: string }> {
  if (!file) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`cannot read the tokens file ${file}`);
  }
  return tokenList(text.split(/\r?\n/));
}
