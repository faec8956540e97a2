/** The pure pieces of the extension: configuration, language choice, progress, query segments, thumbnails, boxes. */
import { ClientError, CLIENT_CODES } from '../../contract/client';
import { TermKind } from '../../contract/schemas';
import { resolveConfig, DEFAULT_CONFIG } from '../../extension/src/config';
import { flattenLesions, isNegatedOnly, lesionLabel, mismatchText, queryProblem, termText } from '../../extension/src/controller/answer';
import { advance, START_PROGRESS } from '../../extension/src/controller/progress';
import { PROBLEM_STRING, problemFromError, noticesFor } from '../../extension/src/controller/problems';
import { detectLanguage, toUiLang } from '../../extension/src/i18n/language';
import { STRINGS, translator } from '../../extension/src/i18n/strings';
import { segmentQuery } from '../../extension/src/panel/QueryReading';
import { configurationOf } from '../../extension/src/runtime';
import { heatColour, paintEllipse } from '../../extension/src/viewer/heat';
import { cropAround, thumbnailPixels } from '../../extension/src/viewer/thumbnail';
import { lesion, parsedQuery, rerankAnswer } from './support/responses';

describe('configuration', () => {
  test('defaults: same-origin backend, report-match, top 10', () => {
    expect(resolveConfig(undefined)).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG).toMatchObject({ backendUrl: '', defaultPreset: 'report-match', topK: 10 });
  });

  test('values are clamped and wrong types fall back instead of breaking the viewer', () => {
    const c = resolveConfig({ backendUrl: 'https://sf.example/', topK: 500, minScore: -1, heatOverlay: 'yes', language: 'fr', model: 7 });
    expect(c.backendUrl).toBe('https://sf.example');
    expect(c.topK).toBe(100);
    expect(c.minScore).toBe(0);
    expect(c.heatOverlay).toBe(false);
    expect(c.language).toBeUndefined();
    expect(c.model).toBeUndefined();
    expect(resolveConfig({ topK: '7' }).topK).toBe(10);
  });

  test('window.config.sliceFinder configures a URL-loaded extension; a pair configuration overrides it', () => {
    expect(configurationOf({ appConfig: { sliceFinder: { backendUrl: 'http://a', topK: 5 } }, configuration: {} })).toEqual({
      backendUrl: 'http://a',
      topK: 5,
    });
    expect(configurationOf({ appConfig: { sliceFinder: { topK: 5 } }, configuration: { topK: 3 } })).toEqual({ topK: 3 });
    expect(configurationOf({})).toEqual({});
  });
});

describe('language', () => {
  test('follows the viewer: ?lng=, then the i18nextLng entry, then the cookie, then the browser', () => {
    expect(detectLanguage({ search: '?lng=zh', localStorageLng: 'en-US', navigatorLanguage: 'en' })).toBe('zh');
    expect(detectLanguage({ localStorageLng: 'zh-CN', navigatorLanguage: 'en-US' })).toBe('zh');
    expect(detectLanguage({ cookie: 'a=1; i18next=zh-TW', navigatorLanguage: 'en-US' })).toBe('zh');
    expect(detectLanguage({ navigatorLanguage: 'zh-Hans-CN' })).toBe('zh');
    expect(detectLanguage({ localStorageLng: 'de', navigatorLanguage: 'zh' })).toBe('en');
    expect(detectLanguage({})).toBe('en');
  });

  test('the running i18next and the configuration win', () => {
    expect(detectLanguage({ i18nextLanguage: 'zh', localStorageLng: 'en' })).toBe('zh');
    expect(detectLanguage({ i18nextLanguage: 'zh' }, 'en')).toBe('en');
    expect(toUiLang('')).toBeUndefined();
  });

  test('both tables have every string, with the same placeholders', () => {
    for (const key of Object.keys(STRINGS.en) as (keyof typeof STRINGS.en)[]) {
      const names = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
      expect(STRINGS.zh[key]).toBeTruthy();
      expect(names(STRINGS.zh[key])).toEqual(names(STRINGS.en[key]));
    }
    expect(translator('zh')('lesionSlices', { first: 3, last: 9, best: 5 })).toBe('第 3–9 层，最佳第 5 层');
  });

  test('every term kind of the contract has a label in both languages, size words included', () => {
    const kinds = (TermKind.anyOf as Array<{ const: string }>).map((k) => k.const);
    expect(kinds).toContain('size-word');
    for (const k of kinds) expect(Object.keys(STRINGS.en)).toContain(`kind.${k}`);
    expect(translator('en')('kind.size-word')).toBe('size (in words)');
    expect(translator('zh')('kind.size-word')).toBe('大小（描述词）');
  });
});

