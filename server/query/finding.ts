/** The structured form of a radiologist's description. Produced by server/query, read by rerank and the panel. */

export type Lang = 'en' | 'zh';

/** Half-open character range [start, end) in the original text, in UTF-16 code units (JS string indices). */
export interface Span {
  start: number;
  end: number;
}

export type FindingType =
  | 'nodule'
  | 'mass'
  | 'ground-glass opacity'
  | 'consolidation'
  | 'cavity'
  | 'calcification'
  | 'pleural effusion'
  | 'pneumothorax'
  | 'emphysema'
  | 'atelectasis'
  | 'bronchiectasis'
  | 'lymph node'
  | 'pleural thickening'
  /** Something recognised as a finding the lexicon names but the chest pipeline does not model (e.g. a liver lesion). */
  | 'other';

export type Side = 'left' | 'right' | 'bilateral';
export type Lobe = 'RUL' | 'RML' | 'RLL' | 'LUL' | 'lingula' | 'LLL';
export type Level = 'apex' | 'hilum' | 'carina' | 'aortic arch' | 'lung base';
/** Size said in words rather than numbers: "small"/"tiny"/"少量", "moderate"/"中等量", "large"/"enlarged"/"肿大". */
export type SizeWord = 'small' | 'moderate' | 'large';
/** 'subsolid' is either of the last two: part-solid or pure ground glass (not solid). */
export type Texture = 'solid' | 'part-solid' | 'ground-glass' | 'subsolid';
/** 'irregular' is an irregular contour that is not called spiculated or lobulated ("不规则"). */
export type Margin = 'spiculated' | 'lobulated' | 'smooth' | 'ill-defined' | 'irregular';
export type Sign =
  | 'air bronchogram'
  | 'vacuole'
  | 'pleural indentation'
  | 'vascular convergence'
  | 'halo'
  | 'reversed halo'
  | 'tree-in-bud'
  | 'crazy paving'
  | 'necrosis';

export type TermKind =
  | 'organ'
  | 'side'
  | 'lobe'
  | 'segment'
  | 'level'
  /** A lymph node station (IASLC: '1', '2', '2-4' (paratracheal), '3a', '3p', '4', '5', ... '11'); its side is the side term's. */
  | 'station'
  | 'position'
  | 'type'
  | 'size'
  /** A size said in words ("large", "tiny", "少量", "肿大"); the value is the SizeWord. */
  | 'size-word'
  | 'texture'
  | 'margin'
  | 'sign'
  | 'count'
  | 'negation';

/** One recognised piece of the text. `id` is stable within a response (e.g. "f0.margin") and is what `matched` lists. */
export interface Term {
  id: string;
  kind: TermKind;
  /** Normalised value: 'left', 'RLL', 'spiculated', '8' (mm for sizes), ... */
  value: string;
  span: Span;
  /** True when the text denies it ("no calcification", "未见钙化"). */
  negated?: boolean;
  /** True when no word says it directly but another term implies it ("RUL" → side right, organ lung); the span is the implying term's. */
  implied?: boolean;
}

export interface Anatomy {
  organ?: string; // 'lung', 'mediastinum', 'pleura', 'liver', ...
  side?: Side;
  lobe?: Lobe;
  segment?: string; // 'apical', 'posterior', 'anterior', 'superior', 'lateral', 'medial', 'basal', ...
  level?: Level;
  /**
   * Lymph node station (IASLC 2009), without its side letter: '1' supraclavicular, '2' upper and '4' lower
   * paratracheal ('2-4' paratracheal, either), '3a' prevascular, '3p' retrotracheal, '5' subaortic (AP window),
   * '6' para-aortic, '7' subcarinal, '8' paraesophageal, '9' pulmonary ligament, '10' hilar, '11' interlobar.
   * "4R" gives station '4' and side right.
   */
  station?: string;
  /** Coarse position words: 'anterior' | 'posterior' | 'upper' | 'lower' | 'central' | 'peripheral' | ... */
  position?: string[];
}

export interface Size {
  /** Largest dimension in mm. */
  mm: number;
  /** Every dimension given, in mm ("12×9mm" → [12, 9]). */
  dims: number[];
}

export interface Finding {
  /** The part of the text this finding was parsed from. */
  span: Span;
  type?: FindingType;
  anatomy: Anatomy;
  size?: Size;
  /** Size in words, when the text says one and does not deny it ("large mass", "少量胸腔积液"). Independent of `size`. */
  sizeWord?: SizeWord;
  texture?: Texture;
  margins: Margin[];
  signs: Sign[];
  /** What the text denies for this finding: finding types, signs, margins ('calcification', 'spiculated', ...). */
  negations: string[];
  /** True for "multiple" / "多发" / a plural noun; false for "solitary" / "单发". */
  multiple?: boolean;
  /** Further finding types said to be part of this one ("calcified nodule", "结节伴钙化" → ['calcification']). */
  features?: FindingType[];
  terms: Term[];
}

export interface ParsedQuery {
  text: string;
  lang: Lang;
  findings: Finding[];
  /** Text that was not understood (words and phrases, not whitespace or punctuation). */
  unknown: Span[];
}
