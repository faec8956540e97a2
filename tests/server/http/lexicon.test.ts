/** A hospital's own vocabulary, configured at start, is what the rerank route parses with. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../server/config';
import { indexFolder, type FolderIndex } from '../../../server/dicomweb/folder-index';
import { buildApp } from '../../../server/http/app';
import type { RerankResponse } from '../../../server/rerank/response';
import { SAMPLE_DICOM_DIR } from '../../../server/series/sample';
import { http, listen, testConfig } from './helpers';

const dir = mkdtempSync(path.join(tmpdir(), 'sf-lexicon-'));
const goodFile = path.join(dir, 'house.json');
const badFile = path.join(dir, 'bad.json');
writeFileSync(goodFile, JSON.stringify([{ kind: 'type', value: 'nodule', phrases: ['Rundherd'] }]));
writeFileSync(badFile, JSON.stringify([{ kind: 'type', value: 'tumour', phrases: ['x'] }]));

let index: FolderIndex;
beforeAll(async () => {
  index = await indexFolder(SAMPLE_DICOM_DIR);
});

it('reads --lexicon and SLICE_FINDER_LEXICON', () => {
  expect(loadConfig(['--lexicon', goodFile], {}).lexiconFile).toBe(goodFile);
  expect(loadConfig([], { SLICE_FINDER_LEXICON: goodFile }).lexiconFile).toBe(goodFile);
});

it('parses with the house rows: "Rundherd" (German house usage) is a nodule', async () => {
  const app = await buildApp(testConfig((c) => (c.lexiconFile = goodFile)), { folderIndex: index });
  try {
    const origin = await listen(app);
    const series = { source: 'local', seriesInstanceUID: index.studies[0].series[0].seriesInstanceUID };
    const res = await http(origin, {
      method: 'POST',
      url: '/api/v1/rerank',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ query: 'Rundherd left lung', series }),
    });
    expect(res.statusCode).toBe(200);
    const body = res.json() as RerankResponse;
    expect(body.query.unknown).toEqual([]);
    expect(body.query.findings[0]).toMatchObject({ type: 'nodule', anatomy: { side: 'left' } });
  } finally {
    await app.close();
  }
}, 60_000);

it('refuses to start with a lexicon file that breaks the vocabulary, naming the file', async () => {
  await expect(buildApp(testConfig((c) => (c.lexiconFile = badFile)), { folderIndex: index })).rejects.toThrow(/bad\.json: lexicon extension row 0: type "tumour"/);
});
