/**
 * Fusion attributes specific to the chest findings other than focal lesions (fuse.ts calls these from
 * matchCandidate): a lymph node's station, its mediastinal place and its size judged on the short axis;
 * the amount and depth of an effusion or pneumothorax; the pattern and degree of emphysema; air
 * bronchograms in a consolidation; and, for focal lesions, a cavity or vacuoles inside them. Each is a
 * membership in 0..1 that fuse.ts turns into a likelihood ratio like every other attribute.
 */
import type { Finding, FindingType, Sign, Term } from '../query/finding';
import type { Candidate, CandidateKind } from './analysis/types';

export interface KindFactor {
  term: Term;
  membership: number;
  /** Lowest factor (a stated word may be wrong) and how often the attribute fits a candidate of the kind taken at random. */
  floor: number;
  base: number;
  measured: string;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const round = (x: number): string => String(Math.round(x));

/** Signs a candidate kind's measurements can judge; any other sign stays "not assessed". */
export const ASSESSED_SIGNS: Partial<Record<CandidateKind, readonly Sign[]>> = {
  lesion: ['vacuole'],
  consolidation: ['air bronchogram'],
};

/** Attributes of the generic fusion that these kinds judge their own way instead (a node's size is its short axis, an effusion's size word its amount). */
export function judgesOwn(kind: CandidateKind, attribute: 'size' | 'sizeWord'): boolean {
  if (kind === 'lesion') return false;
  if (attribute === 'sizeWord') return true;
  return kind === 'lymph node' || kind === 'pleural effusion' || kind === 'pneumothorax' || kind === 'pleural thickening';
}

// ---------------------------------------------------------------- lymph node stations

/** IASLC stations next to each other: a node on their border may be called either. */
const NEIGHBOURS: Record<string, string[]> = {
  '1': ['2'], '2': ['1', '4', '3a', '3p'], '3a': ['2', '4', '6'], '3p': ['2', '4', '7', '8'], '4': ['2', '10', '5', '7', '3a', '3p'],
  '5': ['4', '6', '10'], '6': ['5', '3a'], '7': ['4', '10', '8', '3p'], '8': ['7', '9', '3p'], '9': ['8'], '10': ['4', '7', '11', '5'], '11': ['10'],
};

/** How well a station a node only reaches into (its centre lies across the border) fits, relative to its own. */
const REACHED_SHARE = 0.65;

/** A node reaching across the line between right and left stations fits the other side a little less well than its own. */
export function reachedSide(c: Candidate, side: 'left' | 'right'): number {
  const letter = side === 'left' ? 'L' : 'R';
  return c.stationsReached?.some((code) => code.endsWith(letter)) ? REACHED_SHARE : 0;
}

/** The station a candidate was labelled ('4R') as its number and side letter. */
function splitStation(code: string): { n: string; side?: 'R' | 'L' } {
  const m = /^(\d+[ap]?)([RL])?$/.exec(code);
  return m ? { n: m[1], side: m[2] as 'R' | 'L' | undefined } : { n: code };
}

/** How well a candidate's station fits the stated one ('2-4' is either of them); a stated side must fit its letter. */
export function stationMembership(stated: string, side: Finding['anatomy']['side'], code: string | undefined): number {
  if (!code) return 0.3;
  const c = splitStation(code);
  const wanted = stated === '2-4' ? ['2', '4'] : [stated];
  const letter = side === 'right' ? 'R' : side === 'left' ? 'L' : undefined;
  const sideFits = !letter || !c.side || c.side === letter;
  if (wanted.includes(c.n)) return sideFits ? 1 : 0.1;
  // a node of a neighbouring station is a little evidence against (the station term's ratio 0.66, a far station's 0.48;
  // 0.35 made it 1.7, evidence for: neighbours shared the stated station's score and answered for it when it was
  // missed); a node on the border is credited by the station it reaches into (REACHED_SHARE)
  if (wanted.some((w) => NEIGHBOURS[w]?.includes(c.n))) return sideFits ? 0.05 : 0.02;
  return 0;
}

/** Mediastinal stations are 2–9; hilar nodes (10, 11) are sometimes called mediastinal, supraclavicular ones not. */
function mediastinalMembership(code: string | undefined): number {
  if (!code) return 0.5;
  const n = splitStation(code).n;
  return n === '1' ? 0.15 : n === '10' || n === '11' ? 0.4 : 1;
}

/** Enlarged means a short axis of 10 mm or more (supraclavicular too); small, under about 8 mm. */
function nodeSizeWordMembership(word: string, shortMm: number): number {
  switch (word) {
    case 'large':
      return sigmoid((shortMm - 10) / 1.2);
    case 'small':
      return sigmoid((8 - shortMm) / 1.2);
    case 'moderate':
      return sigmoid((shortMm - 9) / 1.2) * sigmoid((20 - shortMm) / 2);
    default:
      return 0.5;
  }
}

/** A stated node size may be its short axis ("短径约12mm") or its long axis: the better fit counts. */
function axisMembership(statedMm: number, measuredMm: number): number {
  const sigma = Math.sqrt(0.3 ** 2 + (2 / statedMm) ** 2);
  return Math.exp(-0.5 * (Math.log(Math.max(1, measuredMm) / statedMm) / sigma) ** 2);
}

// ---------------------------------------------------------------- amounts

const AMOUNTS = ['small', 'moderate', 'large'] as const;

function amountMembership(word: string, amount: Candidate['amount']): number {
  if (!amount) return 0.5;
  const d = Math.abs(AMOUNTS.indexOf(word as (typeof AMOUNTS)[number]) - AMOUNTS.indexOf(amount));
  return d === 0 ? 1 : d === 1 ? 0.3 : 0.03;
}

/** An opacity's size words: small under about 3 cm, large from about 5 cm (a lobe). */
function extentMembership(word: string, d: number): number {
  switch (word) {
    case 'large':
      return sigmoid((d - 50) / 6);
    case 'small':
      return sigmoid((30 - d) / 4);
    case 'moderate':
      return sigmoid((d - 25) / 4) * sigmoid((60 - d) / 6);
    default:
      return 0.5;
  }
}

// ---------------------------------------------------------------- signs and features inside lesions

/** A cavity: air enclosed by the lesion, at least about 4 mm across. */
export function cavityMembership(c: Candidate): number {
  return sigmoid(((c.measures?.cavityMm ?? 0) - 4) / 0.8);
}

/** Vacuoles: small air pockets (1–5 mm) inside a nodule; a cavity counts a little. */
function vacuoleMembership(c: Candidate): number {
  const small = c.measures?.vacuoles ?? 0;
  return Math.max(sigmoid((small - 0.5) / 0.15), 0.5 * cavityMembership(c));
}

function signMembership(sign: Sign, c: Candidate): number | undefined {
  if (!ASSESSED_SIGNS[c.kind]?.includes(sign)) return undefined;
  if (sign === 'vacuole') return vacuoleMembership(c);
  if (sign === 'air bronchogram') return sigmoid(((c.measures?.airBronchogramShare ?? 0) - 0.006) / 0.002);
  return undefined;
}

// ---------------------------------------------------------------- emphysema patterns

/**
 * A lung-wide emphysema lies under the pleura as much as its lung does when it is scattered (centrilobular),
 * and more when it is subpleural (paraseptal): its share there is read against its lung's (measure
 * lungSubpleuralShare), a spread as even as the lung's reading as this share of a compact region.
 */
const EVEN_SPREAD_READS_AS = 0.4;

/** The share of the emphysema within 10 mm of the pleura, a lung-wide one's as a compact region's would read. */
function subpleuralOf(c: Candidate): number | undefined {
  const share = c.measures?.subpleuralShare, lung = c.measures?.lungSubpleuralShare;
  if (share === undefined) return undefined;
  return lung ? (EVEN_SPREAD_READS_AS * share) / lung : share;
}

function patternMembership(word: string, c: Candidate): number | undefined {
  const subpleural = subpleuralOf(c);
  if (subpleural === undefined) return undefined;
  if (word === 'paraseptal') return sigmoid((subpleural - 0.55) / 0.08);
  if (word === 'centrilobular') return sigmoid((0.55 - subpleural) / 0.08) * sigmoid((c.zoneFraction - 0.35) / 0.15);
  if (word === 'panlobular') return sigmoid((0.55 - subpleural) / 0.08) * sigmoid((0.55 - c.zoneFraction) / 0.15);
  return undefined;
}

// ---------------------------------------------------------------- per kind

/** The stated (not negated) term of a kind, and of a value where one is given. */
export function termOf(f: Finding, kind: Term['kind'], value?: string): Term | undefined {
  for (const t of f.terms) if (t.kind === kind && !t.negated && (value === undefined || t.value === value)) return t;
  return undefined;
}

/**
 * The kind-specific factors of one candidate for one finding; only attributes the finding states yield a
 * factor. (Called for every candidate of every query: it makes no closures.)
 */
export function kindFactors(f: Finding, c: Candidate): KindFactor[] {
  const out: KindFactor[] = [];
  for (const sign of f.signs) pushKindFactor(out, termOf(f, 'sign', sign), signMembership(sign, c), 0.2, 0.3, signWords(c));
  switch (c.kind) {
    case 'lymph node': {
      const station = c.station ? `station ${c.station}` : 'no station';
      if (f.anatomy.station) {
        // a node reaching across a station's border may be called by the other station too, a little less well
        const across = Math.max(0, ...(c.stationsReached ?? []).map((code) => REACHED_SHARE * stationMembership(f.anatomy.station!, f.anatomy.side, code)));
        pushKindFactor(out, termOf(f, 'station'), Math.max(stationMembership(f.anatomy.station, f.anatomy.side, c.station), across), 0.12, 0.25, station);
      }
      if (f.anatomy.organ === 'mediastinum') pushKindFactor(out, termOf(f, 'organ', 'mediastinum'), mediastinalMembership(c.station), 0.3, 0.75, station);
      const axes = `${round(c.diameterMm)} × ${round(c.shortAxisMm)} mm (short axis ${round(c.shortAxisMm)} mm)`;
      if (f.sizeWord) pushKindFactor(out, termOf(f, 'size-word'), nodeSizeWordMembership(f.sizeWord, c.shortAxisMm), 0.2, 0.4, axes);
      if (f.size) pushKindFactor(out, termOf(f, 'size'), Math.max(axisMembership(f.size.mm, c.diameterMm), axisMembership(Math.min(...f.size.dims), c.shortAxisMm)), 0.15, 0.25, axes);
      break;
    }
    case 'pleural effusion':
    case 'pneumothorax':
    case 'pleural thickening': {
      const depth = c.measures?.depthMm ?? c.measures?.thicknessMm ?? c.shortAxisMm;
      const what = `${c.amount ?? ''}${c.amount ? ', ' : ''}${round(depth)} mm deep`;
      if (f.sizeWord) pushKindFactor(out, termOf(f, 'size-word'), amountMembership(f.sizeWord, c.amount), 0.15, 0.35, what);
      if (f.size) pushKindFactor(out, termOf(f, 'size'), axisMembership(f.size.mm, depth), 0.15, 0.25, what);
      break;
    }
    case 'emphysema': {
      for (const word of f.anatomy.position ?? []) pushKindFactor(out, termOf(f, 'position', word), patternMembership(word, c), 0.3, 0.45, patternWords(c));
      if (f.sizeWord) pushKindFactor(out, termOf(f, 'size-word'), amountMembership(f.sizeWord, c.amount), 0.2, 0.35, `${round(100 * (c.measures?.lowAttenuationShare ?? 0))} % of the zone below -950 HU`);
      break;
    }
    case 'consolidation':
    case 'atelectasis':
      if (f.sizeWord) pushKindFactor(out, termOf(f, 'size-word'), extentMembership(f.sizeWord, c.diameterMm), 0.25, 0.4, `${round(c.diameterMm)} mm`);
      break;
    default:
      break;
  }
  return out;
}

function pushKindFactor(out: KindFactor[], term: Term | undefined, membership: number | undefined, floor: number, base: number, measured: string): void {
  if (term && membership !== undefined) out.push({ term, membership, floor, base, measured });
}

function signWords(c: Candidate): string {
  const m = c.measures ?? {};
  if (c.kind === 'consolidation') return (m.airBronchogramShare ?? 0) > 0.006 ? 'air bronchograms' : 'no air bronchogram';
  if ((m.cavityMm ?? 0) >= 4) return `cavity ${round(m.cavityMm ?? 0)} mm`;
  return (m.vacuoles ?? 0) > 0 ? `${m.vacuoles} vacuole(s)` : 'no air inside';
}

function patternWords(c: Candidate): string {
  const s = subpleuralOf(c) ?? 0;
  return s > 0.55 ? 'subpleural (paraseptal) pattern' : 'scattered (centrilobular) pattern';
}

/** The words for a candidate of a chest-finding kind, as the label of its regions. */
export function kindLabel(c: Candidate): string | undefined {
  const where = `${c.side} ${c.zone} zone`;
  const mm = round(c.diameterMm);
  switch (c.kind) {
    case 'lymph node':
      return `lymph node${c.station ? ` station ${c.station}` : ''} ${mm} × ${round(c.shortAxisMm)} mm, ${c.side}`;
    case 'pleural effusion':
      return `${c.amount ?? ''} ${c.side} pleural effusion, ${round(c.measures?.depthMm ?? 0)} mm deep`.trim();
    case 'pneumothorax':
      return `${c.amount ?? ''} ${c.side} pneumothorax, ${round(c.measures?.depthMm ?? 0)} mm deep`.trim();
    case 'emphysema':
      return `emphysema, ${where}, ${round(100 * (c.measures?.lowAttenuationShare ?? 0))} % below -950 HU`;
    case 'consolidation':
      return `consolidation ${mm} mm, ${where}`;
    case 'atelectasis':
      return `atelectasis ${mm} mm, ${where}`;
    case 'pleural thickening':
      return `pleural thickening ${round(c.measures?.thicknessMm ?? c.shortAxisMm)} mm, ${where}`;
    default:
      return undefined;
  }
}

/** The wire word for what a candidate is: its kind, or nodule / mass for focal lesions. */
export function kindWord(c: Candidate): string {
  return c.kind === 'lesion' ? (c.diameterMm > 30 ? 'mass' : 'nodule') : c.kind;
}

/** Finding types whose candidates are focal lesions described by a feature inside them (a cavity). */
export const FEATURE_TYPES: readonly FindingType[] = ['cavity'];
