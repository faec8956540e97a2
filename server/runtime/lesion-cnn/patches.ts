/**
 * Patch extraction for the lesion CNN. The SAME function builds the training set
 * (models/train/make-dataset.ts) and feeds the model at inference, so the two cannot drift.
 *
 * A patch is a fixed physical field around a candidate centre: `size`×`size` pixels at `mmPerPixel`
 * in-plane, at `sliceOffsetsMm` along the slice normal (linear interpolation between slices), each
 * through every HU window. Resampling to fixed mm makes scanners with other pixel/slice spacing look alike.
 * Channel order: window-major, then slice offset (w0s0, w0s1, w0s2, w1s0, ...).
 */

/** The minimal view of a volume the extractor needs (a `Volume` satisfies it; so does a training crop). */
export interface HuGrid {
  readonly slices: number;
  readonly rows: number;
  readonly columns: number;
  /** [row spacing, column spacing] in mm. */
  readonly pixelSpacing: readonly [number, number] | readonly number[];
  readonly sliceSpacing: number;
  readonly hu: Float32Array;
}

export interface HuWindow {
  /** Window centre (level) in HU. */
  center: number;
  width: number;
}

export interface PatchSpec {
  /** Pixels per side. */
  size: number;
  mmPerPixel: number;
  /** Offsets along the slice normal in mm, e.g. [-3, 0, 3]. */
  sliceOffsetsMm: number[];
  windows: HuWindow[];
  /** Per-channel normalisation applied after windowing to 0..1: (x - mean) / std. */
  mean: number[];
  std: number[];
}

/** Where a patch is centred: fractional slice index, row and column of the volume. */
export interface PatchCentre {
  slice: number;
  row: number;
  column: number;
}

/** HU used outside the volume (air). */
export const OUTSIDE_HU = -1024;

export const LUNG_WINDOW: HuWindow = { center: -600, width: 1500 };
export const MEDIASTINAL_WINDOW: HuWindow = { center: 40, width: 400 };

/** The spec the bundled lesion model was trained with; the model's manifest repeats it and wins at inference. */
export const DEFAULT_PATCH_SPEC: PatchSpec = {
  size: 40,
  mmPerPixel: 1.2,
  sliceOffsetsMm: [-3, 0, 3],
  windows: [LUNG_WINDOW, MEDIASTINAL_WINDOW],
  mean: [0.5, 0.5, 0.5, 0.15, 0.15, 0.15],
  std: [0.3, 0.3, 0.3, 0.3, 0.3, 0.3],
};

export function channelCount(spec: PatchSpec): number {
  return spec.windows.length * spec.sliceOffsetsMm.length;
}

export function patchLength(spec: PatchSpec): number {
  return channelCount(spec) * spec.size * spec.size;
}

/** Throws when a spec cannot describe a patch (used when a manifest is loaded). */
export function checkPatchSpec(spec: PatchSpec): void {
  const c = channelCount(spec);
  if (!(spec.size >= 4 && Number.isInteger(spec.size))) throw new Error(`patch size must be an integer >= 4, got ${spec.size}`);
  if (!(spec.mmPerPixel > 0)) throw new Error(`mmPerPixel must be > 0, got ${spec.mmPerPixel}`);
  if (spec.sliceOffsetsMm.length < 1 || spec.windows.length < 1) throw new Error('need at least one slice offset and one window');
  if (spec.mean.length !== c || spec.std.length !== c) throw new Error(`mean/std need ${c} entries (windows x slices)`);
  if (spec.std.some((s) => !(s > 0))) throw new Error('std entries must be > 0');
  if (spec.windows.some((w) => !(w.width > 0))) throw new Error('window widths must be > 0');
}

/**
 * HU at a fractional (slice, row, column): trilinear, OUTSIDE_HU beyond the grid (more than half a
 * voxel out). The reference for the fast plane sampler below, which must give the same values.
 */
