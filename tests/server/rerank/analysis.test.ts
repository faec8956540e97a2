import { analyseVolume } from '../../../server/rerank/pipeline';
import { textureOf } from '../../../server/rerank/fuse';
import type { Candidate } from '../../../server/rerank/analysis/types';
import type { Vec3 } from '../../../server/series/volume';
import { chestVolume, LUNG_X, sliceAtZ } from './synthetic';
import { cropVolume } from '../../../scripts/eval-looks';

/** The candidate whose centroid is nearest to a patient point. */
function nearest(cands: Candidate[], p: Vec3): Candidate {
  let best = cands[0];
  const d = (c: Candidate): number => Math.hypot(c.centroidMm[0] - p[0], c.centroidMm[1] - p[1], c.centroidMm[2] - p[2]);
  for (const c of cands) if (d(c) < d(best)) best = c;
  return best;
}

const texture = (c: Candidate): string => {
  const t = textureOf({ candidate: c });
  return t.groundGlass >= t.solid && t.groundGlass >= t.partSolid ? 'ground-glass' : t.solid >= t.partSolid ? 'solid' : 'part-solid';
};

describe('chest CT analysis on synthetic volumes', () => {
  const solidAt: Vec3 = [LUNG_X + 5, 10, 75]; // patient x > 0 is the patient's LEFT (DICOM LPS)
  const ggoAt: Vec3 = [-LUNG_X, -10, 40];
  const vesselFrom: Vec3 = [-LUNG_X - 12, 5, 15];
  const vesselTo: Vec3 = [-LUNG_X + 12, 25, 100];
  // 0.8 mm pixels, as in clinical chest CT (the analysis works on a 2x2-averaged grid)
  const v = chestVolume({
    rows: 256,
    columns: 256,
    pixelSpacing: 0.8,
    trachea: true,
    spheres: [
      { centre: solidAt, diameter: 12, hu: 30 },
      { centre: ggoAt, diameter: 14, hu: -600 },
    ],
    tubes: [{ from: vesselFrom, to: vesselTo, diameter: 5, hu: 40 }],
  });
  const a = analyseVolume(v);

  it('finds a solid sphere with its diameter, side, texture and slices', () => {
    const c = nearest(a.candidates, solidAt);
    expect(Math.hypot(c.centroidMm[0] - solidAt[0], c.centroidMm[1] - solidAt[1], c.centroidMm[2] - solidAt[2])).toBeLessThan(3);
    expect(c.diameterMm).toBeGreaterThan(12 * 0.8);
    expect(c.diameterMm).toBeLessThan(12 * 1.2);
    expect(c.side).toBe('left');
    expect(texture(c)).toBe('solid');
    expect(c.lesionLikelihood).toBeGreaterThan(0.7);
    expect(c.marginIrregularity).toBeLessThan(0.3);
    // it spans the slices the sphere crosses, and its box on the central slice holds the centre pixel
    const centre = sliceAtZ(v, solidAt[2]);
    const onCentre = c.slices.find((s) => s.index === centre);
    expect(onCentre).toBeDefined();
    expect(onCentre!.weight).toBeGreaterThan(0.8);
    const col = (solidAt[0] - v.positions[0][0]) / v.pixelSpacing[1];
    const row = (solidAt[1] - v.positions[0][1]) / v.pixelSpacing[0];
    const [x0, y0, x1, y1] = onCentre!.box;
    expect(col).toBeGreaterThanOrEqual(x0);
    expect(col).toBeLessThanOrEqual(x1);
    expect(row).toBeGreaterThanOrEqual(y0);
    expect(row).toBeLessThanOrEqual(y1);
    expect(c.slices.length).toBeLessThanOrEqual(Math.ceil(12 / v.sliceSpacing) + 2);
  });

  it('finds a ground-glass sphere as ground-glass, in the right lung', () => {
    const c = nearest(a.candidates, ggoAt);
    expect(Math.hypot(c.centroidMm[0] - ggoAt[0], c.centroidMm[1] - ggoAt[1], c.centroidMm[2] - ggoAt[2])).toBeLessThan(3);
    expect(c.side).toBe('right');
    expect(texture(c)).toBe('ground-glass');
    expect(c.diameterMm).toBeGreaterThan(14 * 0.8);
    expect(c.diameterMm).toBeLessThan(14 * 1.2);
    expect(c.lesionLikelihood).toBeGreaterThan(0.5);
  });

  it('does not take a tube (a vessel) for a nodule', () => {
    // every candidate on the tube's axis is judged unlikely to be a lesion
    const onTube = a.candidates.filter((c) => {
      const [fx, fy, fz] = vesselFrom;
      const ax = vesselTo[0] - fx, ay = vesselTo[1] - fy, az = vesselTo[2] - fz;
      const t = ((c.centroidMm[0] - fx) * ax + (c.centroidMm[1] - fy) * ay + (c.centroidMm[2] - fz) * az) / (ax * ax + ay * ay + az * az);
      const d = Math.hypot(c.centroidMm[0] - fx - t * ax, c.centroidMm[1] - fy - t * ay, c.centroidMm[2] - fz - t * az);
      return d < 5;
    });
    // pieces the opening leaves of a 5 mm vessel are either dropped or judged unlikely
    for (const c of onTube) expect(c.lesionLikelihood).toBeLessThan(0.25);
  });

  it('finds the anatomical levels: apex above carina above base', () => {
    const { apex, carina, base } = a.levels;
    expect(apex && carina && base).toBeTruthy();
    expect(apex!.z).toBeGreaterThan(carina!.z);
    expect(carina!.z).toBeGreaterThan(base!.z);
    // the synthetic trachea splits at 62% of the scan height
    expect(Math.abs(carina!.z - (v.slices - 1) * v.sliceSpacing * 0.62)).toBeLessThan(2 * v.sliceSpacing);
  });

  it('puts the upper sphere in a higher zone than the lower one, and the posterior one behind', () => {
    const up = nearest(a.candidates, solidAt);
    const low = nearest(a.candidates, ggoAt);
    expect(up.zoneFraction).toBeGreaterThan(low.zoneFraction);
    // +y is posterior (LPS): the solid sphere sits 20 mm behind the ground-glass one
    expect(up.apFraction).toBeGreaterThan(low.apFraction);
    expect(up.lobes.LUL! + up.lobes.LLL! + up.lobes.lingula!).toBeCloseTo(1, 5);
  });

  it('reads side from the geometry, not from the image layout', () => {
    // mirrored rows: the patient's left is now on the image's left, and slices run head to feet
    const mirrored = chestVolume({ rowCosines: [-1, 0, 0], spheres: [{ centre: solidAt, diameter: 12, hu: 30 }] });
    expect(mirrored.normal[2]).toBe(-1);
    const m = analyseVolume(mirrored);
    const c = nearest(m.candidates, solidAt);
    expect(c.side).toBe('left');
    expect(c.centroidPx.column).toBeLessThan(mirrored.columns / 2);
    expect(m.levels.apex!.z).toBeGreaterThan(m.levels.base!.z);
  });

  it('works on coarse pixels (no in-plane downsampling) with the same answer', () => {
    const coarse = chestVolume({ rows: 128, columns: 128, pixelSpacing: 1.6, slices: 30, spheres: [{ centre: [LUNG_X, 0, 40], diameter: 10, hu: 20 }] });
    const m = analyseVolume(coarse);
    const c = nearest(m.candidates, [LUNG_X, 0, 40]);
    expect(c.side).toBe('left');
    expect(c.diameterMm).toBeGreaterThan(8);
    expect(c.diameterMm).toBeLessThan(12);
    expect(c.centroidPx.column).toBeGreaterThan(64);
  });

  it('finds both lungs and the nodule when the field of view cuts the sides of the chest', () => {
    const whole = chestVolume({ rows: 128, columns: 128, pixelSpacing: 1.6, slices: 30, spheres: [{ centre: [LUNG_X, 0, 40], diameter: 10, hu: 20 }] });
    // ±72 mm of the 95 mm half-width: each lung (out to 87 mm) meets the image's side
    const narrow = cropVolume(whole, 19, 0, 90, 128);
    const [w, n] = [analyseVolume(whole), analyseVolume(narrow)];
    for (const side of [1, 2]) {
      const kept = n.anatomy.lungs.extent[side]?.voxels ?? 0;
      expect(kept).toBeGreaterThan(0.75 * w.anatomy.lungs.extent[side]!.voxels);
    }
    const c = nearest(n.candidates, [LUNG_X, 0, 40]);
    expect(c.side).toBe('left');
    expect(Math.hypot(c.centroidMm[0] - LUNG_X, c.centroidMm[1], c.centroidMm[2] - 40)).toBeLessThan(3);
  });

  it('returns no candidates and no levels for a volume without lungs', () => {
    const blank = chestVolume({ slices: 12 });
    blank.hu.fill(-1000);
    const m = analyseVolume(blank);
    expect(m.candidates).toEqual([]);
    expect(m.levels.apex).toBeUndefined();
  });
});
