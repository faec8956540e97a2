/**
 * POST /api/v1/series/prepare warms the cache when the viewer opens a series (202, no waiting);
 * POST /api/v1/series takes an upload of DICOM files (multipart/form-data), size-limited, and keeps
 * the series for `{source: 'local', seriesInstanceUID}` requests while the cache holds it.
 */
import multipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { SeriesFile } from '../../series/sources/dicomweb';
import { ApiError, errorBody } from '../errors';
import { safeError } from '../logging';
import { ErrorReply, PrepareBody, PrepareReply } from '../schemas';

const UploadReply = Type.Object({
  studyInstanceUID: Type.String(),
  seriesInstanceUID: Type.String(),
  slices: Type.Integer(),
  skipped: Type.Integer(),
  sopInstanceUIDs: Type.Array(Type.String()),
});

function hasDicomMagic(b: Uint8Array): boolean {
  return b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d;
}

export const seriesRoutes = fp(
  async (fastify) => {
    const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
    const { config, series } = app.sliceFinder;

    app.post(
      '/api/v1/series/prepare',
      {
        schema: {
          summary: 'Start loading a series into the cache',
          body: PrepareBody,
          response: { 202: PrepareReply, 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply },
        },
      },
      async (request, reply) => {
        const status = series.prepare(
          request.body.series,
          { authorization: request.pacsAuthorization, host: request.headers.host },
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
            consumes: ['multipart/form-data'],
            response: { 201: UploadReply, 400: ErrorReply, 413: ErrorReply, 415: ErrorReply, 422: ErrorReply },
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
        const files: SeriesFile[] = [];
        let total = 0;
        for await (const part of request.files()) {
          const data = await part.toBuffer();
          total += data.length;
          if (total > config.upload.maxBytes) throw new ApiError(413, 'upload_too_large', 'the upload is larger than the limit');
          if (!hasDicomMagic(data)) throw new ApiError(415, 'not_dicom', 'an uploaded file is not DICOM (Part 10)');
          files.push({ name: `upload-${files.length + 1}.dcm`, data: new Uint8Array(data.buffer, data.byteOffset, data.length) });
        }
        if (files.length === 0) throw new ApiError(400, 'empty_upload', 'the upload holds no files');
        const { data, skipped } = await series.addUpload(files);
        const { volume } = data;
        return reply.code(201).send({
          studyInstanceUID: volume.studyInstanceUID,
          seriesInstanceUID: volume.seriesInstanceUID,
          slices: volume.slices,
          skipped,
          sopInstanceUIDs: [...new Set(volume.sopInstanceUIDs)],
        });
      }
    });
  },
  { name: 'slice-finder-series', fastify: '5.x', decorators: { fastify: ['sliceFinder'] } },
);
