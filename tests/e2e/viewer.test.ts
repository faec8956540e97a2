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
  configurePanel,
  currentImageId,
  ensureArtifacts,
  groundTruth,
  measurementLabels,
  metric,
  openPanel,
  openViewer,
  ourOutlines,
  queries,
  segmentationIds,
  startServer,
  viewportState,
  waitForIndex,
  type RerankBody,
  type ServerProcess,
} from './harness';

jest.setTimeout(180_000);

const gt = groundTruth();
const lesion = gt.lesions[0];
const lesionSops = new Set(lesion.sop_instance_uids);
const query = (id: string): string => {
  const q = queries().find((c) => c.id === id);
  if (!q) throw new Error(`no query ${id} in queries.json`);
  return q.text;
};
const REPORT_EN = 'spiculated solid nodule in the left lung. ground-glass nodule in the right upper lobe';
const REPORT_ZH = '左肺实性结节伴毛刺。右肺上叶磨玻璃结节';

const EN = { query: 'Describe the finding', find: 'Find' };
const ZH = { query: '描述所见', find: '查找' };

/**
 * Type the description, press Find, wait for the list; returns the answer the panel got (its request sent
 * again to the JSON route: the series is cached, so the answer is the same; the stream's own body is gone
 * once the client has read its result line).
 */
