/**
 * End-to-end plumbing: make sure the viewer and the extension bundle exist (a fresh clone has
 * neither), start `server/main.ts` as its own process (stopped by its PID), and drive the OHIF
 * page: wait for the viewport, open the panel, read the viewport state through the host's globals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page, Response } from 'playwright-core';
import type { RerankAnswer } from '../../contract/schemas';
import { ensureViewer } from '../../scripts/setup-viewer';
import { SAMPLE_CASE_DIR } from '../../server/series/sample';
import { ensureBuilt } from '../support/build';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const EXTENSION_BUNDLE = path.join(REPO_ROOT, 'extension', 'dist', 'slice-finder.mjs');
/** The mode package's build (one file for both routes). */
export const MODE_BUNDLE = path.join(REPO_ROOT, 'mode', 'dist', 'slice-finder-mode.mjs');
export const PANEL_ID = '@slice-finder/ohif-extension.panelModule.sliceFinder';
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-results', 'e2e');

export interface GroundTruth {
  study_instance_uid: string;
  series_instance_uid: string;
  slices: number;
  lesions: Array<{ id: string; sop_instance_uids: string[] }>;
}
export interface QueryCase {
  id: string;
  lang: 'en' | 'zh';
  lesion: string | null;
  text: string;
}
export const groundTruth = (): GroundTruth =>
  JSON.parse(readFileSync(path.join(SAMPLE_CASE_DIR, 'ground-truth.json'), 'utf8')) as GroundTruth;
export const queries = (): QueryCase[] =>
  JSON.parse(readFileSync(path.join(SAMPLE_CASE_DIR, 'queries.json'), 'utf8')) as QueryCase[];

/** The prebuilt viewer (npm pack, cached) and the extension and mode bundles (webpack, rebuilt when missing or stale). */
export async function ensureArtifacts(): Promise<void> {
  await ensureViewer({ log: () => undefined });
  ensureBuilt();
  for (const file of [EXTENSION_BUNDLE, MODE_BUNDLE]) {
    if (!existsSync(file)) throw new Error(`the build did not produce ${file}`);
  }
}

export interface ServerProcess {
  readonly pid: number;
  /** http://127.0.0.1:port */
  readonly origin: string;
  /** The URL the server printed to open. */
  readonly openUrl: string;
  output(): string;
  stop(): Promise<void>;
}

/** PIDs of servers still running: killed if the test process exits without stopping them. */
const running = new Set<number>();
process.once('exit', () => {
  for (const pid of running) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Start `server/main.ts` with these flags on a free port; resolves when it prints its URL. */
export async function startServer(args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'server', 'main.ts'), '--host', '127.0.0.1', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, SLICE_FINDER_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid) running.add(child.pid);
  child.once('exit', () => child.pid && running.delete(child.pid));
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const openUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms:\n${out.slice(-3000)}`));
    }, timeoutMs);
    const onData = (): void => {
      const m = /Open (http:\/\/\S+)/.exec(out);
      if (m) {
        cleanup();
        resolve(m[1]);
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`server exited (${code}) before starting:\n${out.slice(-3000)}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
  return {
    pid: child.pid ?? -1,
    origin: new URL(openUrl).origin,
    openUrl,
    output: () => out,
    stop: () => stopChild(child),
  };
}

/** SIGTERM by PID, SIGKILL after 5 s. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if (child.pid) process.kill(child.pid, 'SIGKILL');
    }, 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.pid) process.kill(child.pid, 'SIGTERM');
  });
}

/** What the page can tell about the active viewport (through the host's window globals). */
export interface ViewportState {
  viewportId: string;
  index: number;
  count: number;
  sopInstanceUID?: string;
  seriesInstanceUID?: string;
}

export async function viewportState(page: Page): Promise<ViewportState | null> {
  return page.evaluate(() => {
    type VP = { getImageIds(): string[]; getCurrentImageIdIndex(): number };
    const w = window as unknown as {
      services?: {
        viewportGridService?: { getActiveViewportId(): string };
        cornerstoneViewportService?: { getCornerstoneViewport(id: string): VP | undefined };
      };
      cornerstone?: { metaData: { get(type: string, imageId: string): Record<string, string> | undefined } };
    };
    try {
      const id = w.services?.viewportGridService?.getActiveViewportId();
      const vp = id ? w.services?.cornerstoneViewportService?.getCornerstoneViewport(id) : undefined;
      const ids = vp?.getImageIds() ?? [];
      if (!id || !vp || ids.length === 0) return null;
      const index = vp.getCurrentImageIdIndex();
      const meta = w.cornerstone?.metaData.get('instance', ids[index]);
      return {
        viewportId: id,
        index,
        count: ids.length,
        sopInstanceUID: meta?.SOPInstanceUID,
        seriesInstanceUID: meta?.SeriesInstanceUID,
      };
    } catch {
      return null; // services not ready yet
    }
  });
}

