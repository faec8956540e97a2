/**
 * A real Orthanc (Debian's /usr/sbin/Orthanc + DICOMweb plugin) for integration tests: a free loopback
 * port, storage in a temp dir, optional Basic auth. Start it with `startOrthanc()`, stop it with `stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SYSTEM_PROGRAMS } from './system';

export interface OrthancOptions {
  /** Users for HTTP Basic auth ("RegisteredUsers"); none means auth off. */
  users?: Record<string, string>;
  /** Milliseconds to wait for "Orthanc has started". */
  startTimeoutMs?: number;
}

export interface OrthancHandle {
  /** e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** e.g. http://127.0.0.1:40123/dicom-web */
  readonly wadoRoot: string;
  readonly port: number;
  readonly pid: number;
  /** Authorization header value for the first configured user, if any. */
  readonly authorization?: string;
  /** POST one DICOM file to /instances; returns Orthanc's answer. */
  upload(data: Uint8Array): Promise<{ ID: string; Status: string }>;
  /** Upload every file of a folder (not recursive), a few in parallel. */
  uploadDir(dir: string): Promise<number>;
  stop(): Promise<void>;
}

/** A port nothing listens on right now (bind to 0, read it, close). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function startOrthanc(options: OrthancOptions = {}): Promise<OrthancHandle> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'orthanc-test-'));
  const port = await freePort();
  const users = options.users;
  const config = {
    Name: 'slice-finder-test',
    StorageDirectory: path.join(dir, 'storage'),
    IndexDirectory: path.join(dir, 'index'),
    HttpPort: port,
    HttpBindAddress: '127.0.0.1',
    RemoteAccessAllowed: false,
    AuthenticationEnabled: Boolean(users),
    RegisteredUsers: users ?? {},
    DicomServerEnabled: false,
    HttpCompressionEnabled: false,
    Plugins: [SYSTEM_PROGRAMS.orthancDicomWeb],
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: false },
    StorageCompression: false,
    ConcurrentJobs: 1,
  };
  const configPath = path.join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify(config));

  const child = spawn(SYSTEM_PROGRAMS.orthanc, [configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitForStart(child, options.startTimeoutMs ?? 15_000);

  const url = `http://127.0.0.1:${port}`;
  const first = users ? Object.entries(users)[0] : undefined;
  const authorization = first ? `Basic ${Buffer.from(`${first[0]}:${first[1]}`).toString('base64')}` : undefined;
  let stopped = false;

  const upload = async (data: Uint8Array): Promise<{ ID: string; Status: string }> => {
    const headers: Record<string, string> = { 'content-type': 'application/dicom' };
    if (authorization) headers.authorization = authorization;
    const res = await fetch(`${url}/instances`, { method: 'POST', headers, body: new Uint8Array(data) });
    if (!res.ok) throw new Error(`Orthanc upload failed: ${res.status}`);
    return (await res.json()) as { ID: string; Status: string };
  };

  return {
    url,
    wadoRoot: `${url}/dicom-web`,
    port,
    pid: child.pid ?? -1,
    authorization,
    upload,
    async uploadDir(folder: string) {
      const files = (await readdir(folder)).sort().map((f) => path.join(folder, f));
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < files.length) {
          const file = files[next++];
          await upload(await readFile(file));
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      return files.length;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function waitForStart(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      if (log.includes('Orthanc has started')) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`Orthanc exited (${code}) before starting:\n${log.slice(-2000)}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(new Error(`Orthanc did not start within ${timeoutMs} ms:\n${log.slice(-2000)}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      // Keep draining the pipes so Orthanc never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** SIGTERM this child by its PID, SIGKILL after 5 s if it is still there. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
