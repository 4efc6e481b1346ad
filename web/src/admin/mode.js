// The admission mode switch (docs/ARCHITECTURE.md, "Admission modes"): queue,
// queue everyone (nobody admitted), reject (maintenance) or let everyone through, with
// the message fans see in the two holding modes. Every switch goes through a
// confirmation dialog that says what it does to the fans; one PATCH of mode and message.
import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { adminApi } from './api.js';
import { useI18n } from '../shared/language.js';

export const MODES = ['queue', 'queue_all', 'reject', 'passthrough'];
/** The longest message the server keeps (AdmissionSettings::MAX_MESSAGE_CHARS). */
export const MESSAGE_MAX = 500;

/** Modes that hold admission and show fans the message. */
const holding = (mode) => mode === 'queue_all' || mode === 'reject';

/**
 * @param {{eventId: string, settings: {mode?: string, message?: string|null}, onApplied: (s: object) => void, onAuthError: (e) => boolean}} props
 */
export function ModeSwitch({ eventId, settings, onApplied, onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const current = settings.mode ?? 'queue';
  const [choice, setChoice] = useState(null);
  const [message, setMessage] = useState(null);
  const [status, setStatus] = useState(null);
  const [busy, setBusy] = useState(false);
  const dialog = useRef(null);
  const openButton = useRef(null);
  const cancelButton = useRef(null);

  const mode = choice ?? current;
  const text = message ?? settings.message ?? '';
  const tooLong = [...text].length > MESSAGE_MAX;
  const changed = mode !== current || text.trim() !== (settings.message ?? '');

  const ask = (e) => {
    e.preventDefault();
    if (tooLong) {
      setStatus({ ok: false, text: t('mode.too_long', { max: MESSAGE_MAX }) });
      document.getElementById('mode-message')?.focus();
      return;
    }
    if (!changed) {
      setStatus({ ok: true, text: t('ctl.nothing') });
      return;
    }
    dialog.current?.showModal();
    cancelButton.current?.focus();
  };

  const confirm = async () => {
    setBusy(true);
    try {
      const next = await adminApi.patchAdmission(eventId, { mode, message: text.trim() });
      onApplied(next);
      setChoice(null);
      setMessage(null);
      setStatus({ ok: true, text: t('mode.switched', { mode: t(`mode.${next.mode}`) }) });
    } catch (err) {
      if (!onAuthError(err)) setStatus({ ok: false, text: t('ctl.failed', { code: err.code, message: err.message }) });
    } finally {
      setBusy(false);
      dialog.current?.close();
    }
  };

  return html`<form class="mode-box stack" onSubmit=${ask} noValidate aria-labelledby="mode-legend">
    <fieldset>
      <legend id="mode-legend">${t('mode.legend')}</legend>
      <p class=${holding(current) ? 'pill warn' : 'pill ok'}>${t('mode.now', { mode: t(`mode.${current}`) })}</p>
      ${MODES.map(
        (m) => html`<div class="radio">
          <input type="radio" id=${`mode-${m}`} name="mode" value=${m} checked=${mode === m}
            aria-describedby=${`mode-${m}-hint`} onChange=${() => setChoice(m)} />
          <label for=${`mode-${m}`}>${t(`mode.${m}`)}</label>
          <p id=${`mode-${m}-hint`} class="hint">${t(`mode.${m}_hint`)}</p>
        </div>`,
      )}
    </fieldset>
    <div class="field">
      <label for="mode-message">${t('mode.message')}</label>
      <textarea id="mode-message" rows="3" value=${text} aria-invalid=${tooLong ? 'true' : undefined}
        aria-describedby="mode-message-hint" onInput=${(e) => setMessage(e.currentTarget.value)}></textarea>
      <p id="mode-message-hint" class=${tooLong ? 'field-error' : 'hint'}>${t('mode.message_hint', { n: [...text].length, max: MESSAGE_MAX })}</p>
    </div>
    <div class="actions">
      <button type="submit" ref=${openButton} class=${mode === 'queue' ? 'button' : 'button danger'} disabled=${busy}>${t('mode.apply')}</button>
    </div>
    <p role="status" class=${status ? (status.ok ? 'status ok' : 'status error') : 'status'}>${status?.text}</p>

    <dialog ref=${dialog} class="confirm" aria-labelledby="mode-title" aria-describedby="mode-text"
      onClose=${() => openButton.current?.focus()}>
      <h2 id="mode-title">${t('mode.confirm_title', { mode: t(`mode.${mode}`) })}</h2>
      <p id="mode-text">${t(`mode.${mode}_confirm`, { rate: settings.rate_per_minute, max: settings.max_active })}</p>
      ${holding(mode) && html`<p>${text.trim() ? t('mode.confirm_message', { message: text.trim() }) : t('mode.confirm_no_message')}</p>`}
      <div class="actions">
        <button type="button" class=${mode === 'queue' ? 'button' : 'button danger'} disabled=${busy} onClick=${confirm}>${t('ctl.confirm')}</button>
        <button type="button" class="button secondary" ref=${cancelButton} onClick=${() => dialog.current?.close()}>${t('ctl.cancel')}</button>
      </div>
    </dialog>
  </form>`;
}
