/**
 * Size words, positions given by what a lesion lies against, and diagnosis words, in English and Chinese:
 * the full finding structure per phrase, plus the spans of the new terms.
 */
import type { TermKind } from '../../../server/query/finding';
import { parseQuery } from '../../../server/query/parse';
import { supportOf } from '../../../server/rerank/fuse';
import { F, T, runCases, type Case } from './support';

const LUNG = { organ: 'lung' } as const;
const RUL = { lobe: 'RUL', side: 'right', organ: 'lung' } as const;
const RLL = { lobe: 'RLL', side: 'right', organ: 'lung' } as const;
const LUL = { lobe: 'LUL', side: 'left', organ: 'lung' } as const;
const LLL = { lobe: 'LLL', side: 'left', organ: 'lung' } as const;
const NOT_MEDIASTINUM: Array<[TermKind, string]> = [['organ', 'mediastinum']];
const NOT_PLEURA: Array<[TermKind, string]> = [['organ', 'pleura'], ['organ', 'chest wall']];

// ---------------------------------------------------------------- size words

const EN_SIZE_WORDS: Array<[string, 'small' | 'moderate' | 'large']> = [
  ['large', 'large'], ['big', 'large'], ['huge', 'large'], ['massive', 'large'], ['bulky', 'large'], ['giant', 'large'],
  ['sizeable', 'large'], ['sizable', 'large'], ['enlarged', 'large'],
  ['moderate', 'moderate'], ['moderate-sized', 'moderate'],
  ['small', 'small'], ['tiny', 'small'], ['minute', 'small'], ['little', 'small'], ['subcentimeter', 'small'], ['sub-centimetre', 'small'],
];

const EN_SIZE: Case[] = [
  ...EN_SIZE_WORDS.map(([word, sizeWord]): Case => ({
    text: `${word} nodule in the right upper lobe`,
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: RUL, sizeWord })],
    terms: [T('size-word', sizeWord, word), T('type', 'nodule', 'nodule')],
  })),
  {
    text: 'Enlarged mediastinal lymph node, 15 mm',
    lang: 'en',
    findings: [F({ type: 'lymph node', anatomy: { organ: 'mediastinum' }, size: { mm: 15, dims: [15] }, sizeWord: 'large' })],
    terms: [T('size-word', 'large', 'Enlarged'), T('size', '15', '15 mm')],
  },
  {
    text: 'hilar lymph node enlargement',
    lang: 'en',
    findings: [F({ type: 'lymph node', anatomy: { level: 'hilum', station: '10' }, sizeWord: 'large' })],
    terms: [T('type', 'lymph node', 'lymph node'), T('size-word', 'large', 'enlargement')],
  },
  {
    text: 'Moderate-sized right pleural effusion',
    lang: 'en',
    findings: [F({ type: 'pleural effusion', anatomy: { side: 'right', organ: 'pleura' }, sizeWord: 'moderate' })],
    terms: [T('size-word', 'moderate', 'Moderate-sized')],
  },
  {
    text: 'massive left pleural effusion',
    lang: 'en',
    findings: [F({ type: 'pleural effusion', anatomy: { side: 'left', organ: 'pleura' }, sizeWord: 'large' })],
    terms: [T('size-word', 'large', 'massive'), T('type', 'pleural effusion', 'pleural effusion')],
  },
  {
    text: 'giant bulla in the left upper lobe',
    lang: 'en',
    findings: [F({ type: 'emphysema', anatomy: LUL, sizeWord: 'large' })],
    terms: [T('size-word', 'large', 'giant'), T('type', 'emphysema', 'bulla')],
  },
  {
    text: 'Several tiny nodules, the largest 4 mm',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: LUNG, size: { mm: 4, dims: [4] }, sizeWord: 'small', multiple: true })],
    terms: [T('size-word', 'small', 'tiny'), T('size', '4', '4 mm')],
  },
  {
    text: 'RUL nodule, small',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: RUL, sizeWord: 'small' })],
    terms: [T('size-word', 'small', 'small')],
  },
  {
    text: '8 mm nodule in the RUL, large mass in the LLL',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: RUL, size: { mm: 8, dims: [8] } }), F({ type: 'mass', anatomy: LLL, sizeWord: 'large' })],
    terms: [T('size', '8', '8 mm'), T('size-word', 'large', 'large', 1)],
    spans: ['8 mm nodule in the RUL', 'large mass in the LLL'],
  },
  // A denied size word sets nothing; words that only look like sizes set nothing either.
  {
    text: 'No enlarged lymph nodes',
    lang: 'en',
    findings: [F({ negations: ['lymph node'] })],
    terms: [T('negation', 'no', 'No'), T('size-word', 'large', 'enlarged'), T('type', 'lymph node', 'lymph nodes')],
  },
  {
    text: 'nodule in the RLL, not large',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: RLL })],
    terms: [T('negation', 'no', 'not'), T('size-word', 'large', 'large')],
  },
  {
    text: 'Two nodules in the RUL, the larger 9 mm, enlarging',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: RUL, size: { mm: 9, dims: [9] }, multiple: true })],
    terms: [T('size', '9', '9 mm')],
    absent: [['size-word', 'large']],
  },
  {
    text: 'small cell lung cancer in the left upper lobe',
    lang: 'en',
    findings: [F({ type: 'mass', anatomy: LUL })],
    terms: [T('type', 'mass', 'small cell lung cancer')],
    absent: [['size-word', 'small']],
  },
];

