/** Browser-facing hardening: security headers (helmet), a CORS allowlist and a per-client rate limit. */
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../../config';
import { ApiError } from '../errors';

/** Responses that are pure data (JSON, NDJSON, metrics): nothing in them may run or load anything. */
const API_PATHS = ['/api/v1/', '/metrics', '/healthz', '/readyz'];

/** The matched route's path (the router decodes percent-escapes), or the decoded URL path when none matched. */
function routePath(request: FastifyRequest): string {
  const url = request.routeOptions.url;
  if (url !== undefined) return url;
  try {
    return decodeURIComponent(request.url.split('?')[0]);
  } catch {
    return request.url.split('?')[0];
  }
}

export const securityPlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    // Helmet's headers everywhere, but a Content-Security-Policy only on what this service answers
    // itself: the viewer that `npm start` serves from the same app brings its own needs (workers, wasm).
    await app.register(helmet, { contentSecurityPolicy: false, crossOriginEmbedderPolicy: false });
    app.addHook('onSend', async (request, reply, payload) => {
      const path = routePath(request);
      if (API_PATHS.some((p) => path.startsWith(p)) && !reply.hasHeader('content-security-policy')) {
        reply.header('content-security-policy', "default-src 'none'; frame-ancestors 'none'");
      }
      return payload;
    });
    const allowed = new Set(config.cors.origins);
    await app.register(cors, {
      origin: allowed.size === 0 ? false : (origin, cb) => cb(null, origin !== undefined && allowed.has(origin)),
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'authorization'],
      maxAge: 600,
    });
    await app.register(rateLimit, {
      // Not per route: the plugin's route-level hooks run after the app-level auth hook, so requests
      // refused with 401 were never counted (a free password-guessing loop). One app-level hook,
      // registered before auth, counts every request; routes opt out with config.rateLimit = false.
      global: false,
      max: config.rateLimit.max,
      timeWindow: config.rateLimit.timeWindowMs,
      errorResponseBuilder: (_req, ctx) =>
        Object.assign(new ApiError(429, 'rate_limited', `too many requests; retry in ${Math.ceil(ctx.ttl / 1000)} s`), {
          statusCode: 429,
        }),
    });
    const limit = app.rateLimit();
    app.addHook('onRequest', async (request, reply) => {
      if (request.routeOptions.config?.rateLimit === false) return;
      await limit.call(app, request, reply);
    });
  },
  { name: 'slice-finder-security', fastify: '5.x' },
);
