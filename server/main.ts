/**
 * `npm start`: one process serving the OHIF viewer at /, the Slice Finder extension at /ext/, the
 * API at /api and DICOMweb at /dicom-web: read-only over an indexed folder (the bundled LIDC case,
 * or --dicom-dir), or passed through to a real PACS (--pacs <DICOMweb root>).
 * Flags and SLICE_FINDER_* environment variables are read by server/config.ts; two more are ours:
 *   --panel-backend <url>  (SLICE_FINDER_PANEL_BACKEND)  the backend URL the panel calls ('' = same origin)
 *   --no-open-hint         print only the URL
 */
import { execFileSync } from 'node:child_process';
import Fastify, { type FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from './config';
import { indexFolder, type FolderIndex } from './dicomweb/folder-index';
import { dicomwebPlugin } from './dicomweb/plugin';
import { dicomwebProxyPlugin } from './dicomweb/proxy';
import { SAMPLE_DICOM_DIR } from './series/sample';
import { appConfigScript } from './viewer/app-config';
import { extensionEntryModule } from './viewer/extension-entry';
import { viewerPlugin } from './viewer/plugin';
import { relaunchWithMallocTunables } from './workers/malloc';

export const DICOMWEB_PATH = '/dicom-web';
const REPO_ROOT = path.resolve(__dirname, '..');
/** The extension package's build output (extension/dist, what `npm pack -w extension` ships). */
export const EXTENSION_DIR = process.env.SLICE_FINDER_EXTENSION_DIR ?? path.join(REPO_ROOT, 'extension', 'dist');
export const EXTENSION_FILE = 'slice-finder.mjs';
/** Generated module that binds the extension's configuration (see server/viewer/extension-entry.ts). */
export const EXTENSION_ENTRY = 'slice-finder.entry.mjs';
/** The panel module id the extension registers (extension id + panel name). */
export const PANEL_ID = process.env.SLICE_FINDER_PANEL_ID ?? '@slice-finder/ohif-extension.panelModule.sliceFinder';

export interface ServerOptions {
  config: Config;
  /** Backend URL for the panel; '' (default) = this origin. */
  panelBackend?: string;
  /** The viewer's dist folder; the viewer is not served when absent. */
  viewerDist?: string;
}

export interface RunningServer {
  app: FastifyInstance;
  /** http://host:port */
  origin: string;
  /** The page to open: the first study in the viewer, or the study list. */
  openUrl: string;
  index?: FolderIndex;
  close(): Promise<void>;
}

type BuildApp = (config: Config, deps?: Record<string, unknown>) => Promise<FastifyInstance> | FastifyInstance;

/** The service's app factory; undefined while server/http/app.ts has not landed. */
function loadBuildApp(): BuildApp | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('./http/app') as { buildApp: BuildApp }).buildApp;
  } catch (err) {
    if ((err as { code?: string }).code === 'MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

/** Our own flags, taken out before the service's config parser sees the rest. */
export function splitOwnFlags(argv: string[], env: NodeJS.ProcessEnv): { rest: string[]; panelBackend?: string } {
  const rest: string[] = [];
  let panelBackend = env.SLICE_FINDER_PANEL_BACKEND;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--panel-backend') panelBackend = argv[++i];
    else if (a.startsWith('--panel-backend=')) panelBackend = a.slice('--panel-backend='.length);
    else rest.push(a);
  }
  return { rest, panelBackend };
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const config = opts.config;
  let index: FolderIndex | undefined;
  if (!config.pacs.url) {
    config.dicomDir = path.resolve(config.dicomDir ?? SAMPLE_DICOM_DIR);
    if (!existsSync(config.dicomDir)) throw new ConfigError(`the DICOM folder ${config.dicomDir} does not exist`);
    index = await indexFolder(config.dicomDir);
    if (index.studies.length === 0) throw new ConfigError(`no DICOM images found under ${config.dicomDir}`);
  }
  config.embeddedDicomwebRoot = DICOMWEB_PATH;

  const buildApp = loadBuildApp();
  const app: FastifyInstance = buildApp
    ? await buildApp(config, { folderIndex: index })
    : Fastify({ logger: { level: config.log.level } });
  if (!buildApp) app.log.warn('server/http/app.ts is not available: serving the viewer and DICOMweb only');

  if (index) {
    await app.register(dicomwebPlugin, { prefix: DICOMWEB_PATH, index });
  } else {
    await app.register(dicomwebProxyPlugin, {
      prefix: DICOMWEB_PATH,
      upstream: config.pacs.url!,
      credential: config.pacs.credential,
      forwardAuthorization: config.pacs.forwardAuthorization,
      timeoutMs: config.pacs.readTimeoutMs,
    });
  }
  if (opts.viewerDist) {
    await app.register(viewerPlugin, {
      distDir: opts.viewerDist,
      extensionDir: EXTENSION_DIR,
      connectSrc: opts.panelBackend ? [new URL(opts.panelBackend).origin] : [],
      extensionEntry: {
        name: EXTENSION_ENTRY,
        source: () => extensionEntryModule(`./${EXTENSION_FILE}`, { backendUrl: opts.panelBackend ?? '' }),
      },
      // The DICOMweb root must be absolute for OHIF: built from the origin the browser used.
      appConfig: (origin: string) =>
        appConfigScript({
          dicomwebRoot: `${origin}${DICOMWEB_PATH}`,
          // Checked per request: a viewer without the bundle still works, and a later build is picked up.
          extensionUrl: existsSync(path.join(EXTENSION_DIR, EXTENSION_FILE)) ? `/ext/${EXTENSION_ENTRY}` : undefined,
          panelId: PANEL_ID,
          friendlyName: index ? 'Slice Finder (local folder)' : 'PACS',
        }),
    });
  }

  await app.listen({ host: config.host, port: config.port });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const origin = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  const firstStudy = index?.studies[0]?.studyInstanceUID;
  const openUrl = firstStudy ? `${origin}/viewer?StudyInstanceUIDs=${firstStudy}` : `${origin}/`;
  return { app, origin, openUrl, index, close: () => app.close() };
}

/** Build the extension once when its bundle is missing (a fresh clone); the viewer runs without it otherwise. */
function ensureExtensionBuilt(): void {
  const bundle = path.join(EXTENSION_DIR, EXTENSION_FILE);
  if (existsSync(bundle)) return;
  console.log('start: building the Slice Finder extension (npm run build)');
  try {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
  } catch {
    console.warn('start: the extension build failed; the viewer starts without the Slice Finder panel');
  }
  if (!existsSync(bundle)) console.warn(`start: ${bundle} is missing; the viewer starts without the Slice Finder panel`);
}

export const USAGE = `Usage: npm start -- [flags]     (every flag also has a SLICE_FINDER_* environment variable)

Data (one of):
  --dicom-dir <dir>        index this folder of DICOM files (recursive) and serve it    SLICE_FINDER_DICOM_DIR
                           default: the bundled LIDC-IDRI-0001 chest CT
  --pacs <dicomweb root>   use a real PACS instead, e.g. http://orthanc:8042/dicom-web  SLICE_FINDER_PACS_URL
                           (the viewer reads it through /dicom-web on this server; a service
                           credential for it: SLICE_FINDER_PACS_CREDENTIAL="Basic ...")
Server:
  --host <addr>            listen address (default 127.0.0.1; others need auth)         SLICE_FINDER_HOST
  --port <n>               port (default 3030; 0 = any free port)                       SLICE_FINDER_PORT
  --ep <list>              execution providers in order, e.g. cuda,webgpu,cpu           SLICE_FINDER_EP
  --models-dir <dir>       model folders (default models/)                             SLICE_FINDER_MODELS_DIR
  --lexicon <file.json>    the hospital's own vocabulary rows, added to the built-in     SLICE_FINDER_LEXICON
  --panel-backend <url>    backend URL the panel calls (default: this server)           SLICE_FINDER_PANEL_BACKEND
  --log-level <level>      pino level (default info)                                    SLICE_FINDER_LOG_LEVEL
Auth, CORS, limits and the rest: see server/config.ts.
`;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const { rest, panelBackend } = splitOwnFlags(process.argv.slice(2), process.env);
  const config = loadConfig(rest, process.env);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ensureViewer } = require('../scripts/setup-viewer') as typeof import('../scripts/setup-viewer');
  const viewerDist = await ensureViewer();
  ensureExtensionBuilt();
  const server = await startServer({ config, panelBackend, viewerDist });
  const studies = server.index?.studies.length ?? 0;
  const what = server.index
    ? `${studies} ${studies === 1 ? 'study' : 'studies'} from ${config.dicomDir}`
    : `the PACS at ${config.pacs.url}`;
  console.log(`\nSlice Finder is running with ${what}.\nOpen ${server.openUrl}\n`);
  const stop = (): void => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module && !relaunchWithMallocTunables()) {
  main().catch((err: unknown) => {
    // Start-up errors (config, model files, lexicon, data folder) name what to fix; a stack would only hide it.
    console.error(`slice-finder: failed to start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