const ZH_SIZE_WORDS: Array<[string, 'small' | 'moderate' | 'large']> = [
  ['巨大', 'large'], ['较大', 'large'], ['大', 'large'], ['大块', 'large'], ['体积较大', 'large'],
  ['中等', 'moderate'],
  ['小', 'small'], ['较小', 'small'], ['细小', 'small'], ['微小', 'small'],
];

const ZH_SIZE: Case[] = [
  ...ZH_SIZE_WORDS.map(([word, sizeWord]): Case => ({
    text: `右肺上叶${word}结节`,
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: RUL, sizeWord })],
    terms: [T('size-word', sizeWord, word), T('type', 'nodule', '结节'), T('lobe', 'RUL', '右肺上叶')],
  })),
  ...([['少量', 'small'], ['中等量', 'moderate'], ['大量', 'large']] as const).map(([word, sizeWord]): Case => ({
    text: `右侧${word}胸腔积液`,
    lang: 'zh',
    findings: [F({ type: 'pleural effusion', anatomy: { side: 'right', organ: 'pleura' }, sizeWord })],
    terms: [T('side', 'right', '右侧'), T('size-word', sizeWord, word), T('type', 'pleural effusion', '胸腔积液')],
  })),
  {
    text: '少量胸腔积液',
    lang: 'zh',
    findings: [F({ type: 'pleural effusion', anatomy: { organ: 'pleura' }, sizeWord: 'small' })],
    terms: [T('size-word', 'small', '少量'), T('type', 'pleural effusion', '胸腔积液')],
  },
  {
    text: '左侧胸腔中等量积液',
    lang: 'zh',
    findings: [F({ type: 'pleural effusion', anatomy: { side: 'left', organ: 'pleura' }, sizeWord: 'moderate' })],
    terms: [T('organ', 'pleura', '胸腔'), T('size-word', 'moderate', '中等量'), T('type', 'pleural effusion', '积液')],
  },
  {
    text: '右肺门淋巴结增大',
    lang: 'zh',
    findings: [F({ type: 'lymph node', anatomy: { side: 'right', level: 'hilum', station: '10' }, sizeWord: 'large' })],
    terms: [T('level', 'hilum', '肺门'), T('type', 'lymph node', '淋巴结'), T('size-word', 'large', '增大')],
  },
  {
    text: '纵隔多发肿大淋巴结',
    lang: 'zh',
    findings: [F({ type: 'lymph node', anatomy: { organ: 'mediastinum' }, sizeWord: 'large', multiple: true })],
    terms: [T('size-word', 'large', '肿大'), T('type', 'lymph node', '淋巴结')],
  },
  {
    text: '双肺多发小结节，较大者约5mm',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: { side: 'bilateral', organ: 'lung' }, size: { mm: 5, dims: [5] }, sizeWord: 'small', multiple: true })],
    terms: [T('size-word', 'small', '小'), T('type', 'nodule', '结节'), T('size', '5', '5mm')],
  },
  {
    text: '右肺下叶大片实变',
    lang: 'zh',
    findings: [F({ type: 'consolidation', anatomy: RLL, sizeWord: 'large' })],
    terms: [T('size-word', 'large', '大片'), T('type', 'consolidation', '实变')],
  },
  // Words that hold 大 or 小 without being size words.
  {
    text: '小叶中心性结节',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: LUNG })],
    terms: [T('type', 'nodule', '结节')],
    absent: [['size-word', 'small'], ['position', 'central']],
  },
  {
    text: '双肺小叶间隔增厚',
    lang: 'zh',
    findings: [F({ type: 'other', anatomy: { side: 'bilateral', organ: 'lung' } })],
    terms: [T('type', 'other', '小叶间隔增厚')],
    absent: [['size-word', 'small']],
  },
  {
    text: '右肺中叶结节，大小约6mm',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: { lobe: 'RML', side: 'right', organ: 'lung' }, size: { mm: 6, dims: [6] } })],
    terms: [T('size', '6', '6mm')],
    absent: [['size-word', 'large'], ['size-word', 'small']],
  },
  {
    text: '右肺结节大约5mm',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: { side: 'right', organ: 'lung' }, size: { mm: 5, dims: [5] } })],
    terms: [T('size', '5', '5mm')],
    absent: [['size-word', 'large']],
  },
  {
    text: '左肺上叶结节较前增大',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: LUL })],
    terms: [T('type', 'nodule', '结节')],
    absent: [['size-word', 'large']],
  },
  {
    text: '右肺结节较前缩小',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: { side: 'right', organ: 'lung' } })],
    terms: [T('type', 'nodule', '结节')],
    absent: [['size-word', 'small']],
  },
  {
    text: '双肺上叶多发肺大泡',
    lang: 'zh',
    findings: [F({ type: 'emphysema', anatomy: { side: 'bilateral', organ: 'lung', position: ['upper'] }, multiple: true })],
    terms: [T('type', 'emphysema', '肺大泡')],
    absent: [['size-word', 'large']],
  },
  {
    text: '纵隔内未见肿大淋巴结',
    lang: 'zh',
    findings: [F({ negations: ['lymph node'] })],
    terms: [T('negation', 'no', '未见'), T('size-word', 'large', '肿大'), T('type', 'lymph node', '淋巴结')],
  },
];