export function sampleHu(g: HuGrid, s: number, r: number, c: number): number {
  const { slices, rows, columns, hu } = g;
  if (s < -0.5 || s > slices - 0.5 || r < -0.5 || r > rows - 0.5 || c < -0.5 || c > columns - 0.5) return OUTSIDE_HU;
  const s0 = Math.max(0, Math.min(slices - 1, Math.floor(s)));
  const r0 = Math.max(0, Math.min(rows - 1, Math.floor(r)));
  const c0 = Math.max(0, Math.min(columns - 1, Math.floor(c)));
  const s1 = Math.min(slices - 1, s0 + 1);
  const r1 = Math.min(rows - 1, r0 + 1);
  const c1 = Math.min(columns - 1, c0 + 1);
  const fs = Math.max(0, Math.min(1, s - s0));
  const fr = Math.max(0, Math.min(1, r - r0));
  const fc = Math.max(0, Math.min(1, c - c0));
  const plane = rows * columns;
  const at = (ss: number, rr: number, cc: number): number => hu[ss * plane + rr * columns + cc];
  const a = at(s0, r0, c0) * (1 - fc) + at(s0, r0, c1) * fc;
  const b = at(s0, r1, c0) * (1 - fc) + at(s0, r1, c1) * fc;
  const d = at(s1, r0, c0) * (1 - fc) + at(s1, r0, c1) * fc;
  const e = at(s1, r1, c0) * (1 - fc) + at(s1, r1, c1) * fc;
  const top = a * (1 - fr) + b * fr;
  const bottom = d * (1 - fr) + e * fr;
  return top * (1 - fs) + bottom * fs;
}

/** Axis sample positions → lower index, upper index, fraction, inside flag (same rules as sampleHu). */
function axis(n: number, positions: Float64Array): { i0: Int32Array; i1: Int32Array; f: Float64Array; ok: Uint8Array } {
  const len = positions.length;
  const i0 = new Int32Array(len);
  const i1 = new Int32Array(len);
  const f = new Float64Array(len);
  const ok = new Uint8Array(len);
  for (let k = 0; k < len; k++) {
    const p = positions[k];
    ok[k] = p < -0.5 || p > n - 0.5 ? 0 : 1;
    const a = Math.max(0, Math.min(n - 1, Math.floor(p)));
    i0[k] = a;
    i1[k] = Math.min(n - 1, a + 1);
    f[k] = Math.max(0, Math.min(1, p - a));
  }
  return { i0, i1, f, ok };
}

/** One size×size plane of HU at fractional slice `s`, sampled on the patch grid (separable indices). */
function samplePlane(g: HuGrid, s: number, rowsAt: ReturnType<typeof axis>, colsAt: ReturnType<typeof axis>, out: Float32Array, size: number): void {
  const { slices, rows, columns, hu } = g;
  if (s < -0.5 || s > slices - 0.5) {
    out.fill(OUTSIDE_HU);
    return;
  }
  const s0 = Math.max(0, Math.min(slices - 1, Math.floor(s)));
  const s1 = Math.min(slices - 1, s0 + 1);
  const fs = Math.max(0, Math.min(1, s - s0));
  const plane = rows * columns;
  for (let y = 0; y < size; y++) {
    const o = y * size;
    if (!rowsAt.ok[y]) {
      out.fill(OUTSIDE_HU, o, o + size);
      continue;
    }
    const fr = rowsAt.f[y];
    const b00 = s0 * plane + rowsAt.i0[y] * columns;
    const b01 = s0 * plane + rowsAt.i1[y] * columns;
    const b10 = s1 * plane + rowsAt.i0[y] * columns;
    const b11 = s1 * plane + rowsAt.i1[y] * columns;
    for (let x = 0; x < size; x++) {
      if (!colsAt.ok[x]) {
        out[o + x] = OUTSIDE_HU;
        continue;
      }
      const c0 = colsAt.i0[x];
      const c1 = colsAt.i1[x];
      const fc = colsAt.f[x];
      const a = hu[b00 + c0] * (1 - fc) + hu[b00 + c1] * fc;
      const b = hu[b01 + c0] * (1 - fc) + hu[b01 + c1] * fc;
      const d = hu[b10 + c0] * (1 - fc) + hu[b10 + c1] * fc;
      const e = hu[b11 + c0] * (1 - fc) + hu[b11 + c1] * fc;
      const top = a * (1 - fr) + b * fr;
      const bottom = d * (1 - fr) + e * fr;
      out[o + x] = top * (1 - fs) + bottom * fs;
    }
  }
}

