/**
 * English lexicon. One row per concept; phrases are matched case-insensitively as whole words, longest first,
 * and a space in a phrase also matches a hyphen ("ground glass" = "ground-glass"). Rows marked `plural` also
 * match the regular plural of their last word.
 */
import type { LexEntry } from './types';

const LUNG = { kind: 'organ', value: 'lung' } as const;
const side = (value: 'left' | 'right') => ({ kind: 'side', value }) as const;

export const EN_LEXICON: LexEntry[] = [
  // ---- finding types ----
  {
    kind: 'type', value: 'nodule', plural: true,
    phrases: ['nodule', 'nodular opacity', 'nodular lesion', 'nodular density', 'micronodule'],
  },
  { kind: 'type', value: 'nodule', phrases: ['GGN', 'GGNs', 'pGGN', 'pGGNs'], implies: [{ kind: 'texture', value: 'ground-glass' }] },
  { kind: 'type', value: 'nodule', phrases: ['mGGN', 'mGGNs', 'PSN', 'PSNs'], implies: [{ kind: 'texture', value: 'part-solid' }] },
  { kind: 'type', value: 'mass', plural: true, phrases: ['mass', 'mass lesion', 'space-occupying lesion', 'tumour', 'tumor'] },
  {
    kind: 'type', value: 'ground-glass opacity', plural: true,
    phrases: [
      'ground glass opacity', 'ground glass opacification', 'ground glass attenuation', 'ground glass density',
      'ground glass shadow', 'groundglass opacity', 'GGO',
    ],
  },
  {
    kind: 'type', value: 'consolidation', plural: true,
    phrases: ['consolidation', 'consolidative opacity', 'airspace consolidation', 'air space consolidation', 'airspace opacity'],
  },
  { kind: 'type', value: 'cavity', plural: true, phrases: ['cavity', 'cavitation', 'cavitary lesion', 'cavitary', 'cavitating', 'cavitated'] },
  { kind: 'type', value: 'calcification', plural: true, phrases: ['calcification', 'calcified', 'calcific focus', 'calcified granuloma'] },
  {
    kind: 'type', value: 'pleural effusion', plural: true,
    phrases: ['pleural effusion', 'effusion', 'pleural fluid', 'hydrothorax', 'fluid in the pleural space'],
  },
  { kind: 'type', value: 'pneumothorax', plural: true, phrases: ['pneumothorax', 'pneumothoraces', 'PTX'] },
  {
    kind: 'type', value: 'emphysema', plural: true,
    phrases: ['emphysema', 'emphysematous change', 'emphysematous', 'bulla', 'bullae', 'bullous emphysema', 'bleb'],
  },
  {
    kind: 'type', value: 'atelectasis', plural: true,
    phrases: ['atelectasis', 'atelectases', 'atelectatic change', 'collapse', 'lobar collapse', 'subsegmental atelectasis'],
  },
  { kind: 'type', value: 'bronchiectasis', plural: true, phrases: ['bronchiectasis', 'bronchiectases', 'bronchiectatic change'] },
  {
    kind: 'type', value: 'lymph node', plural: true,
    phrases: ['lymph node', 'node', 'lymphadenopathy', 'adenopathy', 'lymph node enlargement'],
  },
  {
    kind: 'type', value: 'pleural thickening', plural: true,
    phrases: ['pleural thickening', 'thickened pleura', 'thickening of the pleura', 'pleural plaque'],
  },
  // Named, but not something the chest model judges.
  { kind: 'type', value: 'other', plural: true, phrases: ['pericardial effusion'], implies: [{ kind: 'organ', value: 'heart' }] },
  {
    kind: 'type', value: 'other', plural: true,
    phrases: ['cyst', 'hemangioma', 'haemangioma', 'fracture', 'metastasis', 'metastases', 'fibrosis', 'fibrous strand', 'scar', 'scarring',
      'reticulation', 'reticular opacity', 'honeycombing', 'interlobular septal thickening', 'septal thickening', 'interstitial thickening'],
  },

  // ---- organs ----
  { kind: 'organ', value: 'lung', plural: true, phrases: ['lung', 'pulmonary', 'lung field', 'lung parenchyma', 'parenchymal'] },
  { kind: 'organ', value: 'pleura', plural: true, phrases: ['pleura', 'pleural'] },
  { kind: 'organ', value: 'mediastinum', phrases: ['mediastinum', 'mediastinal', 'paratracheal'] },
  { kind: 'organ', value: 'heart', phrases: ['heart', 'cardiac', 'pericardium', 'pericardial'] },
  { kind: 'organ', value: 'airway', plural: true, phrases: ['airway', 'trachea', 'tracheal', 'bronchus', 'bronchi', 'bronchial'] },
  { kind: 'organ', value: 'chest wall', phrases: ['chest wall'] },
  { kind: 'organ', value: 'liver', phrases: ['liver', 'hepatic'] },
  { kind: 'organ', value: 'kidney', plural: true, phrases: ['kidney', 'renal'] },
  { kind: 'organ', value: 'adrenal', plural: true, phrases: ['adrenal', 'adrenal gland'] },
  { kind: 'organ', value: 'spleen', phrases: ['spleen', 'splenic'] },
  { kind: 'organ', value: 'pancreas', phrases: ['pancreas', 'pancreatic'] },
  { kind: 'organ', value: 'thyroid', phrases: ['thyroid', 'thyroid gland'] },
  { kind: 'organ', value: 'breast', plural: true, phrases: ['breast'] },
  { kind: 'organ', value: 'bone', plural: true, phrases: ['bone', 'rib', 'vertebra', 'vertebrae', 'vertebral', 'spine', 'osseous'] },

  // ---- side ----
  { kind: 'side', value: 'left', phrases: ['left', 'left-sided', 'left side'] },
  { kind: 'side', value: 'right', phrases: ['right', 'right-sided', 'right side'] },
  { kind: 'side', value: 'bilateral', phrases: ['bilateral', 'bilaterally', 'both sides', 'both'] },
  { kind: 'side', value: 'bilateral', phrases: ['both lungs', 'both lung fields', 'bilateral lungs'], implies: [LUNG] },

  // ---- lobes ----
  { kind: 'lobe', value: 'RUL', phrases: ['RUL', 'right upper lobe'], implies: [side('right'), LUNG] },
  { kind: 'lobe', value: 'RML', phrases: ['RML', 'right middle lobe', 'middle lobe'], implies: [side('right'), LUNG] },
  { kind: 'lobe', value: 'RLL', phrases: ['RLL', 'right lower lobe'], implies: [side('right'), LUNG] },
  { kind: 'lobe', value: 'LUL', phrases: ['LUL', 'left upper lobe'], implies: [side('left'), LUNG] },
  { kind: 'lobe', value: 'lingula', phrases: ['lingula', 'lingular', 'lingular lobe'], implies: [side('left'), LUNG] },
  { kind: 'lobe', value: 'LLL', phrases: ['LLL', 'left lower lobe'], implies: [side('left'), LUNG] },
  { kind: 'lobePart', value: 'upper', plural: true, phrases: ['upper lobe'] },
  { kind: 'lobePart', value: 'lower', plural: true, phrases: ['lower lobe'] },

  // ---- segments ----
  // Segment numbers (S1-S10, also used in Chinese reports) where the number names one segment on either side;
  // S4 and S5 differ by side (middle lobe vs lingula) and are left out.
  { kind: 'segment', value: 'apical', phrases: ['apical segment', 'S1'] },
  { kind: 'segment', value: 'apicoposterior', phrases: ['apicoposterior segment', 'apico-posterior segment', 'S1+2', 'S1+S2'] },
  { kind: 'segment', value: 'posterior', phrases: ['posterior segment', 'S2'] },
  { kind: 'segment', value: 'anterior', phrases: ['anterior segment', 'S3'] },
  { kind: 'segment', value: 'superior', phrases: ['superior segment', 'S6'] },
  { kind: 'segment', value: 'lateral', phrases: ['lateral segment'] },
  { kind: 'segment', value: 'medial', phrases: ['medial segment'] },
  {
    kind: 'segment', value: 'superior lingular', phrases: ['superior lingular segment'],
    implies: [{ kind: 'lobe', value: 'lingula' }],
  },
  {
    kind: 'segment', value: 'inferior lingular', phrases: ['inferior lingular segment'],
    implies: [{ kind: 'lobe', value: 'lingula' }],
  },
  { kind: 'segment', value: 'medial basal', phrases: ['medial basal segment', 'medial basal', 'S7'] },
  { kind: 'segment', value: 'anterior basal', phrases: ['anterior basal segment', 'anterior basal', 'S8'] },
  { kind: 'segment', value: 'lateral basal', phrases: ['lateral basal segment', 'lateral basal', 'S9'] },
  { kind: 'segment', value: 'posterior basal', phrases: ['posterior basal segment', 'posterior basal', 'S10'] },
  { kind: 'segment', value: 'basal', phrases: ['basal segment', 'basal segments', 'basilar segment', 'basilar segments'] },

  // ---- levels ----
  { kind: 'level', value: 'apex', phrases: ['apex', 'apices', 'apical', 'lung apex', 'lung apices', 'apical region'] },
  { kind: 'level', value: 'hilum', phrases: ['hilum', 'hila', 'hilar', 'perihilar', 'hilar region'] },
  { kind: 'level', value: 'carina', phrases: ['carina', 'carinal', 'subcarinal'] },
  {
    kind: 'level', value: 'aortic arch',
    phrases: ['aortic arch', 'level of the aortic arch', 'aortic arch level', 'aortopulmonary window', 'AP window'],
  },
  {
    kind: 'level', value: 'lung base',
    phrases: ['lung base', 'lung bases', 'base', 'bases', 'basal', 'basilar', 'basal region', 'costophrenic angle'],
  },
  { kind: 'level', value: 'lung base', phrases: ['bibasilar', 'bibasal'], implies: [{ kind: 'side', value: 'bilateral' }, LUNG] },
  { kind: 'level', value: 'apex', phrases: ['biapical'], implies: [{ kind: 'side', value: 'bilateral' }, LUNG] },

  // ---- coarse positions ----
  { kind: 'position', value: 'anterior', phrases: ['anterior', 'anteriorly', 'ventral', 'front'] },
  { kind: 'position', value: 'posterior', phrases: ['posterior', 'posteriorly', 'dorsal', 'dependent', 'back'] },
  { kind: 'position', value: 'upper', phrases: ['upper', 'superior', 'upper zone', 'upper lung zone', 'upper lung'] },
  { kind: 'position', value: 'middle', phrases: ['mid', 'middle', 'mid zone', 'middle zone', 'mid lung zone'] },
  { kind: 'position', value: 'lower', phrases: ['lower', 'inferior', 'lower zone', 'lower lung zone', 'lower lung'] },
  { kind: 'position', value: 'medial', phrases: ['medial', 'medially', 'paramediastinal'] },
  { kind: 'position', value: 'lateral', phrases: ['lateral', 'laterally'] },
  { kind: 'position', value: 'central', phrases: ['central', 'centrally', 'central region'] },
  { kind: 'position', value: 'peripheral', phrases: ['peripheral', 'periphery', 'peripherally'] },
  { kind: 'position', value: 'subpleural', phrases: ['subpleural', 'juxtapleural', 'pleural-based', 'pleura-based'] },
  {
    kind: 'position', value: 'perifissural',
    phrases: ['perifissural', 'fissural', 'fissure', 'major fissure', 'minor fissure', 'oblique fissure', 'horizontal fissure'],
  },

  // ---- texture ----
  { kind: 'texture', value: 'solid', phrases: ['solid', 'soft tissue', 'soft tissue density', 'soft tissue attenuation'] },
  {
    kind: 'texture', value: 'part-solid',
    phrases: [
      'part solid', 'partly solid', 'partially solid', 'semi solid', 'semisolid', 'mixed', 'mixed density',
      'mixed ground glass', 'mixed attenuation', 'heterogeneous attenuation', 'solid component', 'solid portion', 'solid part',
    ],
  },
  {
    kind: 'texture', value: 'ground-glass',
    phrases: ['ground glass', 'groundglass', 'pure ground glass', 'non solid', 'nonsolid'],
  },

  // ---- margins ----
  {
    kind: 'margin', value: 'spiculated',
    phrases: [
      'spiculated', 'spiculation', 'spiculations', 'spicule', 'spicules', 'spiculae', 'spiculate', 'spiky', 'short spiculation',
      'short spicules', 'corona radiata',
      'speculated', // a frequent misspelling of spiculated
    ],
  },
  {
    kind: 'margin', value: 'lobulated',
    phrases: ['lobulated', 'lobulation', 'lobulations', 'lobular contour', 'shallow lobulation', 'shallow lobulations', 'deep lobulation'],
  },
  {
    kind: 'margin', value: 'smooth',
    phrases: ['smooth', 'well defined', 'well circumscribed', 'circumscribed', 'sharply defined', 'sharp margins', 'clear margins', 'well marginated'],
  },
  {
    kind: 'margin', value: 'ill-defined',
    phrases: ['ill defined', 'poorly defined', 'indistinct', 'blurred', 'fuzzy', 'unclear margins', 'poorly marginated'],
  },
  { kind: 'margin', value: 'irregular', phrases: ['irregular', 'irregularly shaped', 'irregular shape'] },

  // ---- signs ----
  {
    kind: 'sign', value: 'air bronchogram', plural: true,
    phrases: ['air bronchogram', 'air bronchogram sign', 'air bronchograms sign', 'bronchial air sign'],
  },
  {
    kind: 'sign', value: 'vacuole', plural: true,
    phrases: ['vacuole', 'vacuole sign', 'vacuolar sign', 'bubble like lucency', 'bubble lucency', 'bubblelike lucency', 'bubbly lucency', 'pseudocavitation'],
  },
  {
    kind: 'sign', value: 'pleural indentation', plural: true,
    phrases: ['pleural indentation', 'pleural retraction', 'pleural tag', 'pleural tail', 'pleural tail sign', 'pleural traction'],
  },
  {
    kind: 'sign', value: 'vascular convergence', plural: true,
    phrases: ['vascular convergence', 'vessel convergence', 'vascular convergence sign', 'converging vessels'],
  },
  { kind: 'sign', value: 'halo', plural: true, phrases: ['halo', 'halo sign'] },
  { kind: 'sign', value: 'reversed halo', plural: true, phrases: ['reversed halo', 'reverse halo', 'reversed halo sign', 'atoll sign'] },
  { kind: 'sign', value: 'tree-in-bud', plural: true, phrases: ['tree in bud', 'tree in bud sign', 'tree in bud pattern', 'tree in bud opacity'] },
  { kind: 'sign', value: 'crazy paving', plural: true, phrases: ['crazy paving', 'crazy paving pattern', 'crazy paving sign'] },

  // ---- count ----
  {
    kind: 'count', value: 'multiple',
    phrases: ['multiple', 'several', 'numerous', 'many', 'few', 'a few', 'scattered', 'diffuse', 'multifocal', 'two', 'three', 'four', 'five'],
  },
  { kind: 'count', value: 'single', phrases: ['single', 'solitary', 'a single', 'one', 'isolated'] },

  // ---- negation ----
  // 'no' denies what follows up to the end of the clause (or "with"/"but"); 'next' denies only the next term.
  {
    kind: 'negation', value: 'no',
    phrases: ['no', 'not', 'without', 'no evidence of', 'no sign of', 'no signs of', 'absence of', 'negative for', 'free of', 'nor'],
  },
  { kind: 'negation', value: 'next', phrases: ['non'] },

  // ---- connectors: known words that carry no term ----
  { kind: 'connector', value: 'with', phrases: ['with', 'containing', 'showing', 'demonstrating', 'along with', 'associated with', 'accompanied by'] },
  { kind: 'connector', value: 'and', phrases: ['and', 'or', 'as well as', 'plus', 'also', 'and/or'] },
  { kind: 'connector', value: 'stop', phrases: ['but', 'however', 'although'] },
  // Subsolid covers both pure ground-glass and part-solid: no single texture says it, so the user sees it was not used.
  { kind: 'connector', value: 'unsupported', phrases: ['subsolid', 'sub solid', 'SSN', 'SSNs'] },
  { kind: 'connector', value: 'prep', phrases: ['in', 'of', 'at', 'on', 'within', 'involving', 'near', 'adjacent to', 'abutting', 'along', 'from', 'to', 'adjacent'] },
  {
    kind: 'connector', value: 'filler',
    phrases: [
      'a', 'an', 'the', 'is', 'are', 'was', 'were', 'be', 'there', 'seen', 'noted', 'identified', 'present',
      'demonstrated', 'visible', 'measuring', 'measures', 'measured', 'about', 'approximately', 'approx', 'around',
      'roughly', 'nearly', 'size', 'sized', 'in size', 'diameter', 'in diameter', 'maximal diameter', 'largest diameter',
      'long axis', 'margin', 'margins', 'border', 'borders', 'contour', 'contours', 'edge', 'edges', 'outline',
      'sign', 'pattern', 'lesion', 'lesions', 'opacity', 'opacities', 'density', 'area', 'region', 'focus', 'foci',
      'enlarged', 'enlargement', 'prominent', 'small', 'tiny', 'large', 'moderate', 'massive', 'trace', 'minimal',
      'mild', 'focal', 'new', 'it', 'its', 'inside', 'internal', 'interior', 'around it', 'surrounding', 'which',
      'that', 'suspicious', 'likely', 'possible', 'probable', 'evident', 'appearance', 'obvious', 'lobe', 'segment',
      'zone', 'level', 'short', 'shallow', 'thin', 'fine', 'largest', 'definite', 'centrilobular', 'paraseptal', 'like', 'for', 'mass effect', 'find', 'show', 'shows', 'slice', 'slices', 'image', 'images', 'ct', 'chest ct', 'ct chest', 'scan', 'impression', 'findings', 'finding', 'please', 'where', 'looking for', 'compatible with', 'consistent with', 'component', 'round', 'rounded', 'oval', 'ovoid', 'enlarging', 'growing', 'increased', 'stable', 'concerning', 'predominant', 'predominantly', 'than', 'larger', 'smaller', 'short axis', 'long axis diameter', 'wall', 'walls',
    ],
  },
];