// ---------------------------------------------------------------- positions from neighbouring structures

const EN_MEDIAL_VERBS = ['abutting', 'adjacent to', 'next to', 'against', 'contacting', 'in contact with', 'bordering'];
const EN_MEDIAL_STRUCTURES = ['mediastinum', 'aorta', 'descending aorta', 'heart', 'pericardium', 'spine'];

const EN_PLACE: Case[] = [
  {
    text: 'large mass abutting the mediastinum, right upper lobe',
    lang: 'en',
    findings: [F({ type: 'mass', anatomy: { ...RUL, position: ['medial'] }, sizeWord: 'large' })],
    terms: [T('size-word', 'large', 'large'), T('position', 'medial', 'abutting the mediastinum'), T('lobe', 'RUL', 'right upper lobe')],
    absent: NOT_MEDIASTINUM,
  },
  {
    text: 'large solid mass in the posterior left lower lobe next to the descending aorta',
    lang: 'en',
    findings: [F({ type: 'mass', anatomy: { ...LLL, position: ['posterior', 'medial'] }, sizeWord: 'large', texture: 'solid' })],
    terms: [T('position', 'posterior', 'posterior'), T('position', 'medial', 'next to the descending aorta')],
    absent: NOT_MEDIASTINUM,
  },
  ...EN_MEDIAL_VERBS.flatMap((verb) => EN_MEDIAL_STRUCTURES.map((structure): Case => ({
    text: `mass ${verb} the ${structure}`,
    lang: 'en',
    findings: [F({ type: 'mass', anatomy: { organ: 'lung', position: ['medial'] } })],
    terms: [T('position', 'medial', `${verb} the ${structure}`)],
    absent: NOT_MEDIASTINUM,
  }))),
  {
    text: 'nodule abutting aorta in the left upper lobe',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: { ...LUL, position: ['medial'] } })],
    terms: [T('position', 'medial', 'abutting aorta')],
  },
  ...['abutting', 'next to', 'bordering'].map((verb): Case => ({
    text: `LUL mass ${verb} the aortic arch`,
    lang: 'en',
    findings: [F({ type: 'mass', anatomy: { ...LUL, level: 'aortic arch', position: ['medial'] } })],
    terms: [T('position', 'medial', `${verb} the aortic arch`)],
  })),
  {
    text: 'paramediastinal mass in the right upper lobe',
    lang: 'en',
    findings: [F({ type: 'mass', anatomy: { ...RUL, position: ['medial'] } })],
    terms: [T('position', 'medial', 'paramediastinal')],
  },
  {
    text: 'juxtamediastinal nodule, left lung',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: { side: 'left', organ: 'lung', position: ['medial'] } })],
    terms: [T('position', 'medial', 'juxtamediastinal')],
  },
  {
    text: 'mediastinal mass',
    lang: 'en',
    findings: [F({ type: 'mass', anatomy: { organ: 'mediastinum' } })],
    terms: [T('organ', 'mediastinum', 'mediastinal')],
  },
  ...['abutting', 'against', 'touching', 'adjacent to'].flatMap((verb) => ['pleura', 'chest wall'].map((structure): Case => ({
    text: `nodule ${verb} the ${structure}`,
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: { organ: 'lung', position: ['subpleural'] } })],
    terms: [T('position', 'subpleural', `${verb} the ${structure}`)],
    absent: NOT_PLEURA,
  }))),
  ...['pleural-based', 'juxtapleural', 'subpleural'].map((word): Case => ({
    text: `${word} nodule in the right lower lobe`,
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: { ...RLL, position: ['subpleural'] } })],
    terms: [T('position', 'subpleural', word)],
    absent: NOT_PLEURA,
  })),
  ...['at', 'near', 'adjacent to', 'abutting'].map((verb): Case => ({
    text: `nodule ${verb} the diaphragm`,
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: { organ: 'lung', position: ['basal'] } })],
    terms: [T('position', 'basal', `${verb} the diaphragm`)],
  })),
  {
    text: 'juxtadiaphragmatic nodule in the right lower lobe',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: { ...RLL, position: ['basal'] } })],
    terms: [T('position', 'basal', 'juxtadiaphragmatic')],
  },
  {
    text: 'nodule on the left hemidiaphragm',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: { side: 'left', organ: 'lung', position: ['basal'] } })],
    terms: [T('side', 'left', 'left'), T('position', 'basal', 'hemidiaphragm')],
  },
  ...[['perihilar mass', 'perihilar'], ['hilar mass', 'hilar'], ['mass near the hilum', 'hilum']].map(([text, surface]): Case => ({
    text, lang: 'en', findings: [F({ type: 'mass', anatomy: { level: 'hilum', organ: 'lung' } })], terms: [T('level', 'hilum', surface)],
  })),
  ...[['apical nodule', 'apical'], ['nodule at the apex', 'apex']].map(([text, surface]): Case => ({
    text, lang: 'en', findings: [F({ type: 'nodule', anatomy: { level: 'apex', organ: 'lung' } })], terms: [T('level', 'apex', surface)],
  })),
  ...[['basal nodule', 'basal'], ['basilar nodule', 'basilar'], ['nodule at the lung base', 'lung base']].map(([text, surface]): Case => ({
    text, lang: 'en', findings: [F({ type: 'nodule', anatomy: { level: 'lung base', organ: 'lung' } })], terms: [T('level', 'lung base', surface)],
  })),
];

