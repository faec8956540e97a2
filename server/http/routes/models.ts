/** GET /api/v1/models: the models that can score, their provider, and the presets. */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import { ErrorReply, ModelsReply } from '../schemas';

export const modelsRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    app.get(
      '/api/v1/models',
      { schema: { summary: 'Models and presets', response: { 200: ModelsReply, 401: ErrorReply } } },
      async () => ({ models: app.sliceFinder.engine.models(), presets: [...app.sliceFinder.engine.presets] }),
    );
  },
  { name: 'slice-finder-models', fastify: '5.x', decorators: { fastify: ['sliceFinder'] } },
);
