/**
 * Fusion: how well each lesion candidate matches each finding of the query, turned into a
 * calibrated 0..1 score per slice with regions and the matched term ids. Pure.
 *
 * A candidate's score is its lesion likelihood times one soft factor per stated attribute
 * (type, side, lobe, position, level, size, texture, margin, negations). Each factor is near 1
 * when the attribute fits and falls towards a floor when it does not; presets set how hard.
 */
import type { Finding, FindingType, Margin, ParsedQuery, Term } from '../query/finding';
import type { Analysis, Candidate } from './analysis/types';
import type { CandidateScore } from './learned';
import type { Region, SliceResult, Unsupported } from './response';

export type Preset = 'report-match' | 'lesion-search' | 'strict';
export const PRESETS: readonly Preset[] = ['report-match', 'lesion-search', 'strict'];

/** A slice is a confident match from this score up. */
export const CONFIDENT_SCORE = 0.5;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

/** Finding types the chest pipeline localises as focal lung lesions. */
const FOCAL_TYPES = new Set(['nodule', 'mass', 'ground-glass opacity', 'calcification']);
const UNSUPPORTED_TYPE_REASON: Record<string, string> = {
  consolidation: 'consolidation (lobar or segmental airspace opacity) is not modelled; only focal lung lesions are localised',
  cavity: 'cavities are not modelled; only focal lung lesions are localised',
  'pleural effusion': 'pleural effusion is not modelled; only focal lung lesions are localised',
  pneumothorax: 'pneumothorax is not modelled; only focal lung lesions are localised',
  emphysema: 'emphysema is not modelled; only focal lung lesions are localised',
  atelectasis: 'atelectasis is not modelled; only focal lung lesions are localised',
  bronchiectasis: 'bronchiectasis is not modelled; only focal lung lesions are localised',
  'lymph node': 'lymph nodes (mediastinal, hilar) are outside the lung masks and not modelled',
  'pleural thickening': 'pleural thickening is not modelled; only focal lung lesions are localised',
  other: 'this finding is outside the chest CT lung-lesion model',
};
const CHEST_ORGANS = new Set(['lung', 'pleura', 'chest', 'thorax', 'airway', 'bronchus']);

export interface PresetWeights {
  /** Exponent on the lesion likelihood. */
  lesion: number;
  /** Exponent on each attribute factor (1 = as stated, < 1 = soft hints). */
  attributes: number;
  /** Attributes the candidate shows less than this reject it outright (strict). */
  reject: number;
}

export const PRESET_WEIGHTS: Record<Preset, PresetWeights> = {
  'report-match': { lesion: 0.6, attributes: 1, reject: 0 },
  'lesion-search': { lesion: 1, attributes: 0.35, reject: 0 },
  strict: { lesion: 0.6, attributes: 1, reject: 0.3 },
};

/** What the fusion knows about one candidate: classical features, optionally a learned score. */
export interface Evidence {
  candidate: Candidate;
  learned?: CandidateScore;
}

interface TermFactor {
  term: Term;
  /** 0..1: how well the candidate shows this attribute. */
  membership: number;
  /** The factor applied: membership lifted to the attribute's floor. */
  factor: number;
}

export interface CandidateMatch {
  candidate: Candidate;
  finding: number;
  score: number;
  /** Attribute factors with the term they judge. */
  factors: TermFactor[];
  label: string;
}

/** Texture probabilities from density fractions (or the learned head when there is one). */
export function textureOf(e: Evidence): { solid: number; partSolid: number; groundGlass: number } {
  const c = e.candidate;
  // ground-glass: even the densest part stays below soft tissue (core < ≈ -350 HU)
  const gg = sigmoid((-380 - c.coreHU) / 50);
  // part-solid: clearly less solid than a wholly solid lesion of that size would look once partial
  // volume (≈1.5 mm of blur at the rim) is taken into account
  const d = c.equivalentDiameterMm;
  const solidIfSolid = d > 1.5 ? ((d - 1.5) / (d + 1.5)) ** 3 : 0;
  const mixed = sigmoid((0.6 * solidIfSolid - c.solidFraction) / 0.06);
  const classical = { solid: (1 - gg) * (1 - mixed), partSolid: (1 - gg) * mixed, groundGlass: gg };
  const t = e.learned?.texture;
  if (!t) return classical;
  return {
    solid: 0.5 * classical.solid + 0.5 * t.solid,
    partSolid: 0.5 * classical.partSolid + 0.5 * t.partSolid,
    groundGlass: 0.5 * classical.groundGlass + 0.5 * t.groundGlass,
  };
}

