/** GET /api/v1/models: the models that can score, their provider, and the presets. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import { AUTH_ERRORS, errorResponses, TAGS } from '../openapi';
import { ModelsReply } from '../schemas';

export const modelsRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/api/v1/models',
      {
        schema: {
          summary: 'Models and presets',
          description: 'The models that can score (with the execution provider each runs on; one is the default) and the presets a rerank may name.',
          tags: [TAGS.models],
          response: { 200: ModelsReply, ...errorResponses(...AUTH_ERRORS) },
        },
      },
      async () => ({ models: app.sliceFinder.engine.models(), presets: [...app.sliceFinder.engine.presets] }),
    );
  },
  { name: 'slice-finder-models', fastify: '5.x', decorators: { fastify: ['sliceFinder'] } },
);
