// Strings from per-locale JSON catalogues, numbers, money, times and durations
// through Intl. A message is a string with {name} placeholders, or an object of
// plural forms ({"one": "…", "other": "…"}) chosen by Intl.PluralRules on {count}.

export const LOCALES = ['en', 'zh-TW'];
const STORAGE_KEY = 'floodgate.locale';

/** The locale to start with: the remembered choice, else the browser's languages. */
export function preferredLocale() {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (LOCALES.includes(stored)) return stored;
  } catch {
    /* storage blocked: fall through */
  }
  for (const lang of navigator.languages || [navigator.language || 'en']) {
    const l = lang.toLowerCase();
    if (l === 'zh-tw' || l === 'zh-hant' || l.startsWith('zh-hant') || l === 'zh-hk') return 'zh-TW';
    if (l.startsWith('en')) return 'en';
  }
  return 'en';
}

/** Remembers the choice for the next visit. */
export function rememberLocale(locale) {
  try {
    localStorage.setItem(STORAGE_KEY, locale);
  } catch {
    /* storage blocked: the choice lasts for this page only */
  }
}

export class I18n {
  /**
   * @param {string} locale one of LOCALES
   * @param {Record<string, string | Record<string, string>>} messages the catalogue
   * @param {Record<string, string | Record<string, string>>} [fallback] English, for missing keys
   */
  constructor(locale, messages, fallback = {}) {
    this.locale = locale;
    this.messages = messages;
    this.fallback = fallback;
    this.plural = new Intl.PluralRules(locale);
    this.ordinalRules = new Intl.PluralRules(locale, { type: 'ordinal' });
    this.numberFormat = new Intl.NumberFormat(locale);
    this.percentFormat = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 });
    this.timeFormat = new Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit', second: '2-digit' });
    this.dateTimeFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
  }

  /** The message `key` with `params` filled in; the key itself if missing. */
  t(key, params = {}) {
    let message = this.messages[key] ?? this.fallback[key] ?? key;
    if (typeof message === 'object') {
      const form = this.plural.select(Number(params.count ?? 0));
      message = message[form] ?? message.other ?? key;
    }
    return message.replace(/\{(\w+)\}/g, (whole, name) => {
      const v = params[name];
      if (v === undefined || v === null) return whole;
      return typeof v === 'number' ? this.number(v) : String(v);
    });
  }

  number(n) {
    return this.numberFormat.format(n);
  }

  /** `n` as a place in a line ("37th", "第 37 位"): the catalogue's `ordinal` forms,
   *  chosen by the locale's ordinal plural rules; the plain number without them. */
  ordinal(n) {
    const forms = this.messages.ordinal ?? this.fallback.ordinal;
    if (!forms || typeof forms !== 'object') return this.number(n);
    const form = forms[this.ordinalRules.select(n)] ?? forms.other;
    return form.replace('{n}', this.number(n));
  }

  percent(fraction) {
    return this.percentFormat.format(fraction);
  }

  /** Prices are in cents of US dollars; `whole` drops the cents (large totals). */
  money(cents, { currency = 'USD', whole = false } = {}) {
    const digits = whole ? { minimumFractionDigits: 0, maximumFractionDigits: 0 } : {};
    return new Intl.NumberFormat(this.locale, { style: 'currency', currency, ...digits }).format(cents / 100);
  }

  time(ms) {
    return this.timeFormat.format(new Date(ms));
  }

  dateTime(ms) {
    return this.dateTimeFormat.format(new Date(ms));
  }

  /**
   * A duration in words: "2 hr 5 min", "45 sec" (Intl unit formatting), coarse
   * units first; `parts` limits how many units are shown.
   */
  duration(totalSecs, parts = 2) {
    const secs = Math.max(0, Math.round(totalSecs));
    const units = [
      ['day', Math.floor(secs / 86400)],
      ['hour', Math.floor((secs % 86400) / 3600)],
      ['minute', Math.floor((secs % 3600) / 60)],
      ['second', secs % 60],
    ];
    const shown = units.filter(([, v]) => v > 0).slice(0, parts);
    if (shown.length === 0) shown.push(['second', 0]);
    return shown
      .map(([unit, v]) => new Intl.NumberFormat(this.locale, { style: 'unit', unit, unitDisplay: 'short' }).format(v))
      .join(' ');
  }

  /** A countdown clock: "1:02:03" or "02:03". */
  clock(totalSecs) {
    const secs = Math.max(0, Math.floor(totalSecs));
    const h = Math.floor(secs / 3600);
    const m = Math.floor((secs % 3600) / 60);
    const s = secs % 60;
    const two = (v) => String(v).padStart(2, '0');
    return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
  }
}

/**
 * Loads a locale's catalogue.
 * @param {Record<string, () => Promise<{default: object}>>} loaders a dynamic import per locale
 * @param {string} locale
 */
export async function loadI18n(loaders, locale) {
  const fallback = (await loaders.en()).default;
  if (locale === 'en' || !loaders[locale]) return new I18n('en', fallback);
  const messages = (await loaders[locale]()).default;
  return new I18n(locale, messages, fallback);
}
