// Live admission controls: rate (slider and number, in sync), the active-shopper cap
// and the session TTL, applied together with one PATCH of what changed; and
// pause/resume behind a confirmation dialog.
import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { adminApi } from './api.js';
import { useI18n } from '../shared/language.js';
import { LIMITS, parseWhole } from './validate.js';

// The slider is logarithmic: rates span 1 to 6,000,000 a minute, and a step is a
// ratio (about 7%), which is how staff think about turning the flow up or down.
const SLIDER_STEPS = 240;
const LOG_MAX = Math.log(LIMITS.ratePerMinute[1]);

export function sliderToRate(pos) {
  const raw = Math.exp((Number(pos) / SLIDER_STEPS) * LOG_MAX);
  if (raw < 100) return Math.max(1, Math.round(raw));
  const magnitude = 10 ** (Math.floor(Math.log10(raw)) - 1);
  return Math.min(LIMITS.ratePerMinute[1], Math.round(raw / magnitude) * magnitude);
}

export function rateToSlider(rate) {
  const r = Number(rate);
  if (!Number.isFinite(r) || r < 1) return 0;
  return Math.min(SLIDER_STEPS, Math.round((Math.log(r) / LOG_MAX) * SLIDER_STEPS));
}

const FIELDS = [
  { key: 'rate_per_minute', id: 'ctl-rate', label: 'ctl.rate', range: LIMITS.ratePerMinute },
  { key: 'max_active', id: 'ctl-max-active', label: 'ctl.max_active', range: LIMITS.maxActive },
  { key: 'session_ttl_secs', id: 'ctl-session-ttl', label: 'ctl.session_ttl', range: LIMITS.sessionTtlSecs },
];

/**
 * @param {{eventId: string, settings: {rate_per_minute, max_active, session_ttl_secs, paused}, onApplied: (s: object) => void, onAuthError: (e) => boolean}} props
 */