export function lesionLikelihoodOf(e: Evidence): number {
  const c = e.candidate;
  let l = c.lesionLikelihood;
  // small faint blobs are mostly partial-volumed vessels; a credible pure GGN is ≥ ~6 mm (Fleischner)
  if (c.meanHU < -450) l *= sigmoid((c.equivalentDiameterMm - 6) / 0.8);
  // product of experts (geometric mean): the model refines the classical judgement but cannot
  // override it alone; a model that calls everything a lesion then adds little instead of noise
  if (e.learned) l = Math.sqrt(l * clamp01(e.learned.lesionProbability));
  return clamp01(l);
}

function irregularityOf(e: Evidence): number {
  const c = e.candidate.marginIrregularity;
  const m = e.learned?.marginIrregularity;
  return m === undefined ? c : 0.5 * c + 0.5 * clamp01(m);
}

function marginMembership(margin: Margin | string, e: Evidence): number {
  const irr = irregularityOf(e);
  switch (margin) {
    case 'spiculated':
    case 'lobulated':
    case 'irregular':
      return sigmoid((irr - 0.3) / 0.1);
    case 'smooth':
      return sigmoid((0.35 - irr) / 0.1);
    case 'ill-defined':
      return Math.max(textureOf(e).groundGlass, sigmoid((irr - 0.4) / 0.1));
    default:
      return 0.5;
  }
}

/** Membership of a coarse position word (or a segment name used as one). */
function positionMembership(word: string, c: Candidate): number | undefined {
  switch (word) {
    case 'posterior':
    case 'dorsal':
      return sigmoid((c.apFraction - 0.55) / 0.1);
    case 'anterior':
    case 'ventral':
      return sigmoid((0.45 - c.apFraction) / 0.1);
    case 'upper':
    case 'apical':
    case 'superior':
      return sigmoid((c.zoneFraction - 0.6) / 0.08);
    case 'lower':
    case 'basal':
    case 'inferior':
      return sigmoid((0.4 - c.zoneFraction) / 0.08);
    case 'middle':
      return Math.exp(-0.5 * ((c.zoneFraction - 0.5) / 0.18) ** 2);
    case 'central':
    case 'medial':
    case 'perihilar':
      return sigmoid((0.4 - c.lateralFraction) / 0.1);
    case 'peripheral':
    case 'lateral':
    case 'subpleural':
      return sigmoid((c.lateralFraction - 0.45) / 0.1);
    default:
      return undefined;
  }
}

/** Patient z (mm) of a named level, from the analysis' landmarks. */
export function levelZ(a: Analysis, level: string): number | undefined {
  const { apex, carina, base } = a.levels;
  switch (level) {
    case 'apex':
      return apex ? apex.z - 15 : undefined; // the apical region, not its very tip
    case 'carina':
      return carina?.z;
    case 'hilum':
      return carina ? carina.z - 20 : undefined;
    case 'aortic arch':
      return carina ? carina.z + 25 : undefined;
    case 'lung base':
      return base ? base.z + 15 : undefined;
    default:
      return undefined;
  }
}

function typeFactor(type: string | undefined, e: Evidence): number {
  const c = e.candidate;
  const d = c.diameterMm;
  switch (type) {
    case 'nodule':
      return sigmoid((38 - d) / 4); // nodules are ≤ 30 mm; allow measurement slack
    case 'mass':
      return sigmoid((d - 22) / 3); // masses are > 30 mm
    case 'ground-glass opacity':
      return 0.15 + 0.85 * textureOf(e).groundGlass;
    case 'calcification':
      return sigmoid((c.calcifiedFraction - 0.25) / 0.07);
    default:
      return 1;
  }
}

function sizeFactor(stated: number, e: Evidence): number {
  const measured = Math.max(1, e.candidate.diameterMm);
  // log-ratio tolerance (±35%) plus ~2 mm absolute measurement error for small sizes
  const sigma = Math.sqrt(0.3 ** 2 + (2 / stated) ** 2);
  return Math.exp(-0.5 * (Math.log(measured / stated) / sigma) ** 2);
}

const FLOOR = {
  type: 0.1,
  side: 0.08,
  lobe: 0.3,
  position: 0.35,
  level: 0.2,
  size: 0.15,
  texture: 0.15,
  margin: 0.45,
};

