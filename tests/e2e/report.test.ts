/**
 * "Save to PACS" end to end: real OHIF 3.13.2 in Debian's Chromium, the built extension, the real
 * backend in embedded mode (`server/main.ts` on the bundled study). Search, save the nodule from the
 * panel, reload the study: OHIF lists the structured report, and its SR viewport shows the
 * measurement on the nodule's best slice, as the nodule's box.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { Lesion, RerankAnswer } from '../../contract/schemas';
import { launchBrowser, type BrowserHandle } from '../support/browser';
import { describeWithSystem } from '../support/system';
import { SCREENSHOT_DIR, ensureArtifacts, groundTruth, openPanel, openViewer, queries, startServer, type ServerProcess } from './harness';

jest.setTimeout(240_000);

const gt = groundTruth();
const QUERY = queries().find((q) => q.id === 'en-1')?.text ?? 'spiculated solid nodule in the left lung';

interface SrState {
  loaded: boolean;
  measurements: Array<{ loaded: boolean; sop?: string; points: number[] }>;
  viewportSop?: string;
  annotationsOnImage: number;
}

/** The SR display set OHIF made of the saved report, and what its viewport shows. */
async function srState(page: Page, sopInstanceUID: string): Promise<SrState | null> {
  return page.evaluate((sop) => {
    type Measurement = { loaded?: boolean; ReferencedSOPInstanceUID?: string; coords?: Array<{ GraphicData?: number[]; ReferencedSOPSequence?: { ReferencedSOPInstanceUID?: string } }> };
    type DisplaySet = { Modality?: string; SOPInstanceUID?: string; displaySetInstanceUID: string; isLoaded?: boolean; measurements?: Measurement[] };
    const w = window as unknown as {
      services: {
        displaySetService: { getActiveDisplaySets(): DisplaySet[] };
        viewportGridService: { getActiveViewportId(): string };
        cornerstoneViewportService: { getCornerstoneViewport(id: string): { getCurrentImageId(): string } | undefined };
      };
      cornerstone: { metaData: { get(type: string, imageId: string): { SOPInstanceUID?: string } | undefined } };
      cornerstoneTools: { annotation: { state: { getAllAnnotations(): Array<{ metadata?: { referencedImageId?: string } }> } } };
    };
    const sr = w.services.displaySetService.getActiveDisplaySets().find((d) => d.Modality === 'SR' && d.SOPInstanceUID === sop);
    if (!sr) return null;
    let viewportSop: string | undefined;
    let imageId: string | undefined;
    try {
      imageId = w.services.cornerstoneViewportService.getCornerstoneViewport(w.services.viewportGridService.getActiveViewportId())?.getCurrentImageId();
      viewportSop = imageId ? w.cornerstone.metaData.get('instance', imageId)?.SOPInstanceUID : undefined;
    } catch {
      viewportSop = undefined;
    }
    return {
      loaded: sr.isLoaded === true,
      measurements: (sr.measurements ?? []).map((m) => ({
        loaded: m.loaded === true,
        sop: m.ReferencedSOPInstanceUID ?? m.coords?.[0]?.ReferencedSOPSequence?.ReferencedSOPInstanceUID,
        points: [...(m.coords?.[0]?.GraphicData ?? [])],
      })),
      viewportSop,
      annotationsOnImage: imageId ? w.cornerstoneTools.annotation.state.getAllAnnotations().filter((a) => a.metadata?.referencedImageId === imageId).length : 0,
    };
  }, sopInstanceUID);
}

