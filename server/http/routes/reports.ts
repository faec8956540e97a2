/**
 * POST /api/v1/reports: save lesions of a rerank answer to the PACS (or the embedded DICOMweb) as a
 * TID 1500 structured report and a key object selection; see server/reports/save.ts. Audited.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import fp from 'fastify-plugin';
import { saveReport } from '../../reports/save';
import { AUTH_ERRORS, errorResponses, TAGS } from '../openapi';
import { ReportBody, ReportReply } from '../schemas';
// The version written as the documents' SoftwareVersions.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { version } = require('../../../package.json') as { version: string };

export const reportsRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const { config, engine, series } = app.sliceFinder;

    app.post(
      '/api/v1/reports',
      {
        schema: {
          summary: 'Save lesions to the PACS: a structured report and key images',
          description:
            'Finds the named lesions again in the server\'s analysis of the series (re-analysed when no longer cached) and writes, as ' +
            'two new series of the source study: an Enhanced SR following TID 1500 (one planar ROI per lesion on its best slice, ' +
            'long and short axis, the finding and its text, the model as algorithm identification), and a Key Object Selection of ' +
            'the best slices with the query as its description. Stored by STOW-RS with the caller\'s Authorization (or the service ' +
            'credential), the SR first and the KOS only once the SR is stored; in embedded mode into the embedded DICOMweb.',
          tags: [TAGS.reports],
          body: ReportBody,
          response: {
            201: { ...ReportReply, description: 'Both documents stored' },
            ...errorResponses(400, ...AUTH_ERRORS, 404, 409, 413, 415, 422, 502, 503, 504),
          },
        },
      },
      async (request, reply) => {
        const started = performance.now();
        const saved = await saveReport(
          { engine, series, pacsTimeoutMs: config.pacs.connectTimeoutMs + config.pacs.readTimeoutMs, softwareVersion: version },
          request.body,
          { authorization: request.pacsAuthorization, host: request.headers.host, user: request.user?.id },
        );
        app.audit.report({
          user: request.user?.id ?? 'anonymous',
          studyInstanceUID: saved.studyInstanceUID,
          seriesInstanceUID: saved.seriesInstanceUID,
          slices: saved.slices,
          lesions: saved.lesions,
          images: saved.images,
          instances: saved.sopInstanceUIDs.length,
          destination: saved.destination,
          latencyMs: performance.now() - started,
        });
        const { studyInstanceUID, seriesInstanceUIDs, sopInstanceUIDs } = saved;
        return reply.code(201).send({ studyInstanceUID, seriesInstanceUIDs, sopInstanceUIDs });
      },
    );
  },
  { name: 'slice-finder-reports', fastify: '5.x', decorators: { fastify: ['sliceFinder', 'audit'] } },
);
