/**
 * Chinese lexicon. Chinese has no spaces, so the matcher takes the longest phrase at each position:
 * "磨玻璃影" (a ground-glass opacity) wins over "磨玻璃" (ground-glass texture), "肺门" over "肺".
 * That also means a one-character word (大, 小, 癌) fires wherever no longer phrase starts at its position, so the
 * words that merely contain it are listed too (大小, 大约, 小叶, 较前增大 as fillers; 小细胞肺癌 as a diagnosis), and
 * a generated "verb + structure" phrase must not end where a longer phrase would have begun ("邻近胸膜凹陷").
 */
import type { LexEntry } from './types';

const LUNG = { kind: 'organ', value: 'lung' } as const;
const side = (value: 'left' | 'right') => ({ kind: 'side', value }) as const;

/** "紧贴纵隔", "与纵隔关系密切": each verb before each structure, and 与 + structure + each relation after it. */
function beside(verbs: readonly string[], structures: readonly string[]): string[] {
  return [
    ...verbs.flatMap((v) => structures.map((s) => v + s)),
    ...structures.flatMap((s) => ['关系密切', '分界不清', '相贴', '相邻', '紧贴'].map((r) => `与${s}${r}`)),
  ];
}
/** Words that put a lesion against a structure. */
const TOUCHING = ['紧贴', '贴邻', '贴近', '毗邻', '邻近', '紧邻', '靠近'];
/**
 * Only these before a structure whose name starts longer phrases ("胸膜凹陷", "心包积液"): "邻近胸膜凹陷" is
 * "nearby pleural indentation", so 邻近 + 胸膜 must stay two words.
 */
const PRESSED = ['紧贴', '贴邻', '贴近'];
const MEDIASTINAL_STRUCTURES = ['纵隔', '纵膈', '纵隔胸膜', '主动脉', '降主动脉', '胸主动脉', '升主动脉', '心脏', '心缘', '脊柱', '椎体', '胸椎', '食管'];

const MEDIASTINUM = { kind: 'organ', value: 'mediastinum' } as const;

/**
 * Lymph node stations: names ("右侧气管旁", "隆突下", "主肺动脉窗", "锁骨上") and codes ("4R区", "第7组", "7区").
 * A code's letter gives the side; stations in the mediastinum imply it; 隆突下 and the AP window keep their level.
 */
function stations(): LexEntry[] {
  const named: Array<[string, string[], LexEntry['implies']]> = [
    ['1', ['锁骨上', '锁骨上窝', '锁骨上区', '颈根部', '胸骨上窝', '下颈部'], []],
    ['2', ['上气管旁', '气管旁上', '高位气管旁'], [MEDIASTINUM]],
    ['2-4', ['气管旁', '气管前', '气管周围', '气管前腔静脉后', '腔静脉后'], [MEDIASTINUM]],
    ['3a', ['血管前'], [MEDIASTINUM]],
    ['3p', ['气管后'], [MEDIASTINUM]],
    ['4', ['下气管旁', '气管支气管旁', '气管支气管', '奇静脉旁', '隆突前'], [MEDIASTINUM]],
    ['5', ['主肺动脉窗', '主-肺动脉窗', '主肺窗', '主动脉弓下', '主动脉下', 'AP窗'], [MEDIASTINUM, { kind: 'level', value: 'aortic arch' }]],
    ['7', ['隆突下', '气管隆突下'], [MEDIASTINUM, { kind: 'level', value: 'carina' }]],
    ['8', ['食管旁'], [MEDIASTINUM]],
    ['9', ['下肺韧带', '肺韧带'], [MEDIASTINUM]],
    ['11', ['叶间'], []],
  ];
  const rows: LexEntry[] = named.map(([value, phrases, implies]) => ({ kind: 'station', value, phrases, ...(implies?.length ? { implies } : {}) }));
  // "主动脉旁" alone stays a medial position for lung lesions; for nodes it is station 6.
  rows.push({ kind: 'type', value: 'lymph node', phrases: ['主动脉旁淋巴结', '主动脉旁淋巴结影'], implies: [{ kind: 'station', value: '6' }, MEDIASTINUM] });
  for (const n of ['1', '2', '3a', '3p', '4', '5', '6', '7', '8', '9', '10', '11']) {
    const codes = (suffix: string): string[] => [`${n}${suffix}区`, `${n}${suffix}组`, `第${n}${suffix}组`, `第${n}${suffix}区`];
    rows.push({ kind: 'station', value: n, phrases: codes('') });
    if (['1', '2', '4', '10', '11'].includes(n)) {
      rows.push({ kind: 'station', value: n, phrases: codes('R'), implies: [side('right')] });
      rows.push({ kind: 'station', value: n, phrases: codes('L'), implies: [side('left')] });
    }
  }
  return rows;
}