/** Which stated attributes the pipeline cannot judge, and whether the finding can be ranked at all. */
export function supportOf(f: Finding, index: number): { rankable: boolean; unsupported?: Unsupported } {
  const typeTerms = f.terms.filter((t) => t.kind === 'type' && !t.negated);
  const organ = f.anatomy.organ;
  if (f.type && !FOCAL_TYPES.has(f.type)) {
    return {
      rankable: false,
      unsupported: { finding: index, terms: typeTerms.map((t) => t.id), reason: UNSUPPORTED_TYPE_REASON[f.type] ?? UNSUPPORTED_TYPE_REASON.other },
    };
  }
  if (organ && !CHEST_ORGANS.has(organ)) {
    const organTerms = f.terms.filter((t) => t.kind === 'organ').map((t) => t.id);
    return {
      rankable: false,
      unsupported: { finding: index, terms: [...organTerms, ...typeTerms.map((t) => t.id)], reason: `findings in the ${organ} are outside the chest CT lung-lesion model` },
    };
  }
  if (!f.type && f.terms.some((t) => t.kind === 'type' && t.negated) && !f.size && !f.texture && f.margins.length === 0) {
    return {
      rankable: false,
      unsupported: { finding: index, terms: f.terms.filter((t) => t.kind === 'type').map((t) => t.id), reason: 'the absence of a finding cannot be localised on a slice' },
    };
  }
  const lesionish = f.type || f.size || f.texture || f.margins.length || f.anatomy.organ || f.anatomy.side || f.anatomy.lobe;
  if (!lesionish) return { rankable: false, unsupported: { finding: index, terms: f.terms.map((t) => t.id), reason: 'no finding the chest model can localise was recognised' } };
  const signTerms = f.terms.filter((t) => t.kind === 'sign' && !t.negated).map((t) => t.id);
  if (signTerms.length) {
    return { rankable: true, unsupported: { finding: index, terms: signTerms, reason: 'signs are not assessed by this model; ranked on the other attributes' } };
  }
  const otherFeatures = (f.features ?? []).filter((x) => !ASSESSED_FEATURES.has(x));
  if (otherFeatures.length) {
    const terms = f.terms.filter((t) => t.kind === 'type' && !t.negated && otherFeatures.includes(t.value as FindingType)).map((t) => t.id);
    return { rankable: true, unsupported: { finding: index, terms, reason: `${otherFeatures.join(', ')} within a lesion is not assessed by this model; ranked on the other attributes` } };
  }
  return { rankable: true };
}

/** Features of a lesion ("calcified nodule", "结节伴钙化") the candidates' densities can judge. */
const ASSESSED_FEATURES = new Set<FindingType>(['calcification', 'ground-glass opacity']);

/** Scores one candidate against one finding. */
export function matchCandidate(a: Analysis, f: Finding, findingIndex: number, e: Evidence, w: PresetWeights): CandidateMatch {
  const c = e.candidate;
  const factors: TermFactor[] = [];
  const add = (term: Term | undefined, membership: number, floor: number): void => {
    if (!term) return;
    const mem = clamp01(membership);
    factors.push({ term, membership: mem, factor: floor + (1 - floor) * mem });
  };
  const termOf = (kind: Term['kind'], value?: string): Term | undefined =>
    f.terms.find((t) => t.kind === kind && !t.negated && (value === undefined || t.value === value));

  // type, then further types said to be part of it ("calcified nodule" → calcification)
  if (f.type) add(termOf('type', f.type), typeFactor(f.type, e), FLOOR.type);
  for (const feature of f.features ?? []) {
    if (feature !== f.type && ASSESSED_FEATURES.has(feature)) add(termOf('type', feature), typeFactor(feature, e), FLOOR.texture);
  }
  // side
  const side = f.anatomy.side;
  if (side && side !== 'bilateral') add(termOf('side'), c.side === side ? 1 : 0, FLOOR.side);
  // lobe (LUL includes the lingula)
  if (f.anatomy.lobe) {
    const lobe = f.anatomy.lobe;
    const p = (c.lobes[lobe] ?? 0) + (lobe === 'LUL' ? c.lobes.lingula ?? 0 : 0);
    add(termOf('lobe'), p, FLOOR.lobe);
  }
  // segment names that are also position words
  const seg = f.anatomy.segment;
  if (seg) {
    const p = positionMembership(seg, c);
    if (p !== undefined) add(termOf('segment'), p, FLOOR.position);
  }
  for (const word of f.anatomy.position ?? []) {
    const p = positionMembership(word, c);
    if (p !== undefined) add(termOf('position', word), p, FLOOR.position);
  }
  if (f.anatomy.level) {
    const z = levelZ(a, f.anatomy.level);
    if (z !== undefined) {
      const zs = c.slices.map((s) => a.sliceZ[s.index]);
      const lo = Math.min(...zs) - a.sliceSpacing / 2, hi = Math.max(...zs) + a.sliceSpacing / 2;
      const d = z < lo ? lo - z : z > hi ? z - hi : 0;
      add(termOf('level'), Math.exp(-0.5 * (d / 15) ** 2), FLOOR.level);
    }
  }
  if (f.size) add(termOf('size'), sizeFactor(f.size.mm, e), FLOOR.size);
  if (f.texture) {
    const t = textureOf(e);
    const p = f.texture === 'solid' ? t.solid : f.texture === 'ground-glass' ? t.groundGlass : t.partSolid;
    add(termOf('texture'), p, FLOOR.texture);
  }
  for (const m of f.margins) add(termOf('margin', m), marginMembership(m, e), FLOOR.margin);

  // negations lower candidates that show what the text denies
  let negation = 1;
  for (const n of f.negations) {
    if (n === 'calcification') negation *= 1 - 0.8 * sigmoid((c.calcifiedFraction - 0.25) / 0.07);
    else if (n === 'spiculated' || n === 'lobulated' || n === 'irregular') negation *= 1 - 0.6 * marginMembership(n, e);
    else if (n === 'solid') negation *= 1 - 0.7 * textureOf(e).solid;
    else if (n === 'ground-glass' || n === 'ground-glass opacity') negation *= 1 - 0.7 * textureOf(e).groundGlass;
  }

  let score = Math.pow(lesionLikelihoodOf(e), w.lesion) * negation;
  for (const tf of factors) {
    if (tf.membership < w.reject) score = 0;
    score *= Math.pow(tf.factor, w.attributes);
  }
  return { candidate: c, finding: findingIndex, score: clamp01(score), factors, label: labelOf(f, e) };
}