describe('progress', () => {
  test('phases fill the bar in order and it never moves back', () => {
    let p = advance(START_PROGRESS, { phase: 'fetch', done: 50, total: 100 });
    expect(p.fraction).toBeCloseTo(0.2);
    p = advance(p, { phase: 'decode' });
    expect(p.fraction).toBeCloseTo(0.4);
    p = advance(p, { phase: 'score', done: 1, total: 2 });
    expect(p.fraction).toBeCloseTo(0.925);
    p = advance(p, { phase: 'fetch', done: 1, total: 100 });
    expect(p.fraction).toBeCloseTo(0.925);
    expect(p.phase).toBe('fetch');
  });
});

describe('errors', () => {
  test('client errors map to what the user can act on', () => {
    expect(problemFromError(new ClientError(0, CLIENT_CODES.unreachable, 'x'))).toEqual({ kind: 'unreachable' });
    expect(problemFromError(new ClientError(0, CLIENT_CODES.aborted, 'x'))).toBeUndefined();
    expect(problemFromError(new ClientError(404, 'http_404', 'x'))).toEqual({ kind: 'unreachable' });
    expect(problemFromError(new ClientError(404, 'series_not_found', 'gone'))).toEqual({ kind: 'failed', vars: { code: 'series_not_found' } });
    expect(problemFromError(new ClientError(401, 'unauthorized', 'x'))).toEqual({ kind: 'auth' });
    expect(problemFromError(new ClientError(415, 'UNSUPPORTED_TRANSFER_SYNTAX', 'JPEG 2000'))?.kind).toBe('seriesUnsupported');
    expect(problemFromError(new ClientError(413, 'SERIES_TOO_LARGE', 'over 2 GB'))).toEqual({ kind: 'seriesUnsupported', vars: { detail: 'over 2 GB' } });
    expect(problemFromError(new ClientError(400, 'query_empty', 'nothing to find'))).toEqual({ kind: 'badQuery', vars: { detail: 'nothing to find' } });
    expect(problemFromError(new ClientError(400, 'invalid_request', 'body/series/sopInstanceUIDs must NOT have more than 5000 items'))?.kind).toBe(
      'seriesUnsupported',
    );
    expect(problemFromError(new ClientError(400, 'invalid_request', 'body/query must NOT have more than 2000 characters'))?.kind).toBe('queryTooLong');
    expect(problemFromError(new ClientError(400, 'too_long', 'The description is longer than 2000 characters'))?.kind).toBe('queryTooLong');
    expect(problemFromError(new Error('boom'))?.kind).toBe('failed');
  });

  test('notices name unsupported terms as typed', () => {
    const q = parsedQuery('nodule with halo', [{ id: 'f0.sign', word: 'halo', kind: 'sign', value: 'halo' }]);
    const r = rerankAnswer(q, [[lesion(0, 1, 3)]], { unsupported: [{ finding: 0, terms: ['f0.sign'], reason: 'no halo model' }] });
    expect(noticesFor(r, (id) => termText(q, id))).toEqual([{ kind: 'findingUnsupported', vars: { terms: 'halo' } }]);
  });

  test('a caveat of the series is said once, in the panel language', () => {
    const q = parsedQuery('subcarinal lymphadenopathy', [{ id: 'f0.type', word: 'lymphadenopathy', kind: 'type', value: 'lymph node' }]);
    const caveat = { finding: 0, code: 'unenhanced-nodes' as const, reason: 'no contrast' };
    const r = rerankAnswer(q, [[lesion(0, 1, 3)]], { caveats: [caveat, caveat] });
    expect(noticesFor(r, (id) => termText(q, id))).toEqual([{ kind: 'unenhancedNodes' }]);
    expect(noticesFor({ ...r, caveats: [] }, (id) => termText(q, id))).toEqual([]);
    expect(translator('en')(PROBLEM_STRING.unenhancedNodes)).toMatch(/no intravenous contrast/);
    expect(translator('zh')(PROBLEM_STRING.unenhancedNodes)).toMatch(/对比剂/);
    expect(noticesFor({ ...r, caveats: [caveat, { ...caveat, code: 'unenhanced-hilum' }] }, (id) => termText(q, id)).map((n) => n.kind)).toEqual(['unenhancedNodes', 'unenhancedHilum']);
    expect(translator('en')(PROBLEM_STRING.unenhancedHilum)).toMatch(/hilum/);
    expect(noticesFor({ ...r, caveats: [{ ...caveat, code: 'low-dose' }] }, (id) => termText(q, id))).toEqual([{ kind: 'lowDose' }]);
    expect(translator('en')(PROBLEM_STRING.lowDose)).toMatch(/low-dose/);
    expect(translator('zh')(PROBLEM_STRING.lowDose)).toMatch(/低剂量/);
    expect(noticesFor({ ...r, caveats: [{ ...caveat, code: 'small-lesion' }] }, (id) => termText(q, id))).toEqual([{ kind: 'smallLesion' }]);
    expect(translator('en')(PROBLEM_STRING.smallLesion)).toMatch(/under about 8 mm/);
    expect(translator('zh')(PROBLEM_STRING.smallLesion)).toMatch(/8 mm 的结节/);
    expect(noticesFor({ ...r, caveats: [{ ...caveat, code: 'emphysema-extent' }] }, (id) => termText(q, id))).toEqual([{ kind: 'emphysemaExtent' }]);
    expect(noticesFor({ ...r, caveats: [{ ...caveat, code: 'brief-description' }] }, (id) => termText(q, id))).toEqual([{ kind: 'briefDescription' }]);
    expect(translator('en')(PROBLEM_STRING.briefDescription)).toMatch(/says too little/);
    expect(translator('zh')(PROBLEM_STRING.briefDescription)).toMatch(/侧别、肺叶/);
    expect(translator('en')(PROBLEM_STRING.emphysemaExtent)).toMatch(/-950 HU/);
    expect(translator('zh')(PROBLEM_STRING.emphysemaExtent)).toMatch(/肺气肿/);
  });

  test('files of the series left out are said, with the count and the reasons', () => {
    const q = parsedQuery('nodule', [{ id: 'f0.type', word: 'nodule', kind: 'type', value: 'nodule' }]);
    const r = rerankAnswer(q, [[lesion(0, 1, 3)]], { skipped: { count: 1, reasons: [{ reason: 'pixel_data_truncated', count: 1 }] } });
    expect(noticesFor({ ...r, slices: 11 }, (id) => id)).toEqual([{ kind: 'slicesSkipped', vars: { count: 1, slices: 11, reasons: 'pixel data truncated' } }]);
    expect(translator('en')('err.slicesSkipped', { count: 1, slices: 11, reasons: 'pixel data truncated' })).toBe(
      'Searched 11 slices; 1 file(s) of this series could not be used (pixel data truncated).',
    );
    expect(noticesFor({ ...r, skipped: { count: 0, reasons: [] } }, (id) => id)).toEqual([]);
  });
});