export const ZH_LEXICON: LexEntry[] = [
  // ---- finding types ----
  // Not "小结节": that is 小 (small) + 结节.
  { kind: 'type', value: 'nodule', phrases: ['结节', '结节影', '结节灶', '结节状影', '微结节'] },
  { kind: 'type', value: 'mass', phrases: ['肿块', '肿块影', '团块', '团块影', '肿物'] },
  // Diagnoses, not appearances: a mass when nothing else names the finding, and nothing more after "结节，考虑肺癌".
  {
    kind: 'type', value: 'mass', diagnosis: true,
    phrases: ['癌', '恶性肿瘤', '肿瘤', '占位', '占位性病变', '恶性', '恶性病变', '恶性占位', '癌变', '恶变', '腺癌', '鳞癌', '鳞状细胞癌', '新生物'],
  },
  {
    kind: 'type', value: 'mass', diagnosis: true,
    phrases: [
      '肺癌', '肺腺癌', '肺鳞癌', '小细胞癌', '小细胞肺癌', '非小细胞肺癌', '支气管肺癌', '原发性肺癌',
    ],
    implies: [LUNG],
  },
  {
    kind: 'type', value: 'ground-glass opacity',
    phrases: ['磨玻璃影', '磨玻璃密度影', '磨玻璃样影', '磨玻璃阴影', '磨玻璃样密度影', '磨玻璃样改变', '毛玻璃影', '毛玻璃密度影', '毛玻璃样影'],
  },
  {
    kind: 'type', value: 'ground-glass opacity', phrases: ['混合磨玻璃影', '混杂磨玻璃影', '混合磨玻璃密度影', '混合密度磨玻璃影'],
    implies: [{ kind: 'texture', value: 'part-solid' }],
  },
  {
    kind: 'type', value: 'ground-glass opacity', phrases: ['纯磨玻璃影', '纯磨玻璃密度影'],
    implies: [{ kind: 'texture', value: 'ground-glass' }],
  },
  { kind: 'type', value: 'consolidation', phrases: ['实变', '实变影', '实变灶', '肺实变'] },
  { kind: 'type', value: 'cavity', phrases: ['空洞', '空洞影', '空洞形成', '空洞性病变', '空洞性', '空腔'] },
  { kind: 'type', value: 'calcification', phrases: ['钙化', '钙化灶', '钙化影', '钙化点', '钙化性'] },
  { kind: 'type', value: 'pleural effusion', phrases: ['胸腔积液', '胸水', '积液', '胸膜腔积液', '包裹性积液'] },
  { kind: 'type', value: 'pneumothorax', phrases: ['气胸', '液气胸'] },
  { kind: 'type', value: 'emphysema', phrases: ['肺气肿', '气肿', '肺大泡', '肺大疱', '大泡', '大疱'] },
  { kind: 'type', value: 'atelectasis', phrases: ['肺不张', '不张', '膨胀不全', '肺膨胀不全', '盘状肺不张'] },
  { kind: 'type', value: 'bronchiectasis', phrases: ['支气管扩张', '支气管扩张症', '支扩'] },
  { kind: 'type', value: 'lymph node', phrases: ['淋巴结', '淋巴结影'] },
  // "邻近纵隔淋巴结" are nearby mediastinal nodes, not nodes beside the mediastinum (see the medial rows below).
  {
    kind: 'type', value: 'lymph node', phrases: TOUCHING.flatMap((v) => [`${v}纵隔淋巴结`, `${v}纵膈淋巴结`]),
    implies: [{ kind: 'organ', value: 'mediastinum' }],
  },
  {
    kind: 'type', value: 'pleural thickening',
    phrases: ['胸膜增厚', '胸膜肥厚', '胸膜局限性增厚', '胸膜局部增厚', '胸膜增厚粘连', '胸膜肥厚粘连', '胸膜斑'],
  },
  // Named, but not something the chest model judges.
  {
    kind: 'type', value: 'other',
    phrases: ['囊肿', '血管瘤', '骨折', '转移瘤', '腹水', '条索', '条索影', '索条影', '纤维条索', '纤维条索影', '纤维灶', '纤维化', '瘢痕',
      '网格影', '网格状影', '蜂窝影', '蜂窝状影', '蜂窝', '网格', '小叶间隔增厚', '间质增厚', '纹理增多', '肺纹理增多', '癌性淋巴管炎'],
  },
  { kind: 'type', value: 'other', phrases: ['心包积液'], implies: [{ kind: 'organ', value: 'heart' }] },

  // ---- organs ----
  { kind: 'organ', value: 'lung', phrases: ['肺', '肺部', '肺内', '肺野', '肺实质'] },
  { kind: 'organ', value: 'pleura', phrases: ['胸膜', '胸腔', '胸膜腔'] },
  { kind: 'organ', value: 'mediastinum', phrases: ['纵隔', '纵膈', '纵隔内'] },
  { kind: 'organ', value: 'mediastinum', phrases: ['前纵隔', '前上纵隔'], implies: [{ kind: 'position', value: 'anterior' }] },
  { kind: 'organ', value: 'mediastinum', phrases: ['后纵隔'], implies: [{ kind: 'position', value: 'posterior' }] },
  { kind: 'organ', value: 'mediastinum', phrases: ['上纵隔'], implies: [{ kind: 'position', value: 'upper' }] },
  { kind: 'organ', value: 'mediastinum', phrases: ['中纵隔'], implies: [{ kind: 'position', value: 'middle' }] },
  { kind: 'organ', value: 'heart', phrases: ['心脏', '心包'] },
  { kind: 'organ', value: 'airway', phrases: ['气管', '支气管', '小气道', '大气道'] },
  // 主支气管 runs from the carina to its hilum: what lies at it is hilar
  { kind: 'organ', value: 'airway', phrases: ['主支气管'], implies: [{ kind: 'level', value: 'hilum' }] },
  { kind: 'organ', value: 'chest wall', phrases: ['胸壁'] },
  { kind: 'organ', value: 'liver', phrases: ['肝', '肝脏', '肝内'] },
  { kind: 'organ', value: 'kidney', phrases: ['肾', '肾脏'] },
  { kind: 'organ', value: 'adrenal', phrases: ['肾上腺'] },
  { kind: 'organ', value: 'spleen', phrases: ['脾', '脾脏'] },
  { kind: 'organ', value: 'pancreas', phrases: ['胰腺', '胰'] },
  { kind: 'organ', value: 'thyroid', phrases: ['甲状腺'] },
  { kind: 'organ', value: 'breast', phrases: ['乳腺', '乳房'] },
  { kind: 'organ', value: 'bone', phrases: ['骨', '骨质', '肋骨', '椎体', '胸椎', '胸骨'] },

  // ---- side ----
  { kind: 'side', value: 'left', phrases: ['左', '左侧'] },
  { kind: 'side', value: 'right', phrases: ['右', '右侧'] },
  { kind: 'side', value: 'bilateral', phrases: ['双侧', '两侧', '双'] },
  { kind: 'side', value: 'bilateral', phrases: ['双肺', '两肺', '双肺野', '两肺野'], implies: [LUNG] },
  { kind: 'side', value: 'bilateral', phrases: ['双上肺', '两上肺'], implies: [LUNG, { kind: 'position', value: 'upper' }] },
  { kind: 'side', value: 'bilateral', phrases: ['双下肺', '两下肺'], implies: [LUNG, { kind: 'position', value: 'lower' }] },

  // ---- lobes ----
  { kind: 'lobe', value: 'RUL', phrases: ['右肺上叶', '右上叶', '右上肺'], implies: [side('right'), LUNG] },
  { kind: 'lobe', value: 'RML', phrases: ['右肺中叶', '右中叶', '右中肺', '中叶'], implies: [side('right'), LUNG] },
  { kind: 'lobe', value: 'RLL', phrases: ['右肺下叶', '右下叶', '右下肺'], implies: [side('right'), LUNG] },
  { kind: 'lobe', value: 'LUL', phrases: ['左肺上叶', '左上叶', '左上肺'], implies: [side('left'), LUNG] },
  { kind: 'lobe', value: 'lingula', phrases: ['舌叶', '舌段', '左肺舌段', '左肺舌叶'], implies: [side('left'), LUNG] },
  { kind: 'lobe', value: 'LLL', phrases: ['左肺下叶', '左下叶', '左下肺'], implies: [side('left'), LUNG] },
  { kind: 'lobePart', value: 'upper', phrases: ['上叶', '肺上叶', '上肺'] },
  { kind: 'lobePart', value: 'lower', phrases: ['下叶', '肺下叶', '下肺'] },

  // ---- segments ----
  { kind: 'segment', value: 'apical', phrases: ['尖段'] },
  { kind: 'segment', value: 'apicoposterior', phrases: ['尖后段'] },
  { kind: 'segment', value: 'posterior', phrases: ['后段'] },
  { kind: 'segment', value: 'anterior', phrases: ['前段'] },
  { kind: 'segment', value: 'superior', phrases: ['背段', '上段'] },
  { kind: 'segment', value: 'lateral', phrases: ['外侧段', '外段'] },
  { kind: 'segment', value: 'medial', phrases: ['内侧段', '内段'] },
  { kind: 'segment', value: 'superior lingular', phrases: ['上舌段'], implies: [{ kind: 'lobe', value: 'lingula' }] },
  { kind: 'segment', value: 'inferior lingular', phrases: ['下舌段'], implies: [{ kind: 'lobe', value: 'lingula' }] },
  { kind: 'segment', value: 'medial basal', phrases: ['内基底段', '内侧基底段'] },
  { kind: 'segment', value: 'anteromedial basal', phrases: ['内前基底段', '前内基底段'] },
  { kind: 'segment', value: 'anterior basal', phrases: ['前基底段'] },
  { kind: 'segment', value: 'lateral basal', phrases: ['外基底段', '外侧基底段'] },
  { kind: 'segment', value: 'posterior basal', phrases: ['后基底段'] },
  { kind: 'segment', value: 'basal', phrases: ['基底段'] },

  // ---- levels ----
  { kind: 'level', value: 'apex', phrases: ['肺尖', '肺尖部', '尖部'] },
  { kind: 'level', value: 'apex', phrases: ['双肺尖', '两肺尖', '双侧肺尖'], implies: [{ kind: 'side', value: 'bilateral' }, LUNG] },
  { kind: 'level', value: 'hilum', phrases: ['肺门', '肺门区', '肺门旁', '近肺门', '肺门部'] },
  { kind: 'level', value: 'hilum', phrases: ['双肺门', '两肺门', '双侧肺门'], implies: [{ kind: 'side', value: 'bilateral' }] },
  { kind: 'level', value: 'carina', phrases: ['隆突', '气管隆突', '隆突水平'] },
  { kind: 'level', value: 'aortic arch', phrases: ['主动脉弓', '主动脉弓水平', '弓水平'] },

  // ---- lymph node stations (IASLC 2009): names and "4R区" / "第7组" codes ----
  ...stations(),
  { kind: 'level', value: 'lung base', phrases: ['肺底', '肺底部', '肋膈角', '肺基底部'] },
  { kind: 'level', value: 'lung base', phrases: ['双肺底', '两肺底', '双侧肺底'], implies: [{ kind: 'side', value: 'bilateral' }, LUNG] },

  // ---- coarse positions ----
  { kind: 'position', value: 'anterior', phrases: ['前部', '前方', '腹侧', '前缘'] },
  { kind: 'position', value: 'posterior', phrases: ['后部', '后方', '背侧', '后缘'] },
  { kind: 'position', value: 'upper', phrases: ['上部', '上方', '上野', '上肺野'] },
  { kind: 'position', value: 'middle', phrases: ['中部', '中野', '中肺野'] },
  { kind: 'position', value: 'lower', phrases: ['下部', '下方', '下野', '下肺野'] },
  { kind: 'position', value: 'medial', phrases: ['内侧', '内侧部', '纵隔旁', '主动脉旁', '脊柱旁', '椎旁', '心缘旁', '近纵隔', '近纵隔处', '纵隔面', '心影后', '心后'] },
  // Against the mediastinum or what lies in it: a medial lung lesion, not a mediastinal one ("紧贴降主动脉").
  { kind: 'position', value: 'medial', phrases: [...beside(TOUCHING, MEDIASTINAL_STRUCTURES), ...beside(PRESSED, ['心包'])] },
  // "靠近主动脉弓" (near the arch) stays the level alone.
  {
    kind: 'position', value: 'medial', phrases: [...beside(TOUCHING.filter((v) => v !== '靠近'), ['主动脉弓']), '主动脉弓旁'],
    implies: [{ kind: 'level', value: 'aortic arch' }],
  },
  { kind: 'position', value: 'lateral', phrases: ['外侧', '外侧部'] },
  { kind: 'position', value: 'central', phrases: ['中央', '中心', '中央区', '中心区', '中央型'] },
  { kind: 'position', value: 'peripheral', phrases: ['外周', '周边', '外带', '周围型', '外周部'] },
  { kind: 'position', value: 'subpleural', phrases: ['胸膜下', '近胸膜', '胸膜旁', '胸膜下区'] },
  // Against the pleura or the chest wall: a subpleural lung lesion, not a pleural one.
  {
    kind: 'position', value: 'subpleural',
    phrases: [...beside(PRESSED, ['胸膜', '胸膜面', '肋胸膜']), ...beside(TOUCHING, ['胸壁', '侧胸壁', '前胸壁', '后胸壁'])],
  },
  // On the diaphragm: the bottom of the lung (the lesion stays in the lung).
  {
    kind: 'position', value: 'basal',
    phrases: ['膈上', '膈肌', '横膈', '膈面', '膈顶', '近膈肌', '近膈面', ...beside(TOUCHING, ['膈肌', '膈面', '横膈', '膈顶'])],
  },
  // Emphysema patterns.
  { kind: 'position', value: 'centrilobular', phrases: ['小叶中心型', '小叶中央型', '腺泡中心型'] },
  { kind: 'position', value: 'paraseptal', phrases: ['间隔旁', '间隔旁型', '远端腺泡型', '胸膜下型'] },
  { kind: 'position', value: 'panlobular', phrases: ['全小叶', '全小叶型', '全腺泡型'] },
  { kind: 'position', value: 'perifissural', phrases: ['叶间裂', '叶间裂旁', '斜裂', '水平裂', '斜裂旁', '水平裂旁', '叶间胸膜'] },

  // ---- size in words (numbers are read by size.ts) ----
  // 大量 / 中等量 / 少量 are amounts ("少量胸腔积液"). Words that only contain 大 or 小 are listed elsewhere so these do
  // not fire inside them: 大小 (size), 大约 (about), 小叶 (lobule), 缩小 (shrunk), 较前增大 (grown since the last study).
  {
    kind: 'size-word', value: 'large',
    phrases: ['大', '巨大', '较大', '大块', '体积较大', '体积增大', '增大', '肿大', '大量', '大片', '大片状'],
  },
  { kind: 'size-word', value: 'moderate', phrases: ['中等', '中等量', '中量', '中等大小', '中度'] },
  { kind: 'size-word', value: 'small', phrases: ['小', '较小', '细小', '微小', '少量', '小片', '体积较小', '体积小'] },
  // Amounts and degrees: "少许积液", "微量气胸", "轻度肺气肿", "重度肺气肿".
  { kind: 'size-word', value: 'small', phrases: ['少许', '微量', '轻度', '轻微'] },
  { kind: 'size-word', value: 'large', phrases: ['重度', '明显增大', '显著增大'] },

  // ---- texture ----
  { kind: 'texture', value: 'solid', phrases: ['实性', '实质性', '实性密度', '软组织密度', '软组织'] },
  {
    kind: 'texture', value: 'part-solid',
    phrases: ['部分实性', '半实性', '混合性', '混合', '混合密度', '混杂密度', '混合磨玻璃', '混杂磨玻璃', '混合型'],
  },
  { kind: 'texture', value: 'part-solid', component: true, phrases: ['实性成分', '中央实性成分', '中心实性成分'] },
  {
    kind: 'texture', value: 'ground-glass',
    phrases: ['纯磨玻璃', '磨玻璃', '毛玻璃', '磨玻璃样', '磨玻璃密度', '非实性', '纯磨玻璃密度'],
  },
  // 亚实性: part-solid or pure ground glass, anything but solid
  { kind: 'texture', value: 'subsolid', phrases: ['亚实性'] },

  // ---- margins ----
  {
    kind: 'margin', value: 'spiculated',
    phrases: ['毛刺', '短毛刺', '长毛刺', '细毛刺', '毛刺状', '毛刺征', '短毛刺征', '细短毛刺'],
  },
  { kind: 'margin', value: 'lobulated', phrases: ['分叶', '浅分叶', '深分叶', '分叶状', '分叶征', '浅分叶征'] },
  {
    kind: 'margin', value: 'smooth',
    phrases: ['光滑', '边缘光滑', '边缘光整', '光整', '边缘清', '边缘清楚', '边缘清晰', '边界清', '边界清楚', '边界清晰', '清晰', '清楚'],
  },
  {
    kind: 'margin', value: 'ill-defined',
    phrases: ['边界不清', '边缘不清', '边缘模糊', '边界模糊', '模糊', '欠清', '边界欠清', '边缘欠清', '不清', '边界不清楚'],
  },
  { kind: 'margin', value: 'irregular', phrases: ['不规则', '形态不规则', '欠规则', '毛糙', '边缘毛糙'] },

  // ---- signs ----
  {
    kind: 'sign', value: 'air bronchogram',
    phrases: ['空气支气管征', '支气管充气征', '充气支气管征', '含气支气管征', '空气支气管', '支气管气象', '支气管气像'],
  },
  { kind: 'sign', value: 'vacuole', phrases: ['空泡征', '空泡', '小泡征', '空泡样改变', '小空泡'] },
  {
    kind: 'sign', value: 'pleural indentation',
    phrases: ['胸膜凹陷征', '胸膜凹陷', '胸膜牵拉', '胸膜牵拉征', '胸膜尾征', '胸膜牵拉凹陷', '牵拉'],
  },
  { kind: 'sign', value: 'vascular convergence', phrases: ['血管集束征', '血管集束', '血管聚集', '血管聚集征', '血管集中征'] },
  { kind: 'sign', value: 'halo', phrases: ['晕征'] },
  { kind: 'sign', value: 'reversed halo', phrases: ['反晕征', '环礁征'] },
  { kind: 'sign', value: 'tree-in-bud', phrases: ['树芽征', '树芽', '树芽状'] },
  { kind: 'sign', value: 'necrosis', phrases: ['坏死', '坏死性', '中心坏死', '坏死灶', '坏死区', '液化坏死'] },
  { kind: 'sign', value: 'crazy paving', phrases: ['铺路石征', '铺路石', '碎石路征', '碎石路'] },

  // ---- count ----
  { kind: 'count', value: 'multiple', phrases: ['多发', '多个', '多枚', '数个', '多处', '散在', '弥漫', '弥漫性', '若干', '两个', '多发性', '两枚', '两处', '数枚', '多区'] },
  { kind: 'count', value: 'single', phrases: ['单发', '孤立', '孤立性', '单个', '单一'] },

  // ---- negation ('no' denies what follows up to the end of the clause) ----
  { kind: 'negation', value: 'no', phrases: ['未见', '无', '没有', '未', '不伴', '未发现', '未见明显', '无明显', '未见确切', '不伴有'] },

  // ---- connectors: known words that carry no term ----
  { kind: 'connector', value: 'with', phrases: ['伴', '伴有', '合并', '内见', '其内见', '内可见', '含', '伴发'] },
  { kind: 'connector', value: 'and', phrases: ['及', '和', '与', '并', '以及', '、', '或', '并见', '另见'] },
  { kind: 'connector', value: 'stop', phrases: ['但', '但是'] },
  { kind: 'connector', value: 'unsupported', phrases: ['大血管', '小血管'] },
  { kind: 'connector', value: 'prep', phrases: ['于', '位于', '在', '邻近', '紧邻', '紧贴', '贴邻', '贴近', '毗邻', '靠近', '近'] },
  {
    kind: 'connector', value: 'filler',
    phrases: [
      '见', '可见', '示', '显示', '所见', '一', '一个', '一枚', '个', '枚', '处', '约', '大小', '直径', '最大径',
      '长径', '短径', '径', '最大截面', '呈', '为', '状', '样', '影', '灶', '的', '明显', '边缘', '边界', '内',
      '周围', '局部', '局限性', '稍', '较', '增多', '密度', '征', '段', '叶', '区', '部',
      '侧', '缘', '其', '该', '病灶', '病变', '改变', '形成',
      '片状', '斑片状', '斑片', '野', '水平', '新发', '约为', '可疑', '考虑', '部分', '较大者', '大者', '最大者',
      // Words holding 大 or 小 that are not size words (see the size rows).
      '大约', '大致', '大概', '大部分', '大部', '大多', '大于', '小于', '最大', '较小者', '小者', '大叶', '小叶', '小叶中心', '小叶中心性',
      '缩小', '减小', '变小', '扩大', '较前增大', '较前片增大', '较前稍增大', '较前略增大', '较前明显增大', '较前缩小', '较前片缩小',
      '较前减小', '大小不等', '中等密度', '体积', '征象', '型', '明确', '确切', '影像', '结构', '表现', '壁', '内壁', '外壁', '成分', '圆形', '类圆形', '椭圆形', '类圆', '形', '较前', '较前片', '新出现', '变化', '找', '寻找',
      // "5mm左右" is "about 5 mm", not a side; diameters named by axis are not sides or positions either.
      '左右', '上下径', '前后径', '左右径', '大小不一', '查找', '层面', '图像', '胸部', '印象', '诊断', '请', '提示', '符合', '条片状', '密度增高影', '高密度影', '密度增高', '为主',
    ],
  },
];
