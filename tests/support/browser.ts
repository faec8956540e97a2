/**
 * Debian's Chromium driven by playwright-core for end-to-end tests. Each launch gets a fresh
 * profile (playwright makes a new temp user-data-dir per launch) and is stopped by its PID.
 */
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { SYSTEM_PROGRAMS } from './system';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

export interface BrowserHandle {
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  readonly pid: number;
  /** Console errors and page errors seen so far (for failure messages). */
  readonly errors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(opts: { width?: number; height?: number; locale?: string } = {}): Promise<BrowserHandle> {
  const server = await chromium.launchServer({
    executablePath: SYSTEM_PROGRAMS.chromium,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const pid = server.process().pid ?? -1;
  try {
    const browser = await chromium.connect(server.wsEndpoint());
    const context = await browser.newContext({
      viewport: { width: opts.width ?? 1400, height: opts.height ?? 900 },
      locale: opts.locale ?? 'en-US',
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    let closed = false;
    return {
      browser,
      context,
      page,
      pid,
      errors,
      async close() {
        if (closed) return;
        closed = true;
        await browser.close().catch(() => undefined);
        await server.close().catch(() => undefined);
        killIfAlive(pid);
      },
    };
  } catch (err) {
    await server.close().catch(() => undefined);
    killIfAlive(pid);
    throw err;
  }
}

function killIfAlive(pid: number): void {
  if (pid <= 0) return;
  try {
    process.kill(pid, 0);
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
