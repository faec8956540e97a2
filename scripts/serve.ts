/**
 * Start the Slice Finder API alone:
 *   npm run -s serve -- [--host H] [--port N] [--dicom-dir DIR] [--pacs URL] [--ep cuda,webgpu,cpu]
 * Every flag also reads from SLICE_FINDER_* (see server/config.ts). Loopback only unless auth is set.
 */
import { assertSafeBinding, ConfigError, loadConfig } from '../server/config';
import { buildApp } from '../server/http/app';
import { relaunchWithMallocTunables } from '../server/workers/malloc';

const USAGE = `usage: npm run -s serve -- [options]
  --host H                 listen address (default 127.0.0.1; anything else needs auth)
  --port N                 port (default 3030)
  --dicom-dir DIR          folder served as the 'local' source
  --pacs URL               default DICOMweb root of the PACS (also allowed)
  --pacs-allow URL         another DICOMweb root that may be fetched (repeatable)
  --ep LIST                execution providers in order, e.g. cuda,webgpu,cpu
  --models-dir DIR         model folders (default models/)
  --lexicon FILE           the hospital's own vocabulary rows (JSON), added to the built-in tables
  --cache-mb N             series cache bound in MiB (default 1024)
  --upload-mb N            upload size limit in MiB (default 512)
  --tokens-file FILE       bearer tokens, one "name:token" per line
  --jwt-issuer ISS --jwks-file FILE [--jwt-audience AUD]   JWT auth against a local JWKS
  --cors-origin ORIGIN     allowed browser origin (repeatable)
  --audit-log FILE         audit trail, JSON lines (default stderr)
  --pacs-connect-timeout-ms N, --pacs-read-timeout-ms N, --pacs-total-timeout-ms N (→ 504)
  --workers N              decode + analysis worker threads (default: cores, at most 4)
  --analysis-timeout-ms N  longest decode + analysis of one series (→ 503)
  --redis URL              share analyses with other replicas through Redis (redis://host:6379)
  --rate-limit N (per minute), --log-level L
Environment: SLICE_FINDER_* (see README); secrets only there: SLICE_FINDER_TOKENS, SLICE_FINDER_PACS_CREDENTIAL.`;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
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

if (!relaunchWithMallocTunables()) main().catch((err: unknown) => {
  process.stderr.write(`slice-finder: failed to start: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
