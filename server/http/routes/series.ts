/**
 * POST /api/v1/series/prepare warms the cache when the viewer opens a series (202, no waiting);
 * POST /api/v1/series takes an upload of DICOM files (multipart/form-data), size-limited, and keeps
 * the series for `{source: 'upload', uploadId}` requests of the same caller (and their
 * `{source: 'local', seriesInstanceUID}` ones when the folder has no such series) while the cache
 * holds it. Uploads are audited like reranks.
 */
import multipart from '@fastify/multipart';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { SeriesFile } from '../../series/sources/dicomweb';
import { ApiError, errorBody } from '../errors';
import { safeError } from '../logging';
import { hasDicomMagic } from '../../series/part10';
import { disconnectSignal } from '../disconnect';
import { AUTH_ERRORS, errorResponses, TAGS } from '../openapi';
import { PrepareBody, PrepareReply, UploadReply } from '../schemas';

/** The first 132 bytes of a part are enough to tell DICOM Part 10 (preamble + "DICM") from anything else. */
const MAGIC_BYTES = 132;

export const seriesRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const { config, series } = app.sliceFinder;

    app.post(
      '/api/v1/series/prepare',
      {
        schema: {
          summary: 'Start loading a series into the cache',
          description:
            'Answers at once (202) and loads in the background, so the first rerank of the series is fast; the panel calls it when ' +
            'the viewer shows a series. A failed load is reported by the next rerank.',
          tags: [TAGS.series],
          body: PrepareBody,
          response: { 202: { ...PrepareReply, description: 'Loading, or already cached' }, ...errorResponses(400, ...AUTH_ERRORS, 404) },
        },
      },
      async (request, reply) => {
        const status = series.prepare(
          request.body.series,
          { authorization: request.pacsAuthorization, host: request.headers.host, user: request.user?.id },
          (err) => {
            const { internal, statusCode, code } = errorBody(err);
            if (internal) request.log.error({ err: safeError(err) }, 'prepare failed');
            else request.log.info({ statusCode, code }, 'prepare failed');
          },
        );
        return reply.code(202).send({ status });
      },
    );

    // Multipart parsing only in this scope: JSON routes never accept multipart bodies.
    await app.register(async (scope) => {
      await scope.register(multipart, {
        limits: { fileSize: config.upload.maxBytes, files: config.upload.maxFiles, fields: 0, parts: config.upload.maxFiles },
      });
      scope.withTypeProvider<TypeBoxTypeProvider>().post(
        '/api/v1/series',
        {
          schema: {
            summary: 'Upload the DICOM files of one series (multipart/form-data, one file per part)',
            description: 'Decoded and kept under its content hash (the uploadId) for this caller only, while the cache holds it.',
            tags: [TAGS.series],
            consumes: ['multipart/form-data'],
            response: { 201: { ...UploadReply, description: 'Decoded and kept' }, ...errorResponses(400, ...AUTH_ERRORS, 413, 415, 422) },
          },
        },
        async (request, reply) => {
          try {
            return await receiveUpload(request, reply);
          } catch (err) {
            // The rest of a refused upload stays unread: close the connection rather than leave it stalled.
            reply.header('connection', 'close');
            throw err;
          }
        },
      );
      async function receiveUpload(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
        if (!request.isMultipart()) throw new ApiError(415, 'unsupported_media_type', 'the upload must be multipart/form-data');
        const started = performance.now();
        const files: SeriesFile[] = [];
        let total = 0;
        // A part that is not DICOM is known from its first 132 bytes. The rest of the upload is then
        // read and dropped (up to the upload limit) so the client gets its 415 rather than a reset
        // connection while it is still sending.
        let refusal: ApiError | undefined;
        for await (const part of request.files()) {
          const chunks: Buffer[] = [];
          let size = 0;
          let checked = false;
          for await (const chunk of part.file as AsyncIterable<Buffer>) {
            total += chunk.length;
            if (total > config.upload.maxBytes) throw refusal ?? new ApiError(413, 'upload_too_large', 'the upload is larger than the limit');
            if (refusal) continue;
            chunks.push(chunk);
            size += chunk.length;
            if (!checked && size >= MAGIC_BYTES) {
              checked = true;
              if (!hasDicomMagic(chunks.length === 1 ? chunk : Buffer.concat(chunks))) {
                refusal = new ApiError(415, 'not_dicom', 'an uploaded file is not DICOM (Part 10)');
                chunks.length = 0;
              }
            }
          }
          if ((part.file as { truncated?: boolean }).truncated) throw new ApiError(413, 'upload_too_large', 'an uploaded file is larger than the limit');
          if (refusal) continue;
          if (size < MAGIC_BYTES) {
            refusal = new ApiError(415, 'not_dicom', 'an uploaded file is not DICOM (Part 10)');
            continue;
          }
          const data = Buffer.concat(chunks, size);
          files.push({ name: `upload-${files.length + 1}.dcm`, data: new Uint8Array(data.buffer, data.byteOffset, data.length) });
        }
        if (refusal) throw refusal;
        if (files.length === 0) throw new ApiError(400, 'empty_upload', 'the upload holds no files');
        const user = request.user?.id ?? 'anonymous';
        const { uploadId, data } = await series.addUpload(files, { user, signal: disconnectSignal(request, reply) });
        const { volume } = data;
        app.audit.upload({
          user,
          studyInstanceUID: volume.studyInstanceUID,
          seriesInstanceUID: volume.seriesInstanceUID,
          slices: volume.slices,
          skipped: data.skipped.count,
          bytes: total,
          latencyMs: performance.now() - started,
        });
        return reply.code(201).send({
          uploadId,
          studyInstanceUID: volume.studyInstanceUID,
          seriesInstanceUID: volume.seriesInstanceUID,
          slices: volume.slices,
          skipped: data.skipped,
          sopInstanceUIDs: [...new Set(volume.sopInstanceUIDs)],
        });
      }
    });
  },
  { name: 'slice-finder-series', fastify: '5.x', decorators: { fastify: ['sliceFinder', 'audit'] } },
);
