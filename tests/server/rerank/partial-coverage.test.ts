import { lungSpan } from '../../../server/rerank/analysis/lungs';
import type { Candidate } from '../../../server/rerank/analysis/types';
import { analyseVolume, rerankSlices, type VolumeAnalysis } from '../../../server/rerank/pipeline';
import { parseQuery } from '../../../server/query/parse';
import type { Vec3, Volume } from '../../../server/series/volume';
import { sliceRange } from '../../../scripts/eval-looks';
import { chestVolume, LUNG_X, sliceAtZ } from './synthetic';

describe('lungSpan: the lungs’ height where the scan cuts them off', () => {
  const whole = { top: 0, bottom: -260, carinaZ: -90 };

  it('keeps the ends the scan shows', () => {
    expect(lungSpan({ ...whole, apexCut: false, baseCut: false })).toEqual({ apexZ: 0, baseZ: -260 });
  });

  it('puts a cut apex where the carina’s place in the height says, from the base', () => {
    // the scan starts 60 mm below the apex: the carina (170 mm above the base) is about two thirds of the height
    const { apexZ, baseZ } = lungSpan({ top: -60, bottom: -260, carinaZ: -90, apexCut: true, baseCut: false });
    expect(baseZ).toBe(-260);
    expect(apexZ).toBeGreaterThan(-30);
    expect(apexZ).toBeLessThan(30);
  });

  it('puts a cut base below the carina, from the apex', () => {
    const { apexZ, baseZ } = lungSpan({ top: 0, bottom: -200, carinaZ: -90, apexCut: false, baseCut: true });
    expect(apexZ).toBe(0);
    expect(baseZ).toBeGreaterThan(-290);
    expect(baseZ).toBeLessThan(-230);
  });

  it('takes a typical height where the carina is not in the lungs seen, and never ends nearer than the lung seen', () => {
    expect(lungSpan({ top: -180, bottom: -260, carinaZ: -90, apexCut: true, baseCut: false }).apexZ).toBeCloseTo(-10, 0);
    expect(lungSpan({ top: -180, bottom: -260, apexCut: true, baseCut: false }).apexZ).toBeCloseTo(-10, 0);
    // a carina low in a tall lung would put the apex under the lung seen: the lung seen wins
    expect(lungSpan({ top: 0, bottom: -260, carinaZ: -250, apexCut: true, baseCut: false }).apexZ).toBe(0);
    // both ends cut: from the carina both ways
    const both = lungSpan({ top: -40, bottom: -200, carinaZ: -90, apexCut: true, baseCut: true });
    expect(both.apexZ - both.baseZ).toBeGreaterThan(200);
    expect(both.apexZ).toBeGreaterThan(-40);
    expect(both.baseZ).toBeLessThan(-200);
  });
});

describe('a series that does not cover the whole lung', () => {
  // a 16 mm nodule half-way up the right lung (the synthetic lungs run from 4 % to 97 % of the volume's height)
  const slices = 60, sliceSpacing = 2.5;
  const zTop = (slices - 1) * sliceSpacing;
  const at: Vec3 = [-LUNG_X, 0, 0.5 * zTop];
  const withNodule = chestVolume({ slices, sliceSpacing, rows: 160, columns: 160, pixelSpacing: 1.25, trachea: true, spheres: [{ centre: at, diameter: 16, hu: 40 }] });
  const noduleOf = (a: VolumeAnalysis): Candidate => {
    const near = a.candidates.filter((c) => c.kind === 'lesion' && Math.hypot(c.centroidMm[0] - at[0], c.centroidMm[1] - at[1], c.centroidMm[2] - at[2]) < 8);
    expect(near.length).toBeGreaterThan(0);
    return near[0];
  };
  const cut = (w: Volume, fromZ: number, toZ: number): Volume => sliceRange(w, sliceAtZ(w, fromZ), sliceAtZ(w, toZ) + 1);
  const whole = analyseVolume(withNodule);
  // without the top 35 % (apices, upper zones) and without the bottom 35 % (bases, lower zones)
  const noApex = analyseVolume(cut(withNodule, 0, 0.65 * zTop));
  const noBase = analyseVolume(cut(withNodule, 0.35 * zTop, zTop));

  it('says which end of the lung the scan cuts off', () => {
    expect(whole.levels.apex?.beyondScan).toBeUndefined();
    expect(whole.levels.base?.beyondScan).toBeUndefined();
    expect(noApex.levels.apex?.beyondScan).toBe(true);
    expect(noApex.levels.base?.beyondScan).toBeUndefined();
    expect(noBase.levels.base?.beyondScan).toBe(true);
    expect(noBase.levels.apex?.beyondScan).toBeUndefined();
    // the estimated end lies near where the whole scan shows it: within 15 % of the lungs' height (the synthetic
    // carina sits at 62 % of it, the estimate takes 65 %)
    const height = whole.levels.apex!.z - whole.levels.base!.z;
    expect(Math.abs(noApex.levels.apex!.z - whole.levels.apex!.z)).toBeLessThan(0.15 * height);
    expect(Math.abs(noBase.levels.base!.z - whole.levels.base!.z)).toBeLessThan(0.15 * height);
  });

  it('keeps a nodule half-way up in the middle zone, wherever the scan stops', () => {
    for (const a of [whole, noApex, noBase]) {
      const n = noduleOf(a);
      expect(n.zone).toBe('middle');
      expect(n.zoneFraction).toBeGreaterThan(0.4);
      expect(n.zoneFraction).toBeLessThan(0.6);
    }
  });

  it('warns that heights are estimated, on a description that says one', async () => {
    const codes = async (a: VolumeAnalysis, text: string): Promise<string[]> => ((await rerankSlices(a, parseQuery(text), { topK: 3 })).caveats ?? []).filter((c) => c.finding === 0).map((c) => c.code);
    expect(await codes(noApex, '16 mm nodule in the right middle zone')).toContain('partial-coverage');
    expect(await codes(noBase, '右肺下叶结节')).toContain('partial-coverage');
    expect(await codes(noApex, '16 mm solid nodule in the right lung')).not.toContain('partial-coverage');
    expect(await codes(whole, '16 mm nodule in the right middle zone')).not.toContain('partial-coverage');
  });
});
