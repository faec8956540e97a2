/**
 * Lymph node stations (IASLC names and codes), amounts and degrees, and emphysema patterns, in English and
 * Chinese: the queries in full, then every station word and code.
 */
import { parseQuery } from '../../../server/query/parse';
import { F, T, runCases, type Case } from './support';

const MED = { organ: 'mediastinum' } as const;

const QUERIES: Case[] = [
  {
    text: 'enlarged right paratracheal lymph node',
    lang: 'en',
    findings: [F({ type: 'lymph node', anatomy: { side: 'right', station: '2-4', ...MED }, sizeWord: 'large' })],
    terms: [T('size-word', 'large', 'enlarged'), T('side', 'right', 'right'), T('station', '2-4', 'paratracheal'), T('type', 'lymph node', 'lymph node')],
  },
  {
    text: 'subcarinal lymphadenopathy',
    lang: 'en',
    // lymphadenopathy is enlarged nodes, as 淋巴结肿大 says (implied: no word of its own says large)
    findings: [F({ type: 'lymph node', anatomy: { station: '7', level: 'carina', ...MED }, sizeWord: 'large' })],
    terms: [T('station', '7', 'subcarinal'), T('type', 'lymph node', 'lymphadenopathy')],
  },
  {
    text: '右侧气管旁淋巴结肿大',
    lang: 'zh',
    findings: [F({ type: 'lymph node', anatomy: { side: 'right', station: '2-4', ...MED }, sizeWord: 'large' })],
    terms: [T('side', 'right', '右侧'), T('station', '2-4', '气管旁'), T('type', 'lymph node', '淋巴结'), T('size-word', 'large', '肿大')],
  },
  {
    text: 'precarinal lymph node',
    lang: 'en',
    findings: [F({ type: 'lymph node', anatomy: { station: '4', ...MED } })],
    terms: [T('station', '4', 'precarinal'), T('type', 'lymph node', 'lymph node')],
  },
  {
    text: '隆突前淋巴结肿大',
    lang: 'zh',
    findings: [F({ type: 'lymph node', anatomy: { station: '4', ...MED }, sizeWord: 'large' })],
    terms: [T('station', '4', '隆突前'), T('type', 'lymph node', '淋巴结'), T('size-word', 'large', '肿大')],
  },
  {
    text: '纵隔淋巴结肿大',
    lang: 'zh',
    findings: [F({ type: 'lymph node', anatomy: { ...MED }, sizeWord: 'large' })],
    terms: [T('organ', 'mediastinum', '纵隔'), T('type', 'lymph node', '淋巴结'), T('size-word', 'large', '肿大')],
  },
  {
    text: '左锁骨上淋巴结',
    lang: 'zh',
    findings: [F({ type: 'lymph node', anatomy: { side: 'left', station: '1' } })],
    terms: [T('side', 'left', '左'), T('station', '1', '锁骨上'), T('type', 'lymph node', '淋巴结')],
  },
  {
    text: 'left supraclavicular lymph node',
    lang: 'en',
    findings: [F({ type: 'lymph node', anatomy: { side: 'left', station: '1' } })],
    terms: [T('station', '1', 'supraclavicular')],
  },
  {
    text: 'mediastinal lymphadenopathy',
    lang: 'en',
    findings: [F({ type: 'lymph node', anatomy: { ...MED }, sizeWord: 'large' })],
    terms: [T('organ', 'mediastinum', 'mediastinal'), T('type', 'lymph node', 'lymphadenopathy')],
  },
  {
    text: '隆突下淋巴结肿大',
    lang: 'zh',
    findings: [F({ type: 'lymph node', anatomy: { station: '7', level: 'carina', ...MED }, sizeWord: 'large' })],
    terms: [T('station', '7', '隆突下')],
  },
  {
    text: '主肺动脉窗淋巴结',
    lang: 'zh',
    findings: [F({ type: 'lymph node', anatomy: { station: '5', level: 'aortic arch', ...MED } })],
    terms: [T('station', '5', '主肺动脉窗')],
  },
  {
    text: 'enlarged node in the aortopulmonary window',
    lang: 'en',
    findings: [F({ type: 'lymph node', anatomy: { station: '5', level: 'aortic arch', ...MED }, sizeWord: 'large' })],
    terms: [T('station', '5', 'aortopulmonary window')],
  },
  {
    text: '右肺门淋巴结增大',
    lang: 'zh',
    findings: [F({ type: 'lymph node', anatomy: { side: 'right', level: 'hilum', station: '10' }, sizeWord: 'large' })],
    terms: [T('level', 'hilum', '肺门')],
  },
  {
    text: '4R区淋巴结肿大，短径约12mm',
    lang: 'zh',
    findings: [F({ type: 'lymph node', anatomy: { station: '4', side: 'right' }, sizeWord: 'large', size: { mm: 12, dims: [12] } })],
    terms: [T('station', '4', '4R区'), T('size', '12', '12mm')],
  },
  {
    text: 'station 10L node, 14 mm short axis',
    lang: 'en',
    findings: [F({ type: 'lymph node', anatomy: { station: '10', side: 'left' }, size: { mm: 14, dims: [14] } })],
    terms: [T('station', '10', 'station 10L')],
  },
  {
    text: '第7组淋巴结',
    lang: 'zh',
    findings: [F({ type: 'lymph node', anatomy: { station: '7' } })],
    terms: [T('station', '7', '第7组')],
  },
  {
    text: '主动脉旁淋巴结肿大',
    lang: 'zh',
    findings: [F({ type: 'lymph node', anatomy: { station: '6', ...MED }, sizeWord: 'large' })],
    terms: [T('type', 'lymph node', '主动脉旁淋巴结')],
  },
  // amounts and degrees
  {
    text: '右侧少量胸腔积液',
    lang: 'zh',
    findings: [F({ type: 'pleural effusion', anatomy: { side: 'right', organ: 'pleura' }, sizeWord: 'small' })],
    terms: [T('size-word', 'small', '少量')],
  },
  {
    text: '左侧中等量胸腔积液',
    lang: 'zh',
    findings: [F({ type: 'pleural effusion', anatomy: { side: 'left', organ: 'pleura' }, sizeWord: 'moderate' })],
    terms: [T('size-word', 'moderate', '中等量')],
  },
  {
    text: '右侧大量胸腔积液',
    lang: 'zh',
    findings: [F({ type: 'pleural effusion', anatomy: { side: 'right', organ: 'pleura' }, sizeWord: 'large' })],
    terms: [T('size-word', 'large', '大量')],
  },
  {
    text: 'trace left pleural effusion',
    lang: 'en',
    findings: [F({ type: 'pleural effusion', anatomy: { side: 'left', organ: 'pleura' }, sizeWord: 'small' })],
    terms: [T('size-word', 'small', 'trace')],
  },
  {
    text: 'a small amount of right pleural fluid',
    lang: 'en',
    findings: [F({ type: 'pleural effusion', anatomy: { side: 'right', organ: 'pleura' }, sizeWord: 'small' })],
    terms: [T('size-word', 'small', 'small amount of')],
  },
  {
    text: 'large left pneumothorax',
    lang: 'en',
    findings: [F({ type: 'pneumothorax', anatomy: { side: 'left', organ: 'pleura' }, sizeWord: 'large' })],
    terms: [T('size-word', 'large', 'large')],
  },
  {
    text: '右侧少许气胸',
    lang: 'zh',
    findings: [F({ type: 'pneumothorax', anatomy: { side: 'right', organ: 'pleura' }, sizeWord: 'small' })],
    terms: [T('size-word', 'small', '少许')],
  },
  {
    text: 'severe emphysema',
    lang: 'en',
    findings: [F({ type: 'emphysema', anatomy: { organ: 'lung' }, sizeWord: 'large' })],
    terms: [T('size-word', 'large', 'severe')],
  },
  {
    text: '双肺轻度肺气肿',
    lang: 'zh',
    findings: [F({ type: 'emphysema', anatomy: { side: 'bilateral', organ: 'lung' }, sizeWord: 'small' })],
    terms: [T('size-word', 'small', '轻度')],
  },
  // emphysema patterns
  {
    text: 'paraseptal emphysema in the left upper lobe',
    lang: 'en',
    findings: [F({ type: 'emphysema', anatomy: { side: 'left', lobe: 'LUL', organ: 'lung', position: ['paraseptal'] } })],
    terms: [T('position', 'paraseptal', 'paraseptal')],
  },
  {
    text: '右肺上叶小叶中心型肺气肿',
    lang: 'zh',
    findings: [F({ type: 'emphysema', anatomy: { side: 'right', lobe: 'RUL', organ: 'lung', position: ['centrilobular'] } })],
    terms: [T('position', 'centrilobular', '小叶中心型')],
  },
  {
    text: '双肺间隔旁型肺气肿',
    lang: 'zh',
    findings: [F({ type: 'emphysema', anatomy: { side: 'bilateral', organ: 'lung', position: ['paraseptal'] } })],
    terms: [T('position', 'paraseptal', '间隔旁型')],
  },
];

