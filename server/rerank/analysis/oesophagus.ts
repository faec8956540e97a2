/**
 * The oesophagus, followed along the slices as an organ, so that the node search does not take it for a node:
 * below the carina it lies where subcarinal and paraoesophageal nodes do, of their density, and cut at its
 * narrowings it is a short oval of tissue with fat around it (on LIDC-IDRI-0001 and Lung-PET-CT-Dx, pieces of it
 * answered "subcarinal lymphadenopathy" at 0.64–0.81).
 *
 * Seeded behind the trachea above the carina, where it is the only thing of its size between the trachea and
 * the spine, and followed slice by slice, both ways, through soft tissue and the air of its lumen, never into
 * the aorta, bone, the airway or aerated lung: each slice's centre is the centroid of what of it lies within a
 * disc around the last one. Looked at on the three development scans (a `.diag` rendering of a dozen of its
 * slices each): from the neck base to the hiatus on each. A node behind the trachea at the seed's height
 * (station 3p) would be taken for it.
 */
import { Compartment } from './compartments';
import type { Grid } from './grid';
import type { LungMasks } from './lungs';
import { patientX, patientY, type TracheaSection } from './mediastinum';
import type { Vec3 } from '../../series/volume';

/** Soft tissue, and the air of its lumen below this. */
const TISSUE_HU: [number, number] = [-25, 150];
const LUMEN_AIR_HU = -300;
/** Seeded this far above the carina (mm), in the strip this deep behind the trachea's back wall and this far to its right and left (mm). */
const SEED_ABOVE_CARINA_MM: [number, number] = [15, 50];
const SEED_BEHIND_MM = 15;
const SEED_RIGHT_MM = 12, SEED_LEFT_MM = 20;
/** Radius (mm) of the disc followed from slice to slice: about the oesophagus' own, collapsed or not. */
export const OESOPHAGUS_RADIUS_MM = 10;
/** Followed while at least this much of the disc (mm²) is oesophagus, and its centre moves at most this far (mm) a slice. */
const MIN_AREA_MM2 = 30;
const MAX_STEP_MM = 8;

// behind the left atrium the compartments call it heart: it lies against the heart's back with no fat between
const MEDIASTINUM: number = Compartment.Mediastinum, HEART: number = Compartment.Heart;

/** Per grid slice, the oesophagus' centre (patient mm) where it was followed. */
export function trackOesophagus(g: Grid, m: LungMasks, compartments: Uint8Array, trachea: ReadonlyArray<TracheaSection | undefined>, aorta: Uint8Array, carina: Vec3): Array<Vec3 | undefined> {
  const out: Array<Vec3 | undefined> = new Array(g.slices).fill(undefined);
  const plane = g.rows * g.columns;
  const isOesophagus = (i: number): boolean => {
    if ((compartments[i] !== MEDIASTINUM && compartments[i] !== HEART) || aorta[i] || m.airway.mask[i] || m.aerated[i] || !m.body[i]) return false;
    const hu = g.hu[i];
    return (hu >= TISSUE_HU[0] && hu <= TISSUE_HU[1]) || hu < LUMEN_AIR_HU;
  };
  // grid row and column of a patient point on slice s (the in-plane steps inverted)
  const det = g.rowStep[0] * g.colStep[1] - g.rowStep[1] * g.colStep[0];
  const gridAt = (s: number, x: number, y: number): [number, number] => {
    const dx = x - g.origin[s][0], dy = y - g.origin[s][1];
    return [(dx * g.colStep[1] - dy * g.colStep[0]) / det, (dy * g.rowStep[0] - dx * g.rowStep[1]) / det];
  };
  // what of the slice is oesophagus inside a patient-space shape within `reachMm` of (x, y): its centroid and area
  const centroid = (s: number, x0: number, y0: number, reachMm: number, inside: (x: number, y: number) => boolean): { x: number; y: number; areaMm2: number } | undefined => {
    const [r0, c0] = gridAt(s, x0, y0);
    const k = Math.ceil(reachMm / Math.min(g.spacing[1], g.spacing[2])) + 1;
    let n = 0, sx = 0, sy = 0;
    for (let r = Math.max(0, Math.floor(r0) - k); r <= Math.min(g.rows - 1, Math.ceil(r0) + k); r++)
      for (let c = Math.max(0, Math.floor(c0) - k); c <= Math.min(g.columns - 1, Math.ceil(c0) + k); c++) {
        const x = patientX(g, s, r, c), y = patientY(g, s, r, c);
        if (!inside(x, y) || !isOesophagus(s * plane + r * g.columns + c)) continue;
        n++; sx += x; sy += y;
      }
    return n ? { x: sx / n, y: sy / n, areaMm2: n * g.spacing[1] * g.spacing[2] } : undefined;
  };
  // the seed: the slice whose height is nearest the middle of the seed band, behind its tracheal section
  let seedSlice = -1;
  const mid = carina[2] + (SEED_ABOVE_CARINA_MM[0] + SEED_ABOVE_CARINA_MM[1]) / 2;
  for (let s = 0; s < g.slices; s++) {
    const z = g.origin[s][2];
    if (!trachea[s] || z < carina[2] + SEED_ABOVE_CARINA_MM[0] || z > carina[2] + SEED_ABOVE_CARINA_MM[1]) continue;
    if (seedSlice < 0 || Math.abs(z - mid) < Math.abs(g.origin[seedSlice][2] - mid)) seedSlice = s;
  }
  if (seedSlice < 0) return out;
  const t = trachea[seedSlice]!;
  const seed = centroid(seedSlice, t.x, t.backY, Math.max(SEED_BEHIND_MM, SEED_LEFT_MM), (x, y) => y > t.backY && y < t.backY + SEED_BEHIND_MM && x > t.x - SEED_RIGHT_MM && x < t.x + SEED_LEFT_MM);
  if (!seed || seed.areaMm2 < MIN_AREA_MM2) return out;
  out[seedSlice] = [seed.x, seed.y, g.origin[seedSlice][2]];
  const r2 = OESOPHAGUS_RADIUS_MM ** 2;
  for (const step of [1, -1]) {
    let at = seed;
    for (let s = seedSlice + step; s >= 0 && s < g.slices; s += step) {
      const next = centroid(s, at.x, at.y, OESOPHAGUS_RADIUS_MM, (x, y) => (x - at.x) ** 2 + (y - at.y) ** 2 <= r2);
      if (!next || next.areaMm2 < MIN_AREA_MM2 || Math.hypot(next.x - at.x, next.y - at.y) > MAX_STEP_MM) break;
      out[s] = [next.x, next.y, g.origin[s][2]];
      at = next;
    }
  }
  return out;
}
