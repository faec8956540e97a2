/**
 * Fusion: which lesion of the series is the one described, as a probability. Pure.
 *
 * The description is about something in this series, so the candidates compete for it, together
 * with one more alternative, "not in this series" (absent, or missed by the analysis). Each
 * candidate's evidence is its lesion likelihood times, per stated attribute, a likelihood ratio:
 * how much more often a radiologist would state that attribute of this lesion than of a lesion
 * taken at random (side, lobe, position, level, size, size word, type, texture, margin). The
 * score is the evidence normalised over the candidates and the alternative. So a correct extra
 * attribute raises a score (its ratio is above 1) and a wrong one lowers it; a soft mismatch
 * (size or segment off) re-orders candidates but never hides the only one that fits the rest,
 * and every stated attribute that did not fit is reported, stated against measured.
 */
import type { Finding, FindingType, Margin, ParsedQuery, Term, Texture } from '../query/finding';
import { STREAK_REACH_MM } from './analysis/candidates';
import { gridSliceSpacing } from './analysis/grid';
import { withShapeUnjudged } from './analysis/likelihood';
import { lobeMembership, zoneOf } from './analysis/lung-position';
import type { Analysis, Candidate, CandidateKind } from './analysis/types';
import { ASSESSED_SIGNS, cavityMembership, judgesOwn, kindFactors, kindLabel, reachedSide, termOf } from './finding-factors';
import type { CandidateScore } from './learned';
import type { Caveat, Mismatch, Region, SliceResult, Unsupported } from './response';

export type Preset = 'report-match' | 'lesion-search' | 'strict';
export const PRESETS: readonly Preset[] = ['report-match', 'lesion-search', 'strict'];

/** A slice is a confident match from this score up. */
export const CONFIDENT_SCORE = 0.5;
/**
 * How evidence becomes a score: the lesions' evidence raised to SHARPNESS, shared with a weight
 * NOT_IN_SERIES for "the described lesion is not among the candidates" (a softmax with a null class and
 * a temperature). SHARPNESS corrects for the evidence's factors not being independent (it is > 1 where
 * the many weak candidates of a scan are over-credited together). Both are fitted by maximum likelihood
 * on the development queries and synthetic lesions of the training bands, one development scan held out
 * at a time (scripts/calibrate.ts), so that a score of 0.8 is right about 8 times in 10. NOT_IN_SERIES
 * for a described small lesion (calibrationFor) is fitted on those descriptions alone, at the sharpness
 * fitted for all: 35 (log loss on them 1.10; 1.24 at 8, 1.12 at 20 and 1.13 at 60; 2026-12-03).
 * SPECIFICITY takes each lesion's evidence relative to what the description could earn at most (the
 * product of its attributes' full ratios, attainableOf) before that: every stated attribute multiplies a
 * fitting lesion's evidence by its ratio, so at 0 a description of a word ("mass", "结节") can never be
 * confident however clearly one lesion fits it (at most 0.44 for "mass", 0.23 for "nodule"). It stays 0:
 * the fits with it (scripts/calibrate.ts, 2026-12-05) made such answers confident twice as often but left
 * right answers to the synthetic suite's full descriptions confident 79–83 % of the time, under the 85 %
 * promised (docs/measurements.md).
 */
export const CALIBRATION = { sharpness: 1.75, notInSeries: 8, notInSeriesSmall: 35, specificity: 0 };

export interface Scoring {
  sharpness: number;
  notInSeries: number;
  specificity: number;
}

/**
 * The calibration one described finding is scored under. A small lesion (under SMALL_LESION_MM, or called
 * small) is missed by the candidate search more often than a larger one, so "not in this series" weighs
 * more for it: with the one weight for all, a weak answer to a small nodule was confident where nothing
 * else competed, and wrong a third of the time (eval:synthetic, 5–8 mm: 16 of 24 confident answers right).
 */
export function calibrationFor(f: Finding, cal: typeof CALIBRATION = CALIBRATION): Scoring {
  return { sharpness: cal.sharpness, specificity: cal.specificity, notInSeries: describesSmallLesion(f) ? cal.notInSeriesSmall : cal.notInSeries };
}

/**
 * Each lesion's score from the lesions' evidence (same order): its share against the others and "not in the
 * series". `attainable`: the most evidence the description's attributes could give a lesion (attainableOf).
 */
export function scoresOf(evidence: readonly number[], cal: Scoring = CALIBRATION, attainable = 1): number[] {
  const scale = Math.pow(Math.max(1, attainable), -cal.specificity);
  const powered = evidence.map((e) => (e > 0 ? Math.pow(e * scale, cal.sharpness) : 0));
  const total = powered.reduce((s, x) => s + x, cal.notInSeries);
  return powered.map((x) => x / total);
}

