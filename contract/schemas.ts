/**
 * The wire contract of the Slice Finder API as TypeBox schemas: every request, response and stream
 * event, with their static types. The server validates requests and serialises responses with these,
 * and its OpenAPI document is generated from them; the panel and scripts use the static types through
 * the typed client (`contract/client.ts`).
 *
 * The browser bundle must import this file with `import type` only (a lint rule enforces it), so that
 * TypeBox stays out of the extension.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { MAX_QUERY_CHARS, MAX_SOP_UIDS, MAX_TOP_K } from './limits';
import * as ex from './examples';

export { MAX_QUERY_CHARS, MAX_SOP_UIDS, MAX_TOP_K };

const literals = <T extends string>(values: readonly T[], description?: string) =>
  Type.Union(values.map((v) => Type.Literal(v)), description ? { description } : {});

// ---------------------------------------------------------------- requests

/** DICOM UIDs: digits and dots, at most 64 characters (PS3.5 9.1). */
export const Uid = Type.String({ pattern: '^[0-9]+(\\.[0-9]+)*$', maxLength: 64, examples: [ex.SERIES_UID] });

export const DicomwebSeriesRef = Type.Object(
  {
    source: Type.Literal('dicomweb'),
    wadoRoot: Type.Optional(
      Type.String({ minLength: 1, maxLength: 2048, description: "The viewer's DICOMweb root; the server's PACS when absent. Must be on the server's allowlist." }),
    ),
    studyInstanceUID: Uid,
    seriesInstanceUID: Uid,
    sopInstanceUIDs: Type.Array(Uid, {
      minItems: 1,
      maxItems: MAX_SOP_UIDS,
      description: 'The instances in the order the viewport shows them; result indices refer to this order.',
    }),
  },
  { additionalProperties: false, title: 'DicomwebSeriesRef', description: 'A series on a PACS, fetched by WADO-RS.' },
);

export const LocalSeriesRef = Type.Object(
  {
    source: Type.Literal('local'),
    seriesInstanceUID: Uid,
    sopInstanceUIDs: Type.Optional(Type.Array(Uid, { minItems: 1, maxItems: MAX_SOP_UIDS })),
  },
  { additionalProperties: false, title: 'LocalSeriesRef', description: "A series of the server's own folder (--dicom-dir), or the caller's upload of that series." },
);

/** An upload's id: the content hash POST /api/v1/series answered with. */
export const UploadId = Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', examples: ['q3Lr2mJ0x4Yb8c9dZ1k7uV5wT6sN0pH2aB4eF8gC1iQ'] });

export const UploadSeriesRef = Type.Object(
  {
    source: Type.Literal('upload'),
    uploadId: UploadId,
    sopInstanceUIDs: Type.Optional(Type.Array(Uid, { minItems: 1, maxItems: MAX_SOP_UIDS })),
  },
  { additionalProperties: false, title: 'UploadSeriesRef', description: 'A series this caller uploaded (POST /api/v1/series); other callers cannot see it.' },
);

export const SeriesRef = Type.Union([DicomwebSeriesRef, LocalSeriesRef, UploadSeriesRef], { title: 'SeriesRef' });

export const RerankBody = Type.Object(
  {
    query: Type.String({
      minLength: 1,
      maxLength: MAX_QUERY_CHARS,
      description: 'The description, English or Chinese; a report of several sentences is split into findings (one group each).',
    }),
    preset: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'One of GET /api/v1/models `presets`.', examples: ['report-match'] })),
    series: SeriesRef,
    topK: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_TOP_K, default: 10, description: 'Most slices in `results`, and most lesions per finding.' })),
    minScore: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Slices and lesions scoring less are left out.', examples: [0] })),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'A model id of GET /api/v1/models; the default model when absent.' })),
  },
  { additionalProperties: false, title: 'RerankRequest', examples: [ex.RERANK_REQUEST] },
);

export const ReportBody = Type.Object(
  {
    series: SeriesRef,
    query: Type.String({ minLength: 1, maxLength: MAX_QUERY_CHARS, description: 'The description the lesions were found for (the rerank request\'s `query`); written as the key images\' description.' }),
    lesions: Type.Array(Type.Integer({ minimum: 0, description: 'A lesion `id` of the rerank answer.' }), {
      minItems: 1,
      maxItems: MAX_TOP_K,
      uniqueItems: true,
      description: 'The lesions to save. The server finds each again in its analysis of the series (nothing sent is taken as a measurement).',
    }),
    preset: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'The preset the lesions were found with, when not the default.' })),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'The model the lesions were found with, when not the default.' })),
  },
  { additionalProperties: false, title: 'ReportRequest', examples: [ex.REPORT_REQUEST] },
);