function labelOf(f: Finding, e: Evidence): string {
  const c = e.candidate;
  const t = textureOf(e);
  const texture = t.groundGlass >= t.solid && t.groundGlass >= t.partSolid ? 'ground-glass' : t.solid >= t.partSolid ? 'solid' : 'part-solid';
  const kind = c.diameterMm > 30 ? 'mass' : 'nodule';
  return `${texture} ${kind} ${Math.round(c.diameterMm)} mm, ${c.side} ${c.zone} zone`;
}

export interface FuseOptions {
  preset?: Preset;
  /** Learned scores, same order as analysis.candidates. */
  learned?: CandidateScore[];
}

export interface FuseResult {
  /** Best first, every slice with a positive score (index in volume order). */
  slices: Array<{ index: number; score: number; regions: Region[]; matched: string[] }>;
  unsupported: Unsupported[];
  noConfidentMatch: boolean;
}

/** Weight of a slice within a candidate: its central (largest) slices show it best. */
function sliceWeight(weight: number): number {
  return 0.7 + 0.3 * Math.sqrt(weight);
}

export function fuse(a: Analysis, q: ParsedQuery, o: FuseOptions = {}): FuseResult {
  const w = PRESET_WEIGHTS[o.preset ?? 'report-match'];
  const unsupported: Unsupported[] = [];
  const matches: CandidateMatch[] = [];
  q.findings.forEach((f, i) => {
    const sup = supportOf(f, i);
    if (sup.unsupported) unsupported.push(sup.unsupported);
    if (!sup.rankable) return;
    const level = f.anatomy.level;
    if (level && levelZ(a, level) === undefined) {
      const terms = f.terms.filter((t) => t.kind === 'level').map((t) => t.id);
      unsupported.push({ finding: i, terms, reason: `the ${level} could not be located in this series; ranked on the other attributes` });
    }
    a.candidates.forEach((c, k) => {
      const m = matchCandidate(a, f, i, { candidate: c, learned: o.learned?.[k] }, w);
      if (m.score > 0.01) matches.push(m);
    });
  });
  // per slice: the best candidate decides the score; up to three regions are kept
  const perSlice = new Map<number, Array<{ m: CandidateMatch; s: number; box: [number, number, number, number] }>>();
  for (const m of matches) {
    for (const sl of m.candidate.slices) {
      const s = m.score * sliceWeight(sl.weight);
      let list = perSlice.get(sl.index);
      if (!list) { list = []; perSlice.set(sl.index, list); }
      list.push({ m, s, box: sl.box });
    }
  }
  const slices: FuseResult['slices'] = [];
  for (const [index, list] of perSlice) {
    list.sort((x, y) => y.s - x.s);
    const best = list[0];
    const regions: Region[] = [];
    const seen = new Set<number>();
    for (const it of list) {
      if (regions.length >= 3 || it.s < 0.5 * best.s) break;
      if (seen.has(it.m.candidate.id)) continue;
      seen.add(it.m.candidate.id);
      const [x0, y0, x1, y1] = it.box;
      regions.push({ x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1, score: round3(it.s), label: it.m.label });
    }
    const matched = new Set<string>();
    const f = q.findings[best.m.finding];
    for (const tf of best.m.factors) if (tf.factor >= 0.7) matched.add(tf.term.id);
    for (const t of f.terms) if (t.kind === 'organ' && CHEST_ORGANS.has(t.value)) matched.add(t.id);
    slices.push({ index, score: round3(best.s), regions, matched: [...matched] });
  }
  slices.sort((x, y) => y.score - x.score || x.index - y.index);
  return { slices, unsupported, noConfidentMatch: slices.length === 0 || slices[0].score < CONFIDENT_SCORE };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export type { SliceResult };
