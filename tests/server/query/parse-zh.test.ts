/** Chinese descriptions → findings: full structure per phrase, plus the spans of key terms. */
import { F, T, runCases, type Case } from './support';

const RUL = { lobe: 'RUL', side: 'right', organ: 'lung' } as const;
const RML = { lobe: 'RML', side: 'right', organ: 'lung' } as const;
const RLL = { lobe: 'RLL', side: 'right', organ: 'lung' } as const;
const LUL = { lobe: 'LUL', side: 'left', organ: 'lung' } as const;
const LLL = { lobe: 'LLL', side: 'left', organ: 'lung' } as const;
const LEFT_LUNG = { side: 'left', organ: 'lung' } as const;

/** The four examples the issue quotes from real reports. */
const ISSUE: Case[] = [
  {
    text: '右肺上叶磨玻璃影伴空泡征',
    lang: 'zh',
    findings: [F({ type: 'ground-glass opacity', anatomy: RUL, signs: ['vacuole'] })],
    terms: [T('lobe', 'RUL', '右肺上叶'), T('type', 'ground-glass opacity', '磨玻璃影'), T('sign', 'vacuole', '空泡征')],
  },
  {
    text: '左肺下叶背段实性结节，直径8mm，边缘见浅分叶及短毛刺',
    lang: 'zh',
    findings: [
      F({
        type: 'nodule', anatomy: { ...LLL, segment: 'superior' }, size: { mm: 8, dims: [8] }, texture: 'solid',
        margins: ['lobulated', 'spiculated'],
      }),
    ],
    terms: [
      T('lobe', 'LLL', '左肺下叶'), T('segment', 'superior', '背段'), T('texture', 'solid', '实性'), T('type', 'nodule', '结节'),
      T('size', '8', '8mm'), T('margin', 'lobulated', '浅分叶'), T('margin', 'spiculated', '短毛刺'),
    ],
  },
  {
    text: '右肺中叶外侧段见一混合磨玻璃结节，大小约12×9mm，内见空气支气管征，周围见血管集束征',
    lang: 'zh',
    findings: [
      F({
        type: 'nodule', anatomy: { ...RML, segment: 'lateral' }, size: { mm: 12, dims: [12, 9] }, texture: 'part-solid',
        signs: ['air bronchogram', 'vascular convergence'],
      }),
    ],
    terms: [
      T('lobe', 'RML', '右肺中叶'), T('segment', 'lateral', '外侧段'), T('texture', 'part-solid', '混合磨玻璃'), T('type', 'nodule', '结节'),
      T('size', '12', '12×9mm'), T('sign', 'air bronchogram', '空气支气管征'), T('sign', 'vascular convergence', '血管集束征'),
    ],
  },
  {
    text: '双肺多发结节，纵隔淋巴结肿大，胸膜增厚',
    lang: 'zh',
    findings: [
      F({ type: 'nodule', anatomy: { side: 'bilateral', organ: 'lung' }, multiple: true }),
      F({ type: 'lymph node', anatomy: { organ: 'mediastinum' }, sizeWord: 'large' }),
      F({ type: 'pleural thickening', anatomy: { organ: 'pleura' } }),
    ],
    terms: [
      T('side', 'bilateral', '双肺'), T('count', 'multiple', '多发'), T('type', 'nodule', '结节'),
      T('organ', 'mediastinum', '纵隔', 1), T('type', 'lymph node', '淋巴结', 1), T('size-word', 'large', '肿大', 1),
      T('type', 'pleural thickening', '胸膜增厚', 2),
    ],
    spans: ['双肺多发结节', '纵隔淋巴结肿大', '胸膜增厚'],
  },
];

