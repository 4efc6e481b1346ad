// The audit log of one sale: who changed what, from what to what, and when;
// newest first. Refreshed every 10 seconds and after each change made here.
import { html } from 'htm/preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { adminApi } from './api.js';
import { useI18n } from '../shared/language.js';
import { changeText } from './autotune.js';
import { formatSetting } from './controls.js';
import { useInterval } from './util.js';

const LIMIT = 50;

export function AuditLog({ eventId, refreshKey, onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  // null: loading; 'unavailable': the server has no audit endpoint; else entries.
  const [entries, setEntries] = useState(null);
  const [error, setError] = useState(null);

  const load = useCallback(async () => {
    try {
      const list = await adminApi.audit(eventId, LIMIT);
      setEntries(Array.isArray(list) ? list : []);
      setError(null);
    } catch (e) {
      // The dashboard already found the event: a 404 here means no audit endpoint.
      if (e.status === 404) setEntries('unavailable');
      else if (!onAuthError(e)) setError(e);
    }
  }, [eventId, onAuthError]);

  useEffect(() => {
    load();
  }, [load, refreshKey]);
  useInterval(() => entries !== 'unavailable' && load(), 10_000);

  if (entries === 'unavailable') return html`<p class="notice">${t('audit.unavailable')}</p>`;
  return html`<div>
    ${error && html`<p class="error-text">${t('audit.failed', { message: error.message })}</p>`}
    ${entries === null && !error && html`<p>${t('app.loading')}</p>`}
    ${Array.isArray(entries) && entries.length === 0 && html`<p>${t('audit.empty')}</p>`}
    ${Array.isArray(entries) &&
    entries.length > 0 &&
    html`<ol class="audit-list">
      ${entries.map((entry) => html`<${AuditEntry} key=${entry.id} entry=${entry} />`)}
    </ol>`}
  </div>`;
}

function AuditEntry({ entry }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const at = Date.parse(entry.at);
  const who = entry.actor?.email ?? t('audit.unknown_actor');
  const switchedOff = entry.action === 'autotune_changed' && entry.after?.reason === 'manual_rate_change';
  const action = switchedOff
    ? t('audit.autotune_switched_off')
    : ['admission_changed', 'event_created', 'event_closed', 'event_edited', 'seats_held_back', 'seats_released', 'autotune_changed', 'autotune_adjusted', 'staff_changed', 'staff_bypass',
        'presale_group_created', 'presale_group_changed', 'presale_group_deleted', 'presale_codes_added', 'presale_code_revoked'].includes(entry.action)
      ? t(`audit.${entry.action}`)
      : entry.action;
  // Seat changes list the seats once, not one line per seat; autotune's reason is
  // worded below, not listed as a field.
  const seatChange = entry.action === 'seats_held_back' || entry.action === 'seats_released';
  const { reason: _reason, autotune, ...after } = entry.after ?? {};
  const tuned = entry.action === 'autotune_adjusted';
  const changes = seatChange
    ? describeChanges({ held_back: entry.before?.held_back }, { held_back: entry.after?.held_back })
    : switchedOff
      ? []
      : describeChanges(entry.before, entry.after && (tuned || entry.action === 'autotune_changed') ? after : entry.after);
  const pct = (x) => t('tune.percent', { value: i18n.number(Math.round(x * 10000) / 100) });
  const why = tuned && autotune
    ? changeText(i18n, { kind: 'rate', from_rate: autotune.from, to_rate: autotune.to, detail: autotune, reason: entry.after?.reason }, pct)
    : null;
  const seatIds = seatChange
    ? Object.keys(entry.after?.seats ?? {}).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    : [];
  return html`<li class="audit-entry">
    <p class="audit-head"><strong>${who}</strong> ${action}</p>
    <p class="audit-time"><time datetime=${entry.at}>${Number.isNaN(at) ? entry.at : i18n.dateTime(at)}</time></p>
    ${why && html`<p class="audit-reason">${why}</p>`}
    ${seatIds.length > 0 && html`<p class="audit-seats">${t('audit.seats', { count: seatIds.length, seats: seatIds.length > 20 ? `${seatIds.slice(0, 20).join(', ')} …` : seatIds.join(', ') })}</p>`}
    ${changes.length > 0 &&
    html`<ul class="audit-changes">
      ${changes.map(
        (c) => html`<li key=${c.key}>
          <span class="audit-field">${settingLabel(i18n, c.key)}</span>${': '}
          ${c.from !== undefined &&
          html`<span class="audit-before">${formatSetting(i18n, c.leaf, c.from)}</span><span aria-hidden="true">${' → '}</span><span class="visually-hidden">${` ${t('audit.changed_to')} `}</span>`}<span class="audit-after">${formatSetting(i18n, c.leaf, c.to)}</span>
        </li>`,
      )}
    </ul>`}
  </li>`;
}

/**
 * The fields that differ between `before` and `after` (nested objects flattened with
 * dots), or every field of `after` when there is no `before` (a creation).
 */
export function describeChanges(before, after) {
  const flat = (obj, prefix = '', out = {}) => {
    if (!obj || typeof obj !== 'object') return out;
    for (const [k, v] of Object.entries(obj)) {
      if (v && typeof v === 'object' && !Array.isArray(v)) flat(v, `${prefix}${k}.`, out);
      else out[`${prefix}${k}`] = v;
    }
    return out;
  };
  const b = flat(before);
  const a = flat(after);
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
  return keys
    .filter((k) => !before || JSON.stringify(b[k] ?? null) !== JSON.stringify(a[k] ?? null))
    .map((k) => ({ key: k, leaf: k.split('.').pop(), from: before ? (b[k] ?? null) : undefined, to: a[k] ?? null }));
}

function settingLabel(i18n, key) {
  const leaf = key.split('.').pop();
  const label = i18n.t(`setting.${leaf}`);
  return label === `setting.${leaf}` ? key : label;
}
