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
  /** Lowest output value: lower ones are raised to it (CT_FLOOR_HU for CT, -Infinity otherwise). */
  floor: number;
}

/**
 * The floor of CT values: nothing in a patient is below air (-1000 HU), so lower values are the
 * scanner's marks for pixels outside the reconstructed field of view (-2048, -3024, ...) and read as air.
 */
export const CT_FLOOR_HU = -1024;
/** What padding pixels (outside the reconstructed field of view) become: air. */
export const PADDING_HU = CT_FLOOR_HU;

/** Writes slope · stored + intercept for every pixel of `px` into `dst` from `offset`. */
export function rescaleInto(dst: Float32Array, offset: number, px: RawPixels): void {
  const { data, slope, intercept, padding, floor } = px;
  const n = data.length;
  // Specialised loops with everything hoisted: this runs over every voxel of the series.
  if (px.bitsStored >= px.bitsAllocated) {
    if (!padding) {
      for (let i = 0; i < n; i++) {
        const h = data[i] * slope + intercept;
        dst[offset + i] = h < floor ? floor : h;
      }
    } else {
      const lo = padding[0];
      const hi = padding[1];
      for (let i = 0; i < n; i++) {
        const v = data[i];
        const h = v * slope + intercept;
        dst[offset + i] = v >= lo && v <= hi ? PADDING_HU : h < floor ? floor : h;
      }
    }
    return;
  }
  // Bits above BitsStored may hold overlays or garbage: mask them, sign-extending signed data.
  const bits = px.bitsStored;
  const mask = (1 << bits) - 1;
  const shift = 32 - bits;
  const signed = px.signed;
  const lo = padding ? padding[0] : 1;
  const hi = padding ? padding[1] : 0;
  for (let i = 0; i < n; i++) {
    const raw = data[i] & mask;
    const v = signed ? (raw << shift) >> shift : raw;
    const h = v * slope + intercept;
    dst[offset + i] = v >= lo && v <= hi ? PADDING_HU : h < floor ? floor : h;
  }
}
