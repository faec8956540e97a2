/**
 * OpenAPI 3.1 from the route schemas (the wire contract, contract/schemas.ts), with Swagger UI at
 * /api/docs (public, like health). Only tagged routes are documented: the viewer's files and the
 * embedded DICOMweb are not part of the API.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { TAG_DESCRIPTIONS } from '../openapi';
import { markRoutesPublic } from './auth';

/** The upload route reads its multipart body itself (no body schema to validate); the document still shows it. */
const UPLOAD_BODY = {
  type: 'object',
  properties: { file: { type: 'array', items: { type: 'string', contentEncoding: 'binary' }, description: 'One DICOM Part 10 file per part' } },
};

export const docsPlugin = fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Slice Finder API',
          version: '1',
          description:
            "Finds the lesions of a CT series that a radiologist's description names (English or Chinese; a report of several " +
            'sentences is answered per finding), with their slices, regions and what matched. Errors are `{statusCode, code, message}`.',
        },
        tags: TAG_DESCRIPTIONS,
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
      hideUntagged: true,
      transform: ({ schema, url, route }) => {
        if (url === '/api/v1/series' && route.method === 'POST') return { schema: { ...schema, body: UPLOAD_BODY }, url };
        return { schema, url };
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
