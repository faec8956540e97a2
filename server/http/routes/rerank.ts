/**
 * POST /api/v1/rerank and its streaming twin /api/v1/rerank/stream (NDJSON: progress lines, then one
 * result or error line). Both parse the query first, so a bad request is a 400 before any PACS work.
 */
import { PassThrough } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ParsedQuery } from '../../query/finding';
import { ApiError, errorBody } from '../errors';
import { safeError } from '../logging';
import { disconnectSignal } from '../disconnect';
import { ErrorReply, RerankBody, type RerankAnswer, type RerankRequest, type StreamEvent } from '../schemas';
import type { LoadProgress } from '../series-service';

type Progress = LoadProgress | { phase: 'score' };

const RerankReply = Type.Unsafe<RerankAnswer>({
  type: 'object',
  additionalProperties: true,
  description:
    'Slices best first with scores and regions, the parsed query with spans, timings, the model that ran, ' +
    'and `slices` (in the volume) and `skipped` ({count, reasons}: files of the series left out)',
});

const errorResponses = {
  400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 413: ErrorReply, 415: ErrorReply,
  422: ErrorReply, 502: ErrorReply, 503: ErrorReply, 504: ErrorReply,
};

/** Checks that need no series: preset, model, the query text itself. */
function precheck(app: FastifyInstance, body: RerankRequest): { query: ParsedQuery; parseMs: number } {
  const { engine } = app.sliceFinder;
  if (body.preset !== undefined && !engine.presets.includes(body.preset)) {
    throw new ApiError(400, 'unknown_preset', `unknown preset; one of: ${engine.presets.join(', ')}`);
  }
  if (body.model !== undefined && !engine.models().some((m) => m.id === body.model)) {
    throw new ApiError(400, 'unknown_model', 'no model with this id; see GET /api/v1/models');
  }
  const t0 = performance.now();
  const query = engine.parse(body.query);
  return { query, parseMs: performance.now() - t0 };
}

async function execute(
  app: FastifyInstance,
  request: FastifyRequest,
  body: RerankRequest,
  pre: { query: ParsedQuery; parseMs: number },
  signal: AbortSignal,
  onProgress?: (p: Progress) => void,
): Promise<RerankAnswer> {
  const started = performance.now();
  const { series, engine } = app.sliceFinder;
  const got = await series.get(
    body.series,
    { authorization: request.pacsAuthorization, host: request.headers.host, user: request.user?.id, signal },
    onProgress,
  );
  onProgress?.({ phase: 'score' });
  const response = await engine.rerank(got.data.analysis, pre.query, {
    topK: body.topK,
    minScore: body.minScore,
    preset: body.preset,
    model: body.model,
    sopOrder: got.sopOrder,
  });
  const loaded = got.cache === 'hit' ? {} : got.data.loadTimings;
  const timings: Record<string, number> = { ...loaded, ...response.timings, parse: pre.parseMs };
  timings.total = performance.now() - started + pre.parseMs;
  for (const k of Object.keys(timings)) timings[k] = Math.round(timings[k] * 10) / 10;
  const { volume } = got.data;
  // What was ranked: the slices of the volume, and the files of the series left out (never silently).
  const answer: RerankAnswer = { ...response, timings, slices: volume.slices, skipped: got.data.skipped };

  app.metrics.observeStages(timings);
  app.metrics.modelInUse(response.model);
  app.audit.record({
    user: request.user?.id ?? 'anonymous',
    studyInstanceUID: volume.studyInstanceUID,
    seriesInstanceUID: volume.seriesInstanceUID,
    slices: volume.slices,
    query: body.query,
    scores: response.results.map((r) => r.score),
    model: `${response.model.id}@${response.model.version}/${response.model.executionProvider}`,
    latencyMs: timings.total,
  });
  return answer;
}

export const rerankRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

    app.post(
      '/api/v1/rerank',
      {
        schema: {
          summary: 'Rank the slices of a series against a description',
          body: RerankBody,
          response: { 200: RerankReply, ...errorResponses },
        },
      },
      async (request, reply) => execute(fastify, request, request.body, precheck(fastify, request.body), disconnectSignal(request, reply)),
    );

    app.post(
      '/api/v1/rerank/stream',
      {
        schema: {
          summary: 'Rerank with progress: NDJSON lines {type:"progress"}…, then {type:"result"} or {type:"error"}',
          body: RerankBody,
          response: { 200: Type.String({ description: 'application/x-ndjson' }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const pre = precheck(fastify, request.body);
        const out = new PassThrough();
        const send = (event: StreamEvent<RerankAnswer>): void => {
          if (!out.destroyed && !out.writableEnded) out.write(`${JSON.stringify(event)}\n`);
        };
        execute(fastify, request, request.body, pre, disconnectSignal(request, reply), (p) => send({ type: 'progress', ...p }))
          .then((response) => send({ type: 'result', response }))
          .catch((err: unknown) => {
            const { internal, ...body } = errorBody(err);
            if (internal) request.log.error({ err: safeError(err) }, 'stream failed');
            else request.log.info({ statusCode: body.statusCode, code: body.code }, 'stream rejected');
            send({ type: 'error', ...body });
          })
          .finally(() => out.end());
        // The body is a stream, not the schema's string: step outside the typed reply.
        return (reply as FastifyReply).type('application/x-ndjson').header('cache-control', 'no-store').send(out);
      },
    );
  },
  { name: 'slice-finder-rerank', fastify: '5.x', decorators: { fastify: ['sliceFinder', 'metrics', 'audit'] } },
);
