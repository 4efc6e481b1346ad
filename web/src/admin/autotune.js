// Autotune: the sale's admission rate follows the checkout. The switch, the range the
// rate may move in, the targets (checkout p99 latency and error rate), the figures
// autotune judges by, and its recent changes with their reasons (from the audit log).
// A rate set by hand in the admission controls switches autotune off; this panel
// says so, and switching it on again here is the way back.
import { html } from 'htm/preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { adminApi } from './api.js';
import { useI18n } from '../shared/language.js';
import { LIMITS, parseWhole } from './validate.js';
import { useInterval } from './util.js';

const REFRESH_MS = 5000;
const P99_RANGE = [10, 60_000];
/** The error-rate target in percent (the API's fraction × 100). */
const ERROR_PCT_RANGE = [0.01, 50];

/** A percentage with up to two decimals ("1", "0.5", "2.25"), or undefined. */
export function parsePercent(text, min, max) {
  const s = String(text ?? '').trim();
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return undefined;
  const n = Number(s);
  return n >= min && n <= max ? n : undefined;
}

export function AutotunePanel({ eventId, refreshKey, onChanged, onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const [view, setView] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [draft, setDraft] = useState({});
  const [errors, setErrors] = useState({});
  const [status, setStatus] = useState(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const next = await adminApi.autotune(eventId);
      // A saved "on" or "off" says nothing once the switch moved since (a rate set by
      // hand switched it off): the panel's own words take over.
      setView((prev) => {
        if (prev && prev.settings.enabled !== next.settings.enabled) setStatus(null);
        return next;
      });
      setLoadError(null);
    } catch (e) {
      if (!onAuthError(e)) setLoadError(e);
    }
  }, [eventId, onAuthError]);
  useEffect(() => {
    load();
  }, [load, refreshKey]);
  useInterval(load, REFRESH_MS);

  if (!view) {
    return loadError
      ? html`<p class="error-text">${t('tune.load_failed', { message: loadError.message })}</p>`
      : html`<p>${t('app.loading')}</p>`;
  }
  const s = view.settings;
  const fieldValue = (key) => {
    if (draft[key] !== undefined) return draft[key];
    if (key === 'error_pct') return String(Math.round(s.error_rate_target * 10000) / 100);
    return String(s[key]);
  };
  const enabled = draft.enabled ?? s.enabled;
  const edit = (key) => (e) => {
    const v = e.currentTarget.value;
    setDraft((d) => ({ ...d, [key]: v }));
    if (errors[key]) setErrors((er) => ({ ...er, [key]: undefined }));
  };

  const fields = [
    { key: 'min_rate_per_minute', id: 'tune-min', label: 'tune.min', range: LIMITS.ratePerMinute, parse: parseWhole },
    { key: 'max_rate_per_minute', id: 'tune-max', label: 'tune.max', range: LIMITS.ratePerMinute, parse: parseWhole },
    { key: 'p99_target_ms', id: 'tune-p99', label: 'tune.p99_target', range: P99_RANGE, parse: parseWhole },
    { key: 'error_pct', id: 'tune-errors', label: 'tune.error_target', range: ERROR_PCT_RANGE, parse: parsePercent },
  ];

  const save = async (e) => {
    e.preventDefault();
    const found = {};
    const values = {};
    for (const f of fields) {
      const n = f.parse(fieldValue(f.key), f.range[0], f.range[1]);
      if (n === undefined) found[f.key] = t('validate.range', { field: t(f.label), min: f.range[0], max: f.range[1] });
      values[f.key] = n;
    }
    if (!found.min_rate_per_minute && !found.max_rate_per_minute && values.min_rate_per_minute > values.max_rate_per_minute) {
      found.min_rate_per_minute = t('tune.min_above_max');
    }
    setErrors(found);
    const firstBad = fields.find((f) => found[f.key]);
    if (firstBad) {
      setStatus({ ok: false, text: t('ctl.invalid') });
      document.getElementById(firstBad.id)?.focus();
      return;
    }
    setBusy(true);
    try {
      const next = await adminApi.putAutotune(eventId, {
        enabled,
        min_rate_per_minute: values.min_rate_per_minute,
        max_rate_per_minute: values.max_rate_per_minute,
        p99_target_ms: values.p99_target_ms,
        error_rate_target: Math.round(values.error_pct * 100) / 10000,
      });
      setView(next);
      setDraft({});
      setStatus({ ok: true, text: next.settings.enabled ? t('tune.saved_on') : t('tune.saved_off') });
      onChanged?.();
    } catch (err) {
      if (!onAuthError(err)) setStatus({ ok: false, text: t('ctl.failed', { code: err.code, message: err.message }) });
    } finally {
      setBusy(false);
    }
  };

  const last = view.changes[0];
  const offByHand = !s.enabled && last?.kind === 'switched_off';
  const f = view.figures;
  const pct = (x) => i18n.t('tune.percent', { value: i18n.number(Math.round(x * 10000) / 100) });
  const describedBy = (fl, hint) => [hint, errors[fl.key] && `${fl.id}-error`].filter(Boolean).join(' ') || undefined;

  return html`<div class="autotune stack">
    <p class=${s.enabled ? 'pill ok' : 'pill'}>${s.enabled ? t('tune.state_on') : t('tune.state_off')}</p>
    ${offByHand &&
    html`<p class="banner-msg warn">${t('tune.off_by_hand', { who: last.actor_email ?? t('audit.unknown_actor'), when: i18n.dateTime(Date.parse(last.at)) })}</p>`}
    <p class="tune-figures">
      ${f.requests >= f.min_requests && f.p99_ms !== null
        ? t('tune.figures', { window: i18n.duration(Math.round(f.window_ms / 1000)), requests: i18n.number(f.requests), p99: i18n.number(f.p99_ms), errors: pct(f.error_rate) })
        : t('tune.no_traffic', { window: i18n.duration(Math.round(f.window_ms / 1000)), requests: i18n.number(f.requests), min: f.min_requests })}
    </p>
    <form class="stack" onSubmit=${save} noValidate aria-labelledby="autotune-title">
      <div class="field check-field">
        <input type="checkbox" id="tune-enabled" checked=${enabled}
          onChange=${(e) => setDraft((d) => ({ ...d, enabled: e.currentTarget.checked }))}
          aria-describedby="tune-enabled-hint" />
        <label for="tune-enabled">${t('tune.enabled')}</label>
        <p id="tune-enabled-hint" class="hint">${t('tune.enabled_hint')}</p>
      </div>
      <div class="field-grid">
        ${fields.map(
          (fl) => html`<div class="field">
            <label for=${fl.id}>${t(fl.label)}</label>
            <input type="number" id=${fl.id} min=${fl.range[0]} max=${fl.range[1]} step=${fl.key === 'error_pct' ? '0.01' : '1'} required
              value=${fieldValue(fl.key)} onInput=${edit(fl.key)}
              aria-invalid=${errors[fl.key] ? 'true' : undefined}
              aria-describedby=${describedBy(fl, `${fl.id}-hint`)} />
            <p id=${`${fl.id}-hint`} class="hint">${t(`${fl.label}_hint`)}</p>
            ${errors[fl.key] && html`<p id=${`${fl.id}-error`} class="field-error">${errors[fl.key]}</p>`}
          </div>`,
        )}
      </div>
      <div class="actions">
        <button type="submit" class="button" disabled=${busy}>${t('tune.save')}</button>
      </div>
    </form>
    <p role="status" class=${status ? (status.ok ? 'status ok' : 'status error') : 'status'}>${status?.text}</p>
    <h3 id="tune-changes-title">${t('tune.changes')}</h3>
    ${view.changes.length === 0
      ? html`<p>${t('tune.no_changes')}</p>`
      : html`<ol class="audit-list tune-changes" aria-labelledby="tune-changes-title">
          ${view.changes.map((c) => html`<li class="audit-entry">
            <p class="audit-head">${changeText(i18n, c, pct)}</p>
            <p class="audit-time"><time datetime=${c.at}>${i18n.dateTime(Date.parse(c.at))}</time></p>
          </li>`)}
        </ol>`}
  </div>`;
}