/** The most evidence a description's stated attributes could give any of these lesions: their full ratios' product. */
export function attainableOf(groups: ReadonlyArray<{ pieces: readonly CandidateMatch[] }>): number {
  let most = 1;
  for (const g of groups) for (const m of g.pieces) if (m.attainable > most) most = m.attainable;
  return most;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

/** Finding types the chest pipeline localises as focal lung lesions (a cavity is one with air inside). */
const FOCAL_TYPES = new Set(['nodule', 'mass', 'ground-glass opacity', 'calcification', 'cavity']);

/** The candidate kind a finding type is ranked against: focal types against lesions, other types against their own kind. */
export function kindFor(type: FindingType | undefined): CandidateKind | undefined {
  if (!type || FOCAL_TYPES.has(type)) return 'lesion';
  return (CANDIDATE_KINDS as readonly string[]).includes(type) ? (type as CandidateKind) : undefined;
}
const CANDIDATE_KINDS = ['lymph node', 'pleural effusion', 'pneumothorax', 'emphysema', 'consolidation', 'atelectasis', 'pleural thickening'] as const;
const UNSUPPORTED_TYPE_REASON: Record<string, string> = {
  consolidation: 'consolidation (lobar or segmental airspace opacity) is not modelled; only focal lung lesions are localised',
  cavity: 'cavities are not modelled; only focal lung lesions are localised',
  'pleural effusion': 'pleural effusion is not modelled; only focal lung lesions are localised',
  pneumothorax: 'pneumothorax is not modelled; only focal lung lesions are localised',
  emphysema: 'emphysema is not modelled; only focal lung lesions are localised',
  atelectasis: 'atelectasis is not modelled; only focal lung lesions are localised',
  bronchiectasis: 'bronchiectasis is not modelled: the bronchi beyond the main bronchi are not traced, so a dilated one cannot be told from a normal one',
  'lymph node': 'lymph nodes (mediastinal, hilar) are outside the lung masks and not modelled',
  'pleural thickening': 'pleural thickening is not modelled; only focal lung lesions are localised',
  other: 'this finding is outside the chest CT lung-lesion model',
};
const CHEST_ORGANS = new Set(['lung', 'pleura', 'chest', 'thorax', 'airway', 'bronchus']);

export interface PresetWeights {
  /** Exponent on the lesion likelihood. */
  lesion: number;
  /** Exponent on each attribute's likelihood ratio (1 = as stated, < 1 = soft hints). */
  attributes: number;
  /** Attributes the candidate shows less than this reject it outright (strict). */
  reject: number;
}

export const PRESET_WEIGHTS: Record<Preset, PresetWeights> = {
  'report-match': { lesion: 1, attributes: 1, reject: 0 },
  'lesion-search': { lesion: 1, attributes: 0.35, reject: 0 },
  strict: { lesion: 1, attributes: 1, reject: 0.3 },
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
  /** Likelihood ratio applied: the membership lifted to the attribute's floor, over its base rate. */
  ratio: number;
  /** The ratio at full membership (1 where another word was already judged by the same measure). */
  full: number;
  /** What the candidate shows instead, in words, for a stated-versus-measured report. */
  measured: string;
}

export interface CandidateMatch {
  candidate: Candidate;
  /** The candidate with its learned score: what it was judged on. */
  judged: Evidence;
  finding: number;
  /** Unnormalised evidence that this candidate is the one described. */
  evidence: number;
  /** How likely it is a lesion at all (the classical and learned judgements together). */
  likelihood: number;
  /** Probability that it is the one described (evidence normalised with the other candidates and "not in this series"). */
  score: number;
  factors: TermFactor[];
  /** The product of the factors' full ratios: the most evidence the stated attributes could give. */
  attainable: number;
  /** Its words, and the factors' `measured`, only when asked to describe (empty otherwise). */
  label: string;
}

/** Texture probabilities from density (or the learned head blended in, where density allows it). */
export function textureOf(e: Evidence): { solid: number; partSolid: number; groundGlass: number } {
  const c = e.candidate;
  const gg = groundGlassShare(c);
  // part-solid: clearly less solid than a wholly solid lesion of that size would look once partial
  // volume (≈1.5 mm of blur at the rim) is taken into account
  const d = c.equivalentDiameterMm;
  const solidIfSolid = d > 1.5 ? ((d - 1.5) / (d + 1.5)) ** 3 : 0;
  const mixed = sigmoid((0.6 * solidIfSolid - c.solidFraction) / 0.06);
  const classical = { solid: (1 - gg) * (1 - mixed), partSolid: (1 - gg) * mixed, groundGlass: gg };
  const t = e.learned?.texture;
  if (!t) return classical;
  // the model may refine a texture but not contradict physics: a core of soft-tissue density is not
  // ground glass, and one far below it is not solid
  const softCore = sigmoid((c.solidCoreHU + 150) / 40);
  const faintCore = sigmoid((-450 - c.solidCoreHU) / 40);
  const learned = { solid: t.solid * (1 - faintCore), partSolid: t.partSolid, groundGlass: t.groundGlass * (1 - softCore) };
  const sum = learned.solid + learned.partSolid + learned.groundGlass || 1;
  const w = 0.5 * learnedWeight(e);
  return {
    solid: (1 - w) * classical.solid + (w * learned.solid) / sum,
    partSolid: (1 - w) * classical.partSolid + (w * learned.partSolid) / sum,
    groundGlass: (1 - w) * classical.groundGlass + (w * learned.groundGlass) / sum,
  };
}

/**
 * How far the learned model can judge this candidate, 0..1: fully while the lesion fits well inside the
 * field the model saw, fading out as it nears the field's width (a mass wider than the patch shows no
 * margin and no lung around it, only tissue, as the mediastinum does).
 */
export function learnedWeight(e: Evidence): number {
  const field = e.learned?.fieldMm;
  if (!e.learned) return 0;
  if (field === undefined) return 1;
  return sigmoid((0.7 * field - e.candidate.diameterMm) / (0.08 * field));
}

export function lesionLikelihoodOf(e: Evidence, sliceSpacing?: number): number {
  const c = e.candidate;
  let l = c.lesionLikelihood;
  // the other chest findings bring their own likelihood; the learned model judges focal lesions only
  if (c.kind !== 'lesion') return clamp01(l);
  // a lesion no wider than about two slices are thick spans one to three of them, and partial volume
  // sets its extent along them: its roundness in 3D cannot be judged from its voxels (fully up to two
  // slice thicknesses, not at all from three). The learned model, which sees it in its patch, judges
  // that shape instead: as far as it calls the candidate a lesion, the measured shape is not held against it
  const seen = e.learned ? clamp01(e.learned.lesionProbability) * learnedWeight(e) : 0;
  if (sliceSpacing && sliceSpacing > 0 && seen > 0) l = withShapeUnjudged(l, c, (3 - c.equivalentDiameterMm / sliceSpacing) * seen);
  // small faint blobs are mostly partial-volumed vessels; a credible pure GGN is ≥ ~6 mm (Fleischner)
  if (c.meanHU < -450) l *= sigmoid((c.equivalentDiameterMm - 6) / 0.8);
  // product of experts (weighted geometric mean): the model refines the classical judgement but cannot
  // override it alone; a model that calls everything a lesion then adds little instead of noise
  const w = 0.5 * learnedWeight(e);
  if (e.learned && w > 0) l = Math.pow(l, 1 - w) * Math.pow(clamp01(e.learned.lesionProbability), w);
  return clamp01(l);
}

function irregularityOf(e: Evidence): number {
  const c = e.candidate.marginIrregularity;
  const m = e.learned?.marginIrregularity;
  const w = 0.5 * learnedWeight(e);
  return m === undefined ? c : (1 - w) * c + w * clamp01(m);
}

/**
 * How far a candidate is ground glass by its density alone: even the densest part stays below soft tissue (core
 * < ≈ -350 HU); a vessel running through it is no solid part (solidCoreHU).
 */
const groundGlassShare = (c: Candidate): number => sigmoid((-380 - c.solidCoreHU) / 50);

/** The candidate's share of a stated texture (subsolid: part-solid or ground glass). */
function textureShare(texture: Texture, t: ReturnType<typeof textureOf>): number {
  switch (texture) {
    case 'solid': return t.solid;
    case 'ground-glass': return t.groundGlass;
    case 'subsolid': return t.partSolid + t.groundGlass;
    default: return t.partSolid;
  }
}

/** Margin words that one measure, the outline's irregularity, judges alike. */
const IRREGULAR_MARGINS = new Set<string>(['spiculated', 'lobulated', 'irregular']);

function marginMembership(margin: Margin | string, e: Evidence): number {
  const irr = irregularityOf(e);
  if (IRREGULAR_MARGINS.has(margin)) return sigmoid((irr - 0.3) / 0.1);
  switch (margin) {
    case 'smooth':
      return sigmoid((0.35 - irr) / 0.1);
    case 'ill-defined':
      return Math.max(textureOf(e).groundGlass, sigmoid((irr - 0.4) / 0.1));
    default:
      return 0.5;
  }
}

/** Closeness to the hilum of the candidate's own side: its edge within about 20 mm of the hilum's axis. */
function hilarMembership(a: Analysis, c: Candidate): number {
  if (c.hilumDistanceMm !== undefined) return Math.exp(-0.5 * (c.hilumDistanceMm / 20) ** 2);
  // no hilum found (no carina, non-axial series): medial and a little below the carina
  const z = a.levels.carina ? a.levels.carina.z - 20 : undefined;
  const zTerm = z === undefined ? 0.5 : Math.exp(-0.5 * (zDistance(a, c, z) / 20) ** 2);
  return zTerm * sigmoid((0.45 - c.lateralFraction) / 0.1);
}

/** Membership of a coarse position word (or a segment name used as one). */
function positionMembership(word: string, a: Analysis, c: Candidate): number | undefined {
  const against = (wall: Candidate['wall']): number => (c.wall === wall ? clamp01(0.6 + 8 * c.wallContact) : 0);
  switch (word) {
    case 'posterior':
    case 'dorsal':
      return sigmoid((c.apFraction - 0.55) / 0.1);
    case 'anterior':
    case 'ventral':
      return sigmoid((0.45 - c.apFraction) / 0.1);
    case 'upper':
    case 'superior':
      return sigmoid((c.zoneFraction - 0.6) / 0.08);
    case 'apical':
      return sigmoid((c.zoneFraction - 0.78) / 0.06);
    case 'lower':
    case 'inferior':
      return sigmoid((0.4 - c.zoneFraction) / 0.08);
    case 'basal':
      return Math.max(sigmoid((0.22 - c.zoneFraction) / 0.06), against('diaphragm'));
    case 'middle':
      return Math.exp(-0.5 * ((c.zoneFraction - 0.5) / 0.18) ** 2);
    case 'central':
    case 'perihilar':
      return Math.max(sigmoid((0.4 - c.lateralFraction) / 0.1), hilarMembership(a, c));
    case 'medial':
    case 'paramediastinal':
      return Math.max(sigmoid((0.35 - c.lateralFraction) / 0.1), against('mediastinum'));
    case 'peripheral':
    case 'lateral':
      return Math.max(sigmoid((c.lateralFraction - 0.45) / 0.1), against('chest wall'));
    case 'subpleural':
    case 'juxtapleural':
      return Math.max(sigmoid((c.lateralFraction - 0.72) / 0.07), against('chest wall'), 0.8 * against('diaphragm'));
    case 'perifissural': {
      // near the estimated boundary between upper (or middle) and lower lobe
      const lower = (c.lobes.RLL ?? 0) + (c.lobes.LLL ?? 0);
      return 1 - Math.abs(2 * lower - 1);
    }
    default:
      return undefined;
  }
}

/**
 * Kinds that spread over much of a lung (or along it): a word of height (a zone, a lobe) is judged on the part of
 * them it fits best, not at their centroid. "Paraseptal emphysema in the right upper lung" on a scan whose emphysema
 * runs from the base to the upper zone is that emphysema, shown on an upper slice; at its centroid it was "middle
 * zone", and its best slice a middle one.
 */
const SPREADING_KINDS: ReadonlySet<CandidateKind> = new Set<CandidateKind>(['emphysema', 'consolidation', 'atelectasis', 'pleural effusion', 'pneumothorax', 'pleural thickening']);
const HEIGHT_WORDS: ReadonlySet<string> = new Set(['upper', 'superior', 'apical', 'lower', 'inferior', 'basal', 'middle']);

const statesHeight = (f: Finding): boolean => !!f.anatomy.lobe || (f.anatomy.position ?? []).some((w) => HEIGHT_WORDS.has(w));
const spreadsForHeight = (f: Finding, c: Candidate): boolean => SPREADING_KINDS.has(c.kind) && c.slices.length > 1 && statesHeight(f);

/** The candidate as seen at one of its slices: that slice's height in the lung (zone and lobes), the rest its own. */
function atHeightOf(a: Analysis, c: Candidate, index: number): Candidate {
  const apex = a.levels.apex?.z, base = a.levels.base?.z;
  if (apex === undefined || base === undefined || !(apex > base)) return c;
  const zoneFraction = clamp01(c.zoneFraction + (a.sliceZ[index] - c.centroidMm[2]) / (apex - base));
  return { ...c, zoneFraction, zone: zoneOf(zoneFraction), lobes: lobeMembership(c.side, zoneFraction, c.apFraction) };
}

/** How well a candidate's height fits the finding's words of height. */
function heightFit(a: Analysis, f: Finding, c: Candidate): number {
  const lobe = f.anatomy.lobe;
  let fit = lobe ? (c.lobes[lobe] ?? 0) + (lobe === 'LUL' ? c.lobes.lingula ?? 0 : 0) : 1;
  for (const word of f.anatomy.position ?? []) if (HEIGHT_WORDS.has(word)) fit *= positionMembership(word, a, c) ?? 1;
  return fit;
}

/** Each view judgedAtHeight made, to the candidate it shows (the slices are ranked from the candidate's own height). */
const viewed = new WeakMap<Candidate, Candidate>();

/** A spreading candidate as judged for a finding with words of height: at the slice they fit best (its broader slices first among equals). */
function judgedAtHeight(a: Analysis, f: Finding, c: Candidate): Candidate {
  if (!spreadsForHeight(f, c)) return c;
  let best = c, bestFit = -1;
  for (const sl of c.slices) {
    const view = atHeightOf(a, c, sl.index);
    const fit = heightFit(a, f, view) * sliceWeight(sl.weight);
    if (fit > bestFit) { bestFit = fit; best = view; }
  }
  if (best !== c) viewed.set(best, c);
  return best;
}

/** A spreading answer's slice ranks by how well its height fits the finding, against the height it was judged at (1 there). */
function heightRankAt(a: Analysis, f: Finding, judged: Candidate, piece: Candidate, index: number): number {
  if (!spreadsForHeight(f, piece)) return 1;
  const at = heightFit(a, f, judged);
  return at > 0 ? Math.min(1, heightFit(a, f, atHeightOf(a, viewed.get(piece) ?? piece, index)) / at) : 1;
}

/** Distance (mm) along z from a height to the candidate's slice range (0 inside it). */
function zDistance(a: Analysis, c: Candidate, z: number): number {
  const zs = c.slices.map((s) => a.sliceZ[s.index]);
  const lo = Math.min(...zs) - a.sliceSpacing / 2, hi = Math.max(...zs) + a.sliceSpacing / 2;
  return z < lo ? lo - z : z > hi ? z - hi : 0;
}

/** Patient z (mm) of a named level, from the analysis' landmarks (the hilum is judged in 3D, see hilarMembership). */
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

function levelMembership(a: Analysis, level: string, c: Candidate): number | undefined {
  if (level === 'hilum') return a.levels.carina || c.hilumDistanceMm !== undefined ? hilarMembership(a, c) : undefined;
  const z = levelZ(a, level);
  return z === undefined ? undefined : Math.exp(-0.5 * (zDistance(a, c, z) / 15) ** 2);
}

function typeMembership(type: string | undefined, e: Evidence): number {
  const c = e.candidate;
  const d = c.diameterMm;
  switch (type) {
    case 'nodule':
      return sigmoid((34 - d) / 3); // nodules are ≤ 30 mm; allow measurement slack
    case 'mass':
      return sigmoid((d - 26) / 3); // masses are > 30 mm
    case 'ground-glass opacity':
      return textureOf(e).groundGlass;
    case 'calcification':
      return sigmoid((c.calcifiedFraction - 0.25) / 0.07);
    case 'cavity':
      return cavityMembership(c);
    default:
      return 1;
  }
}

/**
 * How well a measured long axis fits a stated size: log-ratio tolerance (±30 %) plus ~2 mm absolute
 * error for small sizes; ground glass may measure smaller than stated (its faint rim is uncertain).
 */
function sizeMembership(stated: number, e: Evidence): number {
  const measured = Math.max(1, e.candidate.diameterMm);
  let sigma = Math.sqrt(0.3 ** 2 + (2 / stated) ** 2);
  if (measured < stated && textureOf(e).groundGlass > 0.5) sigma *= 1.5;
  return Math.exp(-0.5 * (Math.log(measured / stated) / sigma) ** 2);
}

/** "large", "small" and "moderate", relative to what the finding is (a large nodule is smaller than a large mass). */
function sizeWordMembership(word: string, type: FindingType | undefined, d: number): number {
  const [small, large] = type === 'nodule' ? [8, 15] : type === 'mass' ? [35, 50] : type === 'lymph node' ? [10, 15] : [10, 30];
  switch (word) {
    case 'large':
      return sigmoid((d - large) / (0.12 * large));
    case 'small':
      return sigmoid((small - d) / (0.15 * small));
    case 'moderate':
      return sigmoid((d - small) / (0.15 * small)) * sigmoid((large - d) / (0.12 * large));
    default:
      return 0.5;
  }
}

/**
 * Lowest factor an attribute can apply: its membership is lifted to this, because a stated attribute
 * may be wrong and an estimate too. Measured attributes (size, texture, side) fall far; estimated ones
 * (lobe, position words, margin) less. A position word's membership is already graded across the zone
 * boundaries, so its floor is for a zone far off (0.25 → 0.1 on 2026-12-03: eval:synthetic 8 mm and more
 * 190 → 194 top-1, on LIDC-IDRI-0001 and Lung-PET-CT-Dx alike, 4D-Lung unchanged, none lost; calibration 94 → 95 %).
 */
const FLOOR = { type: 0.05, side: 0.03, lobe: 0.2, position: 0.1, level: 0.15, size: 0.03, sizeWord: 0.15, texture: 0.05, margin: 0.3 };

/** How often an attribute fits a lesion taken at random: the denominator of its likelihood ratio. */
const BASE_RATE = {
  side: 0.5,
  lobe: 0.35,
  position: 0.4,
  level: 0.3,
  size: 0.25,
  sizeWord: 0.4,
  margin: 0.35,
  type: { nodule: 0.6, mass: 0.35, 'ground-glass opacity': 0.3, calcification: 0.2, cavity: 0.3 } as Record<string, number>,
  texture: { solid: 0.6, 'part-solid': 0.2, 'ground-glass': 0.3, subsolid: 0.5 } as Record<string, number>,
};

/** Which stated attributes the pipeline cannot judge, and whether the finding can be ranked at all. */
export function supportOf(f: Finding, index: number, detected: ReadonlySet<CandidateKind> = DETECTED_KINDS): { rankable: boolean; unsupported?: Unsupported } {
  const typeTerms = f.terms.filter((t) => t.kind === 'type' && !t.negated);
  const organ = f.anatomy.organ;
  const kind = kindFor(f.type);
  if (f.type && !(kind && detected.has(kind))) {
    return {
      rankable: false,
      unsupported: { finding: index, terms: typeTerms.map((t) => t.id), reason: UNSUPPORTED_TYPE_REASON[f.type] ?? UNSUPPORTED_TYPE_REASON.other },
    };
  }
  // lymph nodes are searched in the mediastinum (and at the hila and the neck base)
  if (organ && !CHEST_ORGANS.has(organ) && !(kind === 'lymph node' && organ === 'mediastinum')) {
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
  const assessed: readonly string[] = (kind && ASSESSED_SIGNS[kind]) || [];
  const signTerms = f.terms.filter((t) => t.kind === 'sign' && !t.negated && !assessed.includes(t.value)).map((t) => t.id);
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

/** Candidate kinds the analysis produces; a finding type whose kind is not here is unsupported. */
export const DETECTED_KINDS: ReadonlySet<CandidateKind> = new Set<CandidateKind>([
  'lesion', 'lymph node', 'pleural effusion', 'pneumothorax', 'emphysema', 'consolidation', 'atelectasis', 'pleural thickening',
]);

/** Features of a lesion ("calcified nodule", "结节伴钙化", "空洞性肿块") its densities and the air inside it can judge. */
const ASSESSED_FEATURES = new Set<FindingType>(['calcification', 'ground-glass opacity', 'cavity']);

const round = (x: number): string => String(Math.round(x));
const texWord = (e: Evidence): string => {
  const t = textureOf(e);
  return t.groundGlass >= t.solid && t.groundGlass >= t.partSolid ? 'ground-glass' : t.solid >= t.partSolid ? 'solid' : 'part-solid';
};
const lobeWord = (c: Candidate): string => Object.entries(c.lobes).sort((x, y) => (y[1] ?? 0) - (x[1] ?? 0))[0]?.[0] ?? '';

/**
 * Scores one candidate against one finding (unnormalised evidence and the factors behind it). The words
 * (label, what each factor measured) are made only with `describe`: a query weighs every candidate, and
 * only the lesions it answers with are described.
 */
export function matchCandidate(a: Analysis, f: Finding, findingIndex: number, e: Evidence, w: PresetWeights, describe = false): CandidateMatch {
  const c = e.candidate;
  // (called for every candidate of every query: no closures here, the words come after, and only to describe)
  const factors: TermFactor[] = [];

  // type, then further types said to be part of it ("calcified nodule" → calcification)
  if (f.type) pushFactor(factors, termOf(f, 'type', f.type), typeMembership(f.type, e), FLOOR.type, BASE_RATE.type[f.type] ?? 0.5);
  for (const feature of f.features ?? []) {
    if (feature !== f.type && ASSESSED_FEATURES.has(feature)) pushFactor(factors, termOf(f, 'type', feature), typeMembership(feature, e), FLOOR.texture, BASE_RATE.type[feature] ?? 0.5);
  }
  const side = f.anatomy.side;
  if (side && side !== 'bilateral') pushFactor(factors, termOf(f, 'side'), c.side === side ? 1 : reachedSide(c, side), FLOOR.side, BASE_RATE.side);
  // lobe (LUL includes the lingula)
  if (f.anatomy.lobe) {
    const lobe = f.anatomy.lobe;
    pushFactor(factors, termOf(f, 'lobe'), (c.lobes[lobe] ?? 0) + (lobe === 'LUL' ? c.lobes.lingula ?? 0 : 0), FLOOR.lobe, BASE_RATE.lobe);
  }
  // segment names that are also position words
  const seg = f.anatomy.segment;
  if (seg) {
    const p = positionMembership(seg, a, c);
    if (p !== undefined) pushFactor(factors, termOf(f, 'segment'), p, FLOOR.position, BASE_RATE.position);
  }
  for (const word of f.anatomy.position ?? []) {
    const p = positionMembership(word, a, c);
    if (p !== undefined) pushFactor(factors, termOf(f, 'position', word), p, FLOOR.position, BASE_RATE.position);
  }
  if (f.anatomy.level) {
    const p = levelMembership(a, f.anatomy.level, c);
    if (p !== undefined) pushFactor(factors, termOf(f, 'level'), p, FLOOR.level, BASE_RATE.level);
  }
  if (f.size && !judgesOwn(c.kind, 'size')) pushFactor(factors, termOf(f, 'size'), sizeMembership(f.size.mm, e), FLOOR.size, BASE_RATE.size);
  if (f.sizeWord && !judgesOwn(c.kind, 'sizeWord')) pushFactor(factors, termOf(f, 'size-word'), sizeWordMembership(f.sizeWord, f.type, c.diameterMm), FLOOR.sizeWord, BASE_RATE.sizeWord);
  if (f.texture) pushFactor(factors, termOf(f, 'texture'), textureShare(f.texture, textureOf(e)), FLOOR.texture, BASE_RATE.texture[f.texture] ?? 0.4);
  // "lobulated, with spiculation": words the one irregularity measure judges weigh once (each is still reported)
  let irregularJudged = false;
  for (const m of f.margins) {
    const irregular = IRREGULAR_MARGINS.has(m);
    pushFactor(factors, termOf(f, 'margin', m), marginMembership(m, e), FLOOR.margin, BASE_RATE.margin, '', irregular && irregularJudged);
    irregularJudged ||= irregular;
  }
  if (describe) for (const tf of factors) tf.measured = measuredWords(f, e, tf.term);

  // what only some kinds have: a node's station and short axis, an effusion's amount, air inside a lesion, ...
  for (const k of kindFactors(f, c)) pushFactor(factors, k.term, k.membership, k.floor, k.base, describe ? k.measured : '');

  // negations lower candidates that show what the text denies
  let negation = 1;
  for (const n of f.negations) {
    if (n === 'calcification') negation *= 1 - 0.8 * sigmoid((c.calcifiedFraction - 0.25) / 0.07);
    else if (n === 'spiculated' || n === 'lobulated' || n === 'irregular') negation *= 1 - 0.6 * marginMembership(n, e);
    else if (n === 'solid') negation *= 1 - 0.7 * textureOf(e).solid;
    else if (n === 'ground-glass' || n === 'ground-glass opacity') negation *= 1 - 0.7 * textureOf(e).groundGlass;
  }

  const likelihood = lesionLikelihoodOf(e, gridSliceSpacing(a.sliceSpacing));
  let evidence = Math.pow(likelihood, w.lesion) * negation;
  let attainable = 1;
  for (const tf of factors) {
    if (tf.membership < w.reject) evidence = 0;
    evidence *= Math.pow(tf.ratio, w.attributes);
    attainable *= Math.pow(tf.full, w.attributes);
  }
  return { candidate: c, judged: e, finding: findingIndex, evidence, attainable, likelihood, score: 0, factors, label: describe ? labelOf(e) : '' };
}

/**
 * A factor of a stated attribute (none where the finding does not state it): its membership lifted to the
 * floor, over the base rate; a ratio of 1 where another stated word was already judged by the same measure.
 */
function pushFactor(out: TermFactor[], term: Term | undefined, membership: number, floor: number, base: number, measured = '', counted = false): void {
  if (!term) return;
  const mem = clamp01(membership);
  out.push({ term, membership: mem, ratio: counted ? 1 : (floor + (1 - floor) * mem) / base, full: counted ? 1 : 1 / base, measured });
}

/** What a candidate shows of a stated attribute, in words (for a stated-versus-measured report). */
function measuredWords(f: Finding, e: Evidence, term: Term): string {
  const c = e.candidate;
  const where = (): string => `${c.zone} zone, ${c.anteroposterior}${c.wall ? `, against the ${c.wall}` : ''}`;
  switch (term.kind) {
    case 'type':
      return term.value === f.type ? `${c.diameterMm > 30 ? 'mass' : 'nodule'}, ${round(c.diameterMm)} mm` : texWord(e);
    case 'side':
      return c.side;
    case 'lobe':
      return `${lobeWord(c)} (estimated from position)`;
    case 'level':
      return f.anatomy.level === 'hilum' && c.hilumDistanceMm !== undefined ? `${round(c.hilumDistanceMm)} mm from the ${c.side} hilum` : where();
    case 'size':
    case 'size-word':
      return `${round(c.diameterMm)} mm`;
    case 'texture':
      return texWord(e);
    case 'margin':
      return irregularityOf(e) > 0.35 ? 'irregular' : 'smooth';
    default: // segment and position words
      return where();
  }
}

function labelOf(e: Evidence): string {
  const c = e.candidate;
  const other = kindLabel(c);
  if (other) return other;
  const kind = c.diameterMm > 30 ? 'mass' : 'nodule';
  return `${texWord(e)} ${kind} ${Math.round(c.diameterMm)} mm, ${c.side} ${c.zone} zone`;
}

export interface FuseOptions {
  preset?: Preset;
  /** Learned scores, same order as analysis.candidates. */
  learned?: CandidateScore[];
}

/** One lesion's answer to one finding. */
export interface LesionAnswer {
  /** The piece of the lesion that answers for it (the most lesion-like). */
  candidate: Candidate;
  /** Every touching piece it was found in, with the weight of its slices (the representative's are 1). */
  pieces?: Array<{ candidate: Candidate; share: number }>;
  score: number;
  matched: string[];
  mismatched: Mismatch[];
  label: string;
}

export interface FuseResult {
  /** Best first, every slice with a positive score (index in volume order). */
  slices: Array<{ index: number; score: number; regions: Region[]; matched: string[]; mismatched: Mismatch[] }>;
  /** Per rankable finding, its lesions best first (at most one entry per lesion). */
  findings: Array<{ finding: number; lesions: LesionAnswer[] }>;
  unsupported: Unsupported[];
  caveats: Caveat[];
  noConfidentMatch: boolean;
}

/** Weight of a slice within a candidate: its central (largest) slices show it best. */
function sliceWeight(weight: number): number {
  return 0.7 + 0.3 * Math.sqrt(weight);
}

/** Lesions less likely than this to be what is described are not listed (the best one always is). */
const MIN_SCORE = 0.005;

function answerOf(m: CandidateMatch, f: Finding): LesionAnswer {
  const matched = new Set<string>();
  const mismatched: Mismatch[] = [];
  for (const tf of m.factors) {
    if (tf.membership >= 0.5) matched.add(tf.term.id);
    else if (tf.membership < 0.3) mismatched.push({ term: tf.term.id, stated: tf.term.value, measured: tf.measured });
  }
  for (const t of f.terms) if (t.kind === 'organ' && CHEST_ORGANS.has(t.value)) matched.add(t.id);
  return { candidate: m.candidate, score: round3(m.score), matched: [...matched], mismatched, label: m.label };
}

/**
 * A piece answers for its lesion only if the description fits it at least this share as well as the
 * piece that gives the lesion its evidence (within a factor of two).
 */
const ANSWER_FIT_SHARE = 0.5;

/**
 * The evidence that each lesion of the series is the one a finding describes, unnormalised. Touching
 * lesion-like pieces are one lesion: its evidence is that of its best-fitting piece (never a sum, so
 * splitting cannot inflate it), and its most lesion-like piece answers for it (first): a lesion against
 * a hilum is shown as the lesion, not as the hilar vessels it touches. But only among the pieces the
 * description fits about as well as the best one: a chain of pieces along a wall (a nodule on the dome
 * joined through the mediastinum's edge to a bulge of it far above) is not shown as a piece it does not fit.
 */
export function lesionEvidence(a: Analysis, f: Finding, findingIndex: number, o: FuseOptions = {}): Array<{ pieces: CandidateMatch[]; evidence: number }> {
  const w = PRESET_WEIGHTS[o.preset ?? 'report-match'];
  const kind = kindFor(f.type);
  const matches = a.candidates.map((c, k) => (c.kind === kind ? matchCandidate(a, f, findingIndex, { candidate: judgedAtHeight(a, f, c), learned: o.learned?.[k] }, w) : undefined));
  // plain loops per lesion: a query visits every one (see matchCandidate on closures)
  const out: Array<{ pieces: CandidateMatch[]; evidence: number }> = [];
  for (const piece of piecesOfLesions(a)) {
    const pieces: CandidateMatch[] = [];
    for (const k of piece) {
      const m = matches[k];
      if (m) pieces.push(m);
    }
    if (!pieces.length) continue;
    if (pieces.length > 1 && kind === 'lesion') judgeAsWhole(a, f, findingIndex, pieces, w);
    let evidence = 0;
    for (const m of pieces) if (m.evidence > evidence) evidence = m.evidence;
    if (pieces.length > 1) {
      // the places of one emphysema are not a lesion and what it touches: the place described answers
      pieces.sort(kind === 'emphysema' ? byEvidence : byLikelihoodThenEvidence);
      let answering = 0;
      while (pieces[answering].evidence < ANSWER_FIT_SHARE * evidence) answering++;
      if (answering > 0) pieces.unshift(...pieces.splice(answering, 1));
    }
    out.push({ pieces, evidence });
  }
  return out;
}

/**
 * The stated size and reach are the whole lesion's, not one piece's: each piece is matched again as the whole
 * (wholeOf), in place, where that fits the description better; it is still shown (and judged for what the
 * series cannot promise) as the piece it is.
 */
function judgeAsWhole(a: Analysis, f: Finding, findingIndex: number, pieces: CandidateMatch[], w: PresetWeights): void {
  const whole = wholeOf(pieces.filter((m) => m.likelihood >= WHOLE_PIECE_LIKELIHOOD).map((m) => m.candidate));
  pieces.forEach((m, i) => {
    const c = m.candidate;
    const nearer = whole.hilumDistanceMm !== undefined && whole.hilumDistanceMm < (c.hilumDistanceMm ?? Infinity);
    if (whole.diameterMm <= c.diameterMm && !nearer) return;
    const asWhole: Candidate = { ...c, diameterMm: Math.max(c.diameterMm, whole.diameterMm), ...(nearer ? { hilumDistanceMm: whole.hilumDistanceMm } : {}) };
    const mw = matchCandidate(a, f, findingIndex, { ...m.judged, candidate: asWhole }, w);
    if (mw.evidence > m.evidence) pieces[i] = { ...mw, candidate: c };
  });
}

/** Pieces this likely to be lesion make up the whole a reader measures; the others may be what it touches. */
const WHOLE_PIECE_LIKELIHOOD = 0.5;

/**
 * What a reader measures of a lesion found in touching pieces: its longest axial extent (pieces on common slices
 * side by side: their centres' distance in the plane and half of each one's diameter) and its nearest reach to a hilum.
 */
function wholeOf(cs: Candidate[]): { diameterMm: number; hilumDistanceMm?: number } {
  if (cs.length < 2) return { diameterMm: 0 };
  let d = 0, h = Infinity;
  for (const c of cs) {
    d = Math.max(d, c.diameterMm);
    if (c.hilumDistanceMm !== undefined) h = Math.min(h, c.hilumDistanceMm);
  }
  for (let i = 0; i < cs.length; i++)
    for (let j = i + 1; j < cs.length; j++) {
      const a = cs[i], b = cs[j];
      const shared = a.slices[0].index <= b.slices[b.slices.length - 1].index && b.slices[0].index <= a.slices[a.slices.length - 1].index;
      if (shared) d = Math.max(d, Math.hypot(a.centroidMm[0] - b.centroidMm[0], a.centroidMm[1] - b.centroidMm[1]) + (a.diameterMm + b.diameterMm) / 2);
    }
  return { diameterMm: d, ...(Number.isFinite(h) ? { hilumDistanceMm: h } : {}) };
}

const byLikelihoodThenEvidence = (x: CandidateMatch, y: CandidateMatch): number => y.likelihood - x.likelihood || y.evidence - x.evidence;
const byEvidence = (x: CandidateMatch, y: CandidateMatch): number => y.evidence - x.evidence;

/**
 * On a low-dose series (smoothed before the analysis, noise.ts) what a described focal lesion's answer
 * cannot promise. Measured on the synthetic suite with 60 HU of pixel noise (`eval:synthetic -- --look
 * lowdose`): lesions of 5–8 mm found 24 of 66 times against 32 of 66 as scanned, ground glass 28 of 48
 * against 32; 8 mm and more 190 of 208 against 198.
 */
export const LOW_DOSE =
  'this series is a low-dose scan (its pixel noise was smoothed before the search): nodules under about 8 mm and faint ground glass are found less often than on a diagnostic scan';

/**
 * What a description stating a height in the lung (a zone, a lobe) cannot promise on a series that does not cover the
 * whole lung: the cut-off end, and so every height fraction, is estimated from the carina (lungs.ts, lungSpan).
 */
export const PARTIAL_COVERAGE =
  'the series starts below the lung apices or stops above the bases: where a lesion lies in the height of the lung (its zone, its lobe) is estimated from the carina';

/**
 * What the answer to a described lesion under this size (mm), or called small, cannot promise on any series.
 * Measured on the synthetic suite (`eval:synthetic -- --no-findings`): lesions of 5–8 mm found top-1
 * 32 of 66 times, those of 8 mm and more 198 of 208; on each development scan 5–8 mm is the weakest class.
 */
const SMALL_LESION_MM = 8;
export const SMALL_LESION =
  'a nodule under about 8 mm is found less often than a larger one (about three times in five in testing, more rarely beside a vessel or a wall): if the best answer is not it, look through the others';

export const describesSmallLesion = (f: Finding): boolean =>
  kindFor(f.type) === 'lesion' && ((f.size !== undefined && f.size.mm < SMALL_LESION_MM) || f.sizeWord === 'small');

/**
 * What an answer cannot promise when its description says too little: each stated attribute multiplies a fitting
 * lesion's evidence by its ratio, so a description of a word or two ("nodule", "pleural effusion", "6 mm nodule")
 * earns too little to outweigh "not in this series" (bestPossibleScore under CONFIDENT_SCORE: "mass" at most
 * 0.44, "nodule" 0.23), however clearly one lesion fits it. Its answer says so, so that a right answer scored low
 * is not read as "not there".
 */
export const BRIEF_DESCRIPTION =
  'the description says too little for a confident match: even a lesion fitting every word of it would score under 0.5 (the lesions are still ranked by how well they fit); add where it is (side, lobe) or how large';

/** The score of a lesion that fits every stated attribute and is surely a lesion, alone in the series. */
export function bestPossibleScore(attainable: number, cal: Scoring): number {
  return scoresOf([attainable], cal, attainable)[0];
}

/**
 * Emphysema is read as the share of lung under -950 HU (LAA-950), a threshold defined on thin slices
 * (about 1 mm) of an unsmoothed series: thicker slices and smoothing average small lucencies above it,
 * and a sharp kernel's noise pushes normal lung below it. Measured with the development scans and their
 * looks (scripts/eval-looks.ts): Lung-PET-CT-Dx's emphysematous zones read 0.14–0.16 on its 5 mm slices,
 * 0.08–0.10 on 10 mm ones and 0.04–0.06 smoothed as a low-dose series; LIDC-IDRI-0001's right upper zone
 * 0.05 as scanned, 0.02 on 5 mm slices and 0.10 sharpened. So an emphysema answer says how this series
 * was made wherever its slices are thicker than THIN_SLICE_MM or it was smoothed.
 */
const THIN_SLICE_MM = 1.5;
export function emphysemaExtentCaveat(a: Pick<Analysis, 'sliceSpacing' | 'lowDoseNoiseHU'>): string | undefined {
  const thick = a.sliceSpacing > THIN_SLICE_MM, smoothed = a.lowDoseNoiseHU !== undefined;
  if (!thick && !smoothed) return undefined;
  const made = [thick ? `${Math.round(a.sliceSpacing * 10) / 10} mm slices` : '', smoothed ? 'a low-dose scan smoothed before the search' : ''].filter(Boolean).join(' of ');
  return `the extent of emphysema (lung under -950 HU) is defined on thin slices; on ${made} it reads lower, so mild emphysema may be missed and a degree may read one step low`;
}

/** What a search for nodes on an unenhanced series cannot promise (measured: eval:synthetic's nodes against vessels on 4dlung and lungdx). */
export const UNENHANCED_NODES =
  'this series has no intravenous contrast: a node pressed flush against the heart, a great vessel or the oesophagus has their density and may not be told apart from them, and at a hilum a node is as dense as the vessels around it, so a hilar answer is given with less certainty; nodes bordered by fat are found';

/**
 * What a lesion answer at a hilum cannot promise on an unenhanced series (measured: eval:absent's confident answers to
 * masses the scans do not have are all the hilar vessels of the two unenhanced scans; on the enhanced one the blood is
 * taken out and none is answered).
 */
export const UNENHANCED_HILUM =
  'this series has no intravenous contrast: the best answer lies at the hilum, where a mass has the density of the hilar vessels and may be a normal hilum';
/** A lesion this near (mm) the hilar axis lies at the hilum. */
const AT_HILUM_MM = 5;
/**
 * The score of a lesion answer that may be the normal hilum (UNENHANCED_HILUM) is raised to this power, so
 * that it says how often such answers are right. Measured on the two unenhanced scans: right ones scored
 * 0.91–1.00 and wrong ones 0.58–0.80 (eval:synthetic, eval:absent); any power from 3.6 to 6.5 keeps both on
 * their side of 0.5, chosen on either scan alone. With each scan's likelihood fitted without it (eval:absent
 * --folds) one scan's normal hilum scores 0.94–0.95 before the power: 3 of 24 absent masses stay confident (11 without).
 */
const UNENHANCED_HILUM_POWER = 4;

/** What a ground-glass answer beside a streak source cannot promise (candidates.ts, STREAK_SOURCE_HU). */
export const STREAK_ARTIFACT =
  'the best answer is ground glass beside metal or contrast still undiluted in a vein on its slices: streaks from it raise the lung to ground-glass density, so it may be an artefact';
/**
 * How far a candidate may be streaks, 0..1: its ground glass, times its nearness to the source (streaks fade with
 * distance; none counted beyond STREAK_REACH_MM). Its score is raised to a power up to UNENHANCED_HILUM_POWER's, for
 * the same reason: an answer the series itself may have made. Measured on LIDC-IDRI-0001, the one development scan
 * with such a source (its superior vena cava at 3071 HU): the haze beside it, 1.4 mm from the contrast, answered
 * the synthetic suite's ground-glass queries at 0.40–0.50 where no candidate lay on the inserted nodule, and
 * eval:absent's ground-glass nodules the scan does not have 3 times.
 */
export function streakExposure(c: Candidate): number {
  if (c.kind !== 'lesion' || c.streakSourceMm === undefined) return 0;
  return groundGlassShare(c) * clamp01(1 - c.streakSourceMm / STREAK_REACH_MM);
}

const atUnenhancedHilum = (a: Analysis, c: Candidate | undefined): boolean =>
  a.contrastEnhanced === false && c?.kind === 'lesion' && (c.hilumDistanceMm ?? Infinity) <= AT_HILUM_MM;

/**
 * A hilar node (station 10) of an unenhanced series lies among the hilar vessels, of their density: its score is raised
 * to UNENHANCED_HILUM_POWER as a lesion's at the hilum is. Measured on the two unenhanced scans: answers to hilar nodes
 * none is annotated of scored 0.53–0.73 (eval:absent's Lung-PET-CT-Dx 0.53 and 0.56, the right one the right pulmonary
 * artery; 4D-Lung's right hilum 0.73, where the lower lobe's vessels meet the heart, rendered), the drawn hilar node 0.70
 * (eval:synthetic): 2 of 8 confident hilar answers right.
 */
const unenhancedHilarNode = (a: Analysis, c: Candidate | undefined): boolean =>
  a.contrastEnhanced === false && c?.kind === 'lymph node' && (c.station === '10R' || c.station === '10L');

/** The power an answer's score is raised to for what the series itself may have made of it (an unenhanced hilum, streaks). */
const scorePower = (a: Analysis, c: Candidate): number =>
  atUnenhancedHilum(a, c) || unenhancedHilarNode(a, c) ? UNENHANCED_HILUM_POWER : 1 + (UNENHANCED_HILUM_POWER - 1) * streakExposure(c);

export function fuse(a: Analysis, q: ParsedQuery, o: FuseOptions = {}): FuseResult {
  const unsupported: Unsupported[] = [];
  const caveats: Caveat[] = [];
  const findings: FuseResult['findings'] = [];
  q.findings.forEach((f, i) => {
    const sup = supportOf(f, i);
    if (sup.unsupported) unsupported.push(sup.unsupported);
    if (!sup.rankable) return;
    const level = f.anatomy.level;
    if (level && a.candidates.length && levelMembership(a, level, a.candidates[0]) === undefined) {
      const terms = f.terms.filter((t) => t.kind === 'level').map((t) => t.id);
      unsupported.push({ finding: i, terms, reason: `the ${level} could not be located in this series; ranked on the other attributes` });
    }
    if (a.contrastEnhanced === false && kindFor(f.type) === 'lymph node') caveats.push({ finding: i, code: 'unenhanced-nodes', reason: UNENHANCED_NODES });
    if (a.lowDoseNoiseHU !== undefined && kindFor(f.type) === 'lesion') caveats.push({ finding: i, code: 'low-dose', reason: LOW_DOSE });
    if (describesSmallLesion(f)) caveats.push({ finding: i, code: 'small-lesion', reason: SMALL_LESION });
    const extent = kindFor(f.type) === 'emphysema' ? emphysemaExtentCaveat(a) : undefined;
    if (extent) caveats.push({ finding: i, code: 'emphysema-extent', reason: extent });
    if ((a.levels.apex?.beyondScan || a.levels.base?.beyondScan) && statesHeight(f)) caveats.push({ finding: i, code: 'partial-coverage', reason: PARTIAL_COVERAGE });
    const groups = lesionEvidence(a, f, i, o);
    const cal = calibrationFor(f), attainable = attainableOf(groups);
    if (groups.length && bestPossibleScore(attainable, cal) < CONFIDENT_SCORE) caveats.push({ finding: i, code: 'brief-description', reason: BRIEF_DESCRIPTION });
    const scores = scoresOf(groups.map((g) => g.evidence), cal, attainable);
    const strongest = groups.reduce((m, g) => Math.max(m, g.evidence), 0);
    const lesions: LesionAnswer[] = [];
    for (const [k, { pieces, evidence }] of groups.entries()) {
      const best = pieces[0];
      best.score = scores[k] ** scorePower(a, best.candidate);
      if (!(evidence > 0) || (best.score < MIN_SCORE && evidence < strongest)) continue;
      // described as it was judged (a piece judged as its whole lesion says the whole's size), shown as the piece it is
      const answer = answerOf({ ...matchCandidate(a, f, i, best.judged, PRESET_WEIGHTS[o.preset ?? 'report-match'], true), candidate: best.candidate, score: best.score }, f);
      // the other pieces' slices rank below the representative's, in proportion to their own evidence
      answer.pieces = pieces.map((m, k) => ({ candidate: m.candidate, share: k === 0 ? 1 : best.evidence > 0 ? Math.min(0.9, m.evidence / best.evidence) : 0 }));
      lesions.push(answer);
    }
    lesions.sort((x, y) => y.score - x.score);
    const top = lesions[0]?.candidate;
    if (atUnenhancedHilum(a, top)) caveats.push({ finding: i, code: 'unenhanced-hilum', reason: UNENHANCED_HILUM });
    if (top?.kind === 'lesion' && top.streakSourceMm !== undefined && groundGlassShare(top) >= 0.5) caveats.push({ finding: i, code: 'streak-artifact', reason: STREAK_ARTIFACT });
    findings.push({ finding: i, lesions });
  });
  // per slice: the best lesion decides the score; up to three regions are kept
  const perSlice = new Map<number, Array<{ l: LesionAnswer; s: number; box: [number, number, number, number] }>>();
  for (const { finding, lesions } of findings) {
    const f = q.findings[finding];
    for (const l of lesions) {
      for (const piece of l.pieces ?? [{ candidate: l.candidate, share: 1 }]) {
        for (const sl of piece.candidate.slices) {
          const s = l.score * piece.share * sliceWeight(sl.weight) * heightRankAt(a, f, l.candidate, piece.candidate, sl.index);
          let list = perSlice.get(sl.index);
          if (!list) { list = []; perSlice.set(sl.index, list); }
          list.push({ l, s, box: sl.box });
        }
      }
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
      if (seen.has(it.l.candidate.id)) continue;
      seen.add(it.l.candidate.id);
      const [x0, y0, x1, y1] = it.box;
      regions.push({ x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1, score: round3(it.s), label: it.l.label });
    }
    slices.push({ index, score: round3(best.s), regions, matched: best.l.matched, mismatched: best.l.mismatched });
  }
  slices.sort((x, y) => y.score - x.score || x.index - y.index);
  return { slices, findings, unsupported, caveats, noConfidentMatch: slices.length === 0 || slices[0].score < CONFIDENT_SCORE };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Pieces this likely to be lesion may join the pieces they touch; fragments of a vessel tree stay apart. */
const PIECE_LIKELIHOOD = 0.1;

/** Groups of candidate indices: lesion-like candidates whose voxels touch (through `touching`), the rest alone. */
/** Per candidate list: the grouping depends on the candidates alone, and every query of a series asks for it. */
const piecesCache = new WeakMap<readonly Candidate[], number[][]>();

function piecesOfLesions(a: Analysis): number[][] {
  let pieces = piecesCache.get(a.candidates);
  if (!pieces) piecesCache.set(a.candidates, (pieces = groupTouching(a)));
  return pieces;
}

function groupTouching(a: Analysis): number[][] {
  const byId = new Map(a.candidates.map((c, k) => [c.id, k]));
  const parent = a.candidates.map((_, k) => k);
  const root = (k: number): number => { while (parent[k] !== k) { parent[k] = parent[parent[k]]; k = parent[k]; } return k; };
  a.candidates.forEach((c, k) => {
    if (c.lesionLikelihood < PIECE_LIKELIHOOD) return;
    for (const id of c.touching ?? []) {
      const j = byId.get(id);
      if (j !== undefined && a.candidates[j].lesionLikelihood >= PIECE_LIKELIHOOD) parent[root(j)] = root(k);
    }
  });
  const groups = new Map<number, number[]>();
  a.candidates.forEach((_, k) => {
    const r = root(k);
    const g = groups.get(r);
    if (g) g.push(k);
    else groups.set(r, [k]);
  });
  return [...groups.values()];
}

export type { SliceResult };
