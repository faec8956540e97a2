/**
 * Small previews of result slices from images the host's cornerstone already decoded: a lung window
 * over the HU values, nearest-neighbour down to a square. No second decoder, no extra download.
 */
import type { CachedImage } from './hostTypes';

export interface WindowSpec {
  center: number;
  width: number;
}

/** Lung window: nodules and ground glass both stay visible. */
export const LUNG_WINDOW: WindowSpec = { center: -600, width: 1500 };

export interface Crop {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A square around a lesion's box: 2.5 times its larger side (at least 48 px), inside the image where it can be. */
export function cropAround(box: Crop, image: { rows: number; columns: number }): Crop {
  const side = Math.min(Math.max(image.rows, image.columns), Math.max(48, 2.5 * Math.max(box.w, box.h)));
  const cx = box.x + box.w / 2;
  const cy = box.y + box.h / 2;
  const x = Math.min(Math.max(0, cx - side / 2), Math.max(0, image.columns - side));
  const y = Math.min(Math.max(0, cy - side / 2), Math.max(0, image.rows - side));
  return { x, y, w: side, h: side };
}

/** RGBA pixels of a size×size preview of the image, or of a part of it (letterboxed to keep the aspect ratio). */
export function thumbnailPixels(image: CachedImage, size: number, win: WindowSpec = LUNG_WINDOW, crop?: Crop): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(size * size * 4);
  const src = image.getPixelData();
  const scaled = image.preScale?.scaled === true;
  const slope = scaled ? 1 : (image.slope ?? 1);
  const intercept = scaled ? 0 : (image.intercept ?? 0);
  const view = crop ?? { x: 0, y: 0, w: image.columns, h: image.rows };
  const scale = Math.max(view.h, view.w) / size;
  const offX = (size - view.w / scale) / 2;
  const offY = (size - view.h / scale) / 2;
  const lo = win.center - win.width / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const o = (y * size + x) * 4;
      out[o + 3] = 255;
      const c = Math.floor(view.x + (x - offX) * scale);
      const r = Math.floor(view.y + (y - offY) * scale);
      if (c < view.x || r < view.y || c >= view.x + view.w || c >= image.columns || r >= image.rows) continue;
      const hu = src[r * image.columns + c] * slope + intercept;
      const v = ((hu - lo) / win.width) * 255;
      out[o] = out[o + 1] = out[o + 2] = v;
    }
  }
  return out;
}

/** A PNG data URL, or undefined where the browser gives no 2D canvas. */
export function thumbnailDataUrl(image: CachedImage, size: number, crop?: Crop): string | undefined {
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  let ctx: CanvasRenderingContext2D | null = null;
  try {
    ctx = canvas.getContext('2d');
  } catch {
    ctx = null;
  }
  if (!ctx) return undefined;
  const data = new ImageData(thumbnailPixels(image, size, LUNG_WINDOW, crop), size, size);
  ctx.putImageData(data, 0, 0);
  return canvas.toDataURL('image/png');
}
