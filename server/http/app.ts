/**
 * The Fastify app factory: one plugin per concern (errors, auth, security, metrics, audit, docs) and
 * the routes, over one shared context (config, engine, series service). `buildApp` does not listen;
 * callers may register more (the embedded DICOMweb and viewer) before `listen`.
 */
import type { Writable } from 'node:stream';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { assertSafeBinding, type Config } from '../config';
import { indexFolder, type FolderIndex } from '../dicomweb/folder-index';
import { SeriesCache, typedArrayBytes } from '../series/cache';
import { SourceError } from '../series/sources/errors';
import { PerKeyLimiter } from '../series/sources/limiter';
import type { ServiceContext } from './context';
import { createEngine, type Engine } from './engine';
import { createHasher } from './hash';
import { createLogger } from './logging';
import { auditPlugin } from './plugins/audit';
import { authPlugin } from './plugins/auth';
import { docsPlugin } from './plugins/docs';
import { errorsPlugin } from './plugins/errors';
import { metricsPlugin } from './plugins/metrics';
import { securityPlugin } from './plugins/security';
import { healthRoutes } from './routes/health';
import { modelsRoutes } from './routes/models';
import { rerankRoutes } from './routes/rerank';
import { reportsRoutes } from './routes/reports';
import { seriesRoutes } from './routes/series';
import { ReleasedMemory } from './released-memory';
import { SeriesService, type LoadProgress, type SeriesData } from './series-service';
import { SharedCache } from './shared-cache';

export interface AppDeps {
  /** The imaging engine; the project's real one by default. */
  engine?: Engine;
  /** Index of config.dicomDir; built at start when absent. */
  folderIndex?: FolderIndex;
  /** Log and audit destinations (tests capture them). */
  logStream?: DestinationStream;
  auditStream?: Writable;
  fetch?: typeof fetch;
}

export async function buildApp(config: Config, deps: AppDeps = {}): Promise<FastifyInstance> {
  // Refuse before anything listens: a non-loopback address needs auth.
  assertSafeBinding(config);
  const hash = createHasher(config.log.hashKey);
  const logger = createLogger({ level: config.log.level, hash, stream: deps.logStream });
  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Fastify's own request lines would carry raw URLs; ours log the route template (metrics) instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimitBytes,
    trustProxy: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } },
  });

  // JSON only: a text/plain body is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');

  const shared = config.redis
    ? new SharedCache({
        url: config.redis.url,
        ttlSeconds: config.redis.ttlSeconds,
        log: logger.child({ component: 'shared-cache' }),
        // A replica waits for another's analysis of the same series at most as long as it would take itself.
        waitTimeoutMs: config.workers.taskTimeoutMs,
      })
    : undefined;
  const engine =
    deps.engine ?? createEngine({
      executionProviders: config.executionProviders,
      modelsDir: config.modelsDir,
      lexiconFile: config.lexiconFile,
      log: logger,
      workers: config.workers,
      shared,
      warmUpRuns: config.workers.warmUpRuns,
    });
  const index = deps.folderIndex ?? (config.dicomDir ? await indexFolder(config.dicomDir) : undefined);
  // An entry's bytes: its volume's and its serialized analysis' (the event loop holds no candidate objects to walk);
  // the memory of an entry let go comes back with a full collection (released-memory.ts)
  const released = new ReleasedMemory({ maxBytes: 2 * config.cache.maxBytes, loading: () => cache.loading > 0 });
  const cache = new SeriesCache<SeriesData, LoadProgress>({
    maxBytes: config.cache.maxBytes,
    sizeOf: (d) => typedArrayBytes(d),
    onRelease: (d) => released.add(typedArrayBytes(d)),
    onIdle: () => released.idle(),
  });
  const series = new SeriesService({
    config,
    engine,
    cache,
    limiter: new PerKeyLimiter(config.pacs.maxConcurrent, {
      queueTimeoutMs: config.pacs.queueTimeoutMs,
      busy: () => new SourceError(503, 'pacs_busy', 'the PACS is busy with other requests; try again shortly', 5),
    }),
    hash,
    index,
    shared,
    fetch: deps.fetch,
    onCache: (r) => app.metrics.cacheResult(r),
    onPacs: (o) => app.metrics.pacsOutcome(o),
  });
  const context: ServiceContext = { config, engine, series, hash, logger };
  app.decorate('sliceFinder', context);

  await app.register(errorsPlugin);
  await app.register(securityPlugin, { config });
  await app.register(authPlugin, { config });
  // Before any documented route (the metrics route included): the OpenAPI document collects routes as they register.
  if (config.docs) await app.register(docsPlugin);
  await app.register(metricsPlugin);
  await app.register(auditPlugin, { stream: deps.auditStream, file: config.auditFile });
  await app.register(healthRoutes);
  await app.register(modelsRoutes);
  await app.register(rerankRoutes);
  await app.register(seriesRoutes);
  await app.register(reportsRoutes);
  if (engine.close) app.addHook('onClose', async () => engine.close?.());
  if (shared) app.addHook('onClose', async () => shared.close());
  return app;
}
