// The console's shared context: the locale's strings (I18n) and a way to switch them.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { loadI18n } from '../shared/i18n.js';

const loaders = {
  en: () => import('./i18n/en.json'),
  'zh-TW': () => import('./i18n/zh-TW.json'),
};

/** Loads a locale's catalogue and marks the document with its language. */
export async function loadCatalogue(locale) {
  const i18n = await loadI18n(loaders, locale);
  document.documentElement.lang = i18n.locale;
  return i18n;
}

export const I18nContext = createContext(null);

/** The current I18n (strings, numbers, money, times). */
export function useI18n() {
  return useContext(I18nContext);
}
