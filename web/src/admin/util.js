// Small hooks the views share.
import { useEffect, useRef } from 'preact/hooks';
import { useI18n } from '../shared/language.js';

/** Sets the document title to "<title> — Floodgate admin". */
export function useTitle(title) {
  const i18n = useI18n();
  useEffect(() => {
    document.title = `${title} — ${i18n.t('app.name')}`;
  }, [title, i18n]);
}

/** Calls `fn` every `ms` while mounted (the latest `fn`, without restarting the timer). */
export function useInterval(fn, ms) {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    if (ms == null) return undefined;
    const id = setInterval(() => saved.current(), ms);
    return () => clearInterval(id);
  }, [ms]);
}

/** Parses `<input type="datetime-local">` (local wall time) into Unix ms, or NaN. */
export function parseLocalDateTime(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value || '');
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return new Date(y, mo - 1, d, h, mi, s || 0).getTime();
}

/** Formats Unix ms as a `datetime-local` value in local time. */
export function toLocalDateTime(ms) {
  const d = new Date(ms);
  const two = (v) => String(v).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
}
