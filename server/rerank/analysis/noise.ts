/**
 * Pixel noise: how much of it a series carries, and that series quietened when it carries more than the
 * stages were built for. A low-dose screening scan, or a sharp kernel on a thin slice, puts 50-70 HU of
 * noise on every pixel: a lesion's edge frays, its pieces fall apart, and the partial-volume bands along
 * the diaphragm and the dependent lung read as tissue. Smoothed in the plane, such a scan reads as a
 * diagnostic one does; a series no noisier than that is left exactly as it is.
 */
import { sharedFloat32 } from '../../series/assemble';
import type { Volume } from '../../series/volume';

/**
 * Above this (HU, one deviation of the pixel-to-pixel noise in soft tissue and fat) a series is smoothed.
 * Diagnostic chest CT reads 10-45 here (a 5 mm slice on a standard kernel about 40); a low-dose
 * screening scan on a lung kernel 55-70.
 */
export const NOISY_HU = 50;
/** Soft tissue and fat, where the pixel-to-pixel difference is noise rather than structure. */
const TISSUE_HU: [number, number] = [-200, 150];

/**
 * The series' pixel noise (HU): the robust spread of each tissue pixel against the mean of its two
 * neighbours in the row (a second difference, √1.5 times the noise for white noise), over every third
 * slice and every fourth row. Structure adds few large differences, which the median ignores.
 */
export function pixelNoiseHU(v: Pick<Volume, 'slices' | 'rows' | 'columns' | 'hu'>): number {
  const { rows: R, columns: C, hu } = v;
  // |difference| in 0.5 HU bins up to 512 HU: a histogram median, no array of every sample
  const bins = new Uint32Array(1024);
  let n = 0;
  for (let s = 0; s < v.slices; s += 3)
    for (let r = 0; r < R; r += 4) {
      const row = (s * R + r) * C;
      for (let c = 1; c < C - 1; c++) {
        const a = hu[row + c], l = hu[row + c - 1], b = hu[row + c + 1];
        if (a < TISSUE_HU[0] || a > TISSUE_HU[1] || l < TISSUE_HU[0] || l > TISSUE_HU[1] || b < TISSUE_HU[0] || b > TISSUE_HU[1]) continue;
        bins[Math.min(1023, Math.floor(Math.abs(a - (l + b) / 2) * 2))]++;
        n++;
      }
    }
  if (!n) return 0;
  let k = 0;
  for (let seen = 0; k < 1023 && (seen += bins[k]) < n / 2; k++);
  return (1.4826 * (k + 0.5)) / 2 / Math.sqrt(1.5);
}

/**
 * The series as the analysis reads it: the same volume when its noise is at most NOISY_HU (or it is no CT),
 * else the volume with each slice smoothed by a [1 2 1]² kernel (about one pixel: white noise falls to
 * 0.375 of itself, a 5 mm lesion keeps its edge), written to `out`: a new buffer by default, or the
 * volume's own HU (slice by slice, which is safe) where the caller owns it. Writing into memory the
 * process has not touched yet costs more than the smoothing on a virtual machine.
 */
export function quietened(v: Volume, out?: Float32Array): Volume {
  // already quietened (the server smooths where it assembles the series): neither measured nor smoothed again
  if (v.smoothedFromNoiseHU !== undefined) return v;
  const noise = v.modality === 'CT' ? pixelNoiseHU(v) : 0;
  if (noise <= NOISY_HU) return v;
  const { rows: R, columns: C, hu: src } = v;
  const plane = R * C;
  const hu = out ?? sharedFloat32(src.length); // read by the pool's threads as the volume's was
  const across = new Float32Array(plane);
  for (let s = 0; s < v.slices; s++) {
    const o = s * plane;
    // along the rows, then down the columns; an edge pixel stands in for its missing neighbour
    for (let r = 0; r < R; r++) {
      const row = o + r * C, at = r * C;
      across[at] = (3 * src[row] + src[row + 1]) / 4;
      for (let c = 1; c < C - 1; c++) across[at + c] = (src[row + c - 1] + 2 * src[row + c] + src[row + c + 1]) / 4;
      across[at + C - 1] = (src[row + C - 2] + 3 * src[row + C - 1]) / 4;
    }
    for (let r = 0; r < R; r++) {
      const up = Math.max(0, r - 1) * C, mid = r * C, down = Math.min(R - 1, r + 1) * C, at = o + r * C;
      for (let c = 0; c < C; c++) hu[at + c] = (across[up + c] + 2 * across[mid + c] + across[down + c]) / 4;
    }
  }
  return { ...v, hu, smoothedFromNoiseHU: Math.round(noise) };
}