const ZH_MEDIAL = ['紧贴纵隔', '贴邻纵隔', '邻近纵隔', '紧贴降主动脉', '邻近主动脉', '贴近心包', '与纵隔分界不清'];

const ZH_PLACE: Case[] = [
  ...ZH_MEDIAL.map((phrase): Case => ({
    text: `右肺下叶肿块${phrase}`,
    lang: 'zh',
    findings: [F({ type: 'mass', anatomy: { ...RLL, position: ['medial'] } })],
    terms: [T('type', 'mass', '肿块'), T('position', 'medial', phrase)],
    absent: NOT_MEDIASTINUM,
  })),
  {
    text: '右肺上叶纵隔旁肿块',
    lang: 'zh',
    findings: [F({ type: 'mass', anatomy: { ...RUL, position: ['medial'] } })],
    terms: [T('position', 'medial', '纵隔旁')],
    absent: NOT_MEDIASTINUM,
  },
  {
    text: '左肺上叶巨大肿块紧贴主动脉弓',
    lang: 'zh',
    findings: [F({ type: 'mass', anatomy: { ...LUL, level: 'aortic arch', position: ['medial'] }, sizeWord: 'large' })],
    terms: [T('size-word', 'large', '巨大'), T('position', 'medial', '紧贴主动脉弓')],
  },
  {
    text: '右肺门及邻近纵隔淋巴结肿大',
    lang: 'zh',
    findings: [F({ type: 'lymph node', anatomy: { side: 'right', level: 'hilum', organ: 'mediastinum', station: '10' }, sizeWord: 'large' })],
    terms: [T('level', 'hilum', '肺门'), T('type', 'lymph node', '邻近纵隔淋巴结'), T('size-word', 'large', '肿大')],
    absent: [['position', 'medial']],
  },
  {
    text: '纵隔肿块',
    lang: 'zh',
    findings: [F({ type: 'mass', anatomy: { organ: 'mediastinum' } })],
    terms: [T('organ', 'mediastinum', '纵隔')],
  },
  ...['紧贴胸膜', '贴近胸壁', '胸膜下'].map((phrase): Case => ({
    text: `右肺下叶结节${phrase}`,
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: { ...RLL, position: ['subpleural'] } })],
    terms: [T('position', 'subpleural', phrase)],
    absent: NOT_PLEURA,
  })),
  {
    text: '右肺上叶结节邻近胸膜凹陷',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: RUL, signs: ['pleural indentation'] })],
    terms: [T('sign', 'pleural indentation', '胸膜凹陷')],
  },
  ...['膈上', '紧贴膈肌'].map((phrase): Case => ({
    text: `右肺下叶${phrase}结节`,
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: { ...RLL, position: ['basal'] } })],
    terms: [T('position', 'basal', phrase)],
  })),
  {
    text: '右侧膈上结节',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: { side: 'right', organ: 'lung', position: ['basal'] } })],
    terms: [T('position', 'basal', '膈上')],
  },
  ...['肺门区', '肺门旁'].map((phrase): Case => ({
    text: `左${phrase}肿块`,
    lang: 'zh',
    findings: [F({ type: 'mass', anatomy: { side: 'left', level: 'hilum', organ: 'lung' } })],
    terms: [T('level', 'hilum', phrase)],
  })),
  {
    text: '右肺尖结节',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: { side: 'right', level: 'apex', organ: 'lung' } })],
    terms: [T('level', 'apex', '肺尖')],
  },
  {
    text: '左肺底结节',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: { side: 'left', level: 'lung base', organ: 'lung' } })],
    terms: [T('level', 'lung base', '肺底')],
  },
];