async function search(page: Page, server: ServerProcess, text: string, labels = EN): Promise<RerankBody> {
  await page.getByLabel(labels.query).fill(text);
  const request = page.waitForRequest((r) => r.method() === 'POST' && /\/api\/v1\/rerank\/stream$/.test(r.url()), { timeout: 30_000 });
  await page.getByRole('button', { name: labels.find, exact: true }).click();
  const body = (await request).postData() ?? '';
  await page.locator('[role="listbox"] [role="option"]').first().waitFor({ timeout: 90_000 });
  const res = await fetch(`${server.origin}/api/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  expect(res.status).toBe(200);
  return (await res.json()) as RerankBody;
}

/** The selected row is lesion `n` of the flat list; the viewport shows its best slice, outlined by us there. */
async function expectShown(page: Page, answer: RerankBody, n: number): Promise<{ label: string; index: number }> {
  const lesions = answer.findings.flatMap((g) => g.lesions);
  const l = lesions[n];
  const state = await waitForIndex(page, l.slices.best);
  await expect(page.locator('[role="option"][aria-selected="true"]').getAttribute('id')).resolves.toBe(`sf-lesion-${n}`);
  const imageId = await currentImageId(page);
  await page.waitForFunction(
    (id) =>
      (window as unknown as { cornerstoneTools: { annotation: { state: { getAllAnnotations(): Array<{ data?: { sliceFinder?: unknown }; metadata?: { referencedImageId?: string } }> } } } }).cornerstoneTools.annotation.state
        .getAllAnnotations()
        .some((a) => a.data?.sliceFinder && a.metadata?.referencedImageId === id),
    imageId,
    { timeout: 10_000 },
  );
  const outline = (await ourOutlines(page)).find((o) => o.imageId === imageId);
  expect(outline?.label).toBeTruthy();
  return { label: outline!.label, index: state.index };
}

/** The first lesion of the first finding is the readers' nodule, over at least 5 slices, and is shown first. */
async function expectNoduleFirst(page: Page, answer: RerankBody): Promise<string> {
  const [first] = answer.findings[0].lesions;
  expect(first.confident).toBe(true);
  expect(first.slices.last - first.slices.first).toBeGreaterThanOrEqual(4);
  const { label } = await expectShown(page, answer, 0);
  expect(lesionSops.has((await viewportState(page))?.sopInstanceUID ?? '')).toBe(true);
  return label;
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

  it('a two-finding report: Cancel stops the cold search; then two sections, the nodule outlined and listed in the Measurements panel, rows, hotkeys on the viewport, heat overlay, Clear', async () => {
    browser = await launchBrowser();
    const { page } = browser;
    // No warm-up when the series opens, so that the first search does the cold load itself.
    await configurePanel(page, { prepareOnSeriesChange: false });
    await openViewer(page, server!.openUrl, gt.slices);
    await openPanel(page);

    // Cancel a cold search: the panel stops, and so does the server's load made for it.
    await page.getByLabel(EN.query).fill(REPORT_EN);
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    await page.getByRole('progressbar').waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Cancel', exact: true }).click();
    await page.locator('[data-problem="cancelled"]').waitFor({ timeout: 10_000 });
    await expect(page.getByRole('progressbar').count()).resolves.toBe(0);
    await page.waitForTimeout(2000);
    expect(await metric(server!.origin, 'slicefinder_cache_entries')).toBe(0);

    // The same report again: answered per finding (a new load, not a join of the cancelled one nor a cached one).
    const answer = await search(page, server!, REPORT_EN);
    expect(await metric(server!.origin, 'slicefinder_cache_requests_total{result="miss"}')).toBe(1);
    expect(await metric(server!.origin, 'slicefinder_cache_requests_total{result="joined"}')).toBe(0);
    expect(answer.findings.map((g) => g.finding)).toEqual([0, 1]);
    const sections = page.locator('[role="listbox"] [role="group"]');
    await expect(sections.count()).resolves.toBe(2);
    await expect(sections.nth(0).getAttribute('aria-label')).resolves.toBe('Finding 1: spiculated solid nodule in the left lung');
    await expect(sections.nth(1).getAttribute('aria-label')).resolves.toBe('Finding 2: ground-glass nodule in the right upper lobe');
    const label = await expectNoduleFirst(page, answer);
    expect(label).toMatch(/^Nodule \d+ × \d+ mm, left /);
    await expect(page.getByTestId('sf-reading').textContent()).resolves.toContain('nodule');

    // OHIF lists the outline in its Measurements panel under the panel's label.
    expect(await measurementLabels(page)).toContain(label);
    await page.evaluate(() =>
      (window as unknown as { services: { panelService: { activatePanel(id: string, f: boolean): void } } }).services.panelService.activatePanel(
        '@ohif/extension-measurement-tracking.panelModule.trackedMeasurements',
        true,
      ),
    );
    await page.getByText(label, { exact: true }).first().waitFor({ timeout: 10_000 });
    await screenshot(page, 'embedded-measurements.png');
    await openPanel(page);

    // Clicking another lesion row jumps to its best slice and outlines it there.
    await page.locator('#sf-lesion-1').click();
    await expectShown(page, answer, 1);

    // A hotkey pressed with focus on the viewport steps to the next lesion.
    const canvas = page.locator('.cornerstone-canvas').first();
    await canvas.click({ position: { x: 40, y: 40 } });
    await page.keyboard.press('Alt+ArrowDown');
    await expectShown(page, answer, 2);

    // The heat overlay toggles as a labelmap segmentation.
    await page.getByLabel('Heat overlay').check();
    await page.waitForFunction(
      () => (window as unknown as { services: { segmentationService: { getSegmentations(): Array<{ segmentationId: string }> } } }).services.segmentationService.getSegmentations().some((s) => s.segmentationId.startsWith('slice-finder-heat')),
      undefined,
      { timeout: 20_000 },
    );
    const shot = await screenshot(page, 'embedded-english.png');
    await page.getByLabel('Heat overlay').uncheck();
    await page.waitForFunction(
      () => !(window as unknown as { services: { segmentationService: { getSegmentations(): Array<{ segmentationId: string }> } } }).services.segmentationService.getSegmentations().some((s) => s.segmentationId.startsWith('slice-finder-heat')),
      undefined,
      { timeout: 10_000 },
    );
    expect(await segmentationIds(page)).toEqual([]);

    // Clear highlights removes what the extension drew and keeps the list.
    await page.getByRole('button', { name: 'Clear highlights' }).click();
    await page.waitForFunction(() => !(window as unknown as { cornerstoneTools: { annotation: { state: { getAllAnnotations(): Array<{ data?: { sliceFinder?: unknown } }> } } } }).cornerstoneTools.annotation.state.getAllAnnotations().some((a) => a.data?.sliceFinder));
    await expect(page.locator('[role="listbox"] [role="option"]').count()).resolves.toBe(answer.findings.flatMap((g) => g.lesions).length);
    expect(browser.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
    if (process.env.SLICE_FINDER_UPDATE_SCREENSHOT === '1') {
      await mkdir(path.join(REPO_ROOT, 'docs'), { recursive: true });
      await copyFile(shot, path.join(REPO_ROOT, 'docs', 'screenshot.png'));
    }
  });

  it('speaks Chinese at 1024 px: a Chinese label on the image, the keyboard steps, nothing cut off', async () => {
    browser = await launchBrowser({ locale: 'zh-CN', width: 1024, height: 800 });
    const { page } = browser;
    await openViewer(page, `${server!.openUrl}&lng=zh`, gt.slices);
    await openPanel(page);
    const answer = await search(page, server!, REPORT_ZH, ZH);
    const sections = page.locator('[role="listbox"] [role="group"]');
    await expect(sections.nth(0).getAttribute('aria-label')).resolves.toBe('所见 1：左肺实性结节伴毛刺');
    const label = await expectNoduleFirst(page, answer);
    expect(label).toMatch(/^结节 \d+ × \d+ mm，左/);
    // The label is the first line of the outline's text on the image (cornerstone's SVG layer).
    await page.waitForFunction((l) => [...document.querySelectorAll('svg text')].some((t) => (t.textContent ?? '').startsWith(l)), label, { timeout: 10_000 });
    // At 1024 px the panel wraps instead of cutting its rows off.
    const overflow = await page.locator('section.sf-panel').evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow).toBeLessThanOrEqual(1);

    // Keyboard only: the list's arrows step to the next lesion and back.
    await page.getByRole('listbox').focus();
    await page.keyboard.press('ArrowDown');
    await expectShown(page, answer, 1);
    await page.keyboard.press('ArrowUp');
    await expectShown(page, answer, 0);
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
    const answer = await search(page, server, query('en-2'));
    await expectNoduleFirst(page, answer);
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
