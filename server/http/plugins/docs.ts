/** OpenAPI from the route schemas, with Swagger UI at /api/docs (public, like health). */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { markRoutesPublic } from './auth';

export const docsPlugin = fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        info: {
          title: 'Slice Finder API',
          version: '1',
          description: 'Ranks the slices of a CT series against a radiologist\'s description of a finding.',
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
    });
    // The documentation is public; its own scope so that only its routes are marked so.
    await app.register(async (scope) => {
      markRoutesPublic(scope);
      await scope.register(swaggerUi, { routePrefix: '/api/docs', uiConfig: { docExpansion: 'list' }, staticCSP: true });
    });
  },
  { name: 'slice-finder-docs', fastify: '5.x' },
);
