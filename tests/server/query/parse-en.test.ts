/** English descriptions → findings: full structure per phrase, plus the spans of key terms. */
import { F, T, runCases, type Case } from './support';

const RUL = { lobe: 'RUL', side: 'right', organ: 'lung' } as const;
const RML = { lobe: 'RML', side: 'right', organ: 'lung' } as const;
const RLL = { lobe: 'RLL', side: 'right', organ: 'lung' } as const;
const LUL = { lobe: 'LUL', side: 'left', organ: 'lung' } as const;
const LLL = { lobe: 'LLL', side: 'left', organ: 'lung' } as const;

const ISSUE_EQUIVALENTS: Case[] = [
  {
    text: 'Ground-glass opacity in the right upper lobe with a vacuole sign',
    lang: 'en',
    findings: [F({ type: 'ground-glass opacity', anatomy: RUL, signs: ['vacuole'] })],
    terms: [T('type', 'ground-glass opacity', 'Ground-glass opacity'), T('lobe', 'RUL', 'right upper lobe'), T('sign', 'vacuole', 'vacuole sign')],
  },
  {
    text: 'Solid nodule in the superior segment of the left lower lobe, 8 mm in diameter, with shallow lobulation and short spiculation at the margin',
    lang: 'en',
    findings: [
      F({
        type: 'nodule', anatomy: { ...LLL, segment: 'superior' }, size: { mm: 8, dims: [8] }, texture: 'solid',
        margins: ['lobulated', 'spiculated'],
      }),
    ],
    terms: [
      T('texture', 'solid', 'Solid'), T('segment', 'superior', 'superior segment'), T('lobe', 'LLL', 'left lower lobe'),
      T('size', '8', '8 mm'), T('margin', 'lobulated', 'shallow lobulation'), T('margin', 'spiculated', 'short spiculation'),
    ],
  },
  {
    text: 'A mixed ground-glass nodule in the lateral segment of the right middle lobe, measuring about 12×9mm, with an air bronchogram inside and vascular convergence around it',
    lang: 'en',
    findings: [
      F({
        type: 'nodule', anatomy: { ...RML, segment: 'lateral' }, size: { mm: 12, dims: [12, 9] }, texture: 'part-solid',
        signs: ['air bronchogram', 'vascular convergence'],
      }),
    ],
    terms: [
      T('texture', 'part-solid', 'mixed ground-glass'), T('type', 'nodule', 'nodule'), T('segment', 'lateral', 'lateral segment'),
      T('size', '12', '12×9mm'), T('sign', 'air bronchogram', 'air bronchogram'), T('sign', 'vascular convergence', 'vascular convergence'),
    ],
  },
  {
    text: 'Multiple nodules in both lungs, enlarged mediastinal lymph nodes, pleural thickening',
    lang: 'en',
    findings: [
      F({ type: 'nodule', anatomy: { side: 'bilateral', organ: 'lung' }, multiple: true }),
      F({ type: 'lymph node', anatomy: { organ: 'mediastinum' }, sizeWord: 'large', multiple: true }),
      F({ type: 'pleural thickening', anatomy: { organ: 'pleura' } }),
    ],
    terms: [
      T('count', 'multiple', 'Multiple'), T('type', 'nodule', 'nodules'), T('side', 'bilateral', 'both lungs'),
      T('size-word', 'large', 'enlarged', 1), T('organ', 'mediastinum', 'mediastinal', 1), T('type', 'lymph node', 'lymph nodes', 1),
      T('type', 'pleural thickening', 'pleural thickening', 2),
    ],
    spans: ['Multiple nodules in both lungs', 'enlarged mediastinal lymph nodes', 'pleural thickening'],
  },
];

