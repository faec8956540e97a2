/**
 * The chest findings besides nodules and masses (issue 14), in English and Chinese: effusion and
 * pneumothorax with their amount words, consolidation with air bronchograms, a cavity or vacuoles inside a
 * nodule or mass (including the adjectival 空洞性), pleural thickening, atelectasis and emphysema patterns.
 * Lymph node stations and the amount words themselves: parse-stations.test.ts.
 */
import { F, T, runCases, type Case } from './support';

const PLEURA = { organ: 'pleura' } as const;

const CASES: Case[] = [
  {
    text: 'moderate right pleural effusion',
    lang: 'en',
    findings: [F({ type: 'pleural effusion', anatomy: { side: 'right', ...PLEURA }, sizeWord: 'moderate' })],
    terms: [T('size-word', 'moderate', 'moderate'), T('side', 'right', 'right'), T('type', 'pleural effusion', 'pleural effusion')],
  },
  {
    text: 'large left pleural effusion',
    lang: 'en',
    findings: [F({ type: 'pleural effusion', anatomy: { side: 'left', ...PLEURA }, sizeWord: 'large' })],
    terms: [T('size-word', 'large', 'large'), T('type', 'pleural effusion', 'pleural effusion')],
  },
  {
    text: 'small left pneumothorax',
    lang: 'en',
    findings: [F({ type: 'pneumothorax', anatomy: { side: 'left', ...PLEURA }, sizeWord: 'small' })],
    terms: [T('size-word', 'small', 'small'), T('type', 'pneumothorax', 'pneumothorax')],
  },
  {
    text: '左侧中等量气胸',
    lang: 'zh',
    findings: [F({ type: 'pneumothorax', anatomy: { side: 'left', ...PLEURA }, sizeWord: 'moderate' })],
    terms: [T('side', 'left', '左侧'), T('size-word', 'moderate', '中等量'), T('type', 'pneumothorax', '气胸')],
  },
  {
    text: 'consolidation in the right lower lobe with air bronchograms',
    lang: 'en',
    findings: [F({ type: 'consolidation', anatomy: { lobe: 'RLL', side: 'right', organ: 'lung' }, signs: ['air bronchogram'] })],
    terms: [T('type', 'consolidation', 'consolidation'), T('lobe', 'RLL', 'right lower lobe'), T('sign', 'air bronchogram', 'air bronchograms')],
  },
  {
    text: '右肺下叶实变伴空气支气管征',
    lang: 'zh',
    findings: [F({ type: 'consolidation', anatomy: { lobe: 'RLL', side: 'right', organ: 'lung' }, signs: ['air bronchogram'] })],
    terms: [T('lobe', 'RLL', '右肺下叶'), T('type', 'consolidation', '实变'), T('sign', 'air bronchogram', '空气支气管征')],
  },
  {
    text: 'cavitary nodule in the left upper lobe',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: { lobe: 'LUL', side: 'left', organ: 'lung' }, features: ['cavity'] })],
    terms: [T('type', 'cavity', 'cavitary'), T('type', 'nodule', 'nodule')],
  },
  {
    // 空洞性 is an adjective: one nodule with a cavity, not a cavity and a nodule
    text: '右肺上叶空洞性结节',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: { lobe: 'RUL', side: 'right', organ: 'lung' }, features: ['cavity'] })],
    terms: [T('type', 'cavity', '空洞性'), T('type', 'nodule', '结节')],
  },
  {
    text: '空洞性肿块',
    lang: 'zh',
    findings: [F({ type: 'mass', anatomy: { organ: 'lung' }, features: ['cavity'] })],
    terms: [T('type', 'cavity', '空洞性'), T('type', 'mass', '肿块')],
  },
  {
    text: '左肺上叶结节伴空洞',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: { lobe: 'LUL', side: 'left', organ: 'lung' }, features: ['cavity'] })],
    terms: [T('type', 'cavity', '空洞')],
  },
  {
    text: 'nodule with vacuole sign',
    lang: 'en',
    findings: [F({ type: 'nodule', anatomy: { organ: 'lung' }, signs: ['vacuole'] })],
    terms: [T('sign', 'vacuole', 'vacuole sign')],
  },
  {
    text: '右肺上叶结节伴空泡征',
    lang: 'zh',
    findings: [F({ type: 'nodule', anatomy: { lobe: 'RUL', side: 'right', organ: 'lung' }, signs: ['vacuole'] })],
    terms: [T('sign', 'vacuole', '空泡征')],
  },
  {
    text: 'left pleural thickening',
    lang: 'en',
    findings: [F({ type: 'pleural thickening', anatomy: { side: 'left', ...PLEURA } })],
    terms: [T('type', 'pleural thickening', 'pleural thickening')],
  },
  {
    text: '左侧胸膜增厚',
    lang: 'zh',
    findings: [F({ type: 'pleural thickening', anatomy: { side: 'left', ...PLEURA } })],
    terms: [T('type', 'pleural thickening', '胸膜增厚')],
  },
  {
    text: 'atelectasis of the right lower lobe',
    lang: 'en',
    findings: [F({ type: 'atelectasis', anatomy: { lobe: 'RLL', side: 'right', organ: 'lung' } })],
    terms: [T('type', 'atelectasis', 'atelectasis'), T('lobe', 'RLL', 'right lower lobe')],
  },
  {
    text: '右肺下叶肺不张',
    lang: 'zh',
    findings: [F({ type: 'atelectasis', anatomy: { lobe: 'RLL', side: 'right', organ: 'lung' } })],
    terms: [T('type', 'atelectasis', '肺不张')],
  },
  {
    text: 'centrilobular emphysema in both upper lobes',
    lang: 'en',
    findings: [F({ type: 'emphysema', anatomy: { side: 'bilateral', organ: 'lung', position: ['centrilobular', 'upper'] } })],
    terms: [T('position', 'centrilobular', 'centrilobular'), T('side', 'bilateral', 'both')],
  },
  {
    text: 'panlobular emphysema',
    lang: 'en',
    findings: [F({ type: 'emphysema', anatomy: { organ: 'lung', position: ['panlobular'] } })],
    terms: [T('position', 'panlobular', 'panlobular')],
  },
  {
    text: '全小叶型肺气肿',
    lang: 'zh',
    findings: [F({ type: 'emphysema', anatomy: { organ: 'lung', position: ['panlobular'] } })],
    terms: [T('position', 'panlobular', '全小叶型'), T('type', 'emphysema', '肺气肿')],
  },
];

describe('parseQuery: chest findings besides nodules and masses', () => {
  runCases(CASES);
});