describeWithSystem(['chromium'])('saving to the PACS from the panel (embedded mode)', () => {
  let server: ServerProcess | undefined;
  let browser: BrowserHandle | undefined;

  beforeAll(async () => {
    await ensureArtifacts();
    server = await startServer(['--port', '0']);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('saves the nodule from the panel; after a reload OHIF shows the report in its SR viewport on the nodule', async () => {
    browser = await launchBrowser();
    const { page } = browser;
    await openViewer(page, server!.openUrl, gt.slices);
    await openPanel(page);

    await page.getByLabel('Describe the finding').fill(QUERY);
    const request = page.waitForRequest((r) => r.method() === 'POST' && /\/api\/v1\/rerank\/stream$/.test(r.url()), { timeout: 30_000 });
    await page.getByRole('button', { name: 'Find', exact: true }).click();
    const body = (await request).postData() ?? '';
    await page.locator('[role="listbox"] [role="option"]').first().waitFor({ timeout: 120_000 });
    // The same request on the JSON route (the series is cached): the lesions the panel shows.
    const answer = (await (await fetch(`${server!.origin}/api/v1/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).json()) as RerankAnswer;
    const sops = (JSON.parse(body) as { series: { sopInstanceUIDs: string[] } }).series.sopInstanceUIDs;
    // The first lesion of the answer (the one the panel shows first) is the one saved.
    const listed = [...new Map(answer.findings.flatMap((g) => g.lesions).map((l) => [l.id, l])).values()];
    expect(listed.length).toBeGreaterThan(0);
    const nodule: Lesion = listed[0];
    const bestSop = sops[nodule.slices.best];

    // Save: the confident lesions come ticked; only the first is kept.
    for (const l of listed) {
      const tick = page.locator(`input[data-save-lesion="${l.id}"]`);
      if (l.id === nodule.id) await tick.check();
      else await tick.uncheck();
    }
    const saveRequest = page.waitForResponse((r) => r.request().method() === 'POST' && /\/api\/v1\/reports$/.test(r.url()), { timeout: 60_000 });
    await page.getByRole('button', { name: 'Save to PACS (1)' }).click();
    expect((await saveRequest).status()).toBe(201);
    const saved = page.locator('[data-save="saved"]');
    await saved.waitFor({ timeout: 30_000 });
    const [srSop, koSop] = ((await saved.getAttribute('data-sop-instance-uids')) ?? '').split(' ');
    expect(srSop).toMatch(/^2\.25\.\d+$/);
    expect(koSop).toMatch(/^2\.25\.\d+$/);
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await page.locator('[data-testid="sf-save"]').screenshot({ path: path.join(SCREENSHOT_DIR, 'report-saved-panel.png') });
    // The save section wraps inside the panel rather than widening it.
    const overflow = await page.locator('section.sf-panel').evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow).toBeLessThanOrEqual(1);

    // Reload the study: the viewer finds the new SR series by QIDO and loads its metadata.
    await openViewer(page, server!.openUrl, gt.slices);
    await page.waitForFunction((sop) => {
      const w = window as unknown as { services: { displaySetService: { getActiveDisplaySets(): Array<{ Modality?: string; SOPInstanceUID?: string }> } } };
      return w.services.displaySetService.getActiveDisplaySets().some((d) => d.Modality === 'SR' && d.SOPInstanceUID === sop);
    }, srSop, { timeout: 60_000 });

    // Open the report in the active viewport (what a double click on its thumbnail does): OHIF's SR viewport.
    await page.evaluate((sop) => {
      const w = window as unknown as {
        services: {
          displaySetService: { getActiveDisplaySets(): Array<{ Modality?: string; SOPInstanceUID?: string; displaySetInstanceUID: string }> };
          viewportGridService: { getActiveViewportId(): string; setDisplaySetsForViewport(o: { viewportId: string; displaySetInstanceUIDs: string[] }): void };
        };
      };
      const sr = w.services.displaySetService.getActiveDisplaySets().find((d) => d.Modality === 'SR' && d.SOPInstanceUID === sop)!;
      const { viewportGridService } = w.services;
      viewportGridService.setDisplaySetsForViewport({ viewportId: viewportGridService.getActiveViewportId(), displaySetInstanceUIDs: [sr.displaySetInstanceUID] });
    }, srSop);

    let state: SrState | null = null;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      state = await srState(page, srSop);
      if (state?.loaded && state.measurements.every((m) => m.loaded) && state.viewportSop === bestSop && state.annotationsOnImage > 0) break;
      await page.waitForTimeout(250);
    }
    await mkdir(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'report-sr-viewport.png') });
    expect(state).not.toBeNull();
    // One measurement, on the nodule's best slice, shown there, and its outline is the nodule's box.
    expect(state!.measurements).toHaveLength(1);
    expect(state!.measurements[0]).toMatchObject({ loaded: true, sop: bestSop });
    const box = nodule.regions.find((r) => r.index === nodule.slices.best)!;
    const xs = state!.measurements[0].points.filter((_, i) => i % 2 === 0);
    const ys = state!.measurements[0].points.filter((_, i) => i % 2 === 1);
    expect([Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)]).toEqual([box.x, box.x + box.w, box.y, box.y + box.h]);
    expect(state!.viewportSop).toBe(bestSop);
    expect(state!.annotationsOnImage).toBeGreaterThan(0);

    expect(browser.errors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
  });
});
