/** A CT series decoded into one geometry-aware volume: the unit every later stage works on. */

export type Vec3 = [number, number, number];

export interface Volume {
  /** Slices along the normal, sorted so that index 0 has the lowest position along `normal`. */
  readonly slices: number;
  readonly rows: number;
  readonly columns: number;
  /** [row spacing, column spacing] in mm, from PixelSpacing. */
  readonly pixelSpacing: [number, number];
  /** Distance between consecutive slice positions in mm (from the positions, not SliceThickness). */
  readonly sliceSpacing: number;
  /** Direction cosines of a row (x as the column index grows) and of a column (y as the row grows). */
  readonly rowCosines: Vec3;
  readonly columnCosines: Vec3;
  /** rowCosines × columnCosines. */
  readonly normal: Vec3;
  /** ImagePositionPatient of each slice, in volume order. */
  readonly positions: Vec3[];
  /** SOPInstanceUID of each slice (for multi-frame images, the same UID repeats with `frames`). */
  readonly sopInstanceUIDs: string[];
  /** Frame number (1-based) within its instance for multi-frame images; 1 for single-frame ones. */
  readonly frames: number[];
  readonly studyInstanceUID: string;
  readonly seriesInstanceUID: string;
  readonly modality: string;
  /** Hounsfield units, slice-major: hu[s * rows * columns + r * columns + c]. */
  readonly hu: Float32Array;
  /** Set where the series was smoothed for the analysis (rerank/analysis/noise.ts): its pixel noise (HU) as scanned. */
  readonly smoothedFromNoiseHU?: number;
}

/** Offset of voxel (slice, row, column) in `Volume.hu`. */
export function voxelIndex(v: Pick<Volume, 'rows' | 'columns'>, slice: number, row: number, column: number): number {
  return (slice * v.rows + row) * v.columns + column;
}
