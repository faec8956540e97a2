/** The client's disconnect as an AbortSignal: work done only for this request can stop when it fires. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientClosed } from '../series/sources/errors';

export function disconnectSignal(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  // 'close' on the response fires when it is done or when the connection went away first.
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(clientClosed());
  });
  request.raw.once('aborted', () => controller.abort(clientClosed()));
  return controller.signal;
}
