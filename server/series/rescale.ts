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
  const { data } = px;
  const n = data.length;
  if (data.BYTES_PER_ELEMENT === 2) {
    // 16-bit pixels: one look-up per pixel in a table of all 65,536 stored bit patterns (masking, sign, padding
    // and floor folded in); on LIDC-IDRI-0001 0.46 ms a slice against 0.61 for the arithmetic with its branches
    const table = tableFor(px, data instanceof Int16Array);
    const bits = new Uint16Array(data.buffer, data.byteOffset, n);
    const out = dst.subarray(offset, offset + n);
    for (let i = 0; i < n; i++) out[i] = table[bits[i]];
    return;
  }
  for (let i = 0; i < n; i++) dst[offset + i] = rescaleOne(data[i], px);
}

/** The output value of one stored value (its bit pattern as the array holds it). */
function rescaleOne(stored: number, px: Omit<RawPixels, 'data'>): number {
  const { slope, intercept, padding, floor } = px;
  let v = stored;
  // bits above BitsStored may hold overlays or garbage: masked, signed data sign-extended
  if (px.bitsStored < px.bitsAllocated) {
    const raw = v & ((1 << px.bitsStored) - 1);
    v = px.signed ? (raw << (32 - px.bitsStored)) >> (32 - px.bitsStored) : raw;
  }
  if (padding && v >= padding[0] && v <= padding[1]) return PADDING_HU;
  const h = v * slope + intercept;
  return h < floor ? floor : h;
}

/** Per thread, the last table built: the frames of a series share their pixel format and rescale. */
let lastTable: { key: string; table: Float32Array } | undefined;

/** rescaleOne of every 16-bit pattern (read as the array reads it: `signed`), indexed by the pattern read as unsigned. */
function tableFor(px: RawPixels, signed: boolean): Float32Array {
  const key = `${signed ? 's' : 'u'} ${px.signed ? 's' : 'u'}${px.bitsAllocated}/${px.bitsStored} ${px.slope} ${px.intercept} ${px.padding?.join(',') ?? ''} ${px.floor}`;
  if (lastTable?.key === key) return lastTable.table;
  const table = new Float32Array(65536);
  for (let u = 0; u < 65536; u++) table[u] = rescaleOne(signed && u >= 32768 ? u - 65536 : u, px);
  lastTable = { key, table };
  return table;
}