/** The Chinese phrasings in ../shared/data/lidc-idri-0001/queries.json. */
const LIDC: Case[] = [
  {
    text: '左肺实性结节伴毛刺',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: LEFT_LUNG, texture: 'solid', margins: ['spiculated'] })],
    terms: [T('side', 'left', '左'), T('organ', 'lung', '肺'), T('margin', 'spiculated', '毛刺')],
  },
  {
    text: '左肺见一实性结节，大小约28mm，边缘见毛刺',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: LEFT_LUNG, size: { mm: 28, dims: [28] }, texture: 'solid', margins: ['spiculated'] })],
    terms: [T('size', '28', '28mm'), T('texture', 'solid', '实性')],
  },
  {
    text: '左肺后部肿块，直径约3cm，边缘毛刺状',
    lang: 'zh',
    findings: [
      F({ type: 'mass', anatomy: { ...LEFT_LUNG, position: ['posterior'] }, size: { mm: 30, dims: [30] }, margins: ['spiculated'] }),
    ],
    terms: [T('position', 'posterior', '后部'), T('type', 'mass', '肿块'), T('size', '30', '3cm'), T('margin', 'spiculated', '毛刺状')],
  },
  {
    text: '左肺结节，分叶状，伴短毛刺',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: LEFT_LUNG, margins: ['lobulated', 'spiculated'] })],
    terms: [T('margin', 'lobulated', '分叶状'), T('margin', 'spiculated', '短毛刺')],
  },
  {
    text: '右侧大量胸腔积液',
    lang: 'zh',
    findings: [F({ type: 'pleural effusion', anatomy: { side: 'right', organ: 'pleura' }, sizeWord: 'large' })],
    terms: [T('side', 'right', '右侧'), T('size-word', 'large', '大量'), T('type', 'pleural effusion', '胸腔积液')],
  },
];

