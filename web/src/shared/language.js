// The language of either app: its catalogues loaded on demand, the choice remembered
// and put on <html lang> (so screen readers pronounce the page right), and the current
// `I18n` handed to components through a context (`useI18n`).
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import { loadI18n, preferredLocale, rememberLocale } from './i18n.js';
import { createStore } from './store.js';

export const I18nContext = createContext(null);

/** The current I18n (strings, numbers, money, times). */
export function useI18n() {
  return useContext(I18nContext);
}

/**
 * A language store over `loaders` (a dynamic import per locale): `{i18n}`, null until
 * `start` has loaded the preferred locale; `choose` switches and remembers.
 * @param {Record<string, () => Promise<{default: object}>>} loaders
 */
export function createLanguage(loaders) {
  const store = createStore({ i18n: null });
  const apply = async (locale) => {
    const i18n = await loadI18n(loaders, locale);
    document.documentElement.lang = i18n.locale;
    store.set({ i18n });
    return i18n;
  };
  return {
    store,
    start: () => apply(preferredLocale()),
    async choose(locale) {
      rememberLocale(locale);
      await apply(locale);
    },
  };
}