/** The English phrasings in ../shared/data/lidc-idri-0001/queries.json. */
const LIDC: Case[] = [
  {
    text: 'spiculated solid nodule in the left lung',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: { side: 'left', organ: 'lung' }, texture: 'solid', margins: ['spiculated'] })],
    terms: [T('margin', 'spiculated', 'spiculated'), T('side', 'left', 'left'), T('organ', 'lung', 'lung')],
  },
  {
    text: 'Left lung nodule, about 28 mm, solid, with spiculated margins.',
    lang: 'en',
    findings: [
      F({ type: 'nodule', anatomy: { side: 'left', organ: 'lung' }, size: { mm: 28, dims: [28] }, texture: 'solid', margins: ['spiculated'] }),
    ],
    terms: [T('side', 'left', 'Left'), T('size', '28', '28 mm'), T('texture', 'solid', 'solid')],
  },
  {
    text: '3 cm spiculated mass, left lung, posterior',
    lang: 'en',
    findings: [
      F({ type: 'mass', anatomy: { side: 'left', organ: 'lung', position: ['posterior'] }, size: { mm: 30, dims: [30] }, margins: ['spiculated'] }),
    ],
    terms: [T('size', '30', '3 cm'), T('type', 'mass', 'mass'), T('position', 'posterior', 'posterior')],
  },
  {
    text: 'solid pulmonary nodule with irregular spiculated border on the left',
    lang: 'en',
    findings: [
      F({ type: 'nodule', anatomy: { organ: 'lung', side: 'left' }, texture: 'solid', margins: ['irregular', 'spiculated'] }),
    ],
    terms: [T('organ', 'lung', 'pulmonary'), T('margin', 'irregular', 'irregular'), T('side', 'left', 'left')],
  },
  {
    text: 'right lower lobe pure ground-glass nodule',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: RLL, texture: 'ground-glass' })],
    terms: [T('lobe', 'RLL', 'right lower lobe'), T('texture', 'ground-glass', 'pure ground-glass'), T('type', 'nodule', 'nodule')],
  },
];

