/**
 * `npm run -s openapi -- [--viewer-dist DIR] [--out FILE]`: the OpenAPI 3.1 document exactly as
 * `npm start` serves it at /api/docs/json (the API, the embedded DICOMweb and, when a viewer folder is
 * there, the viewer's routes registered), as JSON. Generated from the wire contract (contract/).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../server/config';
import { startServer } from '../server/main';
import { viewerDistDir } from './setup-viewer';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const config = loadConfig(['--host', '127.0.0.1', '--port', '0', '--log-level', 'fatal'], {});
  const dist = flag('--viewer-dist') ?? viewerDistDir();
  const server = await startServer({ config, viewerDist: existsSync(dist) ? dist : undefined });
  try {
    const doc = JSON.stringify((server.app as unknown as { swagger(): unknown }).swagger(), null, 2);
    const out = flag('--out');
    if (out) writeFileSync(out, `${doc}\n`);
    else process.stdout.write(`${doc}\n`);
  } finally {
    await server.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`openapi: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
