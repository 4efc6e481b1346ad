// The fan page's language: the shell's language store over the fan's catalogues.
import { createLanguage } from '../shared/language.js';

export const language = createLanguage({ en: () => import('./i18n/en.json'), 'zh-TW': () => import('./i18n/zh-TW.json') });
