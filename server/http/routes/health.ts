/** Liveness (the process answers) and readiness (models loaded and warm). */
import fp from 'fastify-plugin';

export const healthRoutes = fp(
  async (app) => {
    let ready = false;
    app.sliceFinder.engine.ready().then(
      () => {
        ready = true;
      },
      (err: unknown) => app.log.error({ err }, 'models failed to load; readyz stays 503'),
    );
    const open = { public: true, rateLimit: false } as const;
    app.get('/healthz', { config: open, schema: { hide: true } }, async () => ({ status: 'ok' }));
    app.get('/readyz', { config: open, schema: { hide: true } }, async (_request, reply) =>
      ready ? { status: 'ready' } : reply.code(503).send({ status: 'starting' }),
    );
  },
  { name: 'slice-finder-health', fastify: '5.x', decorators: { fastify: ['sliceFinder'] } },
);
