/**
 * The whole path in a real browser: the prebuilt OHIF 3.13.2 viewer in Debian's Chromium, the
 * built extension bundle, the real backend (`server/main.ts` as its own process) and, in PACS
 * mode, a real Orthanc. Every process a test starts is stopped by its PID when the test ends.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { SAMPLE_DICOM_DIR } from '../../server/series/sample';
import { launchBrowser, type BrowserHandle } from '../support/browser';
import { freePort, startOrthanc, type OrthancHandle } from '../support/orthanc';
import { describeWithSystem } from '../support/system';
import {
  REPO_ROOT,
  SCREENSHOT_DIR,
  ensureArtifacts,
  extensionDrawings,
  groundTruth,
  openPanel,
  openViewer,
  queries,
  startServer,
  viewportState,
  waitForIndex,
  type RerankBody,
  type ServerProcess,
} from './harness';

jest.setTimeout(120_000);

const gt = groundTruth();
const lesion = gt.lesions[0];
const lesionSops = new Set(lesion.sop_instance_uids);
const query = (id: string): string => {
  const q = queries().find((c) => c.id === id);
  if (!q) throw new Error(`no query ${id} in queries.json`);
  return q.text;
};

/** The same request the panel makes, sent by the test itself: the ranking to compare the viewer with. */
async function expectedRanking(page: Page, server: ServerProcess, text: string): Promise<RerankBody> {
  const sops = await page.evaluate(() => {
    type VP = { getImageIds(): string[] };
    const w = window as unknown as {
      services: { viewportGridService: { getActiveViewportId(): string }; cornerstoneViewportService: { getCornerstoneViewport(id: string): VP } };
      cornerstone: { metaData: { get(t: string, id: string): { SOPInstanceUID: string } } };
    };
    const vp = w.services.cornerstoneViewportService.getCornerstoneViewport(w.services.viewportGridService.getActiveViewportId());
    return vp.getImageIds().map((id) => w.cornerstone.metaData.get('instance', id).SOPInstanceUID);
  });
  const res = await fetch(`${server.origin}/api/v1/rerank`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: text,
      preset: 'report-match',
      topK: 10,
      series: {
        source: 'dicomweb',
        wadoRoot: `${server.origin}/dicom-web`,
        studyInstanceUID: gt.study_instance_uid,
        seriesInstanceUID: gt.series_instance_uid,
        sopInstanceUIDs: sops,
      },
    }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as RerankBody;
}

/** Type the description, press Find, wait for the result list. */
async function search(page: Page, text: string, labels = { query: 'Describe the finding', find: 'Find' }): Promise<void> {
  await page.getByLabel(labels.query).fill(text);
  await page.getByRole('button', { name: labels.find, exact: true }).click();
  await page.locator('[role="listbox"] [role="option"]').first().waitFor({ timeout: 60_000 });
}

/** The viewer jumped to the top result, that slice is the lesion's, and the extension outlined it. */
async function expectJumpToLesion(page: Page, server: ServerProcess, text: string): Promise<RerankBody> {
  const expected = await expectedRanking(page, server, text);
  const top = expected.results[0];
  expect(top).toBeDefined();
  const state = await waitForIndex(page, top.index);
  expect(state.sopInstanceUID).toBe(top.sopInstanceUID);
  expect(lesionSops.has(state.sopInstanceUID ?? '')).toBe(true);
  // The panel's selected entry is that slice.
  const selected = page.locator('[role="option"][aria-selected="true"]');
  await expect(selected.getAttribute('data-index')).resolves.toBe(String(top.index));
  // Something of the extension is drawn on it.
  await page.waitForFunction(
    () => document.querySelectorAll('[data-slice-finder-overlay] rect').length > 0 || ((window as unknown as { cornerstoneTools?: { annotation?: { state?: { getAllAnnotations?(): unknown[] } } } }).cornerstoneTools?.annotation?.state?.getAllAnnotations?.().length ?? 0) > 0,
    undefined,
    { timeout: 10_000 },
  );
  const drawn = await extensionDrawings(page);
  expect(drawn.overlayBoxes + drawn.annotations).toBeGreaterThan(0);
  return expected;
}

async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, name);
  await page.screenshot({ path: file });
  return file;
}

