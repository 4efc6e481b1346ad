// Webhooks: register an endpoint (its signing secret is shown once), the endpoints,
// each one's delivery log with status and attempts, "send again", and delete (after
// a confirmation).
import { html } from 'htm/preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { adminApi } from './api.js';
import { useI18n } from '../shared/language.js';
import { useTitle } from './util.js';

const TYPES = ['sale.opened', 'sale.sold_out', 'sale.paused', 'sale.resumed', 'sale.mode_changed', 'order.confirmed', 'order.refunded'];

export function Webhooks({ onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  useTitle(t('webhooks.title'));
  const [list, setList] = useState(null);
  const [error, setError] = useState(null);
  const [created, setCreated] = useState(null);
  const [open, setOpen] = useState(null);
  const [deleting, setDeleting] = useState(null);
  const [message, setMessage] = useState(null);

  const load = useCallback(async () => {
    try {
      setList(await adminApi.webhooks());
      setError(null);
    } catch (e) {
      if (!onAuthError(e)) setError(e);
    }
  }, [onAuthError]);
  useEffect(() => {
    load();
  }, [load]);

  const remove = async (endpoint) => {
    try {
      await adminApi.deleteWebhook(endpoint.id);
      setDeleting(null);
      if (open === endpoint.id) setOpen(null);
      setMessage(['webhooks.deleted', { url: endpoint.url }]);
      load();
    } catch (e) {
      if (!onAuthError(e)) setError(e);
    }
  };

  return html`<div class="webhooks">
    <h1 tabindex="-1">${t('webhooks.title')}</h1>
    <p>${t('webhooks.intro')}</p>
    <${Register} onAuthError=${onAuthError} onCreated=${(c) => { setCreated(c); setMessage(null); load(); }} />
    ${created && html`<section class="secret-panel" aria-labelledby="secret-title">
      <h2 id="secret-title">${t('webhooks.secret_title')}</h2>
      <p>${t('webhooks.secret_once', { url: created.url })}</p>
      <p><label for="webhook-secret">${t('webhooks.secret')}</label>
        <input id="webhook-secret" class="secret" type="text" readonly value=${created.secret} onFocus=${(e) => e.currentTarget.select()} /></p>
      <button type="button" class="button secondary small" onClick=${() => setCreated(null)}>${t('webhooks.secret_done')}</button>
    </section>`}
    <p role="status" class="status-line">${message ? t(...message) : ''}</p>
    ${error && html`<p class="error-box" role="alert">${t('webhooks.failed', { message: error.message })}</p>`}
    ${list === null && !error && html`<p>${t('app.loading')}</p>`}
    ${list && html`<section aria-labelledby="endpoints-title">
      <h2 id="endpoints-title">${t('webhooks.endpoints', { count: list.endpoints.length })}</h2>
      ${list.endpoints.length === 0
        ? html`<p>${t('webhooks.none')}</p>`
        : html`<div class="table-wrap"><table class="data-table cards">
            <thead><tr>
              <th scope="col">${t('webhooks.url')}</th>
              <th scope="col">${t('webhooks.events')}</th>
              <th scope="col">${t('webhooks.created')}</th>
              <th scope="col">${t('webhooks.actions')}</th>
            </tr></thead>
            <tbody>
              ${list.endpoints.map((e) => html`<tr key=${e.id}>
                <td data-label=${t('webhooks.url')} class="wrap"><span><code>${e.url}</code>${e.description && html`<span class="hint block">${e.description}</span>`}</span></td>
                <td data-label=${t('webhooks.events')}>${e.events.includes('*') ? t('webhooks.all_events') : e.events.join(', ')}</td>
                <td data-label=${t('webhooks.created')}><time datetime=${e.created_at}>${i18n.dateTime(Date.parse(e.created_at))}</time></td>
                <td>
                  <button type="button" class="button secondary small" aria-expanded=${open === e.id ? 'true' : 'false'} aria-label=${t('webhooks.show_log_of', { url: e.url })} onClick=${() => setOpen(open === e.id ? null : e.id)}>${t('webhooks.show_log')}</button>
                  ${' '}
                  <button type="button" class="button danger small" aria-label=${t('webhooks.delete_of', { url: e.url })} onClick=${() => setDeleting(e)}>${t('webhooks.delete')}</button>
                </td>
              </tr>`)}
            </tbody>
          </table></div>`}
    </section>`}
    ${deleting && html`<section class="refund-panel" role="alertdialog" aria-labelledby="delete-title" aria-describedby="delete-text">
      <h2 id="delete-title">${t('webhooks.delete_title')}</h2>
      <p id="delete-text">${t('webhooks.delete_text', { url: deleting.url })}</p>
      <div class="actions">
        <button type="button" class="button danger" onClick=${() => remove(deleting)}>${t('webhooks.delete_confirm')}</button>
        <button type="button" class="button secondary" onClick=${() => setDeleting(null)}>${t('webhooks.cancel')}</button>
      </div>
    </section>`}
    ${open && list && html`<${DeliveryLog} key=${open} endpoint=${list.endpoints.find((e) => e.id === open)} onAuthError=${onAuthError} />`}
  </div>`;
}

function Register({ onCreated, onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const [url, setUrl] = useState('');
  const [all, setAll] = useState(true);
  const [types, setTypes] = useState([]);
  const [description, setDescription] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  const toggle = (type) => setTypes(types.includes(type) ? types.filter((x) => x !== type) : [...types, type]);
  const submit = async (e) => {
    e.preventDefault();
    const events = all ? ['*'] : types;
    if (!url.trim()) return setError(t('webhooks.url_missing'));
    if (events.length === 0) return setError(t('webhooks.events_missing'));
    setBusy(true);
    try {
      const body = { url: url.trim(), events };
      if (description.trim()) body.description = description.trim();
      onCreated(await adminApi.createWebhook(body));
      setUrl('');
      setDescription('');
      setError(null);
    } catch (err) {
      if (!onAuthError(err)) setError(refusal(t, err));
    } finally {
      setBusy(false);
    }
  };
  return html`<section aria-labelledby="register-title">
    <h2 id="register-title">${t('webhooks.register_title')}</h2>
    <form onSubmit=${submit} novalidate>
      <div class="field">
        <label for="webhook-url">${t('webhooks.url')}</label>
        <input id="webhook-url" type="url" inputmode="url" value=${url} placeholder="https://hooks.example.com/floodgate" onInput=${(e) => { setUrl(e.currentTarget.value); setError(null); }} aria-invalid=${error ? 'true' : undefined} aria-describedby="webhook-url-hint${error ? ' webhook-error' : ''}" />
        <p id="webhook-url-hint" class="hint">${t('webhooks.url_hint')}</p>
      </div>
      <fieldset class="group">
        <legend>${t('webhooks.events')}</legend>
        <label class="check"><input type="checkbox" checked=${all} onChange=${(e) => setAll(e.currentTarget.checked)} /> ${t('webhooks.all_events')}</label>
        ${!all && TYPES.map((type) => html`<label class="check" key=${type}><input type="checkbox" checked=${types.includes(type)} onChange=${() => toggle(type)} /> ${t(`webhooks.type.${type}`)} <code>${type}</code></label>`)}
      </fieldset>
      <div class="field">
        <label for="webhook-description">${t('webhooks.description')}</label>
        <input id="webhook-description" type="text" maxlength="200" value=${description} onInput=${(e) => setDescription(e.currentTarget.value)} />
      </div>
      ${error && html`<p id="webhook-error" class="error-text" role="alert">${error}</p>`}
      <button type="submit" class="button" disabled=${busy}>${t('webhooks.register')}</button>
    </form>
  </section>`;
}

function refusal(t, err) {
  switch (err.code) {
    case 'forbidden_webhook_url':
      return t('webhooks.url_forbidden');
    case 'invalid_webhook_url':
      return t('webhooks.url_invalid');
    default:
      return t('webhooks.register_failed', { message: err.message });
  }
}

function DeliveryLog({ endpoint, onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const [log, setLog] = useState(null);
  const [error, setError] = useState(null);
  const [message, setMessage] = useState(null);
  const load = useCallback(async () => {
    try {
      setLog((await adminApi.webhookDeliveries(endpoint.id)).deliveries);
      setError(null);
    } catch (e) {
      if (!onAuthError(e)) setError(e);
    }
  }, [endpoint.id, onAuthError]);
  useEffect(() => {
    load();
  }, [load]);
  const again = async (d) => {
    try {
      await adminApi.retryDelivery(endpoint.id, d.id);
      setMessage(['webhooks.sent_again', { type: d.type }]);
      load();
    } catch (e) {
      if (!onAuthError(e)) setError(e);
    }
  };
  const result = (d) => {
    if (d.last_status_code != null) return t('webhooks.answered', { code: d.last_status_code });
    return d.last_error ?? '—';
  };
  return html`<section aria-labelledby="log-title">
    <h2 id="log-title">${t('webhooks.log_title', { url: endpoint.url })}</h2>
    <button type="button" class="button secondary small" onClick=${load}>${t('webhooks.refresh')}</button>
    <p role="status" class="status-line">${message ? t(...message) : ''}</p>
    ${error && html`<p class="error-box" role="alert">${t('webhooks.failed', { message: error.message })}</p>`}
    ${log === null && !error && html`<p>${t('app.loading')}</p>`}
    ${log && (log.length === 0
      ? html`<p>${t('webhooks.no_deliveries')}</p>`
      : html`<div class="table-wrap"><table class="data-table cards">
          <thead><tr>
            <th scope="col">${t('webhooks.type')}</th>
            <th scope="col">${t('webhooks.when')}</th>
            <th scope="col">${t('webhooks.status')}</th>
            <th scope="col" class="num">${t('webhooks.attempts')}</th>
            <th scope="col">${t('webhooks.last_result')}</th>
            <th scope="col">${t('webhooks.actions')}</th>
          </tr></thead>
          <tbody>
            ${log.map((d) => html`<tr key=${d.id}>
              <td data-label=${t('webhooks.type')}><code>${d.type}</code></td>
              <td data-label=${t('webhooks.when')}><time datetime=${d.created_at}>${i18n.dateTime(Date.parse(d.created_at))}</time></td>
              <td data-label=${t('webhooks.status')}>
                <span>
                  <span class=${`delivery-status ${d.status}`}>${t(`webhooks.status_${d.status}`)}</span>
                  ${d.next_attempt_at && html`<span class="hint block">${t('webhooks.next_attempt', { when: i18n.dateTime(Date.parse(d.next_attempt_at)) })}</span>`}
                </span>
              </td>
              <td data-label=${t('webhooks.attempts')} class="num">${d.attempts}</td>
              <td data-label=${t('webhooks.last_result')} class="wrap">${result(d)}</td>
              <td><button type="button" class="button secondary small" aria-label=${t('webhooks.send_again_of', { type: d.type, when: i18n.dateTime(Date.parse(d.created_at)) })} onClick=${() => again(d)}>${t('webhooks.send_again')}</button></td>
            </tr>`)}
          </tbody>
        </table></div>`)}
  </section>`;
}