const MORE: Case[] = [
  {
    text: '右肺上叶尖段纯磨玻璃结节，直径约6mm，边界清',
    lang: 'zh',
    findings: [
      F({ type: 'nodule', anatomy: { ...RUL, segment: 'apical' }, size: { mm: 6, dims: [6] }, texture: 'ground-glass', margins: ['smooth'] }),
    ],
    terms: [T('segment', 'apical', '尖段'), T('texture', 'ground-glass', '纯磨玻璃'), T('margin', 'smooth', '边界清')],
  },
  {
    text: '左肺上叶舌段实变影伴支气管充气征',
    lang: 'zh',
    findings: [F({ type: 'consolidation', anatomy: { lobe: 'lingula', side: 'left', organ: 'lung' }, signs: ['air bronchogram'] })],
    terms: [T('lobe', 'lingula', '舌段'), T('type', 'consolidation', '实变影'), T('sign', 'air bronchogram', '支气管充气征')],
  },
  {
    text: '右肺下叶后基底段部分实性结节，大小约15×12mm，可见胸膜凹陷征',
    lang: 'zh',
    findings: [
      F({
        type: 'nodule', anatomy: { ...RLL, segment: 'posterior basal' }, size: { mm: 15, dims: [15, 12] }, texture: 'part-solid',
        signs: ['pleural indentation'],
      }),
    ],
    terms: [T('segment', 'posterior basal', '后基底段'), T('texture', 'part-solid', '部分实性'), T('sign', 'pleural indentation', '胸膜凹陷征')],
  },
  {
    text: '左肺下叶肿块伴阻塞性肺不张',
    lang: 'zh',
    findings: [F({ type: 'mass', anatomy: LLL, features: ['atelectasis'] })],
    terms: [T('type', 'mass', '肿块'), T('type', 'atelectasis', '肺不张')],
    unknown: ['阻塞性'],
  },
  {
    text: '右肺中叶支气管扩张',
    lang: 'zh',
    findings: [F({ type: 'bronchiectasis', anatomy: RML })],
    terms: [T('type', 'bronchiectasis', '支气管扩张')],
  },
  {
    text: '双肺弥漫磨玻璃影，呈铺路石征',
    lang: 'zh',
    findings: [F({ type: 'ground-glass opacity', anatomy: { side: 'bilateral', organ: 'lung' }, signs: ['crazy paving'], multiple: true })],
    terms: [T('count', 'multiple', '弥漫'), T('sign', 'crazy paving', '铺路石征')],
  },
  {
    text: '右肺上叶结节，未见钙化',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: RUL, negations: ['calcification'] })],
    terms: [T('negation', 'no', '未见'), T('type', 'calcification', '钙化')],
  },
  {
    text: '左侧少量气胸',
    lang: 'zh',
    findings: [F({ type: 'pneumothorax', anatomy: { side: 'left', organ: 'pleura' }, sizeWord: 'small' })],
    terms: [T('size-word', 'small', '少量'), T('type', 'pneumothorax', '气胸')],
  },
  {
    text: '右肺下叶背段见树芽征',
    lang: 'zh',
    findings: [F({ anatomy: { ...RLL, segment: 'superior' }, signs: ['tree-in-bud'] })],
    terms: [T('sign', 'tree-in-bud', '树芽征')],
  },
  {
    text: '左肺上叶尖后段结节伴晕征',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: { ...LUL, segment: 'apicoposterior' }, signs: ['halo'] })],
    terms: [T('segment', 'apicoposterior', '尖后段'), T('sign', 'halo', '晕征')],
  },
  {
    text: '右肺下叶反晕征',
    lang: 'zh',
    findings: [F({ anatomy: RLL, signs: ['reversed halo'] })],
    terms: [T('sign', 'reversed halo', '反晕征')],
  },
  {
    text: '双肺上叶多发肺大泡',
    lang: 'zh',
    findings: [F({ type: 'emphysema', anatomy: { side: 'bilateral', organ: 'lung', position: ['upper'] }, multiple: true })],
    terms: [T('position', 'upper', '上叶'), T('type', 'emphysema', '肺大泡')],
  },
  {
    text: '气管隆突下淋巴结肿大，短径约12mm',
    lang: 'zh',
    findings: [F({ type: 'lymph node', anatomy: { station: '7', level: 'carina', organ: 'mediastinum' }, size: { mm: 12, dims: [12] }, sizeWord: 'large' })],
    terms: [T('station', '7', '气管隆突下'), T('size-word', 'large', '肿大'), T('size', '12', '12mm')],
  },
  {
    text: '右肺门区肿块，大小约4.5cm×3.2cm',
    lang: 'zh',
    findings: [F({ type: 'mass', anatomy: { side: 'right', level: 'hilum', organ: 'lung' }, size: { mm: 45, dims: [45, 32] } })],
    terms: [T('level', 'hilum', '肺门区'), T('size', '45', '4.5cm×3.2cm')],
  },
  {
    text: '左肺下叶钙化灶',
    lang: 'zh',
    findings: [F({ type: 'calcification', anatomy: LLL })],
    terms: [T('type', 'calcification', '钙化灶')],
  },
  {
    text: '两肺多发结节，边缘光滑',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: { side: 'bilateral', organ: 'lung' }, margins: ['smooth'], multiple: true })],
    terms: [T('side', 'bilateral', '两肺'), T('margin', 'smooth', '边缘光滑')],
  },
  {
    text: '右肺上叶结节及左肺下叶肿块',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: RUL }), F({ type: 'mass', anatomy: LLL })],
    terms: [T('lobe', 'LLL', '左肺下叶', 1), T('type', 'mass', '肿块', 1)],
    spans: ['右肺上叶结节', '左肺下叶肿块'],
  },
  {
    text: '右肺上叶结节左肺下叶肿块',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: RUL }), F({ type: 'mass', anatomy: LLL })],
    terms: [T('lobe', 'RUL', '右肺上叶'), T('lobe', 'LLL', '左肺下叶', 1)],
    spans: ['右肺上叶结节', '左肺下叶肿块'],
  },
  {
    text: '无胸腔积液',
    lang: 'zh',
    findings: [F({ negations: ['pleural effusion'] })],
    terms: [T('negation', 'no', '无'), T('type', 'pleural effusion', '胸腔积液')],
  },
  {
    text: '肝脏多发囊肿',
    lang: 'zh',
    findings: [F({ type: 'other', anatomy: { organ: 'liver' }, multiple: true })],
    terms: [T('organ', 'liver', '肝脏'), T('type', 'other', '囊肿')],
  },
  {
    text: '右肺中叶外侧段见一磨玻璃结节，边界不清',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: { ...RML, segment: 'lateral' }, texture: 'ground-glass', margins: ['ill-defined'] })],
    terms: [T('texture', 'ground-glass', '磨玻璃'), T('margin', 'ill-defined', '边界不清')],
  },
  {
    text: '左肺上叶空洞性病变，内壁不规则',
    lang: 'zh',
    findings: [F({ type: 'cavity', anatomy: LUL, margins: ['irregular'] })],
    terms: [T('type', 'cavity', '空洞性病变'), T('margin', 'irregular', '不规则')],
  },
  {
    text: '左肺下叶实变，其内见空气支气管征，未见空洞',
    lang: 'zh',
    findings: [F({ type: 'consolidation', anatomy: LLL, signs: ['air bronchogram'], negations: ['cavity'] })],
    terms: [T('type', 'consolidation', '实变'), T('type', 'cavity', '空洞')],
  },
  {
    text: '右上肺8mm实性结节',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: RUL, size: { mm: 8, dims: [8] }, texture: 'solid' })],
    terms: [T('lobe', 'RUL', '右上肺'), T('size', '8', '8mm')],
  },
  {
    text: '右肺下叶胸膜下见一枚结节，约5毫米',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: { ...RLL, position: ['subpleural'] }, size: { mm: 5, dims: [5] } })],
    terms: [T('position', 'subpleural', '胸膜下'), T('size', '5', '5毫米')],
  },
  {
    text: '双肺散在多发微小结节，部分钙化；纵隔及双肺门多发淋巴结肿大',
    lang: 'zh',
    findings: [
      F({ type: 'nodule', anatomy: { side: 'bilateral', organ: 'lung' }, sizeWord: 'small', multiple: true, features: ['calcification'] }),
      F({ type: 'lymph node', anatomy: { organ: 'mediastinum', level: 'hilum', side: 'bilateral', station: '10' }, sizeWord: 'large', multiple: true }),
    ],
    terms: [
      T('size-word', 'small', '微小'), T('type', 'calcification', '钙化'), T('organ', 'mediastinum', '纵隔', 1),
      T('level', 'hilum', '双肺门', 1), T('size-word', 'large', '肿大', 1),
    ],
    spans: ['双肺散在多发微小结节，部分钙化', '纵隔及双肺门多发淋巴结肿大'],
  },
  {
    text: '右肺下叶基底段支气管扩张。右肺门未见明确肿块影。',
    lang: 'zh',
    findings: [F({ type: 'bronchiectasis', anatomy: { ...RLL, segment: 'basal' }, negations: ['mass'] })],
    terms: [T('type', 'bronchiectasis', '支气管扩张'), T('type', 'mass', '肿块影')],
  },
  {
    text: '右肺上叶尖段及左肺下叶背段实性结节，直径约5mm',
    lang: 'zh',
    findings: [
      F({ type: 'nodule', anatomy: { ...RUL, segment: 'apical' }, size: { mm: 5, dims: [5] }, texture: 'solid' }),
      F({ type: 'nodule', anatomy: { ...LLL, segment: 'superior' }, size: { mm: 5, dims: [5] }, texture: 'solid' }),
    ],
    terms: [T('segment', 'apical', '尖段'), T('segment', 'superior', '背段', 1), T('type', 'nodule', '结节', 1)],
  },
  {
    text: '右主支气管旁肿块',
    lang: 'zh',
    findings: [F({ type: 'mass', anatomy: { organ: 'airway', side: 'right', level: 'hilum' } })],
    terms: [T('organ', 'airway', '主支气管'), T('type', 'mass', '肿块')],
    unknown: ['旁'],
  },
  {
    text: '右肺上叶前段部分实性结节，实性成分约4mm',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: { ...RUL, segment: 'anterior' }, texture: 'part-solid' })],
    terms: [T('texture', 'part-solid', '部分实性'), T('texture', 'part-solid', '实性成分约4mm')],
  },
  {
    text: '右肺上叶近纵隔处结节',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: { ...RUL, position: ['medial'] } })],
    terms: [T('position', 'medial', '近纵隔处'), T('type', 'nodule', '结节')],
  },
  {
    text: '左肺上叶近主动脉弓旁结节',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: { lobe: 'LUL', side: 'left', organ: 'lung', position: ['medial'], level: 'aortic arch' } })],
    terms: [T('position', 'medial', '主动脉弓旁'), T('type', 'nodule', '结节')],
  },
  {
    text: '右肺上叶亚实性结节',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: RUL, texture: 'subsolid' })],
    terms: [T('texture', 'subsolid', '亚实性'), T('type', 'nodule', '结节')],
  },
  {
    text: '纵隔内未见肿大淋巴结',
    lang: 'zh',
    findings: [F({ negations: ['lymph node'] })],
    terms: [T('negation', 'no', '未见'), T('type', 'lymph node', '淋巴结')],
  },
  {
    text: '右肺上叶前段见一大小约2.1cm×1.8cm软组织密度肿块，边缘可见分叶及毛刺，邻近胸膜凹陷',
    lang: 'zh',
    findings: [
      F({
        type: 'mass', anatomy: { ...RUL, segment: 'anterior' }, size: { mm: 21, dims: [21, 18] }, texture: 'solid',
        margins: ['lobulated', 'spiculated'], signs: ['pleural indentation'],
      }),
    ],
    terms: [T('size', '21', '2.1cm×1.8cm'), T('texture', 'solid', '软组织密度'), T('sign', 'pleural indentation', '胸膜凹陷')],
  },
  {
    text: '左肺上叶类圆形磨玻璃结节，大小约8×6mm，其内可见实性成分，较前增大',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: LUL, size: { mm: 8, dims: [8, 6] }, texture: 'part-solid' })],
    terms: [T('texture', 'ground-glass', '磨玻璃'), T('texture', 'part-solid', '实性成分'), T('size', '8', '8×6mm')],
  },
  {
    text: '胸部CT示右肺上叶结节，考虑肉芽肿',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: RUL })],
    terms: [T('lobe', 'RUL', '右肺上叶'), T('type', 'nodule', '结节')],
    unknown: ['肉芽肿'],
  },
  {
    text: '前纵隔肿块，右侧胸腔少量积液',
    lang: 'zh',
    findings: [
      F({ type: 'mass', anatomy: { organ: 'mediastinum', position: ['anterior'] } }),
      F({ type: 'pleural effusion', anatomy: { side: 'right', organ: 'pleura' }, sizeWord: 'small' }),
    ],
    terms: [
      T('organ', 'mediastinum', '前纵隔'), T('organ', 'pleura', '胸腔', 1), T('size-word', 'small', '少量', 1),
      T('type', 'pleural effusion', '积液', 1),
    ],
    spans: ['前纵隔肿块', '右侧胸腔少量积液'],
  },
  {
    text: '两下肺少许纤维灶，左侧叶间裂结节',
    lang: 'zh',
    findings: [
      F({ type: 'other', anatomy: { side: 'bilateral', organ: 'lung', position: ['lower'] }, sizeWord: 'small' }),
      F({ type: 'nodule', anatomy: { side: 'left', organ: 'lung', position: ['perifissural'] } }),
    ],
    terms: [T('side', 'bilateral', '两下肺'), T('type', 'other', '纤维灶'), T('position', 'perifissural', '叶间裂', 1)],
  },
  {
    text: '右肺中叶结节，大小5mm左右，上下径约4mm',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: RML, size: { mm: 5, dims: [5] } })],
    terms: [T('lobe', 'RML', '右肺中叶'), T('size', '5', '5mm')],
  },
  {
    text: '1、右肺上叶结节；2、左肺下叶肿块；③双肺多发钙化灶',
    lang: 'zh',
    findings: [
      F({ type: 'nodule', anatomy: RUL }),
      F({ type: 'mass', anatomy: LLL }),
      F({ type: 'calcification', anatomy: { side: 'bilateral', organ: 'lung' }, multiple: true }),
    ],
    terms: [T('type', 'nodule', '结节'), T('type', 'mass', '肿块', 1), T('type', 'calcification', '钙化灶', 2)],
    spans: ['右肺上叶结节', '左肺下叶肿块', '双肺多发钙化灶'],
  },
];

