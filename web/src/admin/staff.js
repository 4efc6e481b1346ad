// Staff bypass: the event's staff accounts, who skip its line (admins always do).
// Edited as a list of emails, one a line; an email with no account is refused by the
// server, naming it, and nothing changes.
import { html } from 'htm/preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { adminApi } from './api.js';
import { useI18n } from '../shared/language.js';

/** The emails typed, one a line (commas and spaces also split), blanks dropped. */
export function parseStaffEmails(text) {
  return String(text ?? '')
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function StaffPanel({ eventId, onChanged, onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const [staff, setStaff] = useState(null);
  const [draft, setDraft] = useState(null);
  const [loadError, setLoadError] = useState(null);
  const [status, setStatus] = useState(null);
  const [invalid, setInvalid] = useState(false);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const view = await adminApi.staff(eventId);
      setStaff(view.staff);
      setLoadError(null);
    } catch (e) {
      if (!onAuthError(e)) setLoadError(e);
    }
  }, [eventId, onAuthError]);
  useEffect(() => {
    load();
  }, [load]);

  if (!staff) {
    return loadError
      ? html`<p class="error-text">${t('staff.load_failed', { message: loadError.message })}</p>`
      : html`<p>${t('app.loading')}</p>`;
  }
  const text = draft ?? staff.map((s) => s.email).join('\n');
  const save = async (e) => {
    e.preventDefault();
    const emails = parseStaffEmails(text);
    if (emails.length > 200) {
      setInvalid(true);
      setStatus({ ok: false, text: t('staff.too_many', { max: 200 }) });
      document.getElementById('staff-emails')?.focus();
      return;
    }
    setBusy(true);
    try {
      const view = await adminApi.putStaff(eventId, { emails });
      setStaff(view.staff);
      setDraft(null);
      setInvalid(false);
      setStatus({ ok: true, text: t('staff.saved', { count: view.staff.length }) });
      onChanged?.();
    } catch (err) {
      if (onAuthError(err)) return;
      const bad = err.code === 'unknown_staff_email' || err.code === 'invalid_email';
      setInvalid(bad);
      setStatus({
        ok: false,
        text: err.code === 'unknown_staff_email'
          ? t('staff.unknown', { message: err.message })
          : t('ctl.failed', { code: err.code, message: err.message }),
      });
      if (bad) document.getElementById('staff-emails')?.focus();
    } finally {
      setBusy(false);
    }
  };

  return html`<div class="staff stack">
    <p>${staff.length === 0 ? t('staff.none') : t('staff.count', { count: staff.length })}</p>
    <form class="stack" onSubmit=${save} noValidate aria-labelledby="staff-title">
      <div class="field">
        <label for="staff-emails">${t('staff.emails')}</label>
        <textarea id="staff-emails" rows="5" spellcheck="false" autocomplete="off"
          value=${text} onInput=${(e) => setDraft(e.currentTarget.value)}
          aria-invalid=${invalid ? 'true' : undefined}
          aria-describedby=${invalid ? 'staff-emails-hint staff-status' : 'staff-emails-hint'}></textarea>
        <p id="staff-emails-hint" class="hint">${t('staff.emails_hint')}</p>
      </div>
      <div class="actions">
        <button type="submit" class="button" disabled=${busy}>${t('staff.save')}</button>
      </div>
    </form>
    <p id="staff-status" role="status" class=${status ? (status.ok ? 'status ok' : 'status error') : 'status'}>${status?.text}</p>
  </div>`;
}
