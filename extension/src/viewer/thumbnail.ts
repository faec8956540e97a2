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

/** RGBA pixels of a size×size preview (letterboxed to keep the aspect ratio). */
export function thumbnailPixels(image: CachedImage, size: number, win: WindowSpec = LUNG_WINDOW): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(size * size * 4);
  const src = image.getPixelData();
  const scaled = image.preScale?.scaled === true;
  const slope = scaled ? 1 : (image.slope ?? 1);
  const intercept = scaled ? 0 : (image.intercept ?? 0);
  const scale = Math.max(image.rows, image.columns) / size;
  const offX = (size - image.columns / scale) / 2;
  const offY = (size - image.rows / scale) / 2;
  const lo = win.center - win.width / 2;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const o = (y * size + x) * 4;
      out[o + 3] = 255;
      const c = Math.floor((x - offX) * scale);
      const r = Math.floor((y - offY) * scale);
      if (c < 0 || r < 0 || c >= image.columns || r >= image.rows) continue;
      const hu = src[r * image.columns + c] * slope + intercept;
      const v = ((hu - lo) / win.width) * 255;
      out[o] = out[o + 1] = out[o + 2] = v;
    }
  }
  return out;
}

/** A PNG data URL, or undefined where the browser gives no 2D canvas. */
export function thumbnailDataUrl(image: CachedImage, size: number): string | undefined {
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
  const data = new ImageData(thumbnailPixels(image, size), size, size);
  ctx.putImageData(data, 0, 0);
  return canvas.toDataURL('image/png');
}
