/**
 * `npm run -s render -- (--case <dir> | --dicom-dir <dir>) [--out <dir>] [--from N] [--to N] [--every N]
 *  [--crop x0,y0,x1,y1] [--tile px] [--window level,width] [--findings] [--look L]`: draws what the analysis sees over the slices of
 * a series (with --case, as one of `eval --looks` shows it), as one PNG montage: lung fields (right blue, left green, what bulges into them orange), airway
 * yellow, candidates orange (brighter = more likely a lesion), hila magenta, ground-truth boxes red.
 * Prints the candidates most likely to be lesions, with their measurements. `--findings` also draws a PNG per
 * chest-finding type (lymph nodes, effusion, pneumothorax, emphysema, consolidation, ...: render-findings.ts).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { analyseVolume } from '../server/rerank/pipeline';
import { loadSeriesFromDir } from '../server/series/load';
import { readCase } from './eval-cases';
import { caseLook, LOOKS, type Look } from './eval-looks';
import { COLOURS, montage, renderTile, type Box, type Rgb, type Tile } from './render/overlay';
import { renderFindings } from './render-findings';
import { exitWithError, parseArgs, single, UsageError } from './rerank-cli';

const numbers = (s: string | undefined, n: number, what: string): number[] | undefined => {
  if (s === undefined) return undefined;
  const v = s.split(',').map(Number);
  if (v.length !== n || v.some((x) => !Number.isFinite(x))) throw new UsageError(`${what}: ${n} comma-separated numbers`);
  return v;
};

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), ['case', 'dicom-dir', 'out', 'every', 'from', 'to', 'tile', 'window', 'crop', 'look'], ['findings']);
  const caseDir = single(args, 'case');
  const look = single(args, 'look');
  if (look !== undefined && (!caseDir || !LOOKS.includes(look as Look))) throw new UsageError(`--look (with --case) takes ${LOOKS.join(', ')}`);
  const read = caseDir ? await readCase(caseDir) : undefined;
  const seriesDir = read?.seriesDir ?? single(args, 'dicom-dir');
  if (!seriesDir) throw new UsageError('--case <dir> or --dicom-dir <dir>');
  const { volume: loaded } = await loadSeriesFromDir(seriesDir);
  const { case: c, volume: v } = read && look ? caseLook(read, loaded, look as Look) : { case: read, volume: loaded };
  const a = analyseVolume(v);
  const truth = new Map<number, Box[]>();
  for (const l of c?.lesions.values() ?? []) {
    for (const [uid, b] of Object.entries(l.boxes ?? {})) {
      const i = v.sopInstanceUIDs.indexOf(uid);
      if (i >= 0) truth.set(i, [...(truth.get(i) ?? []), b]);
    }
  }
  const from = Number(single(args, 'from') ?? 0), to = Number(single(args, 'to') ?? v.slices - 1);
  const every = Number(single(args, 'every') ?? Math.max(1, Math.round((to - from + 1) / 16)));
  const crop = numbers(single(args, 'crop'), 4, '--crop') as Box | undefined;
  const window = (numbers(single(args, 'window'), 2, '--window') ?? [-500, 1400]) as [number, number];
  const size = Number(single(args, 'tile') ?? 256);
  const tiles: Tile[] = [];
  for (let s = from; s <= to; s += every) {
    const boxes: NonNullable<Tile['boxes']> = [];
    for (const cand of a.candidates) {
      const sl = cand.slices.find((x) => x.index === s);
      if (!sl || cand.lesionLikelihood < 0.03) continue;
      const k = 0.35 + 0.65 * cand.lesionLikelihood;
      boxes.push({ box: sl.box, colour: COLOURS.candidate.map((x) => x * k) as Rgb });
    }
    for (const b of truth.get(s) ?? []) boxes.push({ box: b, colour: COLOURS.truth });
    for (const h of Object.values(a.levels.hila ?? {})) {
      if (!h || Math.abs(h.index - s) > 1) continue;
      const d = [0, 1, 2].map((k) => h.position[k] - v.positions[s][k]);
      const col = (d[0] * v.rowCosines[0] + d[1] * v.rowCosines[1] + d[2] * v.rowCosines[2]) / v.pixelSpacing[1];
      const row = (d[0] * v.columnCosines[0] + d[1] * v.columnCosines[1] + d[2] * v.columnCosines[2]) / v.pixelSpacing[0];
      boxes.push({ box: [col - 6, row - 6, col + 6, row + 6], colour: COLOURS.hilum });
    }
    tiles.push({ slice: s, crop, boxes });
  }
  const out = single(args, 'out') ?? path.join('.cache', 'render');
  await fs.mkdir(out, { recursive: true });
  // --findings: a PNG per chest-finding type (lymph nodes, effusions, ...; scripts/render-findings.ts)
  if (args.flags.has('findings')) await renderFindings(a, c?.name ?? path.basename(seriesDir), out, truth);
  const file = path.join(out, `${c?.name ?? path.basename(seriesDir)}-${from}-${to}.png`);
  await fs.writeFile(file, montage(tiles.map((t) => renderTile(v, t, { size, window, anatomy: a.anatomy })), size > 300 ? 2 : 4));
  process.stdout.write(`${file}: slices ${tiles.map((t) => t.slice).join(', ')}\n`);
  process.stdout.write(`analysis ${Math.round(a.timings.analysis)} ms; carina ${a.levels.carina?.index ?? '-'}; hila ${JSON.stringify(Object.fromEntries(Object.entries(a.levels.hila ?? {}).map(([k, h]) => [k, h?.index])))}\n`);
  for (const cand of a.candidates.filter((x) => x.lesionLikelihood >= 0.05).slice(0, 25)) {
    const sl = cand.slices;
    process.stdout.write(
      `  #${cand.id} L ${cand.lesionLikelihood.toFixed(2)} ${cand.side} ${cand.zone} ${cand.diameterMm.toFixed(0)}×${cand.shortAxisMm.toFixed(0)} mm` +
        ` slices ${sl[0].index}-${sl[sl.length - 1].index} at (${cand.centroidPx.column.toFixed(0)},${cand.centroidPx.row.toFixed(0)})` +
        ` sph ${cand.sphericity.toFixed(2)} fill ${cand.fill.toFixed(2)} ctx ${cand.contextExcess.toFixed(1)} thick ${cand.thicknessRatio.toFixed(1)}` +
        ` bulge ${cand.bulgeFraction.toFixed(2)} protr ${cand.protrusionMm.toFixed(0)} wall ${cand.wall ?? '-'} ${cand.wallContact.toFixed(2)} HU ${cand.meanHU.toFixed(0)}\n`,
    );
  }
}

main().catch((err) => exitWithError('render', err));