/** Signs the model does not assess are still read, so the response can say so. */
const UNASSESSED: Case[] = [
  {
    text: '左肺下叶坏死性肿块',
    lang: 'zh',
    findings: [F({ type: 'mass', anatomy: LLL, signs: ['necrosis'] })],
    terms: [T('lobe', 'LLL', '左肺下叶'), T('sign', 'necrosis', '坏死性'), T('type', 'mass', '肿块')],
  },
  {
    text: '右肺上叶肿块伴中心坏死',
    lang: 'zh',
    findings: [F({ type: 'mass', anatomy: RUL, signs: ['necrosis'] })],
    terms: [T('type', 'mass', '肿块'), T('sign', 'necrosis', '中心坏死')],
  },
];

/** Mixed-language text: both tables apply at once. */
const MIXED: Case[] = [
  {
    text: '右肺下叶背段(S6)结节，S10见条索',
    lang: 'zh',
    findings: [
      F({ type: 'nodule', anatomy: { ...RLL, segment: 'superior' } }),
      F({ type: 'other', anatomy: { segment: 'posterior basal', organ: 'lung' } }),
    ],
    terms: [T('segment', 'superior', '背段'), T('segment', 'superior', 'S6'), T('segment', 'posterior basal', 'S10', 1)],
    spans: ['右肺下叶背段(S6)结节', 'S10见条索'],
  },
  {
    text: 'RUL 磨玻璃结节 8mm',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: RUL, size: { mm: 8, dims: [8] }, texture: 'ground-glass' })],
    terms: [T('lobe', 'RUL', 'RUL'), T('texture', 'ground-glass', '磨玻璃'), T('size', '8', '8mm')],
  },
  {
    text: 'spiculated nodule, 左肺下叶',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: LLL, margins: ['spiculated'] })],
    terms: [T('lobe', 'LLL', '左肺下叶')],
  },
];

describe('parseQuery: the issue examples in Chinese', () => runCases(ISSUE));
describe('parseQuery: the LIDC sample queries in Chinese', () => runCases(LIDC));
describe('parseQuery: more Chinese phrasings', () => runCases(MORE));
describe('parseQuery: mixed English and Chinese', () => runCases(MIXED));
describe('parseQuery: signs not assessed', () => runCases(UNASSESSED));