export function Controls({ eventId, settings, onApplied, onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  // What the person typed; a field not edited follows the server's settings.
  const [draft, setDraft] = useState({});
  const [errors, setErrors] = useState({});
  const [status, setStatus] = useState(null);
  const [busy, setBusy] = useState(false);
  const dialog = useRef(null);
  const pauseButton = useRef(null);
  const cancelButton = useRef(null);

  const value = (key) => draft[key] ?? String(settings[key] ?? '');
  const edit = (key) => (e) => {
    const v = e.currentTarget.value;
    setDraft((d) => ({ ...d, [key]: v }));
    if (errors[key]) setErrors((er) => ({ ...er, [key]: undefined }));
  };
  const slide = (e) => {
    const v = String(sliderToRate(e.currentTarget.value));
    setDraft((d) => ({ ...d, rate_per_minute: v }));
    if (errors.rate_per_minute) setErrors((er) => ({ ...er, rate_per_minute: undefined }));
  };

  const send = async (patch, describe) => {
    setBusy(true);
    try {
      const next = await adminApi.patchAdmission(eventId, patch);
      onApplied(next);
      setStatus({ ok: true, text: describe(next) });
      return true;
    } catch (err) {
      if (!onAuthError(err)) {
        setStatus({ ok: false, text: t('ctl.failed', { code: err.code, message: err.message }) });
      }
      return false;
    } finally {
      setBusy(false);
    }
  };

  const apply = async (e) => {
    e.preventDefault();
    const patch = {};
    const found = {};
    for (const f of FIELDS) {
      const text = value(f.key);
      const n = parseWhole(text, f.range[0], f.range[1]);
      if (n === undefined) {
        found[f.key] = t('validate.range', { field: t(f.label), min: f.range[0], max: f.range[1] });
      } else if (n !== settings[f.key]) {
        patch[f.key] = n;
      }
    }
    setErrors(found);
    const firstBad = FIELDS.find((f) => found[f.key]);
    if (firstBad) {
      setStatus({ ok: false, text: t('ctl.invalid') });
      document.getElementById(firstBad.id)?.focus();
      return;
    }
    if (Object.keys(patch).length === 0) {
      setDraft({});
      setStatus({ ok: true, text: t('ctl.nothing') });
      return;
    }
    const before = settings;
    const ok = await send(patch, (next) =>
      t('ctl.applied', {
        changes: Object.keys(patch)
          .map((k) => t('ctl.change', { field: t(`setting.${k}`), from: formatSetting(i18n, k, before[k]), to: formatSetting(i18n, k, next[k]) }))
          .join(t('list.separator')),
      }),
    );
    if (ok) setDraft({});
  };

  // Cancel is the safe choice, so it gets the focus when the dialog opens.
  const openDialog = () => {
    dialog.current?.showModal();
    cancelButton.current?.focus();
  };

  const confirmPause = async () => {
    const pausing = !settings.paused;
    await send({ paused: pausing }, () => (pausing ? t('ctl.paused_now') : t('ctl.resumed_now')));
    dialog.current?.close();
  };

  const rateText = value('rate_per_minute');
  const rateNumber = Number(rateText);
  const describedBy = (f, hint) => [hint, errors[f.key] && `${f.id}-error`].filter(Boolean).join(' ') || undefined;
  const err = (f) => errors[f.key] && html`<p id=${`${f.id}-error`} class="field-error">${errors[f.key]}</p>`;
  const [rateF, activeF, ttlF] = FIELDS;
  const changed = FIELDS.some((f) => draft[f.key] !== undefined && draft[f.key] !== String(settings[f.key]));

  return html`<div class="controls">
    <form class="stack" onSubmit=${apply} noValidate aria-labelledby="controls-title">
      <div class="field rate-field">
        <label for=${rateF.id}>${t('ctl.rate_label')}</label>
        <div class="rate-inputs">
          <input type="range" id="ctl-rate-slider" min="0" max=${SLIDER_STEPS} step="1"
            value=${rateToSlider(rateNumber)}
            aria-label=${t('ctl.rate_slider')}
            aria-valuetext=${Number.isFinite(rateNumber) && rateNumber > 0 ? t('ctl.rate_valuetext', { rate: rateNumber }) : undefined}
            onInput=${slide} />
          <input type="number" id=${rateF.id} min=${rateF.range[0]} max=${rateF.range[1]} step="1" required
            value=${rateText} onInput=${edit('rate_per_minute')}
            aria-invalid=${errors.rate_per_minute ? 'true' : undefined}
            aria-describedby=${describedBy(rateF, 'ctl-rate-hint')} />
        </div>
        <p id="ctl-rate-hint" class="hint">${t('ctl.rate_hint', { rate: settings.rate_per_minute })}</p>
        ${err(rateF)}
      </div>
      <div class="field-grid">
        <div class="field">
          <label for=${activeF.id}>${t('ctl.max_active')}</label>
          <input type="number" id=${activeF.id} min=${activeF.range[0]} max=${activeF.range[1]} step="1" required
            value=${value('max_active')} onInput=${edit('max_active')}
            aria-invalid=${errors.max_active ? 'true' : undefined}
            aria-describedby=${describedBy(activeF, 'ctl-max-active-hint')} />
          <p id="ctl-max-active-hint" class="hint">${t('ctl.max_active_hint')}</p>
          ${err(activeF)}
        </div>
        <div class="field">
          <label for=${ttlF.id}>${t('ctl.session_ttl')}</label>
          <input type="number" id=${ttlF.id} min=${ttlF.range[0]} max=${ttlF.range[1]} step="1" required
            value=${value('session_ttl_secs')} onInput=${edit('session_ttl_secs')}
            aria-invalid=${errors.session_ttl_secs ? 'true' : undefined}
            aria-describedby=${describedBy(ttlF, 'ctl-session-ttl-hint')} />
          <p id="ctl-session-ttl-hint" class="hint">${t('ctl.session_ttl_hint', { duration: i18n.duration(Number(value('session_ttl_secs')) || 0) })}</p>
          ${err(ttlF)}
        </div>
      </div>
      <div class="actions">
        <button type="submit" class="button" disabled=${busy}>${t('ctl.apply')}</button>
        ${changed && html`<button type="button" class="button secondary" onClick=${() => { setDraft({}); setErrors({}); }}>${t('ctl.discard')}</button>`}
      </div>
    </form>

    <div class="pause-box">
      <p class=${settings.paused ? 'pill warn' : 'pill ok'}>${settings.paused ? t('ctl.state_paused') : t('ctl.state_running')}</p>
      <button type="button" ref=${pauseButton} class=${settings.paused ? 'button' : 'button danger'} disabled=${busy}
        onClick=${openDialog}>
        ${settings.paused ? t('ctl.resume') : t('ctl.pause')}
      </button>
    </div>

    <p role="status" class=${status ? (status.ok ? 'status ok' : 'status error') : 'status'}>${status?.text}</p>

    <dialog ref=${dialog} class="confirm" aria-labelledby="pause-title" aria-describedby="pause-text"
      onClose=${() => pauseButton.current?.focus()}>
      <h2 id="pause-title">${settings.paused ? t('ctl.resume_title') : t('ctl.pause_title')}</h2>
      <p id="pause-text">${settings.paused ? t('ctl.resume_text', { rate: settings.rate_per_minute }) : t('ctl.pause_text')}</p>
      <div class="actions">
        <button type="button" class=${settings.paused ? 'button' : 'button danger'} disabled=${busy} onClick=${confirmPause}>${t('ctl.confirm')}</button>
        <button type="button" class="button secondary" ref=${cancelButton} onClick=${() => dialog.current?.close()}>${t('ctl.cancel')}</button>
      </div>
    </dialog>
  </div>`;
}

/** A setting's value for people: durations in words, paused as a word. */
export function formatSetting(i18n, key, v) {
  if (v === null || v === undefined) return '—';
  if (key === 'paused') return v ? i18n.t('setting.paused_yes') : i18n.t('setting.paused_no');
  if (key === 'mode') return i18n.t(`mode.${v}`);
  if (key === 'enabled') return v ? i18n.t('setting.enabled_yes') : i18n.t('setting.enabled_no');
  if (key === 'session_ttl_secs' || key === 'hold_ttl_secs') return i18n.duration(v);
  if (key === 'starts_at' || key === 'show_at' || key === 'closed_at') return i18n.dateTime(Date.parse(v));
  if (key === 'closed') return v ? i18n.t('setting.closed_yes') : i18n.t('setting.closed_no');
  if (key === 'refund_window_secs') return i18n.duration(v);
  if (key === 'sections' && Array.isArray(v)) {
    return v.map((sec) => i18n.t('setting.section_line', { name: sec.name, rows: sec.rows, seats: sec.seats_per_row, price: i18n.money(sec.price_cents) })).join('; ');
  }
  if (typeof v === 'number') return i18n.number(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
