import { parseQuery } from '../../../server/query/parse';
import { analyseVolume, PRESETS, rerankSlices, type VolumeAnalysis } from '../../../server/rerank/pipeline';
import { CALIBRATION, calibrationFor, CONFIDENT_SCORE, emphysemaExtentCaveat, lesionEvidence, lesionLikelihoodOf, scoresOf, UNENHANCED_NODES } from '../../../server/rerank/fuse';
import type { CandidateScore, LearnedScorer } from '../../../server/rerank/learned';
import { chestVolume, LUNG_X, sliceAtZ } from './synthetic';

describe('fusion and reranking on a synthetic chest', () => {
  // one solid 12 mm nodule high in the LEFT lung (patient +x), one 14 mm ground-glass nodule low in the RIGHT lung
  const solidZ = 80;
  const ggoZ = 35;
  // 0.8 mm pixels, as in clinical chest CT (the analysis works on a 2x2-averaged grid)
  const v = chestVolume({
    rows: 256,
    columns: 256,
    pixelSpacing: 0.8,
    trachea: true,
    spheres: [
      { centre: [LUNG_X + 5, 10, solidZ], diameter: 12, hu: 30 },
      { centre: [-LUNG_X, -10, ggoZ], diameter: 14, hu: -600 },
    ],
    tubes: [{ from: [-LUNG_X - 12, 5, 15], to: [-LUNG_X + 12, 25, 100], diameter: 5, hu: 40 }],
  });
  const a = analyseVolume(v);
  const solidSlice = sliceAtZ(v, solidZ);
  const ggoSlice = sliceAtZ(v, ggoZ);
  const near = (index: number, target: number): boolean => Math.abs(index - target) <= 2;

  it('ranks the described nodule first, with a region around it and the matched terms', async () => {
    const r = await rerankSlices(a, parseQuery('12 mm solid nodule in the left upper lobe'), { topK: 5 });
    expect(r.noConfidentMatch).toBe(false);
    expect(near(r.results[0].index, solidSlice)).toBe(true);
    expect(r.results[0].score).toBeGreaterThanOrEqual(CONFIDENT_SCORE);
    const reg = r.results[0].regions[0];
    const col = (LUNG_X + 5 - v.positions[0][0]) / v.pixelSpacing[1];
    expect(col).toBeGreaterThanOrEqual(reg.x);
    expect(col).toBeLessThanOrEqual(reg.x + reg.w);
    const kinds = r.results[0].matched.map((id) => r.query.findings[0].terms.find((t) => t.id === id)?.kind);
    expect(kinds).toEqual(expect.arrayContaining(['side', 'size', 'texture', 'type']));
    expect(r.model.id).toBe('classical');
    expect(r.timings.fusion).toBeGreaterThanOrEqual(0);
  });

  it('finds the ground-glass nodule for a ground-glass description', async () => {
    const r = await rerankSlices(a, parseQuery('右肺下叶磨玻璃结节'), { topK: 3 });
    expect(near(r.results[0].index, ggoSlice)).toBe(true);
    expect(r.noConfidentMatch).toBe(false);
  });

  it('scores a side mismatch lower than the match', async () => {
    const right = await rerankSlices(a, parseQuery('solid nodule in the right lung'), { topK: 50 });
    const left = await rerankSlices(a, parseQuery('solid nodule in the left lung'), { topK: 50 });
    const at = (res: typeof left, i: number): number => res.results.find((s) => s.index === i)?.score ?? 0;
    expect(at(left, solidSlice)).toBeGreaterThan(2 * at(right, solidSlice));
    expect(right.noConfidentMatch).toBe(true);
  });

  it('flags a description of something the scan does not have', async () => {
    const r = await rerankSlices(a, parseQuery('3 cm spiculated mass in the right upper lobe'), { topK: 5 });
    expect(r.noConfidentMatch).toBe(true);
    expect(r.results[0]?.score ?? 0).toBeLessThan(CONFIDENT_SCORE);
  });

  it('reports finding types it does not model and ranks nothing in their place', async () => {
    for (const text of ['bronchiectasis in the right lower lobe', 'liver lesion', '右肺下叶支气管扩张']) {
      const r = await rerankSlices(a, parseQuery(text), {});
      expect(r.unsupported.length).toBeGreaterThan(0);
      expect(r.unsupported[0].reason.length).toBeGreaterThan(10);
      expect(r.results).toEqual([]);
      expect(r.noConfidentMatch).toBe(true);
    }
  });

  it('ranks the supported finding and reports the unsupported one in a mixed query', async () => {
    const r = await rerankSlices(a, parseQuery('left upper lobe solid nodule; bronchiectasis in the right lower lobe'), { topK: 3 });
    expect(r.unsupported.map((u) => u.finding)).toContain(1);
    expect(near(r.results[0].index, solidSlice)).toBe(true);
  });

  it('ranks a necrotic nodule by its other attributes and says necrosis is not assessed', async () => {
    for (const text of ['necrotic solid nodule in the left upper lobe', '左肺上叶实性结节伴坏死']) {
      const r = await rerankSlices(a, parseQuery(text), { topK: 3 });
      const sign = r.query.findings[0].terms.find((t) => t.kind === 'sign')!;
      expect(sign.value).toBe('necrosis');
      expect(r.unsupported).toEqual([expect.objectContaining({ finding: 0, terms: [sign.id] })]);
      expect(near(r.results[0].index, solidSlice)).toBe(true);
    }
  });

  it('keeps a nodule described two zones off first, says which word did not fit, and is clearly less sure of it', async () => {
    const right = await rerankSlices(a, parseQuery('12 mm solid nodule in the left upper lung'), { topK: 3 });
    const off = await rerankSlices(a, parseQuery('12 mm solid nodule in the left lower lung'), { topK: 3 });
    expect(near(off.results[0].index, solidSlice)).toBe(true);
    const zone = off.query.findings[0].terms.find((t) => t.kind === 'position')!;
    expect((off.results[0].mismatched ?? []).map((m) => m.term)).toContain(zone.id);
    // a zone word is an estimate, but the upper zone for the lower is no rounding of a boundary
    expect(off.results[0].score).toBeLessThan(0.85 * right.results[0].score);
  });

  it('says what a node search cannot promise on an unenhanced series, and only there', async () => {
    const { contrastEnhanced: _unknown, ...unknown } = a;
    const noted = async (contrastEnhanced: boolean | undefined, text: string): Promise<boolean> => {
      const x: VolumeAnalysis = contrastEnhanced === undefined ? unknown : { ...unknown, contrastEnhanced };
      const r = await rerankSlices(x, parseQuery(text), { topK: 3 });
      // a caveat, not an unsupported term: the nodes are still ranked on all the description says
      expect(r.unsupported).toEqual([]);
      return (r.caveats ?? []).some((c) => c.finding === 0 && c.code === 'unenhanced-nodes' && c.reason === UNENHANCED_NODES);
    };
    expect(await noted(false, 'subcarinal lymphadenopathy')).toBe(true);
    expect(await noted(false, '纵隔淋巴结肿大')).toBe(true);
    expect(await noted(true, 'subcarinal lymphadenopathy')).toBe(false);
    expect(await noted(undefined, 'subcarinal lymphadenopathy')).toBe(false);
    expect(await noted(false, 'solid nodule in the left upper lobe')).toBe(false);
  });

  it('says what a lesion search cannot promise on a low-dose series, and ranks as it would otherwise', async () => {
    const lowDose: VolumeAnalysis = { ...a, lowDoseNoiseHU: 62 };
    const caveated = async (x: VolumeAnalysis, text: string): Promise<{ codes: string[]; index: number }> => {
      const r = await rerankSlices(x, parseQuery(text), { topK: 3 });
      return { codes: (r.caveats ?? []).filter((c) => c.finding === 0).map((c) => c.code), index: r.results[0].index };
    };
    const low = await caveated(lowDose, '12 mm solid nodule in the left upper lobe');
    expect(low.codes).toContain('low-dose');
    expect((await caveated(lowDose, '右肺上叶磨玻璃结节')).codes).toContain('low-dose');
    expect(low.index).toBe((await caveated(a, '12 mm solid nodule in the left upper lobe')).index);
    expect((await caveated(a, '12 mm solid nodule in the left upper lobe')).codes).not.toContain('low-dose');
    expect((await caveated(lowDose, 'subcarinal lymphadenopathy')).codes).not.toContain('low-dose');
  });

  it('says that a nodule described as under 8 mm or small is found less often, on any series, and only for lesions', async () => {
    const codes = async (text: string): Promise<string[]> => ((await rerankSlices(a, parseQuery(text), { topK: 3 })).caveats ?? []).filter((c) => c.finding === 0).map((c) => c.code);
    expect(await codes('6 mm solid nodule in the left upper lobe')).toContain('small-lesion');
    expect(await codes('small nodule in the left upper lobe')).toContain('small-lesion');
    expect(await codes('左肺上叶6mm实性结节')).toContain('small-lesion');
    expect(await codes('12 mm solid nodule in the left upper lobe')).not.toContain('small-lesion');
    expect(await codes('8 mm solid nodule in the left upper lobe')).not.toContain('small-lesion');
    expect(await codes('solid nodule in the left upper lobe')).not.toContain('small-lesion');
    expect(await codes('small left pleural effusion')).not.toContain('small-lesion');
  });

  it('says when a description says too little for a confident match, and only then', async () => {
    const answer = async (text: string) => {
      const r = await rerankSlices(a, parseQuery(text), { topK: 3 });
      return { codes: (r.caveats ?? []).filter((c) => c.finding === 0).map((c) => c.code), top: r.results[0] };
    };
    for (const text of ['nodule', '结节', 'mass', 'solid nodule', '6 mm nodule', 'pleural effusion']) {
      const { codes, top } = await answer(text);
      expect(codes).toContain('brief-description');
      expect(top?.score ?? 0).toBeLessThan(CONFIDENT_SCORE); // what the caveat says of the score is so
    }
    // a word or two may say enough: "ground-glass nodule" fits the one such lesion of the chest confidently
    const glass = await answer('磨玻璃结节');
    expect(glass.codes).not.toContain('brief-description');
    expect(near(glass.top.index, ggoSlice)).toBe(true);
    expect(glass.top.score).toBeGreaterThanOrEqual(CONFIDENT_SCORE);
    for (const text of ['12 mm solid nodule in the left upper lobe', 'left lung mass', 'right pleural effusion'])
      expect((await answer(text)).codes).not.toContain('brief-description');
  });

  it('says that an emphysema answer reads low on thick slices or a smoothed series, and only for emphysema', async () => {
    const codes = async (x: VolumeAnalysis, text: string): Promise<string[]> => ((await rerankSlices(x, parseQuery(text), { topK: 3 })).caveats ?? []).filter((c) => c.finding === 0).map((c) => c.code);
    const thin: VolumeAnalysis = { ...a, sliceSpacing: 1 };
    const thick: VolumeAnalysis = { ...a, sliceSpacing: 5 };
    expect(await codes(thick, 'centrilobular emphysema in the right upper lung')).toContain('emphysema-extent');
    expect(await codes(thick, '右上肺小叶中心型肺气肿')).toContain('emphysema-extent');
    expect(await codes({ ...thin, lowDoseNoiseHU: 62 }, 'emphysema in the upper lungs')).toContain('emphysema-extent');
    expect(await codes(thin, 'centrilobular emphysema in the right upper lung')).not.toContain('emphysema-extent');
    expect(await codes(thick, '12 mm solid nodule in the left upper lobe')).not.toContain('emphysema-extent');
    expect(emphysemaExtentCaveat(thick)).toMatch(/5 mm slices/);
    expect(emphysemaExtentCaveat({ sliceSpacing: 1, lowDoseNoiseHU: 62 })).toMatch(/low-dose/);
  });

  it('judges a word of height on the part of a spreading finding it fits, and shows that part first', async () => {
    // emphysema through the right lung from below its middle to its upper zone, broadest (and centred) at the middle
    const apex = a.levels.apex!.z, base = a.levels.base!.z;
    const fractionAt = (z: number): number => (z - base) / (apex - base);
    const lowZ = base + 0.3 * (apex - base), highZ = base + 0.85 * (apex - base), midZ = base + 0.45 * (apex - base);
    const indices = a.sliceZ.map((z, i) => (z >= lowZ && z <= highZ ? i : -1)).filter((i) => i >= 0);
    const template = a.candidates.find((c) => c.kind === 'lesion')!;
    const emphysema = {
      ...template, id: a.candidates.length, kind: 'emphysema' as const, side: 'right' as const, lesionLikelihood: 0.95,
      centroidMm: [-LUNG_X, 0, midZ] as [number, number, number], zoneFraction: fractionAt(midZ), zone: 'middle' as const, lobes: { RUL: 0.3, RLL: 0.7 },
      slices: indices.map((index) => ({ index, box: [40, 60, 100, 160] as [number, number, number, number], area: 3000, weight: Math.exp(-(((a.sliceZ[index] - midZ) / 25) ** 2)) })),
    };
    const withEmphysema: VolumeAnalysis = { ...a, candidates: [...a.candidates, emphysema] };
    const broadest = emphysema.slices.reduce((b, s) => (s.weight > b.weight ? s : b)).index;
    for (const text of ['emphysema in the right upper lung', '右上肺肺气肿']) {
      const r = await rerankSlices(withEmphysema, parseQuery(text), { topK: 3 });
      // its upper part first, and the word of height fits it (at its centroid it was "middle zone")
      expect(fractionAt(a.sliceZ[r.results[0].index])).toBeGreaterThan(0.6);
      expect((r.results[0].mismatched ?? []).map((m) => m.term)).toEqual([]);
      expect(r.results[0].score).toBeGreaterThanOrEqual(CONFIDENT_SCORE);
    }
    // without a word of height its broadest slice comes first, as before
    expect((await rerankSlices(withEmphysema, parseQuery('emphysema in the right lung'), { topK: 1 })).results[0].index).toBe(broadest);
  });

  it('weighs "not in this series" more for a described small lesion: the same evidence scores lower', () => {
    const calibrationOf = (text: string) => calibrationFor(parseQuery(text).findings[0]);
    const large = calibrationOf('12 mm solid nodule in the left upper lobe');
    for (const text of ['6 mm solid nodule in the left upper lobe', 'small nodule in the left upper lobe', '左肺上叶6mm实性结节']) {
      const small = calibrationOf(text);
      expect(small.notInSeries).toBeGreaterThan(large.notInSeries);
      expect(small.sharpness).toBe(large.sharpness);
      // one clear answer among weak ones: less sure of it, and the order unchanged
      const evidence = [12, 2, 0.5];
      const [s, l] = [scoresOf(evidence, small), scoresOf(evidence, large)];
      expect(s[0]).toBeLessThan(l[0]);
      expect(s[0]).toBeGreaterThan(s[1]);
    }
    expect(calibrationOf('small left pleural effusion').notInSeries).toBe(large.notInSeries);
  });

  it('takes evidence relative to what the description could earn at most, as far as the specificity says', () => {
    const cal = { sharpness: CALIBRATION.sharpness, notInSeries: CALIBRATION.notInSeries };
    // one lesion fitting a long description (attainable 100) fully, and one fitting a word (attainable 2) fully
    const long = (specificity: number) => scoresOf([100 * 0.9, 100 * 0.1], { ...cal, specificity }, 100)[0];
    const word = (specificity: number) => scoresOf([2 * 0.9, 2 * 0.1], { ...cal, specificity }, 2)[0];
    expect(long(0)).toBeGreaterThan(word(0) + 0.3); // a word earns little evidence: never sure
    expect(long(1)).toBeCloseTo(word(1), 6); // fully relative: the same fit, the same score
    expect(long(0.5) - word(0.5)).toBeLessThan(long(0) - word(0));
    expect(scoresOf([3, 1], { ...cal, specificity: 0 }, 50)).toEqual(scoresOf([3, 1], { ...cal, specificity: 0 }));
  });

  it('says that a lesion answer at a hilum may be the hilar vessels on an unenhanced series, and is less sure of it there', async () => {
    const { contrastEnhanced: _unknown, ...unknown } = a;
    const hilar = async (contrastEnhanced: boolean, hilumDistanceMm: number): Promise<{ caveats: string[]; score: number }> => {
      const candidates = a.candidates.map((c) => (c.kind === 'lesion' ? { ...c, hilumDistanceMm } : c));
      const r = await rerankSlices({ ...unknown, contrastEnhanced, candidates }, parseQuery('12 mm solid nodule in the left upper lobe'), { topK: 3 });
      expect(near(r.results[0].index, solidSlice)).toBe(true);
      return { caveats: (r.caveats ?? []).map((c) => c.code), score: r.results[0].score };
    };
    const unenhancedAtHilum = await hilar(false, 0), enhancedAtHilum = await hilar(true, 0);
    expect(unenhancedAtHilum.caveats).toEqual(['unenhanced-hilum']);
    expect(enhancedAtHilum.caveats).toEqual([]);
    expect(unenhancedAtHilum.score).toBeLessThan(enhancedAtHilum.score);
    const away = await hilar(false, 30);
    expect(away.caveats).toEqual([]);
    expect(away.score).toBeCloseTo((await hilar(true, 30)).score, 6);
  });

  it('is less sure of a hilar node on an unenhanced series, where it lies among vessels of its density', async () => {
    const { contrastEnhanced: _unknown, ...unknown } = a;
    const lesion = a.candidates.find((c) => c.kind === 'lesion')!;
    const score = async (contrastEnhanced: boolean, station: string, text: string): Promise<number> => {
      // the one candidate: a node of 18 × 14 mm at that station, fairly likely a node
      const node = { ...lesion, kind: 'lymph node' as const, station, side: 'right' as const, lesionLikelihood: 0.3, measures: { shortAxisMm: 14, longAxisMm: 18 } };
      const r = await rerankSlices({ ...unknown, contrastEnhanced, candidates: [node] }, parseQuery(text), { topK: 1 });
      return r.results[0]?.score ?? 0;
    };
    const hilar = 'enlarged right hilar lymph node', paratracheal = 'enlarged right lower paratracheal lymph node';
    const enhanced = await score(true, '10R', hilar);
    expect(enhanced).toBeGreaterThan(CONFIDENT_SCORE);
    const unenhanced = await score(false, '10R', hilar);
    expect(unenhanced).toBeCloseTo(enhanced ** 4, 2); // scores are given to three decimals
    expect(unenhanced).toBeLessThan(enhanced - 0.1);
    // elsewhere in the mediastinum the answer is as sure as on an enhanced series
    expect(await score(false, '4R', paratracheal)).toBe(await score(true, '4R', paratracheal));
  });

  it('lowers candidates that show what the text denies', async () => {
    const dense = chestVolume({ spheres: [{ centre: [LUNG_X, 0, 60], diameter: 10, hu: 400 }] });
    const d = analyseVolume(dense);
    const plain = await rerankSlices(d, parseQuery('nodule in the left lung'), {});
    const denied = await rerankSlices(d, parseQuery('nodule in the left lung, no calcification'), {});
    expect(plain.results[0].score).toBeGreaterThan(1.5 * (denied.results[0]?.score ?? 0));
  });

  it('honours the presets: strict rejects a stated mismatch, lesion-search keeps it as a hint', async () => {
    expect(PRESETS).toEqual(['report-match', 'lesion-search', 'strict']);
    const q = parseQuery('ground-glass nodule in the left lung');
    const strict = await rerankSlices(a, q, { preset: 'strict', topK: 50 });
    const search = await rerankSlices(a, q, { preset: 'lesion-search', topK: 50 });
    expect(strict.results.find((s) => near(s.index, solidSlice))).toBeUndefined();
    expect(near(search.results[0].index, solidSlice) || near(search.results[0].index, ggoSlice)).toBe(true);
  });

  it('applies topK, minScore and the viewport order', async () => {
    const q = parseQuery('solid nodule, left lung');
    const r = await rerankSlices(a, q, { topK: 2 });
    expect(r.results.length).toBe(2);
    expect(r.results[0].score).toBeGreaterThanOrEqual(r.results[1].score);
    const none = await rerankSlices(a, q, { minScore: 0.999 });
    expect(none.results).toEqual([]);
    const reversed = [...v.sopInstanceUIDs].reverse();
    const ro = await rerankSlices(a, q, { topK: 1, sopOrder: reversed });
    expect(ro.results[0].sopInstanceUID).toBe(r.results[0].sopInstanceUID);
    expect(ro.results[0].index).toBe(reversed.indexOf(r.results[0].sopInstanceUID));
  });

  it('leans on a patch model less as a lesion nears the width of the field it saw', () => {
    const c = { ...a.candidates.find((x) => x.kind === 'lesion')!, lesionLikelihood: 0.8, meanHU: 0 };
    // the model sees a 48 mm field and calls everything it is shown "not a lesion"
    const at = (diameterMm: number, fieldMm?: number): number =>
      lesionLikelihoodOf({ candidate: { ...c, diameterMm }, learned: { lesionProbability: 0.01, fieldMm } });
    expect(at(10, 48)).toBeLessThan(0.15);
    expect(at(30, 48)).toBeLessThan(at(40, 48));
    expect(at(60, 48)).toBeGreaterThan(0.7);
    // a model that does not say what it saw counts at any size
    expect(at(60)).toBeLessThan(0.15);
  });

  it('lets the model judge the 3D shape of a lesion no wider than about two slices', () => {
    // a 6 mm nodule partial-volumed over two 5 mm slices measures as a short tube along them
    const c = { ...a.candidates.find((x) => x.kind === 'lesion')!, equivalentDiameterMm: 6, diameterMm: 6, shortAxisMm: 6, meanHU: -100, lesionLikelihood: 0.05 };
    const tube = { ...c, sphericity: 0.3 };
    const round = { ...c, sphericity: 0.9 };
    const of = (candidate: typeof c, sliceSpacing?: number, lesionProbability = 1): number =>
      lesionLikelihoodOf({ candidate, learned: { lesionProbability } }, sliceSpacing);
    // on 5 mm slices a model that sees a lesion takes over the shape; on 1 mm slices it does not, as without a slice spacing
    expect(of(tube, 5)).toBeGreaterThan(1.3 * of(tube));
    expect(of(tube, 1)).toBe(of(tube));
    // a model that sees no lesion leaves the measured shape as it is, and so does no model
    expect(of(tube, 5, 0)).toBe(of(tube, undefined, 0));
    expect(lesionLikelihoodOf({ candidate: tube }, 5)).toBe(lesionLikelihoodOf({ candidate: tube }));
    // what the shape says for it stays: unjudged is not a penalty
    expect(of(round, 5)).toBe(of(round));
    // a lesion three slices wide or more is judged in full
    expect(of(tube, 2)).toBe(of(tube));
  });

  it('judges that shape at the slices it was measured on: 1.25 mm slices averaged in pairs, as 2.5 mm ones', () => {
    const tube = { ...a.candidates.find((x) => x.kind === 'lesion')!, equivalentDiameterMm: 6, diameterMm: 6, shortAxisMm: 6, sphericity: 0.3, meanHU: -100, lesionLikelihood: 0.05 };
    const f = parseQuery('6 mm nodule').findings[0];
    // a model that sees a lesion: how far the shape is left to it depends on how thick the slices it was measured on are
    const evidenceAt = (sliceSpacing: number): number => lesionEvidence({ ...a, sliceSpacing, candidates: [tube] }, f, 0, { learned: [{ lesionProbability: 1 }] })[0].evidence;
    expect(evidenceAt(1.25)).toBeCloseTo(evidenceAt(2.5), 9);
    expect(evidenceAt(5)).toBeGreaterThan(1.1 * evidenceAt(2.5));
  });

  it('uses a learned scorer once per analysis and reports its model', async () => {
    let calls = 0;
    const solid = new Map(a.candidates.map((c) => [c.id, c.solidFraction]));
    const scorer: LearnedScorer = {
      info: { id: 'test-model', version: '0', executionProvider: 'cpu' },
      async scoreCandidates(_vol, cands): Promise<CandidateScore[]> {
        calls++;
        // this model believes only ground-glass candidates are lesions
        return cands.map((c) => ({ lesionProbability: (solid.get(c.id) ?? 1) < 0.1 ? 1 : 0 }));
      },
    };
    const q = parseQuery('nodule');
    const r1 = await rerankSlices(a, q, { scorer });
    const r2 = await rerankSlices(a, parseQuery('nodule in the lung'), { scorer });
    expect(calls).toBe(1);
    expect(r1.model.id).toBe('test-model');
    expect(r1.timings.scoring).toBeGreaterThanOrEqual(0);
    expect(near(r1.results[0].index, ggoSlice)).toBe(true);
    expect(near(r2.results[0].index, ggoSlice)).toBe(true);
  });

  it('answers a level: the nodule at the carina, not the one below it', async () => {
    const carinaZ = a.levels.carina!.z;
    const two = chestVolume({
      rows: 256, columns: 256, pixelSpacing: 0.8, trachea: true,
      spheres: [
        { centre: [LUNG_X, 0, carinaZ], diameter: 10, hu: 30 },
        { centre: [LUNG_X, 0, 30], diameter: 10, hu: 30 },
      ],
    });
    const b = analyseVolume(two);
    const r = await rerankSlices(b, parseQuery('nodule at the level of the carina'), { topK: 1 });
    expect(near(r.results[0].index, sliceAtZ(two, carinaZ))).toBe(true);
    const kinds = r.results[0].matched.map((id) => r.query.findings[0].terms.find((t) => t.id === id)?.kind);
    expect(kinds).toContain('level');
  });

  it('says when a named level cannot be located, and still ranks the rest', async () => {
    const noTrachea = chestVolume({ rows: 256, columns: 256, pixelSpacing: 0.8, spheres: [{ centre: [LUNG_X, 0, 60], diameter: 10, hu: 30 }] });
    const b = analyseVolume(noTrachea);
    expect(b.levels.carina).toBeUndefined();
    const r = await rerankSlices(b, parseQuery('left lung nodule at the level of the carina'), { topK: 1 });
    expect(r.unsupported.some((u) => /carina/.test(u.reason))).toBe(true);
    expect(near(r.results[0].index, sliceAtZ(noTrachea, 60))).toBe(true);
  });

  it('judges calcification said as a feature, and lists features it cannot judge', async () => {
    const two = chestVolume({
      rows: 256, columns: 256, pixelSpacing: 0.8,
      spheres: [
        { centre: [LUNG_X, 0, 40], diameter: 8, hu: 500 },
        { centre: [-LUNG_X, 0, 80], diameter: 8, hu: 30 },
      ],
    });
    const b = analyseVolume(two);
    for (const text of ['calcified nodule', '结节伴钙化']) {
      const r = await rerankSlices(b, parseQuery(text), { topK: 1 });
      expect(near(r.results[0].index, sliceAtZ(two, 40))).toBe(true);
    }
    const soft = await rerankSlices(b, parseQuery('nodule without calcification'), { topK: 1 });
    expect(near(soft.results[0].index, sliceAtZ(two, 80))).toBe(true);
    const other = await rerankSlices(b, parseQuery('nodule with bronchiectasis'), { topK: 1 });
    expect(other.unsupported.some((u) => /bronchiectasis/.test(u.reason))).toBe(true);
    expect(other.results.length).toBe(1);
  });
});
