/**
 * One error format for every route: {statusCode, code, message}, never a stack. Client errors are
 * logged by code only; our own failures by type, code and stack frames (no message, no input).
 */
import fp from 'fastify-plugin';
import { errorBody } from '../errors';
import { safeError } from '../logging';

export const errorsPlugin = fp(
  async (app) => {
    app.setErrorHandler((err, request, reply) => {
      const { internal, ...body } = errorBody(err);
      if (internal) request.log.error({ err: safeError(err) }, 'request failed');
      else request.log.info({ statusCode: body.statusCode, code: body.code }, 'request rejected');
      if (body.statusCode === 401 && !reply.hasHeader('www-authenticate')) reply.header('www-authenticate', 'Bearer');
      // 503s of a busy PACS or worker pool say when to try again.
      const retryAfter = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
      if (typeof retryAfter === 'number' && !reply.hasHeader('retry-after')) reply.header('retry-after', String(Math.ceil(retryAfter)));
      return reply.code(body.statusCode).type('application/json').send(body);
    });
    app.setNotFoundHandler((_request, reply) =>
      reply.code(404).send({ statusCode: 404, code: 'not_found', message: 'no such endpoint' }),
    );
  },
  { name: 'slice-finder-errors', fastify: '5.x' },
);