describe('reading an answer', () => {
  const q = parsedQuery('8 mm nodule, right upper lobe', [
    { id: 'f0.size', word: '8 mm', kind: 'size', value: '8' },
    { id: 'f0.type', word: 'nodule', kind: 'type', value: 'nodule' },
    { id: 'f0.lobe', word: 'right upper lobe', kind: 'lobe', value: 'RUL' },
  ]);

  test('lesions of every group in one list, keyed per finding (one lesion may answer two findings)', () => {
    const two = parsedQuery('nodule. mass', [[{ id: 'f0.type', word: 'nodule', kind: 'type', value: 'nodule' }], [{ id: 'f1.type', word: 'mass', kind: 'type', value: 'mass' }]]);
    const refs = flattenLesions(rerankAnswer(two, [[lesion(4, 1, 3), lesion(5, 6, 8)], [lesion(4, 1, 3)]]));
    expect(refs.map((r) => [r.key, r.group, r.rank])).toEqual([
      ['0:4', 0, 0],
      ['0:5', 0, 1],
      ['1:4', 1, 0],
    ]);
  });

  test('labels and mismatches in the panel’s language; a lobe estimated from position, a station, a mass', () => {
    const en = translator('en');
    const zh = translator('zh');
    const l = lesion(0, 1, 3, { kind: 'mass', sizeMm: { long: 31.4, short: 8.25 }, lobe: undefined, side: 'right', zone: 'middle', station: '4R', confident: false });
    expect(lesionLabel(en, l)).toBe('Mass 31 × 8.3 mm, right lung, middle zone, station 4R (not confident)');
    expect(lesionLabel(zh, l)).toBe('肿块 31 × 8.3 mm，右肺中野，4R 组（不可信）');
    expect(mismatchText(en, q, { term: 'f0.lobe', stated: 'RUL', measured: 'RLL (estimated from position)' })).toBe(
      'lobe: right upper lobe asked, right lower lobe (estimated from position) measured',
    );
    expect(mismatchText(zh, q, { term: 'f0.size', stated: '8', measured: '29 mm' })).toBe('大小：描述 8 mm，测得 29 mm');
    expect(lesionLabel(en, lesion(1, 1, 3, { kind: 'lymph node' }))).toBe('Lymph node 27 × 21 mm, left lower lobe');
  });

  test('only absences, and nothing understood, are told apart from findings the model cannot judge', () => {
    const neg = parsedQuery('No nodule in the left lung', [
      { id: 'f0.negation', word: 'No', kind: 'negation', value: 'no' },
      { id: 'f0.type', word: 'nodule', kind: 'type', value: 'nodule', negated: true },
    ]);
    expect(isNegatedOnly(neg.findings[0])).toBe(true);
    expect(queryProblem(neg)).toEqual({ kind: 'negatedOnly', vars: { text: 'No nodule in the left lung' } });
    const withCalc = parsedQuery('nodule without calcification', [
      { id: 'f0.type', word: 'nodule', kind: 'type', value: 'nodule' },
      { id: 'f0.negation', word: 'without', kind: 'negation', value: 'no' },
      { id: 'f0.type2', word: 'calcification', kind: 'type', value: 'calcification', negated: true },
    ]);
    expect(queryProblem(withCalc)).toBeUndefined();
    expect(queryProblem(parsedQuery('blah', [], ['blah']))).toEqual({ kind: 'notUnderstood', vars: { words: '“blah”' } });
    expect(queryProblem(q)).toBeUndefined();
  });
});