/** One change of autotune's history, in words. */
export function changeText(i18n, c, pct) {
  const t = (k, p) => i18n.t(k, p);
  const who = c.actor_email ?? t('audit.unknown_actor');
  if (c.kind === 'switched_off') return t('tune.change_switched_off', { who });
  if (c.kind === 'setting') return t(c.setting?.enabled ? 'tune.change_setting_on' : 'tune.change_setting_off', { who });
  const d = c.detail ?? {};
  const rates = { from: i18n.number(c.from_rate ?? 0), to: i18n.number(c.to_rate ?? 0) };
  switch (d.why) {
    case 'p99_over':
      return t('tune.why_p99_over', { ...rates, p99: i18n.number(d.p99_ms ?? 0), target: i18n.number(d.p99_target_ms ?? 0) });
    case 'errors_over':
      return t('tune.why_errors_over', { ...rates, errors: pct(d.error_rate ?? 0), target: pct(d.error_rate_target ?? 0) });
    case 'under_targets':
      return t('tune.why_under', { ...rates, p99: i18n.number(d.p99_ms ?? 0), errors: pct(d.error_rate ?? 0) });
    case 'out_of_range':
      return t('tune.why_out_of_range', rates);
    default:
      return c.reason ?? t('tune.why_other', rates);
  }
}
