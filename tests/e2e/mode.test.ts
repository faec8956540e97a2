/**
 * The Slice Finder mode in the real prebuilt OHIF 3.13.2: its built module (mode/dist) is listed in
 * app-config `modes` by URL, so the viewer's runtime loader imports it, and its factory builds on the
 * viewer's own longitudinal mode. On the bundled CT the panel is open on the right of the stock layout;
 * on a non-CT study (12 of the same slices rewritten to Modality MR with new UIDs, made here with dcmjs)
 * it is absent, and the worklist offers the mode for the CT study only.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { SAMPLE_DICOM_DIR } from '../../server/series/sample';
import { readSlice, rewrite, set } from '../server/series/fixtures';
import { launchBrowser, type BrowserHandle } from '../support/browser';
import { describeWithSystem } from '../support/system';
import { ensureArtifacts, groundTruth, MODE_BUNDLE, openViewer, PANEL_ID, startServer, type ServerProcess } from './harness';

jest.setTimeout(240_000);

const MODE_URL = '/ext/slice-finder-mode.mjs';
const MR_IMAGES = 12;
/** The stock longitudinal mode's side panels in 3.13.2. */
const STOCK_LEFT = ['@ohif/extension-measurement-tracking.panelModule.seriesList'];
const STOCK_RIGHT = ['@ohif/extension-cornerstone.panelModule.panelSegmentation', '@ohif/extension-measurement-tracking.panelModule.trackedMeasurements'];

const gt = groundTruth();
const uid = (): string => `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;

/** Writes MR_IMAGES slices of the bundled CT as one MR series of a new study; returns its StudyInstanceUID. */
async function writeNonCtStudy(dir: string): Promise<string> {
  const study = uid();
  const series = uid();
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < MR_IMAGES; i++) {
    const sop = uid();
    const file = rewrite(readSlice(40 + i), (d) => {
      set(d.dict, '00080060', 'CS', ['MR']);
      set(d.dict, '0020000D', 'UI', [study]);
      set(d.dict, '0020000E', 'UI', [series]);
      set(d.dict, '00080018', 'UI', [sop]);
      set(d.dict, '0008103E', 'LO', ['non-CT stand-in']);
      set(d.meta, '00020003', 'UI', [sop]);
    });
    await writeFile(path.join(dir, `mr-${i}.dcm`), file);
  }
  return study;
}

/** What a site does to use the mode with a prebuilt viewer: serve the module and list it in `modes`. */
async function registerMode(page: Page): Promise<void> {
  const source = await readFile(MODE_BUNDLE, 'utf8');
  await page.route(`**${MODE_URL}`, (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: source }));
  await page.route('**/app-config.js', async (route) => {
    const res = await route.fetch();
    const body = `${await res.text()}\nwindow.config.modes = [${JSON.stringify(MODE_URL)}];\n`;
    await route.fulfill({ response: res, body });
  });
}

interface HostState {
  path: string;
  left: string[];
  right: string[];
  hotkeys: string[];
  primaryToolbar: string[];
  panelShown: boolean;
}

async function hostState(page: Page): Promise<HostState> {
  return page.evaluate(() => {
    const w = window as unknown as {
      services: {
        panelService: { getPanels(side: string): Array<{ id: string }> };
        customizationService: { getCustomization(id: string): Array<{ commandName?: string }> | undefined };
        toolbarService: { state: { buttonSections: Record<string, string[]> } };
      };
    };
    const panel = document.querySelector('section.sf-panel') as HTMLElement | null;
    return {
      path: location.pathname,
      left: w.services.panelService.getPanels('left').map((p) => p.id),
      right: w.services.panelService.getPanels('right').map((p) => p.id),
      hotkeys: (w.services.customizationService.getCustomization('ohif.hotkeyBindings') ?? []).map((h) => h.commandName ?? ''),
      primaryToolbar: w.services.toolbarService.state.buttonSections.primary ?? [],
      panelShown: !!panel && panel.offsetWidth > 0 && panel.offsetHeight > 0,
    };
  });
}

describeWithSystem(['chromium'])('viewer end to end: the Slice Finder mode, registered through the runtime loader', () => {
  let dir: string | undefined;
  let server: ServerProcess | undefined;
  let browser: BrowserHandle | undefined;
  let mrStudy = '';

  beforeAll(async () => {
    await ensureArtifacts();
    dir = await mkdtemp(path.join(os.tmpdir(), 'sf-mode-e2e-'));
    await mkdir(path.join(dir, 'ct'));
    for (const f of await readdir(SAMPLE_DICOM_DIR)) await copyFile(path.join(SAMPLE_DICOM_DIR, f), path.join(dir, 'ct', f));
    mrStudy = await writeNonCtStudy(path.join(dir, 'mr'));
    server = await startServer(['--port', '0', '--dicom-dir', dir]);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('offered for CT only; CT: the stock longitudinal layout with the panel open first on the right, its hotkeys and toolbar button; non-CT: no panel', async () => {
    browser = await launchBrowser();
    const { page } = browser;
    await registerMode(page);

    // The worklist asks each mode's isValidMode per study: Slice Finder is offered for the CT study and
    // not for the MR one (whose Basic Viewer is offered). The MR row first, from nothing selected.
    await page.goto(`${server!.origin}/`);
    const sliceFinder = page.getByRole('button', { name: 'Slice Finder', exact: true });
    const row = (modality: string) => page.locator('tr').filter({ has: page.locator('td', { hasText: new RegExp(`^${modality}$`) }) });
    await row('MR').click();
    await page.getByRole('button', { name: 'Basic Viewer', exact: true }).waitFor({ timeout: 30_000 });
    expect((await sliceFinder.count()) === 0 || (await sliceFinder.isDisabled())).toBe(true);
    await row('CT').click();
    await sliceFinder.waitFor({ timeout: 10_000 });
    await expect(sliceFinder.isEnabled()).resolves.toBe(true);
    await sliceFinder.click();
    await page.waitForURL(/\/slice-finder\?/, { timeout: 30_000 });
    expect(new URL(page.url()).searchParams.get('StudyInstanceUIDs')).toBe(gt.study_instance_uid);

    await openViewer(page, `${server!.origin}/slice-finder?StudyInstanceUIDs=${gt.study_instance_uid}`, gt.slices);
    await page.locator('section.sf-panel').waitFor({ state: 'visible', timeout: 30_000 });
    const ct = await hostState(page);
    expect(ct).toEqual({
      path: '/slice-finder',
      left: STOCK_LEFT,
      right: [PANEL_ID, ...STOCK_RIGHT],
      hotkeys: expect.arrayContaining(['sliceFinder.next', 'sliceFinder.previous']),
      primaryToolbar: expect.arrayContaining(['MeasurementTools', 'SliceFinder']),
      panelShown: true,
    });
    // The panel works as in the stock mode: its query box is there.
    await page.getByLabel('Describe the finding').waitFor({ timeout: 10_000 });

    await openViewer(page, `${server!.origin}/slice-finder?StudyInstanceUIDs=${mrStudy}`, MR_IMAGES);
    await page.waitForFunction(
      (id) => !(window as unknown as { services: { panelService: { getPanels(s: string): Array<{ id: string }> } } }).services.panelService.getPanels('right').some((p) => p.id === id),
      PANEL_ID,
      { timeout: 30_000 },
    );
    const mr = await hostState(page);
    expect(mr).toMatchObject({ path: '/slice-finder', left: STOCK_LEFT, right: STOCK_RIGHT, panelShown: false });
    await expect(page.locator('section.sf-panel').count()).resolves.toBe(0);
    expect(browser.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });
});