/** Open the URL and wait until the active viewport shows a stack of `count` images. */
export async function openViewer(page: Page, url: string, count: number, timeoutMs = 60_000): Promise<void> {
  await page.goto(url);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await viewportState(page);
    if (s && s.count === count && s.sopInstanceUID) break;
    if (Date.now() > deadline) throw new Error(`the viewport did not load ${count} images in ${timeoutMs} ms (state ${JSON.stringify(s)})`);
    await page.waitForTimeout(250);
  }
  // The first image must actually be drawn: the viewport canvas has non-black pixels.
  await page.waitForFunction(
    () => {
      const c = document.querySelector('.cornerstone-canvas, canvas') as HTMLCanvasElement | null;
      return !!c && c.width > 0 && c.height > 0;
    },
    undefined,
    { timeout: timeoutMs },
  );
}

/** Open the Slice Finder panel in the right side panel and wait for its query box. */
export async function openPanel(page: Page): Promise<void> {
  await page.evaluate((panelId) => {
    const w = window as unknown as { services: { panelService: { activatePanel(id: string, force: boolean): void } } };
    w.services.panelService.activatePanel(panelId, true);
  }, PANEL_ID);
  await page.locator('section.sf-panel textarea, section.sf-panel input[type="text"]').first().waitFor({ timeout: 20_000 });
}

export type { RerankAnswer as RerankBody, Lesion } from '../../contract/schemas';
/** The rerank answer the panel received (plain JSON or the final line of the NDJSON stream). */
export async function rerankAnswer(response: Response): Promise<RerankAnswer> {
  const text = await response.text();
  if ((response.headers()['content-type'] ?? '').includes('ndjson')) {
    const lines = text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { type: string; response?: RerankAnswer });
    const result = lines.find((l) => l.type === 'result');
    if (!result?.response) throw new Error(`the stream ended without a result: ${text.slice(-500)}`);
    return result.response;
  }
  return JSON.parse(text) as RerankAnswer;
}

export const isRerankResponse = (r: Response): boolean =>
  r.request().method() === 'POST' && /\/api\/v1\/rerank(\/stream)?(\?|$)/.test(r.url());

/** Poll until the viewport shows `index` (the panel jumps asynchronously). */
export async function waitForIndex(page: Page, index: number, timeoutMs = 15_000): Promise<ViewportState> {
  const deadline = Date.now() + timeoutMs;
  let s: ViewportState | null = null;
  while (Date.now() < deadline) {
    s = await viewportState(page);
    if (s?.index === index) return s;
    await page.waitForTimeout(100);
  }
  throw new Error(`the viewport did not move to image ${index}; it shows ${JSON.stringify(s)}`);
}

/** The annotations the extension drew (they carry data.sliceFinder), with their label, image and line style. */
export async function ourOutlines(page: Page): Promise<Array<{ uid: string; label: string; imageId: string; lineDash?: string }>> {
  return page.evaluate(() => {
    type A = { annotationUID: string; data?: { label?: string; sliceFinder?: unknown }; metadata?: { referencedImageId?: string } };
    const w = window as unknown as {
      cornerstoneTools: {
        annotation: {
          state: { getAllAnnotations(): A[] };
          config: { style: { getAnnotationToolStyles?(uid: string): { lineDash?: string } | undefined } };
        };
      };
    };
    return w.cornerstoneTools.annotation.state
      .getAllAnnotations()
      .filter((a) => a.data?.sliceFinder)
      .map((a) => ({
        uid: a.annotationUID,
        label: a.data?.label ?? '',
        imageId: a.metadata?.referencedImageId ?? '',
        lineDash: w.cornerstoneTools.annotation.config.style.getAnnotationToolStyles?.(a.annotationUID)?.lineDash,
      }));
  });
}

/** Labels of OHIF's measurements (what its Measurements panel lists). */
export async function measurementLabels(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const w = window as unknown as { services: { measurementService: { getMeasurements(): Array<{ label?: string }> } } };
    return w.services.measurementService.getMeasurements().map((m) => m.label ?? '');
  });
}

/** The imageId the active viewport shows. */
export async function currentImageId(page: Page): Promise<string> {
  return page.evaluate(() => {
    type VP = { getImageIds(): string[]; getCurrentImageIdIndex(): number };
    const w = window as unknown as { services: { viewportGridService: { getActiveViewportId(): string }; cornerstoneViewportService: { getCornerstoneViewport(id: string): VP } } };
    const vp = w.services.cornerstoneViewportService.getCornerstoneViewport(w.services.viewportGridService.getActiveViewportId());
    return vp.getImageIds()[vp.getCurrentImageIdIndex()];
  });
}

/** Ids of the segmentations OHIF holds (the heat overlay is `slice-finder-heat-*`). */
export async function segmentationIds(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const w = window as unknown as { services: { segmentationService: { getSegmentations(): Array<{ segmentationId?: string; id?: string }> } } };
    return w.services.segmentationService.getSegmentations().map((s) => s.segmentationId ?? s.id ?? '');
  });
}

/** One Prometheus sample of the server (0 when absent). */
export async function metric(origin: string, sample: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}

/** Starts the viewer with settings for the panel (window.config.sliceFinder), as a hospital's app-config would. */
export async function configurePanel(page: Page, settings: Record<string, unknown>): Promise<void> {
  await page.route('**/app-config.js', async (route) => {
    const res = await route.fetch();
    const body = `${await res.text()}\nwindow.config.sliceFinder = Object.assign(window.config.sliceFinder || {}, ${JSON.stringify(settings)});\n`;
    await route.fulfill({ response: res, body });
  });
}
