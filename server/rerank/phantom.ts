/**
 * A synthetic chest CT: air outside, a soft-tissue body (≈0 HU), two lungs (≈-850 HU), an optional
 * trachea splitting into two bronchi, tubes as vessels and spheres as lesions, all placed in patient
 * millimetres so the geometry code is exercised. The analysis tests build their cases from it, and the
 * service analyses one at its start so that its workers have compiled the analysis before the first
 * series (http/warm-up.ts).
 */
import type { Vec3, Volume } from '../series/volume';

export interface Sphere {
  centre: Vec3;
  diameter: number;
  hu: number;
  /** Graded ground glass: the density falls from `hu` at the centre to this at the rim. */
  rimHu?: number;
}
export interface Tube { from: Vec3; to: Vec3; diameter: number; hu: number }

export interface ChestOptions {
  slices?: number;
  rows?: number;
  columns?: number;
  pixelSpacing?: number;
  sliceSpacing?: number;
  /** Image row direction; [-1,0,0] mirrors the image (patient left on the image left). */
  rowCosines?: Vec3;
  spheres?: Sphere[];
  tubes?: Tube[];
  trachea?: boolean;
  /** Height (mm) of a soft-tissue dome (liver, spleen) rising under each lung base, as wide as the lung. */
  dome?: number;
  /** Deterministic noise amplitude (HU). */
  noise?: number;
}

/** Patient-space layout (mm): body centred on x = 0, y = 0; lungs at x = ±55; z from 0 (base) upwards. */
export const LUNG_X = 55;

export function chestVolume(o: ChestOptions = {}): Volume {
  const slices = o.slices ?? 48;
  const rows = o.rows ?? 128;
  const columns = o.columns ?? 128;
  const ps = o.pixelSpacing ?? 1.6;
  const ss = o.sliceSpacing ?? 2.5;
  const rowCos: Vec3 = o.rowCosines ?? [1, 0, 0];
  const colCos: Vec3 = [0, 1, 0];
  const normal: Vec3 = [rowCos[1] * colCos[2] - rowCos[2] * colCos[1], rowCos[2] * colCos[0] - rowCos[0] * colCos[2], rowCos[0] * colCos[1] - rowCos[1] * colCos[0]];
  // first pixel placed so the image centre is patient (0, 0)
  const x0 = -rowCos[0] * ((columns - 1) / 2) * ps;
  const y0 = -((rows - 1) / 2) * ps;
  const zTop = (slices - 1) * ss;
  // index 0 is the lowest position along the normal: the base when the normal points to the head
  const positions: Vec3[] = [];
  for (let s = 0; s < slices; s++) positions.push([x0, y0, normal[2] < 0 ? zTop - s * ss : s * ss]);
  const hu = new Float32Array(slices * rows * columns);
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff - 0.5;
  };
  const spheres = o.spheres ?? [];
  const tubes = o.tubes ?? [];
  const carinaZ = zTop * 0.62;
  for (let s = 0; s < slices; s++) {
    const z = positions[s][2];
    const zn = z / zTop; // 0 base .. 1 top
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < columns; c++) {
        const x = positions[s][0] + rowCos[0] * c * ps;
        const y = positions[s][1] + r * ps;
        let v = -1000;
        if ((x / 95) ** 2 + (y / 75) ** 2 <= 1) {
          v = 0;
          // lungs: ellipses that shrink towards the apex and end above the base slice
          if (zn > 0.04 && zn < 0.97) {
            const shrink = zn > 0.8 ? 1 - (zn - 0.8) * 2.5 : 1;
            for (const side of [-1, 1]) {
              const dx = (x - side * LUNG_X) / (32 * shrink);
              const dy = (y - 2) / (52 * shrink);
              if (dx * dx + dy * dy <= 1) v = -850;
            }
          }
          if (o.trachea) {
            // trachea down to the carina, then two bronchi heading to each lung
            const rad = 8;
            if (z >= carinaZ && Math.hypot(x, y + 20) <= rad) v = -1000;
            if (z < carinaZ && z > carinaZ - 20) {
              const t = (carinaZ - z) / 20;
              for (const side of [-1, 1]) if (Math.hypot(x - side * (6 + 20 * t), y + 20) <= 5) v = -1000;
            }
          }
        }
        if (o.dome && v === -850) {
          // the diaphragm bulging up into each lung base, a smooth dome of soft tissue
          for (const side of [-1, 1]) {
            const q = ((x - side * LUNG_X) / 32) ** 2 + ((y - 2) / 52) ** 2;
            if (q < 1 && z <= zTop * 0.04 + o.dome * (1 - q)) v = 40;
          }
        }
        for (const sp of spheres) {
          const d = Math.hypot(x - sp.centre[0], y - sp.centre[1], z - sp.centre[2]);
          const t = d / (sp.diameter / 2);
          if (t <= 1) v = sp.rimHu === undefined ? sp.hu : sp.hu + (sp.rimHu - sp.hu) * t * t;
        }
        for (const tb of tubes) {
          const ax = tb.to[0] - tb.from[0], ay = tb.to[1] - tb.from[1], az = tb.to[2] - tb.from[2];
          const len2 = ax * ax + ay * ay + az * az;
          const t = Math.max(0, Math.min(1, ((x - tb.from[0]) * ax + (y - tb.from[1]) * ay + (z - tb.from[2]) * az) / len2));
          const d = Math.hypot(x - tb.from[0] - t * ax, y - tb.from[1] - t * ay, z - tb.from[2] - t * az);
          if (d <= tb.diameter / 2) v = tb.hu;
        }
        hu[(s * rows + r) * columns + c] = v + (o.noise ?? 10) * rand();
      }
  }
  return {
    slices,
    rows,
    columns,
    pixelSpacing: [ps, ps],
    sliceSpacing: ss,
    rowCosines: rowCos,
    columnCosines: colCos,
    normal,
    positions,
    sopInstanceUIDs: positions.map((_, i) => `1.2.826.0.1.3680043.8.498.${i + 1}`),
    frames: positions.map(() => 1),
    studyInstanceUID: '1.2.826.0.1.3680043.8.498.1000',
    seriesInstanceUID: '1.2.826.0.1.3680043.8.498.2000',
    modality: 'CT',
    hu,
  };
}

/** Volume slice index whose position is nearest to patient z. */
export function sliceAtZ(v: Volume, z: number): number {
  let best = 0;
  for (let i = 1; i < v.slices; i++) if (Math.abs(v.positions[i][2] - z) < Math.abs(v.positions[best][2] - z)) best = i;
  return best;
}
