/**
 * Which UI language the panel speaks: the viewer's own (OHIF's i18next picks it from ?lng=, the
 * i18nextLng localStorage entry, the i18next cookie, then the browser), reduced to 'en' or 'zh'.
 */
export type UiLang = 'en' | 'zh';

/** The browser state the detection reads; a parameter so tests can give their own. */
export interface LanguageEnv {
  i18nextLanguage?: string;
  search?: string;
  localStorageLng?: string | null;
  cookie?: string;
  navigatorLanguage?: string;
}

export function toUiLang(tag: string | undefined | null): UiLang | undefined {
  if (!tag) return undefined;
  const t = tag.trim().toLowerCase();
  if (t === '') return undefined;
  return t === 'zh' || t.startsWith('zh-') || t.startsWith('zh_') ? 'zh' : 'en';
}

/** Same precedence as OHIF's i18next detection; an explicit configuration value wins. */
export function detectLanguage(env: LanguageEnv, configured?: string): UiLang {
  const fromQuery = env.search ? new URLSearchParams(env.search).get('lng') : null;
  const fromCookie = env.cookie?.match(/(?:^|;\s*)i18next=([^;]*)/)?.[1];
  const candidates = [
    configured,
    env.i18nextLanguage,
    fromQuery,
    env.localStorageLng,
    fromCookie ? decodeURIComponent(fromCookie) : undefined,
    env.navigatorLanguage,
  ];
  for (const c of candidates) {
    const lang = toUiLang(c);
    if (lang) return lang;
  }
  return 'en';
}

/** Reads the running browser; each source may be missing or throw (storage disabled). */
export function browserLanguageEnv(): LanguageEnv {
  const w = typeof window === 'undefined' ? undefined : (window as unknown as { i18next?: { language?: string } });
  let stored: string | null = null;
  try {
    stored = w ? window.localStorage.getItem('i18nextLng') : null;
  } catch {
    stored = null;
  }
  return {
    i18nextLanguage: w?.i18next?.language,
    search: w ? window.location.search : undefined,
    localStorageLng: stored,
    cookie: typeof document === 'undefined' ? undefined : document.cookie,
    navigatorLanguage: typeof navigator === 'undefined' ? undefined : navigator.language,
  };
}
