/**
 * Prometheus metrics at GET /metrics, in a registry of this app's own: request latency by route,
 * pipeline stage timings, cache results and bytes, PACS outcomes, the model and provider in use,
 * and the process defaults (memory, event loop).
 */
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Metrics } from '../context';
import { AUTH_ERRORS, errorResponses, TAGS } from '../openapi';

export const metricsPlugin = fp(
  async (app) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const requestSeconds = new Histogram({
      name: 'slicefinder_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    });
    const stageSeconds = new Histogram({
      name: 'slicefinder_stage_duration_seconds',
      help: 'Time per pipeline stage (fetch, decode, analysis, parse, scoring, fusion, ...)',
      labelNames: ['stage'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers: [registry],
    });
    const cacheRequests = new Counter({
      name: 'slicefinder_cache_requests_total',
      help: 'Series cache lookups by result: hit, joined (shared an in-flight load), miss',
      labelNames: ['result'] as const,
      registers: [registry],
    });
    const pacsRequests = new Counter({
      name: 'slicefinder_pacs_requests_total',
      help: 'WADO-RS series requests by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    });
    const modelInfo = new Gauge({
      name: 'slicefinder_model_info',
      help: 'Model and execution provider that served the last rerank (value 1)',
      labelNames: ['model', 'version', 'execution_provider'] as const,
      registers: [registry],
    });
    new Gauge({
      name: 'slicefinder_cache_bytes',
      help: 'Bytes held by the series cache',
      registers: [registry],
      collect() {
        this.set(app.sliceFinder.series.cache.bytes);
      },
    });
    new Gauge({
      name: 'slicefinder_cache_max_bytes',
      help: 'Byte bound of the series cache',
      registers: [registry],
      collect() {
        this.set(app.sliceFinder.series.cache.maxBytes);
      },
    });
    new Gauge({
      name: 'slicefinder_cache_entries',
      help: 'Series held by the cache',
      registers: [registry],
      collect() {
        this.set(app.sliceFinder.series.cache.entries);
      },
    });

    let lastModel = '';
    const metrics: Metrics = {
      observeStages(timings) {
        for (const [stage, ms] of Object.entries(timings)) {
          if (Number.isFinite(ms) && /^[a-zA-Z_]+$/.test(stage)) stageSeconds.observe({ stage }, ms / 1000);
        }
      },
      cacheResult: (result) => cacheRequests.inc({ result }),
      pacsOutcome: (outcome) => pacsRequests.inc({ outcome }),
      modelInUse(m) {
        const key = `${m.id}|${m.version}|${m.executionProvider}`;
        if (key === lastModel) return;
        lastModel = key;
        modelInfo.reset();
        modelInfo.set({ model: m.id, version: m.version, execution_provider: m.executionProvider }, 1);
      },
    };
    app.decorate('metrics', metrics);

    app.addHook('onResponse', async (request, reply) => {
      requestSeconds.observe(
        { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });

    app.get(
      '/metrics',
      {
        schema: {
          summary: 'Prometheus metrics',
          description: 'Request latency by route, stage timings, cache results and bytes, PACS outcomes, the model and provider in use, process defaults.',
          tags: [TAGS.operations],
          response: {
            200: { description: 'Prometheus text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } },
            ...errorResponses(...AUTH_ERRORS),
          },
        },
      },
      async (_request, reply) => {
        reply.type(registry.contentType);
        return registry.metrics();
      },
    );
  },
  { name: 'slice-finder-metrics', fastify: '5.x' },
);
