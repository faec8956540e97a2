/**
 * One synthetic trial: a lesion of a given size drawn at a site of a real scan, inserted into a copy
 * of it, with the truth a reader would mark (slices, boxes, axial axes) in the scan's own SOP UIDs.
 * Shared by the synthetic stress suite (evaluation bands) and the training sets (training bands).
 */
import type { VolumeAnalysis } from '../../server/rerank/pipeline';
import type { Volume } from '../../server/series/volume';
import { insertLesion, randomLesion, scaleToLongAxis, type LesionParams, type LesionTruth, type Margin, type Texture } from './lesion';
import type { Site, SiteClass } from './sites';
import { isEvaluationBand } from './split';

export const MARGINS: Margin[] = ['smooth', 'lobulated', 'spiculated'];

/** Texture of the k-th lesion of a size: large ones are solid, small ones cycle through all three. */
export function textureFor(sizeMm: number, k: number): Texture {
  if (sizeMm > 30) return 'solid';
  const cycle: Texture[] = sizeMm <= 12 ? ['solid', 'part-solid', 'ground-glass'] : ['solid', 'ground-glass', 'solid', 'part-solid'];
  return cycle[k % cycle.length];
}

/** The lesion's centre (volume voxels) for a site: wall sites press into the wall by about half the radius. */
export function centreFor(a: VolumeAnalysis, site: Site, radiusMm: number): { slice: number; row: number; column: number } {
  const g = a.anatomy.grid;
  const [s, r, c] = site.grid;
  const inset = site.siteClass === 'lung' || site.siteClass === 'fissure' ? 0 : 0.45 * radiusMm;
  const [ns, nr, nc] = site.normal;
  return {
    slice: (s + 0.5) * g.fz - 0.5 - (ns * inset) / a.volume.sliceSpacing,
    row: (r + 0.5) * g.fy - 0.5 - (nr * inset) / a.volume.pixelSpacing[0],
    column: (c + 0.5) * g.fx - 0.5 - (nc * inset) / a.volume.pixelSpacing[1],
  };
}

/** A lesion of this radius fits the site (enough lung inward of it), and its zone word is unambiguous. */
export function fits(site: Site, radiusMm: number): boolean {
  const need = site.siteClass === 'lung' || site.siteClass === 'fissure' ? radiusMm + 4 : 0.9 * radiusMm;
  if (site.depthMm < need) return false;
  const f = site.zoneFraction;
  return Math.abs(f - 1 / 3) >= 0.05 && Math.abs(f - 2 / 3) >= 0.05;
}

/** A known lesion's extent in volume voxels: first and last slice, row and column. */
export interface KnownExtent { slices: [number, number]; rows: [number, number]; columns: [number, number] }

/** The extents of a scan's annotated lesions, from their boxes per SOP instance UID. */
export function knownExtents(v: Pick<Volume, 'sopInstanceUIDs'>, lesions: Iterable<{ boxes?: Record<string, [number, number, number, number]> }>): KnownExtent[] {
  const out: KnownExtent[] = [];
  for (const l of lesions) {
    let e: KnownExtent | undefined;
    for (const [uid, [x0, y0, x1, y1]] of Object.entries(l.boxes ?? {})) {
      const s = v.sopInstanceUIDs.indexOf(uid);
      if (s < 0) continue;
      if (!e) e = { slices: [s, s], rows: [y0, y1], columns: [x0, x1] };
      else {
        e.slices = [Math.min(e.slices[0], s), Math.max(e.slices[1], s)];
        e.rows = [Math.min(e.rows[0], y0), Math.max(e.rows[1], y1)];
        e.columns = [Math.min(e.columns[0], x0), Math.max(e.columns[1], x1)];
      }
    }
    if (e) out.push(e);
  }
  return out;
}

/**
 * The lesion drawn at this site stays at least 10 mm clear of every annotated lesion of the scan: a trial
 * needs one described lesion, and a real one touching it would answer the description as well.
 */
export function clearOfKnown(a: VolumeAnalysis, site: Site, radiusMm: number, known: readonly KnownExtent[]): boolean {
  const v = a.volume;
  const p = centreFor(a, site, radiusMm);
  const gap = (x: number, [lo, hi]: [number, number], mm: number): number => Math.max(0, lo - x, x - hi) * mm;
  const need = 1.3 * radiusMm + 10;
  return known.every((k) => Math.hypot(gap(p.slice, k.slices, v.sliceSpacing), gap(p.row, k.rows, v.pixelSpacing[0]), gap(p.column, k.columns, v.pixelSpacing[1])) >= need);
}

/** The zone word of a place's height in its lung (0 at the base .. 1 at the apex), as the analysis words it. */
export { zoneOf } from '../../server/rerank/analysis/lung-position';

