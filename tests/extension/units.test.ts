/** The pure pieces of the extension: configuration, language choice, progress, query segments, thumbnails, boxes. */
import { resolveConfig, DEFAULT_CONFIG } from '../../extension/src/config';
import { advance, START_PROGRESS } from '../../extension/src/controller/progress';
import { problemFromError, noticesFor } from '../../extension/src/controller/problems';
import { detectLanguage, toUiLang } from '../../extension/src/i18n/language';
import { STRINGS, translator } from '../../extension/src/i18n/strings';
import { segmentQuery } from '../../extension/src/panel/QueryReading';
import { configurationOf } from '../../extension/src/runtime';
import { regionToCanvasBox } from '../../extension/src/viewer/boxOverlay';
import { thumbnailPixels } from '../../extension/src/viewer/thumbnail';
import { ClientError, CLIENT_CODES } from '../../server/http/client';
import { parsedQuery, region, rerankResponse } from './support/responses';

describe('configuration', () => {
  test('defaults: same-origin backend, report-match, top 10', () => {
    expect(resolveConfig(undefined)).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG).toMatchObject({ backendUrl: '', defaultPreset: 'report-match', topK: 10 });
  });

  test('values are clamped and wrong types fall back instead of breaking the viewer', () => {
    const c = resolveConfig({ backendUrl: 'https://sf.example/', topK: 500, minScore: -1, drawMode: 'laser', language: 'fr', model: 7 });
    expect(c.backendUrl).toBe('https://sf.example');
    expect(c.topK).toBe(100);
    expect(c.minScore).toBe(0);
    expect(c.drawMode).toBe('overlay');
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
    expect(translator('zh')('slice', { n: 3, total: 9 })).toBe('第 3 层，共 9 层');
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
    expect(problemFromError(new ClientError(400, 'invalid_request', 'body/query must NOT have more than 2000 characters'))?.kind).toBe('badQuery');
    expect(problemFromError(new Error('boom'))?.kind).toBe('failed');
  });

  test('notices name unsupported terms as typed', () => {
    const q = parsedQuery('nodule with halo', [{ id: 'f0.sign', word: 'halo', kind: 'sign', value: 'halo' }]);
    const r = rerankResponse(q, [{ sopInstanceUID: '1', index: 0, score: 0.9 }], {
      unsupported: [{ finding: 0, terms: ['f0.sign'], reason: 'no halo model' }],
    });
    expect(noticesFor(r)).toEqual([{ kind: 'findingUnsupported', vars: { terms: 'halo' } }]);
  });

  test('files of the series left out are said, with the count and the reasons', () => {
    const r = { ...rerankResponse(parsedQuery('nodule', []), [{ sopInstanceUID: '1.2', index: 0, score: 0.9 }]), slices: 11, skipped: { count: 1, reasons: [{ reason: 'pixel_data_truncated', count: 1 }] } };
    expect(noticesFor(r)).toEqual([{ kind: 'slicesSkipped', vars: { count: 1, slices: 11, reasons: 'pixel data truncated' } }]);
    expect(translator('en')('err.slicesSkipped', { count: 1, slices: 11, reasons: 'pixel data truncated' })).toBe(
      'Searched 11 slices; 1 file(s) of this series could not be used (pixel data truncated).',
    );
    expect(noticesFor({ ...r, skipped: { count: 0, reasons: [] } })).toEqual([]);
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

describe('overlay geometry', () => {
  test('a region maps to the canvas box covering its corners, whatever the camera', () => {
    // A viewport rotated 90° and zoomed ×2: canvas = (2·row, 2·(W − col)).
    const rotated = ([c, r]: [number, number]): [number, number] => [2 * r, 2 * (512 - c)];
    expect(regionToCanvasBox(region(100, 50, 20, 10), rotated)).toEqual({ x: 100, y: 2 * (512 - 120), w: 20, h: 40 });
    expect(regionToCanvasBox(region(0, 0, 1, 1), () => undefined)).toBeUndefined();
  });
});
