// One sale's orders: search by email, order id or seat; a refund (with a reason)
// per confirmed order; and the CSV of every order.
import { html } from 'htm/preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { adminApi } from './api.js';
import { useI18n } from '../shared/language.js';
import { SaleLinks } from './sale-links.js';
import { useTitle } from './util.js';

const PAGE = 50;

export function Orders({ id, onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  useTitle(t('orders.title'));
  const [draft, setDraft] = useState('');
  const [query, setQuery] = useState({ q: '', offset: 0 });
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  const [refunding, setRefunding] = useState(null);
  const [message, setMessage] = useState(null);

  const load = useCallback(async () => {
    try {
      setPage(await adminApi.searchOrders(id, { q: query.q, limit: PAGE, offset: query.offset }));
      setError(null);
    } catch (e) {
      if (!onAuthError(e)) setError(e);
    }
  }, [id, query, onAuthError]);
  useEffect(() => {
    load();
  }, [load]);

  const submit = (e) => {
    e.preventDefault();
    setMessage(null);
    setQuery({ q: draft.trim(), offset: 0 });
  };

  const refunded = (order) => {
    setRefunding(null);
    setMessage(t('orders.refunded', { order: order.order_id ?? '' }));
    load();
  };

  return html`<div class="orders">
    <p class="breadcrumb"><a href="/admin">${t('create.back')}</a></p>
    <div class="title-row">
      <h1 tabindex="-1">${t('orders.title')}</h1>
      <${SaleLinks} id=${id} current="orders" />
    </div>
    <p><a class="button secondary small" href=${adminApi.ordersCsvUrl(id)} download>${t('orders.download')}</a></p>
    <form class="search-form" role="search" onSubmit=${submit}>
      <div class="field">
        <label for="order-q">${t('orders.search_label')}</label>
        <input id="order-q" type="search" value=${draft} onInput=${(e) => setDraft(e.currentTarget.value)} aria-describedby="order-q-hint" />
        <p id="order-q-hint" class="hint">${t('orders.search_hint')}</p>
      </div>
      <button type="submit" class="button">${t('orders.search')}</button>
    </form>
    <p role="status" class="status-line">${message ?? ''}</p>
    ${error && html`<p class="error-box" role="alert">${error.status === 404 ? t('dash.not_found_text') : t('orders.failed', { message: error.message })}</p>`}
    ${page === null && !error && html`<p>${t('app.loading')}</p>`}
    ${page &&
    html`<section aria-labelledby="orders-results">
      <h2 id="orders-results">${t('orders.results', { count: page.orders.length })}</h2>
      ${page.orders.length === 0
        ? html`<p>${t('orders.none')}</p>`
        : html`<div class="table-wrap"><table class="data-table cards">
            <thead><tr>
              <th scope="col">${t('orders.order')}</th>
              <th scope="col">${t('orders.created')}</th>
              <th scope="col">${t('orders.email')}</th>
              <th scope="col">${t('orders.seats')}</th>
              <th scope="col" class="num">${t('orders.amount')}</th>
              <th scope="col">${t('orders.status')}</th>
              <th scope="col">${t('orders.actions')}</th>
            </tr></thead>
            <tbody>
              ${page.orders.map(
                (o) => html`<tr key=${o.order_id}>
                  <td data-label=${t('orders.order')}><code class="order-id">${o.order_id}</code></td>
                  <td data-label=${t('orders.created')}><time datetime=${o.created_at}>${i18n.dateTime(Date.parse(o.created_at))}</time></td>
                  <td data-label=${t('orders.email')} class="wrap">${o.email}</td>
                  <td data-label=${t('orders.seats')}>${o.seats.join(', ')}</td>
                  <td data-label=${t('orders.amount')} class="num">${i18n.money(o.amount_cents)}</td>
                  <td data-label=${t('orders.status')}>
                    <span>
                      ${o.status === 'refunded' ? t('orders.status_refunded') : t('orders.status_confirmed')}
                      ${o.status === 'refunded' && o.refund_reason && html`<span class="hint block">${o.refund_reason}</span>`}
                    </span>
                  </td>
                  <td>
                    ${o.status === 'confirmed' &&
                    html`<button type="button" class="button secondary small" aria-label=${t('orders.refund_order', { order: o.order_id })} onClick=${() => setRefunding(o)}>${t('orders.refund')}</button>`}
                  </td>
                </tr>`,
              )}
            </tbody>
          </table></div>`}
      <div class="pager">
        ${query.offset > 0 && html`<button type="button" class="button secondary small" onClick=${() => setQuery({ ...query, offset: Math.max(0, query.offset - PAGE) })}>${t('orders.previous')}</button>`}
        ${page.next_offset != null && html`<button type="button" class="button secondary small" onClick=${() => setQuery({ ...query, offset: page.next_offset })}>${t('orders.next')}</button>`}
      </div>
    </section>`}
    ${refunding && html`<${RefundForm} order=${refunding} onDone=${refunded} onCancel=${() => setRefunding(null)} onAuthError=${onAuthError} />`}
  </div>`;
}

function RefundForm({ order, onDone, onCancel, onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  useEffect(() => {
    document.getElementById('refund-reason')?.focus();
  }, [order.order_id]);
  const submit = async (e) => {
    e.preventDefault();
    if (!reason.trim()) {
      setError(t('orders.reason_required'));
      return;
    }
    setBusy(true);
    try {
      onDone((await adminApi.refund(order.order_id, reason.trim())) ?? order);
    } catch (err) {
      if (!onAuthError(err)) setError(t('orders.refund_failed', { message: err.message }));
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="refund-panel" aria-labelledby="refund-title">
    <h2 id="refund-title">${t('orders.refund_title', { seats: order.seats.join(', '), email: order.email })}</h2>
    <form onSubmit=${submit}>
      <div class="field">
        <label for="refund-reason">${t('orders.reason')}</label>
        <input id="refund-reason" type="text" maxlength="500" value=${reason} onInput=${(e) => { setReason(e.currentTarget.value); setError(null); }} aria-invalid=${error ? 'true' : undefined} aria-describedby=${error ? 'refund-error' : undefined} />
      </div>
      ${error && html`<p id="refund-error" class="error-text" role="alert">${error}</p>`}
      <div class="actions">
        <button type="submit" class="button danger" disabled=${busy}>${t('orders.refund_confirm', { amount: i18n.money(order.amount_cents) })}</button>
        <button type="button" class="button secondary" onClick=${onCancel}>${t('orders.cancel')}</button>
      </div>
    </form>
  </section>`;
}
