/**
 * Start the Slice Finder API alone:
 *   npm run -s serve -- [--host H] [--port N] [--dicom-dir DIR] [--pacs URL] [--ep cuda,webgpu,cpu]
 * Every flag also reads from SLICE_FINDER_* (see server/config.ts). Loopback only unless auth is set.
 */
import { assertSafeBinding, ConfigError, loadConfig } from '../server/config';
import { buildApp } from '../server/http/app';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
    assertSafeBinding(config);
  } catch (err) {
    if (err instanceof ConfigError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`slice-finder: ${(err as Error).message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const app = await buildApp(config);
  const stop = async (signal: string): Promise<void> => {
    app.log.info({ signal }, 'shutting down');
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  await app.listen({ host: config.host, port: config.port });
}

main().catch((err: unknown) => {
  process.stderr.write(`slice-finder: failed to start: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
