/** What the analysis of one series produces: plain data, cacheable per series and cheap to score. */
import type { Lobe } from '../../query/finding';
import type { Vec3 } from '../../series/volume';

export type LungSide = 'left' | 'right';
export type Zone = 'upper' | 'middle' | 'lower';
/** The wall a lesion abuts, if any. */
export type Wall = 'chest wall' | 'mediastinum' | 'diaphragm';

/**
 * What a candidate is a candidate for: a focal lung lesion (nodule, mass, ground glass), or another
 * chest finding a later stage found (a lymph node, an effusion, ...). Fusion ranks a finding's type
 * only against candidates of its kind.
 */
export type CandidateKind =
  | 'lesion'
  | 'lymph node'
  | 'pleural effusion'
  | 'pneumothorax'
  | 'emphysema'
  | 'consolidation'
  | 'atelectasis'
  | 'pleural thickening';

export interface CandidateSlice {
  /** Slice index in volume order. */
  index: number;
  /** Box in pixels of that slice: [x0, y0, x1, y1] inclusive (column, row). */
  box: [number, number, number, number];
  /** Pixels of the candidate on that slice (at full resolution, approximately). */
  area: number;
  /** area / the candidate's largest area on any slice: how much of the candidate this slice shows. */
  weight: number;
}

export interface Candidate {
  id: number;
  /** 'lesion' for the focal lesions of candidates.ts; other kinds come from the chest-finding stages. */
  kind: CandidateKind;
  /** Lymph nodes: IASLC station ('2R', '4L', '7', '10R', ...). */
  station?: string;
  /** Lymph nodes: the stations across a border its extent reaches into (a node on the border may be called by either). */
  stationsReached?: string[];
  /** Collections (effusion, pneumothorax): small, moderate or large. */
  amount?: 'small' | 'moderate' | 'large';
  /** Kind-specific measurements (e.g. depthMm, lowAttenuationShare), in words a report would use. */
  measures?: Record<string, number>;
  /** Radius (mm) of the opening that isolated it: larger for bigger lesions cut off from vessels. */
  scale: number;
  volumeMm3: number;
  /** Longest in-plane diameter (mm) on the slice where the candidate is largest (as a radiologist measures). */
  diameterMm: number;
  /** Shortest in-plane diameter on that slice (mm). */
  shortAxisMm: number;
  /** Diameter of the sphere of the same volume (mm). */
  equivalentDiameterMm: number;
  centroidMm: Vec3;
  /** Centroid in volume order: slice index (fractional), row and column in pixels. */
  centroidPx: { slice: number; row: number; column: number };
  meanHU: number;
  /** Mean of the densest tenth of its voxels: its solid component if any, undiluted by partial volume at the rim. */
  coreHU: number;
  /**
   * The densest tenth once brighter structures under about 2 mm across are opened away in the plane: its
   * solid component's density if it has one, else its ground glass (a vessel crossing it does not count).
   */
  solidCoreHU: number;
  /** Fractions of the candidate's voxels that are solid (> -300 HU), ground-glass (-750..-300) and calcified (> 200). */
  solidFraction: number;
  groundGlassFraction: number;
  calcifiedFraction: number;
  /** Shortest over longest principal axis (1 = ball, near 0 = tube or plate). */
  sphericity: number;
  /** Volume over the volume of its moment ellipsoid (branching shapes fall well below 1). */
  fill: number;
  /** Share of the lung just around the candidate that is dense too: high for vessels that run on, low for standalone nodules. */
  shellOccupancy: number;
  /** Dense voxels connected to the candidate within twice its radius, relative to its own volume, minus one. */
  contextExcess: number;
  /** Share of the candidate's surface facing lung that touches other dense tissue (vessels cut off it). */
  attachment: number;
  /** Its largest inner radius over that of the dense tissue attached beyond its rim (≈1 for a piece of vessel). */
  thicknessRatio: number;
  /** Share of its voxels outside the aerated lung: how much of it bulges into the lung from a wall. */
  bulgeFraction: number;
  /** Share of its surface against the wall (anything not aerated lung: chest wall, mediastinum, diaphragm). */
  wallContact: number;
  /** How far it reaches from the wall into the lung, through itself (mm); Infinity when it touches no wall. */
  protrusionMm: number;
  /** The wall it abuts most (when wallContact is more than a trace). */
  wall: Wall | null;
  /**
   * Ground glass only: the in-plane distance (mm) from its box to the nearest streak source on its slices (metal, or
   * contrast still undiluted in a vein: over STREAK_SOURCE_HU), when one lies within STREAK_REACH_MM. Streaks from
   * such a source raise the lung beside it to ground-glass density.
   */
  streakSourceMm?: number;
  /** Distance (mm) from its nearest edge to the hilum of its side (an axis from where the main bronchus divides up to just above the carina), when that is known. */
  hilumDistanceMm?: number;
  /** 0 smooth .. 1 very irregular (spiculated / lobulated), from in-plane solidity and compactness. */
  marginIrregularity: number;
  side: LungSide;
  zone: Zone;
  /** 0 at the lung base .. 1 at the apex of its lung. */
  zoneFraction: number;
  /** 0 most anterior .. 1 most posterior within its lung at that level. */
  apFraction: number;
  /** apFraction in words: front, back or middle third. */
  anteroposterior: 'anterior' | 'middle' | 'posterior';
  /** 0 medial .. 1 lateral within its lung at that level. */
  lateralFraction: number;
  /** Soft lobe membership estimated from position (fissures are not segmented). */
  lobes: Partial<Record<Lobe, number>>;
  /** Ids of the candidates whose voxels touch this one's: pieces that may be one lesion. */
  touching: number[];
  slices: CandidateSlice[];
  /** 0..1 likelihood that this is what its kind says (a lesion rather than a vessel, airway wall or artefact; a real node, effusion, ...). */
  lesionLikelihood: number;
}

export interface AnatomicalLevels {
  /**
   * Slice index (volume order) and patient z (mm) of each level, when the scan covers it; a lung apex or base the
   * scan cuts off is estimated (`beyondScan`: its z lies beyond the slices, its index is the end slice).
   */
  apex?: { index: number; z: number; beyondScan?: true };
  carina?: { index: number; z: number };
  base?: { index: number; z: number; beyondScan?: true };
  /** Each hilum: where its main bronchus divides, as a slice index and a patient position (mm). */
  hila?: Partial<Record<LungSide, { index: number; position: Vec3 }>>;
}

export interface Analysis {
  seriesInstanceUID: string;
  sopInstanceUIDs: string[];
  frames: number[];
  slices: number;
  rows: number;
  columns: number;
  /** Patient z (mm) of each slice, volume order. */
  sliceZ: number[];
  sliceSpacing: number;
  levels: AnatomicalLevels;
  /** Slices (volume order) that show lung at all. */
  lungSlices: [number, number] | null;
  candidates: Candidate[];
  /** Whether the blood is denser than soft tissue (intravenous contrast), from the descending aorta; unset when it was not found. */
  contrastEnhanced?: boolean;
  /** The series' pixel noise (HU) where it was above what the stages were built for and the series was smoothed first (noise.ts): a low-dose scan. */
  lowDoseNoiseHU?: number;
  /** Milliseconds per analysis stage. */
  timings: Record<string, number>;
}
