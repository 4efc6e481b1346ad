// The fan's language: catalogues loaded on demand, the choice remembered and put on
// <html lang> so screen readers pronounce the page right.
import { loadI18n, rememberLocale } from '../shared/i18n.js';
import { store } from './store.js';

const loaders = { en: () => import('./i18n/en.json'), 'zh-TW': () => import('./i18n/zh-TW.json') };

/** Loads `locale`'s catalogue and shows the page in it. */
export async function applyLocale(locale) {
  const i18n = await loadI18n(loaders, locale);
  document.documentElement.lang = i18n.locale;
  store.set({ i18n });
  return i18n;
}

/** The fan picked a language: switch and remember it. */
export async function setLocale(locale) {
  rememberLocale(locale);
  await applyLocale(locale);
}
