/**
 * Descriptions of lesions the development scans do not have, by set (scripts/eval-absent.ts asks them and
 * counts the confident answers; scripts/calibrate.ts fits the score on the masses and ground-glass nodules
 * among its negatives). Every development scan's masses and nodules are left-sided, and none has a
 * ground-glass lesion annotated (../shared/data/README.md).
 */
export const ABSENT: Record<string, string[]> = {
  'right-sided masses': [
    '50 mm mass in the right lower lung', 'mass in the right lower lobe', 'large right upper lobe mass', 'right middle lobe mass',
    'right hilar mass', '右肺上叶肿块', '右肺下叶肿块', '右肺门肿块',
  ],
  'ground-glass nodules': [
    'ground-glass nodule in the right upper lobe', 'ground-glass nodule in the right lower lobe', 'ground-glass nodule in the left upper lobe',
    'ground-glass nodule in the left lower lobe', '6 mm ground-glass nodule in the right upper lung', '8 mm ground-glass nodule in the left lower lung',
    'pure ground-glass nodule', '右肺上叶磨玻璃结节', '右肺下叶磨玻璃结节', '左肺上叶磨玻璃结节', '左肺下叶磨玻璃结节', '磨玻璃结节',
  ],
  'enlarged mediastinal nodes': [
    'subcarinal lymphadenopathy', 'enlarged right lower paratracheal lymph node', 'enlarged lymph node in the aortopulmonary window',
    'mediastinal lymphadenopathy', '隆突下淋巴结肿大', '右下气管旁淋巴结肿大', '纵隔淋巴结肿大',
  ],
  // at a hilum the heart's own contour (the pulmonary arteries and veins) is of a node's size and, without contrast, density
  'enlarged hilar nodes': ['enlarged right hilar lymph node', 'enlarged left hilar lymph node', 'hilar lymphadenopathy', '右肺门淋巴结肿大', '左肺门淋巴结肿大'],
};

/** Sets asked only of scans whose ground truth has no lesion of this kind. */
export const ONLY_WITHOUT: Record<string, string> = { 'enlarged mediastinal nodes': 'lymph node', 'enlarged hilar nodes': 'lymph node' };