/** HU → 0..1 through a window. */
export function applyWindow(hu: number, w: HuWindow): number {
  const lo = w.center - w.width / 2;
  const v = (hu - lo) / w.width;
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/**
 * Windowed (0..1, NOT normalised) patch values for one centre, written into `out` at `offset`.
 * Split from normalisation so the training set can store them compactly; `extractPatches` normalises.
 */
export function writeWindowedPatch(g: HuGrid, centre: PatchCentre, spec: PatchSpec, out: Float32Array, offset = 0): void {
  const { size, mmPerPixel, sliceOffsetsMm, windows } = spec;
  const [rowSpacing, colSpacing] = [g.pixelSpacing[0], g.pixelSpacing[1]];
  const stepR = mmPerPixel / rowSpacing;
  const stepC = mmPerPixel / colSpacing;
  const half = (size - 1) / 2;
  const plane = size * size;
  const huPlane = new Float32Array(plane);
  const rowPos = new Float64Array(size);
  const colPos = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    rowPos[i] = centre.row + (i - half) * stepR;
    colPos[i] = centre.column + (i - half) * stepC;
  }
  const rowsAt = axis(g.rows, rowPos);
  const colsAt = axis(g.columns, colPos);
  for (let k = 0; k < sliceOffsetsMm.length; k++) {
    samplePlane(g, centre.slice + sliceOffsetsMm[k] / g.sliceSpacing, rowsAt, colsAt, huPlane, size);
    for (let w = 0; w < windows.length; w++) {
      const base = offset + (w * sliceOffsetsMm.length + k) * plane;
      for (let i = 0; i < plane; i++) out[base + i] = applyWindow(huPlane[i], windows[w]);
    }
  }
}

/** Normalises windowed values in place: (x - mean[ch]) / std[ch]. */
export function normalisePatches(data: Float32Array, count: number, spec: PatchSpec): void {
  const plane = spec.size * spec.size;
  const channels = channelCount(spec);
  for (let n = 0; n < count; n++) {
    for (let ch = 0; ch < channels; ch++) {
      const base = (n * channels + ch) * plane;
      const m = spec.mean[ch];
      const inv = 1 / spec.std[ch];
      for (let i = 0; i < plane; i++) data[base + i] = (data[base + i] - m) * inv;
    }
  }
}

/** A batch [N, channels, size, size] of normalised patches, ready for the model. */
export function extractPatches(g: HuGrid, centres: readonly PatchCentre[], spec: PatchSpec): Float32Array {
  const len = patchLength(spec);
  const out = new Float32Array(centres.length * len);
  centres.forEach((c, i) => writeWindowedPatch(g, c, spec, out, i * len));
  normalisePatches(out, centres.length, spec);
  return out;
}

/**
 * Maps a heatmap cell (hx, hy) of an `hSize`×`hSize` map over the patch back to a pixel box on the
 * centre slice: the inverse of the patch sampling, so the scorer can outline the region.
 */
export function heatCellToPixels(
  g: Pick<HuGrid, 'pixelSpacing'>,
  centre: PatchCentre,
  spec: PatchSpec,
  hSize: number,
  hx: number,
  hy: number,
): { x0: number; y0: number; x1: number; y1: number } {
  const cellMm = (spec.size * spec.mmPerPixel) / hSize;
  const halfMm = (spec.size * spec.mmPerPixel) / 2;
  const colSp = g.pixelSpacing[1];
  const rowSp = g.pixelSpacing[0];
  return {
    x0: centre.column + (hx * cellMm - halfMm) / colSp,
    x1: centre.column + ((hx + 1) * cellMm - halfMm) / colSp,
    y0: centre.row + (hy * cellMm - halfMm) / rowSp,
    y1: centre.row + ((hy + 1) * cellMm - halfMm) / rowSp,
  };
}