describeWithSystem(['chromium'])('viewer end to end: embedded mode (npm start on the bundled study)', () => {
  let server: ServerProcess | undefined;
  let browser: BrowserHandle | undefined;

  beforeAll(async () => {
    await ensureArtifacts();
    server = await startServer(['--port', '0']);
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    await browser?.close();
    browser = undefined;
  });

  it('finds the nodule from an English description: jumps to the top slice, outlines it', async () => {
    browser = await launchBrowser();
    const { page } = browser;
    await openViewer(page, server!.openUrl, gt.slices);
    await openPanel(page);
    const text = query('en-1');
    await search(page, text);
    await expectJumpToLesion(page, server!, text);
    // The recognised words are highlighted in the reading of the query.
    await expect(page.getByTestId('sf-reading').textContent()).resolves.toContain('nodule');
    const shot = await screenshot(page, 'embedded-english.png');
    if (process.env.SLICE_FINDER_UPDATE_SCREENSHOT === '1') {
      await mkdir(path.join(REPO_ROOT, 'docs'), { recursive: true });
      await copyFile(shot, path.join(REPO_ROOT, 'docs', 'screenshot.png'));
    }
  });

  it('speaks Chinese with a Chinese viewer: finds the nodule and steps to the next result with the keyboard', async () => {
    browser = await launchBrowser({ locale: 'zh-CN' });
    const { page } = browser;
    await openViewer(page, `${server!.openUrl}&lng=zh`, gt.slices);
    await openPanel(page);
    const text = query('zh-1');
    await search(page, text, { query: '描述所见', find: '查找' });
    const expected = await expectJumpToLesion(page, server!, text);
    expect(expected.results.length).toBeGreaterThan(1);

    // Keyboard only: focus the result list, arrow down selects and jumps to the second result.
    await page.getByRole('listbox').focus();
    await page.keyboard.press('ArrowDown');
    const second = expected.results[1];
    const state = await waitForIndex(page, second.index);
    expect(state.sopInstanceUID).toBe(second.sopInstanceUID);
    await expect(page.locator('[role="option"][aria-selected="true"]').getAttribute('data-index')).resolves.toBe(String(second.index));
    await page.keyboard.press('ArrowUp');
    await waitForIndex(page, expected.results[0].index);
    await screenshot(page, 'embedded-chinese.png');
  });
});

describeWithSystem(['chromium', 'orthanc', 'orthancDicomWeb'])('viewer end to end: PACS mode (a real Orthanc)', () => {
  let orthanc: OrthancHandle | undefined;
  let server: ServerProcess | undefined;
  let browser: BrowserHandle | undefined;

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await orthanc?.stop();
  });

  it('reads the study from Orthanc in the viewer and in the backend, and finds the nodule', async () => {
    await ensureArtifacts();
    orthanc = await startOrthanc();
    expect(await orthanc.uploadDir(SAMPLE_DICOM_DIR)).toBe(gt.slices);
    server = await startServer(['--port', '0', '--pacs', orthanc.wadoRoot]);
    expect(server.output()).toContain('the PACS at');
    browser = await launchBrowser();
    const { page } = browser;
    // Served by Orthanc: the server has no folder of its own in this mode.
    await openViewer(page, `${server.origin}/viewer?StudyInstanceUIDs=${gt.study_instance_uid}`, gt.slices);
    await openPanel(page);
    const text = query('en-2');
    await search(page, text);
    await expectJumpToLesion(page, server, text);
    await screenshot(page, 'orthanc.png');
  });
});

describeWithSystem(['chromium'])('viewer end to end: backend stopped', () => {
  let viewer: ServerProcess | undefined;
  let backend: ServerProcess | undefined;
  let browser: BrowserHandle | undefined;

  afterAll(async () => {
    await browser?.close();
    await backend?.stop();
    await viewer?.stop();
  });

  it('shows the unreachable message and the viewer keeps working', async () => {
    await ensureArtifacts();
    const [viewerPort, backendPort] = [await freePort(), await freePort()];
    const backendUrl = `http://127.0.0.1:${backendPort}`;
    backend = await startServer(['--port', String(backendPort), '--cors-origin', `http://127.0.0.1:${viewerPort}`]);
    viewer = await startServer(['--port', String(viewerPort), '--panel-backend', backendUrl]);
    expect((await fetch(`${backendUrl}/healthz`)).status).toBe(200);

    browser = await launchBrowser();
    const { page } = browser;
    await openViewer(page, viewer.openUrl, gt.slices);
    await openPanel(page);
    await backend.stop(); // the backend goes away while the viewer is open
    await expect(fetch(`${backendUrl}/healthz`)).rejects.toThrow();

    await page.getByLabel('Describe the finding').fill(query('en-1'));
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    const alert = page.locator('[data-problem="unreachable"]');
    await alert.waitFor({ timeout: 30_000 });
    await expect(alert.textContent()).resolves.toContain('cannot be reached');

    // The viewer still scrolls and draws: wheel over the viewport moves the image index.
    const before = await viewportState(page);
    const box = await page.locator('.cornerstone-canvas, [data-viewport-uid] canvas').first().boundingBox();
    expect(box).not.toBeNull();
    await page.mouse.move(box!.x + box!.width / 2, box!.y + box!.height / 2);
    for (let i = 0; i < 5; i++) await page.mouse.wheel(0, 120);
    const deadline = Date.now() + 10_000;
    let after = await viewportState(page);
    while (after?.index === before?.index && Date.now() < deadline) {
      await page.waitForTimeout(200);
      after = await viewportState(page);
    }
    expect(after?.index).not.toBe(before?.index);
    expect(browser.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
    await screenshot(page, 'backend-stopped.png');
  });
});