/**
 * The site a trial of this class and size draws: one at random of those it fits in the evaluation bands,
 * or the next one clear of the scan's annotated lesions (the other draws stay as they were); undefined
 * when there is none.
 */
export function drawSite(base: VolumeAnalysis, sites: readonly Site[], siteClass: SiteClass, sizeMm: number, random: () => number, known: readonly KnownExtent[]): Site | undefined {
  const fitting = sites.filter((s) => s.siteClass === siteClass && fits(s, sizeMm / 2) && isEvaluationBand(base.anatomy.lungs, base.anatomy.grid.origin[s.grid[0]][2]));
  if (!fitting.length) return undefined;
  const drawn = Math.floor(random() * fitting.length);
  return [...fitting.slice(drawn), ...fitting.slice(0, drawn)].find((s) => clearOfKnown(base, s, sizeMm / 2, known));
}

export interface TrialOptions {
  texture: Texture;
  margin: Margin;
  /** A faint ground-glass rim around a denser centre. */
  rim?: boolean;
  /** Stretch factors for the lesion's axes (1 = as drawn): plate- and cigar-shaped masses exist. */
  stretch?: [number, number, number];
  /** A calcified nodule (granuloma): solid at bone-like density. */
  calcified?: boolean;
}

export interface Trial {
  lesion: LesionParams;
  truth: LesionTruth;
  volume: Volume;
  /** Slice UIDs and boxes of the lesion, in the eval's ground-truth form. */
  sopInstanceUIDs: string[];
  boxes: Record<string, [number, number, number, number]>;
}

export function runTrial(base: VolumeAnalysis, site: Site, sizeMm: number, random: () => number, o: TrialOptions): Trial {
  const v = base.volume;
  const lesion = randomLesion(random, centreFor(base, site, sizeMm / 2), sizeMm, o.texture, o.margin);
  // ground glass is judged against this scan's own lung (−870 HU in a deep breath, −750 in a gated phase)
  const shift = base.anatomy.lungs.parenchymaHU + 870;
  lesion.ggoHu += shift;
  if (o.rim && o.texture === 'ground-glass') lesion.rimHu = -760 + shift;
  if (o.stretch) lesion.axes = [lesion.axes[0] * o.stretch[0], lesion.axes[1] * o.stretch[1], lesion.axes[2] * o.stretch[2]];
  scaleToLongAxis(lesion, sizeMm);
  if (o.calcified) lesion.solidHu = 250 + random() * 450;
  const hu = v.hu.slice();
  const truth = insertLesion({ ...v, hu }, lesion);
  const sopInstanceUIDs: string[] = [];
  const boxes: Trial['boxes'] = {};
  for (const [s, box] of truth.boxes) { sopInstanceUIDs.push(v.sopInstanceUIDs[s]); boxes[v.sopInstanceUIDs[s]] = box; }
  return { lesion, truth, volume: { ...v, hu }, sopInstanceUIDs, boxes };
}

const ZH_TEXTURE: Record<Texture, string> = { solid: '实性', 'part-solid': '部分实性', 'ground-glass': '磨玻璃' };
const ZH_ZONE = { upper: '上', middle: '中', lower: '下' } as const;

/** The true description of a lesion in English and Chinese: its side, zone, size and texture. */
export function queriesFor(side: 'left' | 'right', zone: 'upper' | 'middle' | 'lower', sizeMm: number, texture: Texture): Array<{ lang: 'en' | 'zh'; text: string }> {
  const kind = sizeMm > 30 ? 'mass' : 'nodule';
  return [
    { lang: 'en', text: `${sizeMm} mm ${texture} ${kind} in the ${side} ${zone} lung` },
    { lang: 'zh', text: `${side === 'left' ? '左' : '右'}肺${ZH_ZONE[zone]}部${ZH_TEXTURE[texture]}${kind === 'mass' ? '肿块' : '结节'}，约${sizeMm}mm` },
  ];
}

/** Descriptions that say only what a lesion is, as a reader typing a word or two would: its kind, in English; its texture and kind, in Chinese. */
export function shortQueriesFor(sizeMm: number, texture: Texture): Array<{ lang: 'en' | 'zh'; text: string }> {
  const mass = sizeMm > 30;
  return [
    { lang: 'en', text: mass ? 'mass' : 'nodule' },
    { lang: 'zh', text: `${ZH_TEXTURE[texture]}${mass ? '肿块' : '结节'}` },
  ];
}

/** The description of a calcified nodule (a granuloma) in English and Chinese: its side and zone. */
export function calcifiedQueries(side: 'left' | 'right', zone: 'upper' | 'middle' | 'lower'): Array<{ lang: 'en' | 'zh'; text: string }> {
  return [
    { lang: 'en', text: `calcified nodule in the ${side} ${zone} lung` },
    { lang: 'zh', text: `${side === 'left' ? '左' : '右'}肺${ZH_ZONE[zone]}部钙化结节` },
  ];
}