describe('query segments', () => {
  test('terms win over unknown spans, the text is kept whole', () => {
    const q = parsedQuery('左肺结节 xyz', [{ id: 'a', word: '左肺', kind: 'side', value: 'left' }], ['xyz']);
    q.unknown.push({ start: 0, end: 4 });
    const segs = segmentQuery(q);
    expect(segs.map((s) => s.text).join('')).toBe(q.text);
    expect(segs.map((s) => [s.text, s.term?.id ?? (s.unknown ? '?' : '')])).toEqual([
      ['左肺', 'a'],
      ['结节', '?'],
      [' ', ''],
      ['xyz', '?'],
    ]);
  });
});

describe('thumbnail', () => {
  test('HU through the lung window, letterboxed', () => {
    // 2 rows × 4 columns, stored values with slope 1 / intercept -1024.
    const hu = [-1350, -600, 150, 400, -1024, -1024, -1024, -1024];
    const image = { rows: 2, columns: 4, slope: 1, intercept: -1024, getPixelData: () => hu.map((v) => v + 1024) };
    const px = thumbnailPixels(image, 4);
    const grey = (x: number, y: number) => px[(y * 4 + x) * 4];
    expect(grey(0, 0)).toBe(0); // letterbox row (image is 2 rows tall in a 4×4 square)
    expect(grey(0, 1)).toBe(0); // -1350 HU, below the window
    expect(grey(1, 1)).toBe(128); // -600 HU, the centre
    expect(grey(3, 1)).toBe(255); // 400 HU, above
    expect(px[3]).toBe(255);
    // Pre-scaled pixel data is HU already: slope/intercept are not applied twice.
    const scaled = { ...image, preScale: { scaled: true }, getPixelData: () => hu };
    expect(thumbnailPixels(scaled, 4)[(1 * 4 + 1) * 4]).toBe(128);
  });
});

describe('thumbnail crop and heat overlay', () => {
  test('a crop is a square around the lesion, 2.5× its larger side (at least 48 px), kept inside the image', () => {
    expect(cropAround({ x: 100, y: 200, w: 20, h: 10 }, { rows: 512, columns: 512 })).toEqual({ x: 85, y: 180, w: 50, h: 50 });
    expect(cropAround({ x: 500, y: 0, w: 10, h: 10 }, { rows: 512, columns: 512 })).toEqual({ x: 464, y: 0, w: 48, h: 48 });
    expect(cropAround({ x: 0, y: 0, w: 400, h: 400 }, { rows: 512, columns: 512 }).w).toBe(512);
  });

  test('a cropped preview shows that part of the image only', () => {
    // 4×4 image: the right half bright (400 HU), the left half dark (-1350 HU).
    const hu = Array.from({ length: 16 }, (_, i) => (i % 4 >= 2 ? 400 : -1350));
    const image = { rows: 4, columns: 4, slope: 1, intercept: 0, getPixelData: () => hu };
    const px = thumbnailPixels(image, 2, undefined, { x: 2, y: 0, w: 2, h: 2 });
    expect([px[0], px[4], px[8], px[12]]).toEqual([255, 255, 255, 255]);
  });

  test('the heat overlay paints an ellipse in the box; hot colours for likely lesions, cool for unlikely', () => {
    const data = new Uint8Array(10 * 10);
    const painted = paintEllipse(data, 10, 10, { x: 2, y: 2, w: 6, h: 4 }, 3);
    expect(painted).toBeGreaterThan(12);
    expect(data[4 * 10 + 5]).toBe(3); // centre
    expect(data[2 * 10 + 2]).toBe(0); // corner of the box, outside the ellipse
    expect(data[0]).toBe(0);
    expect(heatColour(0.9)[0]).toBe(255);
    expect(heatColour(0.05)[2]).toBeGreaterThan(200);
  });
});
