/**
 * Examples for the OpenAPI document, taken from real runs on the sample study (LIDC-IDRI-0001) and
 * shortened. Each is checked against its schema by the tests.
 */
export const STUDY_UID = '1.3.6.1.4.1.14519.5.2.1.6279.6001.298806137288633453246975630178';
export const SERIES_UID = '1.3.6.1.4.1.14519.5.2.1.6279.6001.179049373636438705059720603192';
const SOP_1 = '1.3.6.1.4.1.14519.5.2.1.6279.6001.262721256650280657946440242654';
const SOP_2 = '1.3.6.1.4.1.14519.5.2.1.6279.6001.195557219224169985110295082004';

const REPORT = 'spiculated solid nodule in the left lung. ground-glass nodule in the right upper lobe';

export const RERANK_REQUEST = {
  query: REPORT,
  preset: 'report-match',
  topK: 10,
  minScore: 0,
  series: {
    source: 'dicomweb',
    wadoRoot: 'https://pacs.hospital.example/dicom-web',
    studyInstanceUID: STUDY_UID,
    seriesInstanceUID: SERIES_UID,
    sopInstanceUIDs: [SOP_1, SOP_2],
  },
};

const span = (start: number, end: number) => ({ start, end });

export const RERANK_ANSWER = {
  findings: [
    {
      finding: 0,
      lesions: [
        {
          id: 0,
          label: 'solid nodule 27 mm, left middle zone',
          kind: 'nodule',
          score: 0.704,
          confident: true,
          sizeMm: { long: 26.7, short: 25.8 },
          side: 'left',
          lobe: 'LLL',
          zone: 'middle',
          slices: { first: 37, last: 50, best: 42 },
          regions: [
            { index: 37, x: 308, y: 356, w: 20, h: 12 },
            { index: 42, x: 272, y: 344, w: 64, h: 46 },
            { index: 50, x: 316, y: 350, w: 8, h: 6 },
          ],
          matched: ['f0.type', 'f0.side', 'f0.texture', 'f0.margin', 'f0.organ'],
          mismatched: [],
        },
      ],
    },
    {
      finding: 1,
      lesions: [
        {
          id: 1,
          label: 'part-solid nodule 25 mm, right upper zone',
          kind: 'nodule',
          score: 0.221,
          confident: false,
          sizeMm: { long: 25.2, short: 14.8 },
          side: 'right',
          lobe: 'RUL',
          zone: 'upper',
          slices: { first: 23, last: 62, best: 43 },
          regions: [{ index: 43, x: 160, y: 300, w: 40, h: 30 }],
          matched: ['f1.type', 'f1.side', 'f1.lobe', 'f1.organ'],
          mismatched: [{ term: 'f1.texture', stated: 'ground-glass', measured: 'part-solid' }],
        },
      ],
    },
  ],
  results: [
    {
      sopInstanceUID: SOP_1,
      index: 42,
      score: 0.704,
      regions: [{ x: 272, y: 344, w: 64, h: 46, score: 0.704, label: 'solid nodule 27 mm, left middle zone' }],
      matched: ['f0.type', 'f0.side', 'f0.texture', 'f0.margin', 'f0.organ'],
    },
  ],
  query: {
    text: REPORT,
    lang: 'en',
    findings: [
      {
        span: span(0, 40),
        type: 'nodule',
        anatomy: { side: 'left', organ: 'lung' },
        texture: 'solid',
        margins: ['spiculated'],
        signs: [],
        negations: [],
        terms: [
          { id: 'f0.margin', kind: 'margin', value: 'spiculated', span: span(0, 10) },
          { id: 'f0.texture', kind: 'texture', value: 'solid', span: span(11, 16) },
          { id: 'f0.type', kind: 'type', value: 'nodule', span: span(17, 23) },
          { id: 'f0.side', kind: 'side', value: 'left', span: span(31, 35) },
          { id: 'f0.organ', kind: 'organ', value: 'lung', span: span(36, 40) },
        ],
      },
      {
        span: span(42, 85),
        type: 'nodule',
        anatomy: { lobe: 'RUL', side: 'right', organ: 'lung' },
        texture: 'ground-glass',
        margins: [],
        signs: [],
        negations: [],
        terms: [
          { id: 'f1.texture', kind: 'texture', value: 'ground-glass', span: span(42, 54) },
          { id: 'f1.type', kind: 'type', value: 'nodule', span: span(55, 61) },
          { id: 'f1.lobe', kind: 'lobe', value: 'RUL', span: span(69, 85) },
          { id: 'f1.side', kind: 'side', value: 'right', span: span(69, 85), implied: true },
          { id: 'f1.organ', kind: 'organ', value: 'lung', span: span(69, 85), implied: true },
        ],
      },
    ],
    unknown: [],
  },
  timings: { fetch: 210.4, decode: 280.1, analysis: 898.3, parse: 0.1, scoring: 59.2, fusion: 3.1, total: 1452.9 },
  noConfidentMatch: false,
  unsupported: [],
  model: { id: 'lesion-cnn', version: '1.1.0', executionProvider: 'cpu' },
  slices: 133,
  skipped: { count: 0, reasons: [] },
};

