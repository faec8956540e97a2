/**
 * Thin-slice benchmark series, made from a development scan: the volume resampled along its slice
 * normal (linear interpolation between neighbouring slices) to a finer spacing, written as a real
 * DICOM series (one file per slice, explicit VR little endian, the source's header as the template,
 * new Series and SOP Instance UIDs) under .cache/thin/ (git-ignored). Made once and reused.
 *
 *   npm run -s bench:thin -- [--spacing 0.625] [--dicom-dir DIR]   prints the folder
 *
 * From LIDC-IDRI-0001 (133 slices at 2.5 mm over 330 mm): 0.625 mm gives 529 slices, 1.25 mm 265.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadSeriesFromDir } from '../server/series/load';
import { SAMPLE_DICOM_DIR } from '../server/series/sample';
import type { Vec3 } from '../server/series/volume';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- dcmjs ships no types
const dcmjs = require('dcmjs') as {
  data: { DicomMessage: { readFile(b: ArrayBuffer): { meta: Dict; dict: Dict; write(): ArrayBuffer } } };
  log: { getLogger(n: string): { setLevel(l: string): void } };
};
type Dict = Record<string, { vr: string; Value?: unknown[] } | undefined>;
dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');

export const CACHE_DIR = path.resolve(__dirname, '..', '.cache', 'thin');

/** A UID under 2.25 derived from `seed` (same seed, same UID: the series is the same on every machine). */
function derivedUid(seed: string): string {
  return `2.25.${BigInt(`0x${createHash('sha256').update(seed).digest('hex').slice(0, 30)}`).toString()}`;
}

function firstFile(dir: string): string {
  const names = readdirSync(dir).sort();
  if (names.length === 0) throw new Error(`no files in ${dir}`);
  return path.join(dir, names[0]);
}

/**
 * The folder of `src` resampled to `spacingMm`, made if it is not there yet; returns it and its slice count.
 */
export async function thinSeries(spacingMm: number, src = SAMPLE_DICOM_DIR): Promise<{ dir: string; slices: number }> {
  const name = `${path.basename(path.dirname(src))}-${spacingMm}mm`;
  const dir = path.join(CACHE_DIR, name);
  const marker = `${dir}.json`;
  if (existsSync(marker)) return { dir, slices: (JSON.parse(readFileSync(marker, 'utf8')) as { slices: number }).slices };

  const { volume: v } = await loadSeriesFromDir(src);
  const templateBytes = readFileSync(firstFile(src));
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const along = (p: Vec3): number => p[0] * v.normal[0] + p[1] * v.normal[1] + p[2] * v.normal[2];
  const d0 = along(v.positions[0]);
  const span = along(v.positions[v.slices - 1]) - d0;
  const count = Math.floor(span / spacingMm + 1e-6) + 1;
  const plane = v.rows * v.columns;
  const seriesUid = derivedUid(`${v.seriesInstanceUID}|${spacingMm}`);
  const stored = new Int16Array(plane);
  for (let k = 0; k < count; k++) {
    const t = (k * spacingMm) / v.sliceSpacing;
    const i = Math.min(v.slices - 2, Math.floor(t));
    const w = t - i;
    const a = i * plane;
    const b = (i + 1) * plane;
    // Stored values with slope 1, intercept -1024 (as the source): HU + 1024.
    for (let j = 0; j < plane; j++) stored[j] = Math.round(v.hu[a + j] * (1 - w) + v.hu[b + j] * w) + 1024;
    const p0 = v.positions[0];
    const pos: Vec3 = [p0[0] + k * spacingMm * v.normal[0], p0[1] + k * spacingMm * v.normal[1], p0[2] + k * spacingMm * v.normal[2]];
    const ab = templateBytes.buffer.slice(templateBytes.byteOffset, templateBytes.byteOffset + templateBytes.byteLength) as ArrayBuffer;
    const dicom = dcmjs.data.DicomMessage.readFile(ab);
    const sop = derivedUid(`${seriesUid}|${k}`);
    const set = (tag: string, vr: string, value: unknown[]): void => {
      dicom.dict[tag] = { vr, Value: value };
    };
    set('0020000E', 'UI', [seriesUid]);
    set('00080018', 'UI', [sop]);
    dicom.meta['00020003'] = { vr: 'UI', Value: [sop] };
    dicom.meta['00020010'] = { vr: 'UI', Value: ['1.2.840.10008.1.2.1'] };
    set('00200013', 'IS', [k + 1]);
    set('00200032', 'DS', pos.map((x) => Number(x.toFixed(4))));
    set('00201041', 'DS', [Number(pos[2].toFixed(4))]);
    set('00180050', 'DS', [spacingMm]);
    set('0008103E', 'LO', [`resampled to ${spacingMm} mm`]);
    set('00281052', 'DS', [-1024]);
    set('00281053', 'DS', [1]);
    set('00280103', 'US', [1]);
    set('00280101', 'US', [16]);
    delete dicom.dict['00280120']; // PixelPaddingValue: padding is already air in the HU
    delete dicom.dict['00280121'];
    set('7FE00010', 'OW', [stored.slice().buffer]);
    writeFileSync(path.join(tmp, `${String(k + 1).padStart(4, '0')}.dcm`), Buffer.from(dicom.write()));
  }
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  writeFileSync(marker, JSON.stringify({ source: src, spacingMm, slices: count }));
  return { dir, slices: count };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const at = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  thinSeries(Number(at('--spacing') ?? 0.625), at('--dicom-dir') ?? SAMPLE_DICOM_DIR).then(
    ({ dir, slices }) => process.stdout.write(`${dir} (${slices} slices)\n`),
    (err: unknown) => {
      process.stderr.write(`bench:thin: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
