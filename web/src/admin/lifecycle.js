// The end of a sale and changes before it, on the dashboard: a link to the edit form
// while the sale has not opened, and Close behind a confirmation dialog (closing
// cannot be undone: fans waiting are told, holds are released, nothing sells again).
import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { adminApi } from './api.js';
import { useI18n } from '../shared/language.js';

export function SaleActions({ event, state, onClosed, onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const dialog = useRef(null);
  const closeButton = useRef(null);
  const cancelButton = useRef(null);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState(null);

  if (state === 'closed') {
    return html`<p class="banner-msg warn" role="status">${t('life.closed_banner')}</p>`;
  }

  // Cancel is the safe choice, so it gets the focus when the dialog opens.
  const open = () => {
    dialog.current?.showModal();
    requestAnimationFrame(() => cancelButton.current?.focus());
  };
  const confirm = async () => {
    setBusy(true);
    try {
      await adminApi.closeEvent(event.id);
      dialog.current?.close();
      setStatus(null);
      onClosed();
    } catch (e) {
      dialog.current?.close();
      if (!onAuthError(e)) setStatus(t('life.close_failed', { message: e.message }));
    } finally {
      setBusy(false);
    }
  };

  return html`<div class="sale-actions">
    ${state === 'scheduled' &&
    html`<a class="button secondary" href=${`/admin/events/${encodeURIComponent(event.id)}/edit`}>${t('life.edit')}</a>`}
    <button type="button" class="button danger" ref=${closeButton} disabled=${busy} onClick=${open}>${t('life.close')}</button>
    ${status && html`<p class="error-text" role="alert">${status}</p>`}
    <dialog ref=${dialog} class="confirm" aria-labelledby="close-title" aria-describedby="close-text"
      onClose=${() => closeButton.current?.focus()}>
      <h2 id="close-title">${t('life.close_title', { name: event.name })}</h2>
      <p id="close-text">${t('life.close_text')}</p>
      <div class="actions">
        <button type="button" class="button danger" disabled=${busy} onClick=${confirm}>${t('life.close_confirm')}</button>
        <button type="button" class="button secondary" ref=${cancelButton} onClick=${() => dialog.current?.close()}>${t('ctl.cancel')}</button>
      </div>
    </dialog>
  </div>`;
}