const MORE: Case[] = [
  {
    text: '8 mm spiculated solid nodule, left lower lobe',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: LLL, size: { mm: 8, dims: [8] }, texture: 'solid', margins: ['spiculated'] })],
    terms: [T('size', '8', '8 mm'), T('lobe', 'LLL', 'left lower lobe')],
  },
  {
    text: 'RUL GGN 6mm',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: RUL, size: { mm: 6, dims: [6] }, texture: 'ground-glass' })],
    terms: [T('lobe', 'RUL', 'RUL'), T('type', 'nodule', 'GGN'), T('size', '6', '6mm')],
  },
  {
    text: 'pure GGN RUL 6mm',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: RUL, size: { mm: 6, dims: [6] }, texture: 'ground-glass' })],
    terms: [T('type', 'nodule', 'pure GGN'), T('lobe', 'RUL', 'RUL'), T('size', '6', '6mm')],
  },
  {
    text: 'juxtafissural nodule, right middle lobe',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: { ...RML, position: ['perifissural'] } })],
    terms: [T('position', 'perifissural', 'juxtafissural'), T('type', 'nodule', 'nodule')],
  },
  {
    text: 'part-solid nodule in the apical segment of the right upper lobe, 1.2 cm, with pleural indentation',
    lang: 'en',
    findings: [
      F({ type: 'nodule', anatomy: { ...RUL, segment: 'apical' }, size: { mm: 12, dims: [12] }, texture: 'part-solid', signs: ['pleural indentation'] }),
    ],
    terms: [T('texture', 'part-solid', 'part-solid'), T('segment', 'apical', 'apical segment'), T('size', '12', '1.2 cm')],
  },
  {
    text: 'Consolidation with air bronchograms in the right lower lobe',
    lang: 'en',
    findings: [F({ type: 'consolidation', anatomy: RLL, signs: ['air bronchogram'] })],
    terms: [T('type', 'consolidation', 'Consolidation'), T('sign', 'air bronchogram', 'air bronchograms')],
  },
  {
    text: 'Cavitary mass in the left upper lobe, 4.5 x 3.2 cm',
    lang: 'en',
    findings: [F({ type: 'mass', anatomy: LUL, size: { mm: 45, dims: [45, 32] }, features: ['cavity'] })],
    terms: [T('type', 'cavity', 'Cavitary'), T('type', 'mass', 'mass'), T('size', '45', '4.5 x 3.2 cm')],
  },
  {
    text: 'Small left pleural effusion. No pneumothorax.',
    lang: 'en',
    findings: [F({ type: 'pleural effusion', anatomy: { side: 'left', organ: 'pleura' }, sizeWord: 'small', negations: ['pneumothorax'] })],
    terms: [T('size-word', 'small', 'Small'), T('type', 'pleural effusion', 'pleural effusion'), T('negation', 'no', 'No'), T('type', 'pneumothorax', 'pneumothorax')],
  },
  {
    text: 'Solid nodule without calcification or cavitation',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: { organ: 'lung' }, texture: 'solid', negations: ['calcification', 'cavity'] })],
    terms: [T('negation', 'no', 'without'), T('type', 'calcification', 'calcification'), T('type', 'cavity', 'cavitation')],
  },
  {
    text: 'Centrilobular emphysema in both upper lobes',
    lang: 'en',
    findings: [F({ type: 'emphysema', anatomy: { side: 'bilateral', organ: 'lung', position: ['centrilobular', 'upper'] } })],
    terms: [T('position', 'centrilobular', 'Centrilobular'), T('side', 'bilateral', 'both'), T('position', 'upper', 'upper lobes')],
  },
  {
    text: 'Bronchiectasis in the lingula',
    lang: 'en',
    findings: [F({ type: 'bronchiectasis', anatomy: { lobe: 'lingula', side: 'left', organ: 'lung' } })],
    terms: [T('lobe', 'lingula', 'lingula')],
  },
  {
    text: 'Ground glass opacities with crazy paving pattern in both lungs',
    lang: 'en',
    findings: [F({ type: 'ground-glass opacity', anatomy: { side: 'bilateral', organ: 'lung' }, signs: ['crazy paving'], multiple: true })],
    terms: [T('type', 'ground-glass opacity', 'Ground glass opacities'), T('sign', 'crazy paving', 'crazy paving pattern')],
  },
  {
    text: 'Tree-in-bud opacities in the right upper lobe',
    lang: 'en',
    findings: [F({ anatomy: RUL, signs: ['tree-in-bud'] })],
    terms: [T('sign', 'tree-in-bud', 'Tree-in-bud opacities')],
  },
  {
    text: 'Nodule with halo sign, left upper lobe, subpleural',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: { ...LUL, position: ['subpleural'] }, signs: ['halo'] })],
    terms: [T('sign', 'halo', 'halo sign'), T('position', 'subpleural', 'subpleural')],
  },
  {
    text: 'Reversed halo sign in the right lower lobe',
    lang: 'en',
    findings: [F({ anatomy: RLL, signs: ['reversed halo'] })],
    terms: [T('sign', 'reversed halo', 'Reversed halo sign')],
  },
  {
    text: 'Subcarinal lymph node, 15 mm short axis',
    lang: 'en',
    findings: [F({ type: 'lymph node', anatomy: { station: '7', level: 'carina', organ: 'mediastinum' }, size: { mm: 15, dims: [15] } })],
    terms: [T('station', '7', 'Subcarinal'), T('type', 'lymph node', 'lymph node')],
  },
  {
    text: 'Pneumothorax on the right',
    lang: 'en',
    findings: [F({ type: 'pneumothorax', anatomy: { side: 'right', organ: 'pleura' } })],
    terms: [T('type', 'pneumothorax', 'Pneumothorax'), T('side', 'right', 'right')],
  },
  {
    text: 'Well-defined smooth nodule at the left lung base, 5 mm',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: { side: 'left', level: 'lung base', organ: 'lung' }, size: { mm: 5, dims: [5] }, margins: ['smooth'] })],
    terms: [T('margin', 'smooth', 'Well-defined'), T('margin', 'smooth', 'smooth'), T('level', 'lung base', 'lung base')],
  },
  {
    text: 'ill-defined nodule in the left hilum',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: { side: 'left', level: 'hilum', organ: 'lung' }, margins: ['ill-defined'] })],
    terms: [T('margin', 'ill-defined', 'ill-defined'), T('level', 'hilum', 'hilum')],
  },
  {
    text: 'Liver lesion, 2 cm',
    lang: 'en',
    findings: [F({ anatomy: { organ: 'liver' }, size: { mm: 20, dims: [20] } })],
    terms: [T('organ', 'liver', 'Liver'), T('size', '20', '2 cm')],
  },
  {
    text: 'Right upper lobe nodule and left lower lobe mass',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: RUL }), F({ type: 'mass', anatomy: LLL })],
    terms: [T('lobe', 'RUL', 'Right upper lobe'), T('lobe', 'LLL', 'left lower lobe', 1), T('type', 'mass', 'mass', 1)],
    spans: ['Right upper lobe nodule', 'left lower lobe mass'],
  },
  {
    text: 'No pleural effusion',
    lang: 'en',
    findings: [F({ negations: ['pleural effusion'] })],
    terms: [T('negation', 'no', 'No'), T('type', 'pleural effusion', 'pleural effusion')],
  },
  {
    text: 'Non-calcified solid nodule, 7 mm, RLL',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: RLL, size: { mm: 7, dims: [7] }, texture: 'solid', negations: ['calcification'] })],
    terms: [T('negation', 'no', 'Non'), T('type', 'calcification', 'calcified'), T('lobe', 'RLL', 'RLL')],
  },
  {
    text: 'Mass near the aortic arch, left lung',
    lang: 'en',
    findings: [F({ type: 'mass', anatomy: { level: 'aortic arch', side: 'left', organ: 'lung' } })],
    terms: [T('level', 'aortic arch', 'aortic arch')],
  },
  {
    text: 'Pleural thickening at the right apex',
    lang: 'en',
    findings: [F({ type: 'pleural thickening', anatomy: { side: 'right', level: 'apex', organ: 'pleura' } })],
    terms: [T('level', 'apex', 'apex')],
  },
  {
    text: 'Several bilateral pulmonary nodules, the largest 1.2 cm, in the lower lobes',
    lang: 'en',
    findings: [
      F({ type: 'nodule', anatomy: { side: 'bilateral', organ: 'lung', position: ['lower'] }, size: { mm: 12, dims: [12] }, multiple: true }),
    ],
    terms: [T('count', 'multiple', 'Several'), T('size', '12', '1.2 cm'), T('position', 'lower', 'lower lobes')],
  },
  {
    text: 'Calcified nodule in the RML',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: RML, features: ['calcification'] })],
    terms: [T('type', 'calcification', 'Calcified'), T('lobe', 'RML', 'RML')],
  },
  {
    text: 'Nodule in the upper lobe of the right lung',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: { side: 'right', organ: 'lung', lobe: 'RUL' } })],
    terms: [T('lobe', 'RUL', 'upper lobe'), T('side', 'right', 'right')],
  },
  {
    text: '12 x 9 x 7 mm lobulated mass, posterior basal segment of the right lower lobe, with a pleural tail',
    lang: 'en',
    findings: [
      F({
        type: 'mass', anatomy: { ...RLL, segment: 'posterior basal' }, size: { mm: 12, dims: [12, 9, 7] }, margins: ['lobulated'],
        signs: ['pleural indentation'],
      }),
    ],
    terms: [T('size', '12', '12 x 9 x 7 mm'), T('segment', 'posterior basal', 'posterior basal segment'), T('sign', 'pleural indentation', 'pleural tail')],
  },
  {
    text: 'Two nodules in the RUL, the larger with cavitation',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: RUL, multiple: true, features: ['cavity'] })],
    terms: [T('count', 'multiple', 'Two'), T('type', 'cavity', 'cavitation')],
  },
  {
    text: 'Left lower lobe collapse with air bronchograms, no effusion',
    lang: 'en',
    findings: [F({ type: 'atelectasis', anatomy: LLL, signs: ['air bronchogram'], negations: ['pleural effusion'] })],
    terms: [T('type', 'atelectasis', 'collapse'), T('type', 'pleural effusion', 'effusion')],
  },
  {
    text: 'Spiculated RUL nodule abutting the pleura with pleural retraction, suspicious for malignancy',
    lang: 'en',
    // "abutting the pleura" is a subpleural position (it was the organ pleura, overridden by the lobe); "malignancy" is
    // a diagnosis that the finding's own type already covers (it was not understood).
    findings: [F({ type: 'nodule', anatomy: { ...RUL, position: ['subpleural'] }, margins: ['spiculated'], signs: ['pleural indentation'] })],
    terms: [
      T('sign', 'pleural indentation', 'pleural retraction'), T('lobe', 'RUL', 'RUL'), T('position', 'subpleural', 'abutting the pleura'),
    ],
  },
  {
    text: 'Nodules in the RUL and LLL',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: RUL, multiple: true }), F({ type: 'nodule', anatomy: LLL, multiple: true })],
    terms: [T('lobe', 'RUL', 'RUL'), T('type', 'nodule', 'Nodules', 1), T('lobe', 'LLL', 'LLL', 1)],
    spans: ['Nodules in the RUL', 'Nodules in the RUL and LLL'],
  },
  {
    text: 'subsolid nodule, RUL',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: RUL, texture: 'subsolid' })],
    terms: [T('texture', 'subsolid', 'subsolid'), T('type', 'nodule', 'nodule')],
  },
  {
    text: 'mass encasing the left main bronchus',
    lang: 'en',
    findings: [F({ type: 'mass', anatomy: { organ: 'airway', side: 'left', level: 'hilum' } })],
    terms: [T('type', 'mass', 'mass'), T('side', 'left', 'left'), T('organ', 'airway', 'main bronchus')],
    unknown: ['encasing'],
  },
  {
    text: 'part-solid nodule with a solid component of approximately 5 mm, 14 mm overall',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: { organ: 'lung' }, texture: 'part-solid', size: { mm: 14, dims: [14] } })],
    terms: [T('texture', 'part-solid', 'solid component of approximately 5 mm'), T('size', '14', '14 mm')],
    unknown: ['overall'],
  },
  {
    text: 'right infrahilar nodule, 1,2 cm',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: { organ: 'lung', side: 'right', level: 'hilum' }, size: { mm: 12, dims: [12] } })],
    terms: [T('side', 'right', 'right'), T('level', 'hilum', 'infrahilar'), T('type', 'nodule', 'nodule'), T('size', '12', '1,2 cm')],
  },
  {
    text: 'ground-glass nodule with a central solid component, LUL',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: LUL, texture: 'part-solid' })],
    terms: [T('texture', 'ground-glass', 'ground-glass'), T('type', 'nodule', 'nodule'), T('texture', 'part-solid', 'central solid component')],
  },
  {
    text: 'R hilar mass',
    lang: 'en',
    findings: [F({ type: 'mass', anatomy: { organ: 'lung', side: 'right', level: 'hilum' } })],
    terms: [T('side', 'right', 'R'), T('level', 'hilum', 'hilar'), T('type', 'mass', 'mass')],
  },
  {
    text: 'lt lower lobe mGGO, 12 mm',
    lang: 'en',
    findings: [F({ type: 'ground-glass opacity', anatomy: LLL, texture: 'part-solid', size: { mm: 12, dims: [12] } })],
    terms: [T('side', 'left', 'lt'), T('type', 'ground-glass opacity', 'mGGO'), T('size', '12', '12 mm')],
  },
  {
    text: 'LLL nodule r/o malignancy',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: LLL })],
    terms: [T('lobe', 'LLL', 'LLL'), T('type', 'nodule', 'nodule')],
  },
  {
    text: 'RUL SPN, unchanged compared with prior',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: RUL, multiple: false })],
    terms: [T('lobe', 'RUL', 'RUL'), T('type', 'nodule', 'SPN')],
  },
  {
    text: 'necrotic mass at the right hilum',
    lang: 'en',
    findings: [F({ type: 'mass', anatomy: { organ: 'lung', side: 'right', level: 'hilum' }, signs: ['necrosis'] })],
    terms: [T('sign', 'necrosis', 'necrotic'), T('type', 'mass', 'mass'), T('level', 'hilum', 'hilum')],
  },
  {
    text: 'retrocardiac mass',
    lang: 'en',
    findings: [F({ type: 'mass', anatomy: { organ: 'lung', position: ['medial'] } })],
    terms: [T('position', 'medial', 'retrocardiac'), T('type', 'mass', 'mass')],
  },
  {
    text: 'SSN in the LUL with a solid component',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: LUL, texture: 'part-solid' })],
    terms: [T('type', 'nodule', 'SSN'), T('texture', 'part-solid', 'solid component')],
  },
  {
    text: 'Mass-like consolidation in the left lower lobe; no cavitation',
    lang: 'en',
    findings: [F({ type: 'consolidation', anatomy: LLL, features: ['mass'], negations: ['cavity'] })],
    terms: [T('type', 'mass', 'Mass'), T('type', 'consolidation', 'consolidation')],
  },
  {
    text: 'Honeycombing in both lower lobes',
    lang: 'en',
    findings: [F({ type: 'other', anatomy: { side: 'bilateral', organ: 'lung', position: ['lower'] } })],
    terms: [T('type', 'other', 'Honeycombing'), T('position', 'lower', 'lower lobes')],
  },
  {
    text: 'Round ground-glass nodule in the left upper lobe with a solid component, 9 mm',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: LUL, size: { mm: 9, dims: [9] }, texture: 'part-solid' })],
    terms: [T('texture', 'ground-glass', 'ground-glass'), T('texture', 'part-solid', 'solid component')],
  },
  {
    text: 'GGN with solid part',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: { organ: 'lung' }, texture: 'part-solid' })],
    terms: [T('type', 'nodule', 'GGN'), T('texture', 'part-solid', 'solid part')],
  },
  {
    text: 'find the slice with the spiculated LLL mass',
    lang: 'en',
    findings: [F({ type: 'mass', anatomy: LLL, margins: ['spiculated'] })],
    terms: [T('margin', 'spiculated', 'spiculated'), T('lobe', 'LLL', 'LLL'), T('type', 'mass', 'mass')],
  },
  {
    text: 'Part-solid nodule in the RUL with bubble-like lucency and vessel convergence, no halo',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: RUL, texture: 'part-solid', signs: ['vacuole', 'vascular convergence'], negations: ['halo'] })],
    terms: [T('sign', 'vacuole', 'bubble-like lucency'), T('sign', 'vascular convergence', 'vessel convergence'), T('sign', 'halo', 'halo')],
  },
  {
    text: 'bibasilar atelectasis',
    lang: 'en',
    findings: [F({ type: 'atelectasis', anatomy: { level: 'lung base', side: 'bilateral', organ: 'lung' } })],
    terms: [T('level', 'lung base', 'bibasilar'), T('type', 'atelectasis', 'atelectasis')],
  },
  {
    text: '1. RUL nodule, 6 mm\n2. LLL mass',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: RUL, size: { mm: 6, dims: [6] } }), F({ type: 'mass', anatomy: LLL })],
    terms: [T('lobe', 'RUL', 'RUL'), T('size', '6', '6 mm'), T('type', 'mass', 'mass', 1)],
    spans: ['RUL nodule, 6 mm', 'LLL mass'],
  },
];

describe('parseQuery: the issue examples in English', () => runCases(ISSUE_EQUIVALENTS));
describe('parseQuery: the LIDC sample queries in English', () => runCases(LIDC));
describe('parseQuery: more English phrasings', () => runCases(MORE));