export const MODELS = {
  models: [
    { id: 'lesion-cnn', kind: 'lesion-cnn', version: '1.1.0', executionProvider: 'cpu', default: true },
    { id: 'classical', kind: 'classical', version: '1', executionProvider: 'cpu', default: false },
  ],
  presets: ['report-match', 'lesion-search', 'strict'],
};

export const UPLOAD = {
  uploadId: 'q3Lr2mJ0x4Yb8c9dZ1k7uV5wT6sN0pH2aB4eF8gC1iQ',
  studyInstanceUID: STUDY_UID,
  seriesInstanceUID: SERIES_UID,
  slices: 133,
  skipped: { count: 1, reasons: [{ reason: 'not_dicom', count: 1 }] },
  sopInstanceUIDs: [SOP_1, SOP_2],
};

export const REPORT_REQUEST = {
  query: REPORT,
  series: RERANK_REQUEST.series,
  lesions: [0, 1],
};

export const REPORT_ANSWER = {
  studyInstanceUID: STUDY_UID,
  seriesInstanceUIDs: ['2.25.237297265236280030799206759734076495065', '2.25.91827162534455129304957162538490012734'],
  sopInstanceUIDs: ['2.25.48271819007420068657953693082250217828', '2.25.170293847561029384756102938475610293847'],
};

/** One error body per status the API answers with. */
export const ERRORS = {
  400: { statusCode: 400, code: 'invalid_request', message: 'body/topK must be <= 100' },
  401: { statusCode: 401, code: 'unauthorized', message: 'this API needs a bearer token' },
  403: { statusCode: 403, code: 'wado_root_not_allowed', message: 'this server may not fetch from that DICOMweb root' },
  404: { statusCode: 404, code: 'series_not_found', message: 'the PACS does not have this series' },
  409: { statusCode: 409, code: 'report_no_pacs', message: 'an uploaded series belongs to no PACS study: there is nowhere to save the report' },
  413: { statusCode: 413, code: 'series_too_large', message: 'the series is larger than the configured limit' },
  415: {
    statusCode: 415,
    code: 'unsupported_transfer_syntax',
    message: 'transfer syntax 1.2.840.10008.1.2.4.70 (JPEG Lossless) is not supported; ask the PACS for explicit VR little endian',
  },
  422: { statusCode: 422, code: 'not_ct_stack', message: 'the series is not a CT stack: the slices are not parallel' },
  429: { statusCode: 429, code: 'rate_limited', message: 'too many requests; retry in 42 s' },
  502: { statusCode: 502, code: 'pacs_error', message: 'the PACS answered with status 500' },
  503: { statusCode: 503, code: 'pacs_busy', message: 'the PACS is busy with other requests; try again shortly' },
  504: { statusCode: 504, code: 'pacs_timeout', message: 'the PACS did not answer in time' },
} as const;

export type ErrorStatus = keyof typeof ERRORS;