export const ReportReply = Type.Object(
  {
    studyInstanceUID: Type.String({ description: 'The source study: both documents are new series in it.' }),
    seriesInstanceUIDs: Type.Array(Type.String(), { minItems: 2, maxItems: 2, description: 'The new series: the structured report (SR) first, then the key object selection (KO).' }),
    sopInstanceUIDs: Type.Array(Type.String(), { minItems: 2, maxItems: 2, description: 'The SR instance, then the KO instance.' }),
  },
  { title: 'ReportResponse', examples: [ex.REPORT_ANSWER] },
);

export const PrepareBody = Type.Object({ series: SeriesRef }, { additionalProperties: false, title: 'PrepareRequest', examples: [{ series: ex.RERANK_REQUEST.series }] });
export const PrepareReply = Type.Object(
  { status: literals(['loading', 'ready'] as const, '`ready`: the series is cached; `loading`: its load has started (or was already running).') },
  { title: 'PrepareResponse', examples: [{ status: 'loading' }] },
);

// ---------------------------------------------------------------- the parsed query

export const Span = Type.Object(
  { start: Type.Integer({ minimum: 0 }), end: Type.Integer({ minimum: 0 }) },
  { description: 'Half-open range [start, end) of the query text, in UTF-16 code units (JavaScript string indices).' },
);
export const TermKind = literals(
  ['organ', 'side', 'lobe', 'segment', 'level', 'station', 'position', 'type', 'size', 'size-word', 'texture', 'margin', 'sign', 'count', 'negation'] as const,
);
export const FindingType = literals([
  'nodule', 'mass', 'ground-glass opacity', 'consolidation', 'cavity', 'calcification', 'pleural effusion', 'pneumothorax',
  'emphysema', 'atelectasis', 'bronchiectasis', 'lymph node', 'pleural thickening', 'other',
] as const);
export const Side = literals(['left', 'right', 'bilateral'] as const);
export const Lobe = literals(['RUL', 'RML', 'RLL', 'LUL', 'lingula', 'LLL'] as const);
export const Level = literals(['apex', 'hilum', 'carina', 'aortic arch', 'lung base'] as const);
export const SizeWord = literals(['small', 'moderate', 'large'] as const);
export const Texture = literals(['solid', 'part-solid', 'ground-glass', 'subsolid'] as const);
export const Margin = literals(['spiculated', 'lobulated', 'smooth', 'ill-defined', 'irregular'] as const);
export const Sign = literals([
  'air bronchogram', 'vacuole', 'pleural indentation', 'vascular convergence', 'halo', 'reversed halo', 'tree-in-bud', 'crazy paving', 'necrosis',
] as const);

export const Term = Type.Object(
  {
    id: Type.String({ description: 'Stable within a response ("f0.margin"); what `matched` and `mismatched` refer to.' }),
    kind: TermKind,
    value: Type.String({ description: "Normalised value: 'left', 'RLL', 'spiculated', '8' (mm for sizes), ..." }),
    span: Span,
    negated: Type.Optional(Type.Boolean()),
    implied: Type.Optional(Type.Boolean({ description: 'Implied by another term ("RUL" → side right); the span is that term\'s.' })),
  },
  { title: 'Term' },
);

export const Finding = Type.Object(
  {
    span: Span,
    type: Type.Optional(FindingType),
    anatomy: Type.Object({
      organ: Type.Optional(Type.String()),
      side: Type.Optional(Side),
      lobe: Type.Optional(Lobe),
      segment: Type.Optional(Type.String()),
      level: Type.Optional(Level),
      station: Type.Optional(Type.String({ description: "Lymph node station (IASLC), without its side: '2-4' paratracheal, '7' subcarinal, '10' hilar, ..." })),
      position: Type.Optional(Type.Array(Type.String())),
    }),
    size: Type.Optional(Type.Object({ mm: Type.Number(), dims: Type.Array(Type.Number()) })),
    sizeWord: Type.Optional(SizeWord),
    texture: Type.Optional(Texture),
    margins: Type.Array(Margin),
    signs: Type.Array(Sign),
    negations: Type.Array(Type.String()),
    multiple: Type.Optional(Type.Boolean()),
    features: Type.Optional(Type.Array(FindingType)),
    terms: Type.Array(Term),
  },
  { title: 'Finding', description: 'One finding of the description, with the terms it was read from.' },
);

