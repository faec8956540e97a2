/** Liveness (the process answers) and readiness (models loaded and warm). */
import fp from 'fastify-plugin';
import { TAGS } from '../openapi';
import { HealthReply, ReadyReply } from '../schemas';

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
    const doc = { tags: [TAGS.operations], security: [] };
    app.get(
      '/healthz',
      { config: open, schema: { ...doc, summary: 'Liveness: the process answers', response: { 200: { ...HealthReply, description: 'The process is up' } } } },
      async () => ({ status: 'ok' as const }),
    );
    app.get(
      '/readyz',
      {
        config: open,
        schema: {
          ...doc,
          summary: 'Readiness: the models are loaded and warm',
          response: { 200: { ...ReadyReply, description: 'Ready to rank' }, 503: { ...ReadyReply, description: 'Still loading the models', examples: [{ status: 'starting' }] } },
        },
      },
      async (_request, reply) => (ready ? { status: 'ready' } : reply.code(503).send({ status: 'starting' })),
    );
  },
  { name: 'slice-finder-health', fastify: '5.x', decorators: { fastify: ['sliceFinder'] } },
);
