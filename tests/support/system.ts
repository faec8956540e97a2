/**
 * Suites that need a program from Debian (chromium, Orthanc, redis-server) ask for it here. Under CI a missing
 * program fails the suite; on a developer machine the suite is skipped with a loud warning.
 */
import { existsSync } from 'node:fs';

export const SYSTEM_PROGRAMS = {
  chromium: '/usr/bin/chromium',
  orthanc: '/usr/sbin/Orthanc',
  orthancDicomWeb: '/usr/share/orthanc/plugins/libOrthancDicomWeb.so',
  redisServer: '/usr/bin/redis-server',
} as const;

export type SystemProgram = keyof typeof SYSTEM_PROGRAMS;

/** `describe` when every program is present, else `describe.skip` (outside CI) or a throw (in CI). */
export function describeWithSystem(needs: SystemProgram[]): jest.Describe {
  const missing = needs.filter((n) => !existsSync(SYSTEM_PROGRAMS[n]));
  if (missing.length === 0) return describe;
  const what = missing.map((m) => `${m} (${SYSTEM_PROGRAMS[m]})`).join(', ');
  if (process.env.CI === 'true') throw new Error(`CI: required system program missing: ${what}`);
  console.warn(`\n!!! SKIPPING SUITE: missing ${what}. Install: apt-get install chromium orthanc orthanc-dicomweb redis-server !!!\n`);
  return describe.skip;
}
