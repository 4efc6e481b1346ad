// The safety net (docs/ARCHITECTURE.md, "The safety net"): in mode Queue, fans go
// straight to checkout while nobody waits and the shoppers and the last minute's
// arrivals are under two levels; past either, they queue. Shows what it does now
// (from the stats) and edits the two levels (one PATCH of `safety_net`).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { adminApi } from './api.js';
import { useI18n } from '../shared/language.js';
import { parseWhole } from './validate.js';

const SHOPPERS = [1, 10_000_000];
const ARRIVALS = [1, 6_000_000];

export function SafetyNetPanel({ eventId, settings, stats, onApplied, onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const net = settings.safety_net ?? null;
  const [draft, setDraft] = useState({});
  const [errors, setErrors] = useState({});
  const [status, setStatus] = useState(null);
  const [busy, setBusy] = useState(false);
  const enabled = draft.enabled ?? net !== null;
  const value = (key, fallback) => draft[key] ?? String(net?.[key] ?? fallback);
  const fields = [
    { key: 'max_shoppers', id: 'net-shoppers', label: 'net.max_shoppers', range: SHOPPERS, fallback: settings.max_active },
    { key: 'max_arrivals_per_minute', id: 'net-arrivals', label: 'net.max_arrivals', range: ARRIVALS, fallback: settings.rate_per_minute },
  ];
  const state = stats?.safety_net ?? 'off';

  const save = async (e) => {
    e.preventDefault();
    let body = null;
    if (enabled) {
      const found = {};
      body = {};
      for (const f of fields) {
        const n = parseWhole(value(f.key, f.fallback), f.range[0], f.range[1]);
        if (n === undefined) found[f.key] = t('validate.range', { field: t(f.label), min: f.range[0], max: f.range[1] });
        body[f.key] = n;
      }
      setErrors(found);
      const firstBad = fields.find((f) => found[f.key]);
      if (firstBad) {
        setStatus({ ok: false, key: 'ctl.invalid' });
        document.getElementById(firstBad.id)?.focus();
        return;
      }
    }
    setBusy(true);
    try {
      const next = await adminApi.patchAdmission(eventId, { safety_net: body });
      onApplied(next);
      setDraft({});
      setStatus({ ok: true, key: next.safety_net ? 'net.saved_on' : 'net.saved_off' });
    } catch (err) {
      if (!onAuthError(err)) setStatus({ ok: false, text: t('ctl.failed', { code: err.code, message: err.message }) });
    } finally {
      setBusy(false);
    }
  };

  return html`<div class="safety-net stack">
    <p class=${state === 'through' ? 'pill ok' : 'pill'}>${t(`net.state_${state}`)}</p>
    ${net && stats && html`<p class="hint">${t('net.figures', { shoppers: i18n.number(stats.active ?? 0), arrivals: i18n.number(stats.arrivals_last_minute ?? 0) })}</p>`}
    <form class="stack" onSubmit=${save} noValidate aria-labelledby="net-title">
      <div class="field check-field">
        <input type="checkbox" id="net-enabled" checked=${enabled}
          onChange=${(e) => setDraft((d) => ({ ...d, enabled: e.currentTarget.checked }))}
          aria-describedby="net-enabled-hint" />
        <label for="net-enabled">${t('net.enabled')}</label>
        <p id="net-enabled-hint" class="hint">${t('net.enabled_hint')}</p>
      </div>
      ${enabled && html`<div class="field-grid">
        ${fields.map((f) => html`<div class="field">
          <label for=${f.id}>${t(f.label)}</label>
          <input type="number" id=${f.id} min=${f.range[0]} max=${f.range[1]} step="1" required
            value=${value(f.key, f.fallback)}
            onInput=${(e) => { const v = e.currentTarget.value; setDraft((d) => ({ ...d, [f.key]: v })); }}
            aria-invalid=${errors[f.key] ? 'true' : undefined}
            aria-describedby=${errors[f.key] ? `${f.id}-error` : undefined} />
          ${errors[f.key] && html`<p id=${`${f.id}-error`} class="field-error">${errors[f.key]}</p>`}
        </div>`)}
      </div>`}
      <div class="actions">
        <button type="submit" class="button" disabled=${busy}>${t('net.save')}</button>
      </div>
    </form>
    <p role="status" class=${status ? (status.ok ? 'status ok' : 'status error') : 'status'}>${status && (status.key ? t(status.key) : status.text)}</p>
  </div>`;
}
