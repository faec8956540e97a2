/** Raw stored pixel values → Hounsfield units (or the modality's rescaled units), one tight loop per frame. */

export type RawPixelArray = Int16Array | Uint16Array | Int8Array | Uint8Array;

export interface RawPixels {
  /** Exactly rows × columns stored values of one frame. */
  data: RawPixelArray;
  bitsAllocated: number;
  bitsStored: number;
  signed: boolean;
  slope: number;
  intercept: number;
  /** Stored values [low, high] that mark padding (PixelPaddingValue / PixelPaddingRangeLimit). */
  padding?: [number, number];
}

/** What padding pixels (outside the reconstructed field of view) become: air. */
export const PADDING_HU = -1024;

/** Writes slope · stored + intercept for every pixel of `px` into `dst` from `offset`. */
export function rescaleInto(dst: Float32Array, offset: number, px: RawPixels): void {
  const { data, slope, intercept } = px;
  const n = data.length;
  const needsMask = px.bitsStored < px.bitsAllocated;
  if (!needsMask && !px.padding) {
    if (slope === 1) {
      for (let i = 0; i < n; i++) dst[offset + i] = data[i] + intercept;
    } else {
      for (let i = 0; i < n; i++) dst[offset + i] = data[i] * slope + intercept;
    }
    return;
  }
  // Bits above BitsStored may hold overlays or garbage: mask them, sign-extending signed data.
  const bits = px.bitsStored;
  const mask = bits >= 32 ? 0xffffffff : (1 << bits) - 1;
  const shift = 32 - bits;
  const [padLo, padHi] = px.padding ?? [1, 0];
  for (let i = 0; i < n; i++) {
    let v = data[i];
    if (needsMask) v = px.signed ? ((v & mask) << shift) >> shift : v & mask;
    dst[offset + i] = v >= padLo && v <= padHi ? PADDING_HU : v * slope + intercept;
  }
}
