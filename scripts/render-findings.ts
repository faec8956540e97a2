/**
 * Pictures of the chest findings other than lesions (`npm run -s render -- --case <dir> --findings`): one
 * PNG per finding type, each tile a candidate of that type (most likely first) on its central slice, its
 * box coloured by its likelihood (dim: unlikely, bright: likely; green for nodes, blue for the pleura,
 * yellow for emphysema, orange for dense lung, cyan for air inside a lesion), with the ground truth in red.
 * Prints what each tile shows.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { kindLabel } from '../server/rerank/finding-factors';
import type { Candidate, CandidateKind } from '../server/rerank/analysis/types';
import type { VolumeAnalysis } from '../server/rerank/pipeline';
import { COLOURS, cropAround, montage, renderTile, type Box, type Rgb } from './render/overlay';

const COLOUR: Record<string, Rgb> = {
  'lymph node': [60, 255, 60],
  'pleural effusion': [60, 140, 255],
  pneumothorax: [60, 140, 255],
  'pleural thickening': [60, 140, 255],
  emphysema: [255, 230, 40],
  consolidation: [255, 140, 0],
  atelectasis: [255, 140, 0],
  cavity: [0, 255, 255],
};
const KINDS: Array<CandidateKind | 'cavity'> = ['lymph node', 'pleural effusion', 'pneumothorax', 'pleural thickening', 'emphysema', 'consolidation', 'atelectasis', 'cavity'];
/** Soft-tissue window for what lies outside the lung, lung window for the rest. */
const WINDOW: Record<string, [number, number]> = { 'lymph node': [40, 400], 'pleural effusion': [40, 400], 'pleural thickening': [40, 400] };

export async function renderFindings(a: VolumeAnalysis, name: string, out: string, truth: Map<number, Box[]>, perKind = 8): Promise<string[]> {
  const v = a.volume;
  const files: string[] = [];
  for (const kind of KINDS) {
    const of = kind === 'cavity'
      ? a.candidates.filter((c) => c.kind === 'lesion' && ((c.measures?.cavityMm ?? 0) > 0 || (c.measures?.vacuoles ?? 0) > 0))
      : a.candidates.filter((c) => c.kind === kind);
    const top = [...of].sort((x, y) => y.lesionLikelihood - x.lesionLikelihood).slice(0, perKind);
    const lines: string[] = [];
    const pictures = top.map((c, k) => {
      const central = c.slices.reduce((b, s) => (s.weight > b.weight ? s : b));
      const big = (central.box[2] - central.box[0]) > 120 || (central.box[3] - central.box[1]) > 120;
      const crop = big ? undefined : cropAround(v, central.box, 160);
      const boxes = of
        .filter((x) => x !== c)
        .flatMap((x) => x.slices.filter((s) => s.index === central.index).map((s) => ({ box: s.box, colour: shade(COLOUR[kind], 0.3 * (0.3 + 0.7 * x.lesionLikelihood)) })));
      boxes.push({ box: central.box, colour: shade(COLOUR[kind], 0.35 + 0.65 * c.lesionLikelihood) });
      for (const b of truth.get(central.index) ?? []) boxes.push({ box: b, colour: COLOURS.truth });
      lines.push(`    tile ${k + 1}: ${describe(c, kind)}, likelihood ${c.lesionLikelihood.toFixed(2)}, slices ${c.slices[0].index}-${c.slices[c.slices.length - 1].index}, shown on ${central.index}`);
      return renderTile(v, { slice: central.index, crop, boxes }, { size: 256, window: WINDOW[kind] ?? [-500, 1400], anatomy: a.anatomy });
    });
    if (!pictures.length) {
      process.stdout.write(`${name} ${kind}: none found\n`);
      continue;
    }
    const file = path.join(out, `${name}-${kind.replace(/ /g, '-')}.png`);
    await fs.writeFile(file, montage(pictures, 4));
    files.push(file);
    process.stdout.write(`${file}: ${of.length} ${kind} candidate(s), the ${pictures.length} most likely\n${lines.join('\n')}\n`);
  }
  return files;
}

function shade(c: Rgb, k: number): Rgb {
  return [c[0] * k, c[1] * k, c[2] * k];
}

function describe(c: Candidate, kind: CandidateKind | 'cavity'): string {
  if (kind !== 'cavity') return kindLabel(c) ?? c.kind;
  const m = c.measures ?? {};
  return `${Math.round(c.diameterMm)} mm lesion, cavity ${m.cavityMm ?? 0} mm, ${m.vacuoles ?? 0} vacuole(s)`;
}