/** Every station word and code, with the station (and side) it names. */
const STATION_WORDS: Array<[string, 'en' | 'zh', string, 'right' | 'left' | null]> = [
  ['supraclavicular', 'en', '1', null], ['low cervical', 'en', '1', null], ['sternal notch', 'en', '1', null],
  ['upper paratracheal', 'en', '2', null], ['high paratracheal', 'en', '2', null], ['paratracheal', 'en', '2-4', null], ['pretracheal', 'en', '2-4', null],
  ['prevascular', 'en', '3a', null], ['retrotracheal', 'en', '3p', null],
  ['lower paratracheal', 'en', '4', null], ['tracheobronchial', 'en', '4', null],
  ['subaortic', 'en', '5', null], ['aortopulmonary window', 'en', '5', null], ['AP window', 'en', '5', null],
  ['para-aortic', 'en', '6', null], ['paraaortic', 'en', '6', null], ['subcarinal', 'en', '7', null], ['paraesophageal', 'en', '8', null], ['paraoesophageal', 'en', '8', null],
  ['pulmonary ligament', 'en', '9', null], ['interlobar', 'en', '11', null],
  ['station 2R', 'en', '2', 'right'], ['station 2L', 'en', '2', 'left'], ['station 4R', 'en', '4', 'right'], ['4L', 'en', '4', 'left'],
  ['station 7', 'en', '7', null], ['level 7', 'en', '7', null], ['station 10R', 'en', '10', 'right'], ['10L', 'en', '10', 'left'], ['station 5', 'en', '5', null],
  ['锁骨上', 'zh', '1', null], ['锁骨上窝', 'zh', '1', null], ['上气管旁', 'zh', '2', null], ['气管旁', 'zh', '2-4', null], ['气管前', 'zh', '2-4', null], ['血管前', 'zh', '3a', null],
  ['气管后', 'zh', '3p', null], ['下气管旁', 'zh', '4', null], ['主肺动脉窗', 'zh', '5', null], ['主动脉弓下', 'zh', '5', null], ['隆突下', 'zh', '7', null],
  ['食管旁', 'zh', '8', null], ['下肺韧带', 'zh', '9', null], ['4R区', 'zh', '4', 'right'], ['4L组', 'zh', '4', 'left'], ['第2R组', 'zh', '2', 'right'],
  ['7区', 'zh', '7', null], ['10R区', 'zh', '10', 'right'], ['第10L组', 'zh', '10', 'left'], ['5组', 'zh', '5', null],
];

