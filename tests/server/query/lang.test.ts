/** Language: 'zh' when CJK characters dominate (one counts as two Latin letters), else 'en'. */
import { detectLang } from '../../../server/query/lang';

describe('detectLang', () => {
  it.each([
    ['8 mm spiculated nodule', 'en'],
    ['右肺上叶磨玻璃影', 'zh'],
    ['RUL结节', 'zh'],
    ['RUL 磨玻璃结节 8mm', 'zh'],
    ['spiculated nodule, 左肺下叶', 'en'],
    ['nodule 结节', 'en'],
    ['8 mm', 'en'],
    ['１２ｍｍ 结节', 'zh'],
  ])('%s → %s', (text, lang) => {
    expect(detectLang(text)).toBe(lang);
  });
});
