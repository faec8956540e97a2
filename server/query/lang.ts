/** Language of a description: 'zh' when CJK characters dominate (one counts as much as two Latin letters), else 'en'. */
import type { Lang } from './finding';
import { isCjk } from './normalize';

export function detectLang(text: string): Lang {
  let cjk = 0;
  let latin = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i) | 0x20; // ASCII letters fold to lower case
    if (code >= 0x61 && code <= 0x7a) latin++;
    else if (isCjk(text[i])) cjk++;
  }
  return cjk > 0 && cjk * 2 >= latin ? 'zh' : 'en';
}
