/** Language of a description: 'zh' when CJK characters dominate (one counts as much as two Latin letters), else 'en'. */
import type { Lang } from './finding';
import { isCjk } from './normalize';

export function detectLang(text: string): Lang {
  let cjk = 0;
  let latin = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (isCjk(c)) cjk++;
    else if (/[A-Za-z]/.test(c)) latin++;
  }
  return cjk > 0 && cjk * 2 >= latin ? 'zh' : 'en';
}