// ---------------------------------------------------------------- diagnosis words

const EN_DIAGNOSIS: Case[] = [
  ...['carcinoma', 'cancer', 'malignancy', 'neoplasm', 'tumour', 'tumor'].map((word): Case => ({
    text: `${word} in the left lower lobe`,
    lang: 'en',
    findings: [F({ type: 'mass', anatomy: LLL })],
    terms: [T('type', 'mass', word), T('lobe', 'LLL', 'left lower lobe')],
  })),
  {
    text: 'mass, suspicious for carcinoma',
    lang: 'en',
    findings: [F({ type: 'mass', anatomy: LUNG })],
    terms: [T('type', 'mass', 'mass')],
    spans: ['mass, suspicious for carcinoma'],
  },
  {
    text: 'Left perihilar mass, about 5 cm, suspicious for carcinoma',
    lang: 'en',
    findings: [F({ type: 'mass', anatomy: { side: 'left', level: 'hilum', organ: 'lung' }, size: { mm: 50, dims: [50] } })],
    terms: [T('side', 'left', 'Left'), T('level', 'hilum', 'perihilar'), T('type', 'mass', 'mass'), T('size', '50', '5 cm')],
  },
  {
    text: 'spiculated nodule in the RUL suspicious for malignancy',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: RUL, margins: ['spiculated'] })],
    terms: [T('type', 'nodule', 'nodule')],
  },
  {
    text: 'ground-glass nodule, likely adenocarcinoma',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: LUNG, texture: 'ground-glass' })],
    terms: [T('texture', 'ground-glass', 'ground-glass'), T('type', 'nodule', 'nodule')],
  },
  {
    text: 'right lung cancer',
    lang: 'en',
    findings: [F({ type: 'mass', anatomy: { side: 'right', organ: 'lung' } })],
    terms: [T('side', 'right', 'right'), T('organ', 'lung', 'lung'), T('type', 'mass', 'cancer')],
  },
  {
    text: 'RUL mass, LLL carcinoma',
    lang: 'en',
    findings: [F({ type: 'mass', anatomy: RUL }), F({ type: 'mass', anatomy: LLL })],
    terms: [T('type', 'mass', 'mass'), T('type', 'mass', 'carcinoma', 1)],
    spans: ['RUL mass', 'LLL carcinoma'],
  },
  {
    text: 'No evidence of malignancy',
    lang: 'en',
    findings: [F({ negations: ['mass'] })],
    terms: [T('negation', 'no', 'No evidence of'), T('type', 'mass', 'malignancy')],
  },
];