export const ParsedQuery = Type.Object(
  {
    text: Type.String(),
    lang: literals(['en', 'zh'] as const),
    findings: Type.Array(Finding),
    unknown: Type.Array(Span, { description: 'Text that was not understood.' }),
  },
  { title: 'ParsedQuery' },
);

// ---------------------------------------------------------------- the answer

export const Region = Type.Object(
  {
    x: Type.Number({ description: 'Column of the top-left corner, pixels.' }),
    y: Type.Number({ description: 'Row of the top-left corner, pixels.' }),
    w: Type.Number(),
    h: Type.Number(),
    score: Type.Number(),
    label: Type.String(),
  },
  { title: 'Region' },
);

export const Mismatch = Type.Object(
  {
    term: Type.String({ description: 'Term id in the parsed query.' }),
    stated: Type.String({ description: "The stated value ('8' mm, 'RLL', 'ground-glass', ...)." }),
    measured: Type.String({ description: "What the lesion shows instead ('29 mm', 'LUL (estimated from position)', 'solid', ...)." }),
  },
  { title: 'Mismatch', description: 'A stated attribute the lesion does not show: stated against measured.' },
);

export const SliceResult = Type.Object(
  {
    sopInstanceUID: Type.String(),
    frame: Type.Optional(Type.Integer({ minimum: 1, description: 'Frame number (1-based) for multi-frame instances.' })),
    index: Type.Integer({ minimum: 0, description: 'Position in the request\'s sopInstanceUIDs (the viewport order), else in volume order.' }),
    score: Type.Number({ minimum: 0, maximum: 1 }),
    regions: Type.Array(Region),
    matched: Type.Array(Type.String()),
    mismatched: Type.Optional(Type.Array(Mismatch)),
  },
  { title: 'SliceResult' },
);

export const LesionRegion = Type.Object(
  {
    index: Type.Integer({ minimum: 0, description: 'Slice, in the request\'s order like `results[].index`.' }),
    x: Type.Number(),
    y: Type.Number(),
    w: Type.Number(),
    h: Type.Number(),
  },
  { title: 'LesionRegion', description: 'The lesion\'s box on one slice, pixels.' },
);

export const Lesion = Type.Object(
  {
    id: Type.Integer({ description: 'The lesion, the same in every finding group of one response.' }),
    label: Type.String({ description: 'A short English description ("solid nodule 27 mm, left middle zone"); the panel composes its own in the user\'s language.' }),
    kind: Type.String({ description: "What it is: 'nodule' (up to 30 mm) or 'mass' today; 'lymph node', 'effusion', ... as the pipeline learns them." }),
    score: Type.Number({ minimum: 0, maximum: 1, description: 'Calibrated probability that this lesion is the one described.' }),
    confident: Type.Boolean({ description: 'score ≥ 0.5.' }),
    sizeMm: Type.Object({ long: Type.Number(), short: Type.Number() }, { description: 'Long and short axis on its largest slice, as radiologists measure.' }),
    side: literals(['left', 'right'] as const),
    lobe: Type.Optional(Lobe),
    zone: literals(['upper', 'middle', 'lower'] as const),
    station: Type.Optional(Type.String({ description: 'Lymph node station (IASLC), for nodes.' })),
    slices: Type.Object(
      {
        first: Type.Integer({ minimum: 0 }),
        last: Type.Integer({ minimum: 0 }),
        best: Type.Integer({ minimum: 0, description: 'Its central slice.' }),
      },
      { description: 'Slice indices in the request\'s order.' },
    ),
    regions: Type.Array(LesionRegion, { description: 'Its box on each of its slices.' }),
    matched: Type.Array(Type.String({ description: 'Term id.' })),
    mismatched: Type.Array(Mismatch),
  },
  { title: 'Lesion' },
);

export const FindingGroup = Type.Object(
  {
    finding: Type.Integer({ minimum: 0, description: 'Index into query.findings.' }),
    lesions: Type.Array(Lesion, { description: 'Best first, at most one entry per lesion; empty when nothing fits or the finding cannot be judged (see `unsupported`).' }),
  },
  { title: 'FindingGroup' },
);

export const Unsupported = Type.Object(
  {
    finding: Type.Integer({ minimum: 0, description: 'Index into query.findings.' }),
    terms: Type.Array(Type.String(), { description: 'Term ids the pipeline cannot judge.' }),
    reason: Type.String(),
  },
  { title: 'Unsupported' },
);

