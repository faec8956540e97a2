/**
 * Minimal reader for the training script: one axial CT series folder → HU grid plus the file of each
 * slice (so evaluation slices can be excluded by name). Kept here rather than using the product loader
 * so training does not depend on server code that may change; it only handles the plain uncompressed
 * axial series the training data is.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { HuGrid } from '../../server/runtime/lesion-cnn/patches';

// dcmjs ships no types: the two calls used here, typed.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dcmjs = require('dcmjs') as {
  data: {
    DicomMessage: { readFile(buf: ArrayBuffer): { dict: unknown } };
    DicomMetaDictionary: { naturalizeDataset(dict: unknown): unknown };
  };
};

export interface TrainingCt {
  grid: HuGrid;
  /** File name of each slice in volume order (ascending position along the normal). */
  files: string[];
}

interface Naturalized {
  Rows: number;
  Columns: number;
  ImagePositionPatient: number[];
  PixelSpacing: number[];
  RescaleSlope?: number;
  RescaleIntercept?: number;
  PixelRepresentation?: number;
  BitsAllocated: number;
  PixelData: ArrayBuffer[];
}

export function readCtFolder(dir: string): TrainingCt {
  const names = fs.readdirSync(dir).filter((n) => n.toLowerCase().endsWith('.dcm')).sort();
  const slices = names.map((name) => {
    const buf = fs.readFileSync(path.join(dir, name));
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    const data = dcmjs.data;
    const ds = data.DicomMetaDictionary.naturalizeDataset(data.DicomMessage.readFile(ab).dict) as Naturalized;
    if (ds.BitsAllocated !== 16) throw new Error(`${name}: only 16-bit pixels are supported by the training reader`);
    const px = ds.PixelRepresentation === 1 ? new Int16Array(ds.PixelData[0]) : new Uint16Array(ds.PixelData[0]);
    const slope = ds.RescaleSlope ?? 1;
    const intercept = ds.RescaleIntercept ?? 0;
    const hu = new Float32Array(ds.Rows * ds.Columns);
    for (let i = 0; i < hu.length; i++) hu[i] = px[i] * slope + intercept;
    return { name, z: Number(ds.ImagePositionPatient[2]), rows: ds.Rows, columns: ds.Columns, spacing: ds.PixelSpacing.map(Number), hu };
  });
  slices.sort((a, b) => a.z - b.z);
  const { rows, columns, spacing } = slices[0];
  const plane = rows * columns;
  const hu = new Float32Array(slices.length * plane);
  slices.forEach((s, i) => hu.set(s.hu, i * plane));
  const sliceSpacing = slices.length > 1 ? (slices[slices.length - 1].z - slices[0].z) / (slices.length - 1) : 1;
  return {
    grid: { slices: slices.length, rows, columns, pixelSpacing: [spacing[0], spacing[1]], sliceSpacing, hu },
    files: slices.map((s) => s.name),
  };
}

/** A contiguous run of slices [from, to) as its own grid (a copy), so nothing outside it can leak in. */
export function sliceRange(grid: HuGrid, from: number, to: number): HuGrid {
  const plane = grid.rows * grid.columns;
  return { ...grid, slices: to - from, hu: grid.hu.slice(from * plane, to * plane) };
}
