/**
 * The HTTP protocol as TypeBox schemas: validation and OpenAPI come from these, and the typed client
 * imports the `Static` types (type-only, so the browser bundle never pulls TypeBox in).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { RerankResponse } from '../rerank/response';

/** DICOM UIDs: digits and dots, at most 64 characters (PS3.5 9.1). */
export const Uid = Type.String({ pattern: '^[0-9]+(\\.[0-9]+)*$', maxLength: 64 });

/** Same bound as the query parser (server/query/errors.ts), so the schema never rejects what it would accept. */
export const MAX_QUERY_CHARS = 2000;
export const MAX_SOP_UIDS = 5000;

export const DicomwebSeriesRef = Type.Object(
  {
    source: Type.Literal('dicomweb'),
    wadoRoot: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    studyInstanceUID: Uid,
    seriesInstanceUID: Uid,
    sopInstanceUIDs: Type.Array(Uid, { minItems: 1, maxItems: MAX_SOP_UIDS }),
  },
  { additionalProperties: false },
);

export const LocalSeriesRef = Type.Object(
  {
    source: Type.Literal('local'),
    seriesInstanceUID: Uid,
    sopInstanceUIDs: Type.Optional(Type.Array(Uid, { minItems: 1, maxItems: MAX_SOP_UIDS })),
  },
  { additionalProperties: false },
);

/** An upload's id: the content hash POST /api/v1/series answered with. */
export const UploadId = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$' });

/** A series uploaded by this caller (POST /api/v1/series); other callers' uploads are not visible. */
export const UploadSeriesRef = Type.Object(
  {
    source: Type.Literal('upload'),
    uploadId: UploadId,
    sopInstanceUIDs: Type.Optional(Type.Array(Uid, { minItems: 1, maxItems: MAX_SOP_UIDS })),
  },
  { additionalProperties: false },
);

export const SeriesRef = Type.Union([DicomwebSeriesRef, LocalSeriesRef, UploadSeriesRef]);
export type SeriesRef = Static<typeof SeriesRef>;
export type DicomwebSeriesRef = Static<typeof DicomwebSeriesRef>;
export type LocalSeriesRef = Static<typeof LocalSeriesRef>;
export type UploadSeriesRef = Static<typeof UploadSeriesRef>;

/** Files of the series left out of the volume, with why (not_dicom, duplicate_instance, pixel_data_truncated, ...). */
export const SkipReport = Type.Object({
  count: Type.Integer(),
  reasons: Type.Array(Type.Object({ reason: Type.String(), count: Type.Integer() })),
});
export type SkipReport = Static<typeof SkipReport>;

/** What every rerank answer says about the series it ranked: slices in the volume, files left out. */
export interface SeriesCoverage {
  slices: number;
  skipped: SkipReport;
}

/** The API's rerank answer: the pipeline's response plus the series coverage. */
export type RerankAnswer = RerankResponse & SeriesCoverage;

export const RerankBody = Type.Object(
  {
    query: Type.String({ minLength: 1, maxLength: MAX_QUERY_CHARS }),
    preset: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    series: SeriesRef,
    topK: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
    minScore: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  },
  { additionalProperties: false },
);
export type RerankRequest = Static<typeof RerankBody>;

export const PrepareBody = Type.Object({ series: SeriesRef }, { additionalProperties: false });
export type PrepareRequest = Static<typeof PrepareBody>;

export const PrepareReply = Type.Object({ status: Type.Union([Type.Literal('loading'), Type.Literal('ready')]) });
export type PrepareResponse = Static<typeof PrepareReply>;

export const ModelEntry = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  version: Type.String(),
  executionProvider: Type.String(),
  default: Type.Boolean(),
});
export type ModelEntry = Static<typeof ModelEntry>;

export const ModelsReply = Type.Object({
  models: Type.Array(ModelEntry),
  presets: Type.Array(Type.String()),
});
export type ModelsResponse = Static<typeof ModelsReply>;

export const ErrorReply = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  message: Type.String(),
});
export type ErrorBody = Static<typeof ErrorReply>;

export type ProgressPhase = 'fetch' | 'decode' | 'analyse' | 'score';

/** One line of the NDJSON stream of POST /api/v1/rerank/stream. */
export type StreamEvent<R = unknown> =
  | { type: 'progress'; phase: ProgressPhase; done?: number; total?: number }
  | { type: 'result'; response: R }
  | ({ type: 'error' } & ErrorBody);