export const CaveatCode = literals(['unenhanced-nodes', 'unenhanced-hilum', 'low-dose', 'small-lesion', 'emphysema-extent', 'streak-artifact', 'partial-coverage', 'brief-description'] as const);

export const Caveat = Type.Object(
  {
    finding: Type.Integer({ minimum: 0, description: 'Index into query.findings.' }),
    code: CaveatCode,
    reason: Type.String({ description: 'In English; a client may show its own words for `code`.' }),
  },
  {
    title: 'Caveat',
    description:
      'What the answer to a finding cannot promise on this series, though it was ranked ("unenhanced-nodes": without contrast a node pressed against the heart or a great vessel may be missed, and a hilar answer is less certain; "unenhanced-hilum": without contrast the best answer, at a hilum, may be the hilar vessels; "low-dose": the series is a low-dose scan\'s, smoothed before the search, and small nodules and faint ground glass are found less often; "small-lesion": the description is of a nodule under about 8 mm, found less often than larger ones on any series; "emphysema-extent": the series\' slices are thicker than 1.5 mm or it was smoothed, so the share of lung under -950 HU reads lower than on thin slices; "streak-artifact": the best answer is ground glass beside metal or contrast still undiluted in a vein, whose streaks raise the lung to ground-glass density; "partial-coverage": the description says a height in the lung (a zone or a lobe) and the series starts below the lung apices or stops above the bases, so heights in the lung are estimated from the carina; "brief-description": the description says too little for a confident match, as even a lesion fitting every word of it would score under 0.5: add where it is or how large).',
  },
);

export const ModelInfo = Type.Object(
  { id: Type.String(), version: Type.String(), executionProvider: Type.String() },
  { title: 'ModelInfo', description: 'The model, its version and the execution provider that ran.' },
);

export const SkipReport = Type.Object(
  {
    count: Type.Integer({ minimum: 0 }),
    reasons: Type.Array(Type.Object({ reason: Type.String(), count: Type.Integer({ minimum: 0 }) })),
  },
  { title: 'SkipReport', description: 'Files of the series left out of the volume, by reason (not_dicom, duplicate_instance, pixel_data_truncated, ...).' },
);

const rerankResponseFields = {
  findings: Type.Array(FindingGroup, { description: 'One group per parsed finding, in the order of query.findings.' }),
  results: Type.Array(SliceResult, { description: 'Slices best first (kept for older callers; `findings` is the answer).' }),
  query: ParsedQuery,
  timings: Type.Record(Type.String(), Type.Number(), { description: 'Milliseconds per stage: fetch, decode, analysis, parse, scoring, fusion, total, ...' }),
  noConfidentMatch: Type.Boolean(),
  unsupported: Type.Array(Unsupported),
  caveats: Type.Optional(Type.Array(Caveat)),
  model: ModelInfo,
};

/** What the pipeline answers (the CLI prints it). */
export const RerankResponse = Type.Object(rerankResponseFields, { title: 'RerankResponse' });

/** What the API answers: the pipeline's response plus what was ranked. */
export const RerankAnswer = Type.Object(
  {
    ...rerankResponseFields,
    slices: Type.Integer({ minimum: 0, description: 'Slices in the volume that was searched.' }),
    skipped: SkipReport,
  },
  { title: 'RerankAnswer', examples: [ex.RERANK_ANSWER] },
);

// ---------------------------------------------------------------- other answers

export const ModelEntry = Type.Object(
  { id: Type.String(), kind: Type.String(), version: Type.String(), executionProvider: Type.String(), default: Type.Boolean() },
  { title: 'ModelEntry' },
);
export const ModelsReply = Type.Object(
  { models: Type.Array(ModelEntry), presets: Type.Array(Type.String()) },
  { title: 'ModelsResponse', examples: [ex.MODELS] },
);

export const UploadReply = Type.Object(
  {
    uploadId: UploadId,
    studyInstanceUID: Type.String(),
    seriesInstanceUID: Type.String(),
    slices: Type.Integer({ minimum: 0 }),
    skipped: SkipReport,
    sopInstanceUIDs: Type.Array(Type.String()),
  },
  { title: 'UploadResponse', description: 'Rerank it with {source: "upload", uploadId}; only this caller can.', examples: [ex.UPLOAD] },
);

export const ErrorReply = Type.Object(
  {
    statusCode: Type.Integer(),
    code: Type.String({ description: 'Machine-readable: not_dicom, unsupported_transfer_syntax, pacs_timeout, rate_limited, ...' }),
    message: Type.String({ description: 'What happened, in words a radiologist can act on.' }),
  },
  { title: 'Error' },
);

