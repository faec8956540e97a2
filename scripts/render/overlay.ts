/**
 * Drawing what the analysis saw over CT slices, for people to look at: tiles of a slice (any window,
 * any crop) with the lung field tinted (right blue, left green, what bulges into a lung orange), the
 * airway yellow and boxes in any colour, laid out in a montage written as PNG. The pipeline is judged
 * by pictures as much as by numbers: a wrong mask shows at once.
 */
import { PNG } from 'pngjs';
import type { Anatomy } from '../../server/rerank/pipeline';
import type { Volume } from '../../server/series/volume';

export type Rgb = [number, number, number];
export type Box = [number, number, number, number];

export const COLOURS = {
  truth: [255, 40, 40] as Rgb,
  answer: [0, 255, 255] as Rgb,
  candidate: [255, 170, 0] as Rgb,
  hilum: [255, 0, 255] as Rgb,
};

export interface Tile {
  slice: number;
  /** [x0, y0, x1, y1] of the slice to show, in pixels; the whole slice when absent. */
  crop?: Box;
  boxes?: Array<{ box: Box; colour: Rgb }>;
}

export interface TileOptions {
  /** Tile edge in pixels. */
  size: number;
  /** Window level and width (HU). */
  window: [number, number];
  anatomy?: Anatomy;
}

/** An RGBA square of `size` pixels. */
export interface Picture { size: number; rgba: Uint8Array }

/** Draws one tile (slice, crop, overlays) into its own picture, so the volume need not outlive it. */
export function renderTile(v: Volume, t: Tile, o: TileOptions): Picture {
  const rgba = new Uint8Array(o.size * o.size * 4);
  const put = (x: number, y: number, rgb: Rgb, a = 1): void => {
    if (x < 0 || y < 0 || x >= o.size || y >= o.size) return;
    const i = (y * o.size + x) * 4;
    for (let k = 0; k < 3; k++) rgba[i + k] = rgba[i + k] * (1 - a) + rgb[k] * a;
    rgba[i + 3] = 255;
  };
  const [wl, ww] = o.window;
  const [x0, y0, x1, y1] = t.crop ?? [0, 0, v.columns - 1, v.rows - 1];
  const scale = Math.max(x1 - x0 + 1, y1 - y0 + 1) / o.size;
  for (let y = 0; y < o.size; y++)
    for (let x = 0; x < o.size; x++) {
      const r = Math.floor(y0 + y * scale), c = Math.floor(x0 + x * scale);
      if (r < 0 || c < 0 || r >= v.rows || c >= v.columns) continue;
      const hu = v.hu[(t.slice * v.rows + r) * v.columns + c];
      const g = Math.max(0, Math.min(255, ((hu - wl + ww / 2) / ww) * 255));
      put(x, y, [g, g, g]);
      const a = o.anatomy;
      if (!a) continue;
      const grid = a.grid;
      const q = (Math.floor(t.slice / grid.fz) * grid.rows + Math.floor(r / grid.fy)) * grid.columns + Math.floor(c / grid.fx);
      const side = a.lungs.lung[q];
      if (side && !a.lungs.aerated[q]) put(x, y, [255, 140, 0], 0.35);
      else if (side === 1) put(x, y, [60, 120, 255], 0.2);
      else if (side === 2) put(x, y, [60, 255, 120], 0.2);
      if (a.lungs.airway.mask[q]) put(x, y, [255, 255, 0], 0.5);
    }
  for (const { box, colour } of t.boxes ?? []) {
    const bx0 = Math.round((box[0] - x0) / scale), by0 = Math.round((box[1] - y0) / scale);
    const bx1 = Math.round((box[2] - x0) / scale), by1 = Math.round((box[3] - y0) / scale);
    for (let x = bx0; x <= bx1; x++) { put(x, by0, colour); put(x, by1, colour); }
    for (let y = by0; y <= by1; y++) { put(bx0, y, colour); put(bx1, y, colour); }
  }
  return { size: o.size, rgba };
}

/** Pictures of one size laid out `columns` wide, as a PNG file's bytes. */
export function montage(pictures: Picture[], columns: number): Buffer {
  const size = pictures[0]?.size ?? 1;
  const rows = Math.max(1, Math.ceil(pictures.length / columns));
  const png = new PNG({ width: size * columns, height: size * rows });
  png.data.fill(0);
  pictures.forEach((p, k) => {
    const ox = (k % columns) * size, oy = Math.floor(k / columns) * size;
    for (let y = 0; y < size; y++) png.data.set(p.rgba.subarray(y * size * 4, (y + 1) * size * 4), ((oy + y) * png.width + ox) * 4);
  });
  return PNG.sync.write(png);
}

/** A square crop of about `sizePx` centred on a box, kept inside the slice. */
export function cropAround(v: Pick<Volume, 'rows' | 'columns'>, b: Box, sizePx: number): Box {
  const cx = (b[0] + b[2]) / 2, cy = (b[1] + b[3]) / 2;
  const half = Math.max(sizePx, (b[2] - b[0]) * 2, (b[3] - b[1]) * 2) / 2;
  const x0 = Math.round(Math.max(0, Math.min(v.columns - 2 * half, cx - half)));
  const y0 = Math.round(Math.max(0, Math.min(v.rows - 2 * half, cy - half)));
  return [x0, y0, Math.round(x0 + 2 * half - 1), Math.round(y0 + 2 * half - 1)];
}