const ZH_DIAGNOSIS: Case[] = [
  {
    text: '右肺中央型肺癌',
    lang: 'zh',
    findings: [F({ type: 'mass', anatomy: { side: 'right', organ: 'lung', position: ['central'] } })],
    terms: [T('side', 'right', '右'), T('position', 'central', '中央型'), T('type', 'mass', '肺癌')],
  },
  ...['肺癌', '癌', '恶性肿瘤', '占位', '肿瘤'].map((word): Case => ({
    text: `左肺下叶${word}`,
    lang: 'zh',
    findings: [F({ type: 'mass', anatomy: LLL })],
    terms: [T('lobe', 'LLL', '左肺下叶'), T('type', 'mass', word)],
  })),
  {
    text: '右肺上叶结节，考虑肺癌',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: RUL })],
    terms: [T('type', 'nodule', '结节')],
    spans: ['右肺上叶结节，考虑肺癌'],
  },
  {
    text: '右肺门区肿块，考虑中央型肺癌',
    lang: 'zh',
    findings: [F({ type: 'mass', anatomy: { side: 'right', level: 'hilum', organ: 'lung', position: ['central'] } })],
    terms: [T('type', 'mass', '肿块'), T('position', 'central', '中央型')],
  },
  {
    text: '右肺下叶占位，左肺上叶结节',
    lang: 'zh',
    findings: [F({ type: 'mass', anatomy: RLL }), F({ type: 'nodule', anatomy: LUL })],
    terms: [T('type', 'mass', '占位'), T('type', 'nodule', '结节', 1)],
    spans: ['右肺下叶占位', '左肺上叶结节'],
  },
  {
    text: '小细胞肺癌',
    lang: 'zh',
    findings: [F({ type: 'mass', anatomy: LUNG })],
    terms: [T('type', 'mass', '小细胞肺癌')],
    absent: [['size-word', 'small']],
  },
  {
    text: '未见恶性肿瘤征象',
    lang: 'zh',
    findings: [F({ negations: ['mass'] })],
    terms: [T('negation', 'no', '未见'), T('type', 'mass', '恶性肿瘤')],
  },
];

describe('parseQuery: size words in English', () => runCases(EN_SIZE));
describe('parseQuery: size words in Chinese', () => runCases(ZH_SIZE));
describe('parseQuery: positions from neighbouring structures in English', () => runCases(EN_PLACE));
describe('parseQuery: positions from neighbouring structures in Chinese', () => runCases(ZH_PLACE));
describe('parseQuery: diagnosis words in English', () => runCases(EN_DIAGNOSIS));
describe('parseQuery: diagnosis words in Chinese', () => runCases(ZH_DIAGNOSIS));

describe('the rerank stage can use what these words give', () => {
  it.each([
    'large mass abutting the mediastinum, right upper lobe',
    'large solid mass in the posterior left lower lobe next to the descending aorta',
    'nodule against the chest wall',
    'nodule at the diaphragm',
    '右肺下叶肿块紧贴降主动脉',
    '右肺下叶结节贴近胸壁',
    '右肺中央型肺癌',
  ])('%s is one rankable lung finding', (text) => {
    const q = parseQuery(text);
    expect(q.findings).toHaveLength(1);
    expect(q.findings[0].anatomy.organ).toBe('lung');
    expect(supportOf(q.findings[0], 0)).toEqual({ rankable: true });
  });
});