export const HealthReply = Type.Object({ status: Type.Literal('ok') }, { examples: [{ status: 'ok' }] });
export const ReadyReply = Type.Object({ status: literals(['ready', 'starting'] as const) }, { examples: [{ status: 'ready' }] });

// ---------------------------------------------------------------- the progress stream

export const ProgressPhase = literals(['fetch', 'decode', 'analyse', 'score'] as const);
export const ProgressEvent = Type.Object(
  {
    type: Type.Literal('progress'),
    phase: ProgressPhase,
    done: Type.Optional(Type.Integer({ minimum: 0 })),
    total: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { title: 'ProgressEvent', examples: [{ type: 'progress', phase: 'fetch', done: 40, total: 133 }] },
);
export const ResultEvent = Type.Object({ type: Type.Literal('result'), response: RerankAnswer }, { title: 'ResultEvent' });
export const ErrorEvent = Type.Object(
  { type: Type.Literal('error'), statusCode: Type.Integer(), code: Type.String(), message: Type.String() },
  { title: 'ErrorEvent', examples: [{ type: 'error', ...ex.ERRORS[504] }] },
);
/** One line of the NDJSON stream of POST /api/v1/rerank/stream. */
export const StreamEvent = Type.Union([ProgressEvent, ResultEvent, ErrorEvent], {
  title: 'StreamEvent',
  description: 'One line of application/x-ndjson: progress lines, then one result or one error line.',
});

// ---------------------------------------------------------------- static types

export type SeriesRef = Static<typeof SeriesRef>;
export type DicomwebSeriesRef = Static<typeof DicomwebSeriesRef>;
export type LocalSeriesRef = Static<typeof LocalSeriesRef>;
export type UploadSeriesRef = Static<typeof UploadSeriesRef>;
export type RerankRequest = Static<typeof RerankBody>;
export type PrepareRequest = Static<typeof PrepareBody>;
export type ReportRequest = Static<typeof ReportBody>;
export type ReportResponse = Static<typeof ReportReply>;
export type PrepareResponse = Static<typeof PrepareReply>;
export type Span = Static<typeof Span>;
export type TermKind = Static<typeof TermKind>;
export type Term = Static<typeof Term>;
export type Finding = Static<typeof Finding>;
export type ParsedQuery = Static<typeof ParsedQuery>;
export type Region = Static<typeof Region>;
export type Mismatch = Static<typeof Mismatch>;
export type SliceResult = Static<typeof SliceResult>;
export type LesionRegion = Static<typeof LesionRegion>;
export type Lesion = Static<typeof Lesion>;
export type FindingGroup = Static<typeof FindingGroup>;
export type Unsupported = Static<typeof Unsupported>;
export type Caveat = Static<typeof Caveat>;
export type CaveatCode = Static<typeof CaveatCode>;
export type ModelInfo = Static<typeof ModelInfo>;
export type SkipReport = Static<typeof SkipReport>;
export type RerankResponse = Static<typeof RerankResponse>;
export type RerankAnswer = Static<typeof RerankAnswer>;
export type ModelEntry = Static<typeof ModelEntry>;
export type ModelsResponse = Static<typeof ModelsReply>;
export type UploadResponse = Static<typeof UploadReply>;
export type ErrorBody = Static<typeof ErrorReply>;
export type ProgressPhase = Static<typeof ProgressPhase>;
export type StreamEvent = Static<typeof StreamEvent>;

/** What every rerank answer says about the series it ranked: slices in the volume, files left out. */
export type SeriesCoverage = Pick<RerankAnswer, 'slices' | 'skipped'>;

/** Every named schema of the contract, for documentation and for checking their examples. */
export const SCHEMAS: Record<string, TSchema> = {
  Uid, DicomwebSeriesRef, LocalSeriesRef, UploadSeriesRef, SeriesRef, RerankBody, ReportBody, ReportReply, PrepareBody, PrepareReply, Span, Term, Finding,
  ParsedQuery, Region, Mismatch, SliceResult, LesionRegion, Lesion, FindingGroup, Unsupported, Caveat, ModelInfo, SkipReport, RerankResponse,
  RerankAnswer, ModelEntry, ModelsReply, UploadReply, ErrorReply, HealthReply, ReadyReply, ProgressEvent, ResultEvent, ErrorEvent, StreamEvent,
};
