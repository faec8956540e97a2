/**
 * npm run -s inspect -- <dir>: load a series folder and print its shape as JSON.
 * Bad input: one line on stderr (the error code and message, no stack) and exit status 1.
 */
import { SeriesError } from '../server/series/errors';
import { loadSeriesFromDir } from '../server/series/load';

async function main(): Promise<number> {
  const dir = process.argv[2];
  if (!dir || process.argv.length > 3) {
    process.stderr.write('usage: npm run -s inspect -- <dicom-folder>\n');
    return 2;
  }
  try {
    const { volume: v, skipped } = await loadSeriesFromDir(dir);
    let huMin = Infinity;
    let huMax = -Infinity;
    for (const x of v.hu) {
      if (x < huMin) huMin = x;
      if (x > huMax) huMax = x;
    }
    const out = {
      slices: v.slices,
      rows: v.rows,
      columns: v.columns,
      pixelSpacing: v.pixelSpacing,
      sliceSpacing: v.sliceSpacing,
      normal: v.normal,
      sopInstanceUIDs: v.sopInstanceUIDs,
      huMin,
      huMax,
      skipped,
    };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
    return 0;
  } catch (err) {
    const msg = err instanceof SeriesError ? `${err.code}: ${err.message}${err.source ? ` (${err.source})` : ''}` : 'failed';
    process.stderr.write(`inspect: ${msg}\n`);
    return 1;
  }
}

main().then((code) => {
  process.exitCode = code;
});
