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
import { errorResponses, TAGS } from '../openapi';
import {
  ErrorEvent,
  ProgressEvent,
  RerankAnswer,
  RerankBody,
  ResultEvent,
  StreamEvent,
  type RerankRequest,
  type StreamEvent as StreamLine,
} from '../schemas';
import type { LoadProgress } from '../series-service';

type Progress = LoadProgress | { phase: 'score' };

/** What a rerank can answer besides its result. */
const rerankErrors = errorResponses(400, 401, 403, 404, 413, 415, 422, 429, 502, 503, 504);

const ANSWER_DESCRIPTION =
  'The answer in lesions (`findings`: one group per parsed finding, lesions best first with size, position, slice range, ' +
  'regions, matched and mismatched terms), the slices best first (`results`, for older callers), the parsed query with spans, ' +
  'timings, the model that ran, and what was ranked (`slices` in the volume, `skipped` files).';

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
          summary: 'Find the lesions of a series that a description names',
          description:
            'Parses the description (English or Chinese; a report of several sentences gives several findings), loads and ' +
            'analyses the series (cached per series), and answers per finding with its lesions, best first. ' +
            'A client that disconnects cancels the work done only for it.',
          tags: [TAGS.rerank],
          body: RerankBody,
          response: { 200: Type.Object(RerankAnswer.properties, { description: ANSWER_DESCRIPTION, examples: RerankAnswer.examples }), ...rerankErrors },
        },
      },
      async (request, reply) => execute(fastify, request, request.body, precheck(fastify, request.body), disconnectSignal(request, reply)),
    );

    app.post(
      '/api/v1/rerank/stream',
      {
        schema: {
          summary: 'The same, with progress: NDJSON lines {type:"progress"}…, then {type:"result"} or {type:"error"}',
          description:
            'Errors found before any work (a malformed request, an unknown preset) are plain JSON answers; later ones are the ' +
            'stream\'s last line. Closing the connection cancels the work done only for this request.',
          tags: [TAGS.rerank],
          body: RerankBody,
          response: {
            200: {
              description: 'One StreamEvent per line (application/x-ndjson)',
              content: { 'application/x-ndjson': { schema: StreamEvent } },
            },
            ...rerankErrors,
          },
        },
      },
      async (request, reply) => {
        const pre = precheck(fastify, request.body);
        const out = new PassThrough();
        // Each line is serialised with its own schema (like the JSON route's answer), never with JSON.stringify.
        const serialise = {
          progress: reply.compileSerializationSchema(ProgressEvent),
          result: reply.compileSerializationSchema(ResultEvent),
          error: reply.compileSerializationSchema(ErrorEvent),
        };
        const send = (event: StreamLine): void => {
          if (!out.destroyed && !out.writableEnded) out.write(`${serialise[event.type](event)}\n`);
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