describe('parseQuery: lymph node stations, amounts and emphysema patterns', () => {
  runCases(QUERIES);

  it.each(STATION_WORDS)('%s (%s) names station %s', (word, lang, station, side) => {
    const text = lang === 'en' ? `${word} lymph node` : `${word}淋巴结`;
    const q = parseQuery(text);
    expect(q.lang).toBe(lang);
    expect(q.findings).toHaveLength(1);
    const f = q.findings[0];
    expect(f.type).toBe('lymph node');
    expect(f.anatomy.station).toBe(station);
    if (side) expect(f.anatomy.side).toBe(side);
    const term = f.terms.find((t) => t.kind === 'station' && !t.implied);
    expect(term && text.slice(term.span.start, term.span.end).toLowerCase()).toBe(word.toLowerCase());
    expect(q.unknown).toEqual([]);
  });

  it('reads "lymphadenopathy" as enlarged nodes, as the Chinese says it, unless a word sizes them otherwise', () => {
    const finding = (text: string) => {
      const { type, anatomy, sizeWord } = parseQuery(text).findings[0];
      return { type, anatomy, sizeWord };
    };
    expect(finding('subcarinal lymphadenopathy')).toEqual(finding('隆突下淋巴结肿大'));
    expect(finding('mediastinal lymphadenopathy')).toEqual(finding('纵隔淋巴结肿大'));
    expect(finding('small mediastinal adenopathy').sizeWord).toBe('small');
    expect(finding('subcarinal lymph node').sizeWord).toBeUndefined();
  });

  it('keeps the level the AP window and the subcarinal space name for lung lesions', () => {
    expect(parseQuery('nodule near the aortopulmonary window').findings[0].anatomy.level).toBe('aortic arch');
    expect(parseQuery('隆突下肿块').findings[0].anatomy.level).toBe('carina');
  });
});
