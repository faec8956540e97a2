/**
 * How likely a candidate is to be a lesion at all (rather than a vessel, an airway wall, a bump of the
 * chest wall or mediastinum, or noise): a logistic model over the candidate's measured features. Its
 * weights (likelihood-weights.json) are fitted by models/train/fit-likelihood.ts on synthetic lesions
 * inserted at every site class of the development scans (positives) and the candidates of those scans
 * (negatives), in the slice bands the evaluation never uses; its README-worthy numbers are printed by
 * that script. The output is a probability at a base rate of one lesion per PRIOR_CANDIDATES candidates.
 */
import weights from './likelihood-weights.json';
import type { Candidate } from './types';

export type LikelihoodInput = Pick<
  Candidate,
  | 'equivalentDiameterMm' | 'diameterMm' | 'shortAxisMm' | 'sphericity' | 'fill' | 'shellOccupancy' | 'contextExcess'
  | 'thicknessRatio' | 'attachment' | 'meanHU' | 'coreHU' | 'solidFraction' | 'groundGlassFraction' | 'calcifiedFraction'
  | 'bulgeFraction' | 'wallContact' | 'protrusionMm' | 'wall' | 'marginIrregularity' | 'hilumDistanceMm' | 'lateralFraction' | 'scale'
>;

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** The model's inputs, by name (the order of `featuresOf`). */
export const FEATURE_NAMES = [
  'log size', 'log long axis', 'short/long', 'sphericity', 'fill', 'shell occupancy', 'context excess', 'log thickness ratio',
  'attachment', 'mean HU', 'core HU', 'solid share', 'ground-glass share', 'calcified share', 'bulge share', 'wall contact',
  'touches a wall', 'log protrusion', 'protrusion / long axis', 'against chest wall', 'against mediastinum', 'against diaphragm',
  'margin irregularity', 'hilar proximity', 'lateral position', 'log opening scale', 'tiny', 'log size²', 'sphericity × in lung',
  'flat against a wall', 'bulge × log size', 'calcified × sphericity',
] as const;

export function featuresOf(c: LikelihoodInput): number[] {
  const logEq = Math.log(Math.max(c.equivalentDiameterMm, 1) / 10);
  const touches = Number.isFinite(c.protrusionMm);
  const protr = touches ? c.protrusionMm : 0;
  const hilar = c.hilumDistanceMm !== undefined ? Math.exp(-c.hilumDistanceMm / 20) : 0;
  return [
    logEq,
    Math.log(Math.max(c.diameterMm, 1) / 10),
    c.diameterMm > 0 ? clamp(c.shortAxisMm / c.diameterMm, 0, 1) : 1,
    c.sphericity,
    c.fill,
    c.shellOccupancy,
    clamp(c.contextExcess, 0, 6) / 6,
    Math.log(clamp(c.thicknessRatio, 0.2, 10)),
    c.attachment,
    clamp(c.meanHU, -900, 300) / 300,
    clamp(c.coreHU, -900, 400) / 300,
    c.solidFraction,
    c.groundGlassFraction,
    c.calcifiedFraction,
    c.bulgeFraction,
    c.wallContact,
    touches ? 1 : 0,
    touches ? Math.log(1 + protr) / 3 : 0,
    touches ? clamp(protr / Math.max(c.diameterMm, 1), 0, 1.5) : 1,
    c.wall === 'chest wall' ? 1 : 0,
    c.wall === 'mediastinum' ? 1 : 0,
    c.wall === 'diaphragm' ? 1 : 0,
    c.marginIrregularity,
    hilar,
    c.lateralFraction,
    Math.log(Math.max(c.scale, 0.5)),
    sigmoid((4.5 - c.equivalentDiameterMm) / 0.5),
    logEq * logEq,
    c.sphericity * (1 - c.bulgeFraction),
    // what lies along a wall without reaching into the lung: a vessel's course, a hilum, a fat pad
    touches ? clamp(1 - protr / (0.45 * Math.max(c.diameterMm, 1)), 0, 1) : 0,
    c.bulgeFraction * logEq,
    // dense is a contrast-filled vessel when tube-shaped, a calcified granuloma when round
    c.calcifiedFraction * c.sphericity,
  ];
}

interface Weights {
  /** Feature names the weights were fitted for (must equal FEATURE_NAMES). */
  features: string[];
  mean: number[];
  std: number[];
  coefficients: number[];
  intercept: number;
}

const W = weights as Weights;
if (W.features.length !== FEATURE_NAMES.length || W.features.some((f, i) => f !== FEATURE_NAMES[i])) {
  throw new Error('likelihood-weights.json was fitted for other features: refit with models/train/fit-likelihood.ts');
}

/** The linear score (log odds) of a feature vector under given weights. */
export function logOdds(x: number[], w: Weights = W): number {
  let z = w.intercept;
  for (let i = 0; i < x.length; i++) z += w.coefficients[i] * ((x[i] - w.mean[i]) / w.std[i]);
  return z;
}

/** The candidate's likelihood of being a lesion (under other weights for a cross-fitted calibration). */
export function lesionLikelihood(c: LikelihoodInput, w: Weights = W): number {
  return sigmoid(logOdds(featuresOf(c), w));
}

/** The features that judge a candidate's 3D shape: its extent along the slices against its extent across them. */
const SHAPE_3D = ['sphericity', 'sphericity × in lung'].map((n) => FEATURE_NAMES.indexOf(n as (typeof FEATURE_NAMES)[number]));

/**
 * A likelihood with the 3D shape no longer held against the candidate, to the degree `unjudged` (0..1):
 * where the shape features lower its log odds, that part is taken back. For a lesion hardly deeper than
 * two slices, whose extent along the slices is the slice profile's more than its own.
 */
export function withShapeUnjudged(likelihood: number, c: LikelihoodInput, unjudged: number, w: Weights = W): number {
  if (!(unjudged > 0) || likelihood <= 0 || likelihood >= 1) return likelihood;
  const x = featuresOf(c);
  let shape = 0;
  for (const i of SHAPE_3D) shape += w.coefficients[i] * ((x[i] - w.mean[i]) / w.std[i]);
  if (shape >= 0) return likelihood;
  return sigmoid(Math.log(likelihood / (1 - likelihood)) - Math.min(1, unjudged) * shape);
}

export type { Weights as LikelihoodWeights };
