// `/orders`: the signed-in fan's orders, newest first, with the sale each is for: the
// seats with their prices, the amount, the status (refunded shown plainly), and a
// Cancel button while the sale's refund window is open (asks to confirm first).
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { events as eventsApi, request } from '../../shared/api.js';
import { useI18n } from '../../shared/language.js';
import { withNext } from '../router.js';
import { useUser } from '../store.js';
import { ErrorMessage, Title } from './util.js';

export function Orders() {
  const i18n = useI18n();
  const user = useUser();
  const [orders, setOrders] = useState(null);
  const [names, setNames] = useState({});
  const [error, setError] = useState(null);

  useEffect(() => {
    if (!user) return;
    let alive = true;
    request('/api/v1/orders').then(
      (list) => alive && setOrders(list),
      (e) => alive && setError(e),
    );
    eventsApi.list().then(
      (all) => alive && setNames(Object.fromEntries(all.map((e) => [e.id, e.name]))),
      () => {},
    );
    return () => {
      alive = false;
    };
  }, [user && user.user_id]);

  if (user === undefined) return html`<${Title}>${i18n.t('orders.title')}<//><p class="muted">${i18n.t('common.loading')}</p>`;
  if (!user) {
    return html`
      <${Title}>${i18n.t('orders.title')}<//>
      <p>${i18n.t('orders.signIn')} <a href=${withNext('/signin')}>${i18n.t('nav.signIn')}</a></p>
    `;
  }
  const sorted = orders ? [...orders].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at)) : null;
  const replace = (next) => setOrders((list) => list.map((o) => (o.order_id === next.order_id ? next : o)));
  return html`
    <${Title}>${i18n.t('orders.title')}<//>
    <${ErrorMessage} i18n=${i18n} error=${error} />
    ${!sorted && !error && html`<p class="muted">${i18n.t('common.loading')}</p>`}
    ${sorted && sorted.length === 0 && html`<p>${i18n.t('orders.none')} <a href="/">${i18n.t('common.backToEvents')}</a></p>`}
    ${sorted &&
    sorted.length > 0 &&
    html`<ul class="cards" aria-label=${i18n.t('orders.title')}>
      ${sorted.map((o) => html`<li key=${o.order_id}><${OrderCard} i18n=${i18n} order=${o} name=${names[o.event_id]} onRefunded=${replace} /></li>`)}
    </ul>`}
  `;
}

function OrderCard({ i18n, order: o, name, onRefunded }) {
  const refunded = o.status === 'refunded';
  const heading = `order-${o.order_id}`;
  const lines = o.lines || o.seats.map((seat) => ({ seat, price_cents: null }));
  return html`
    <article class=${`card order${refunded ? ' order-refunded' : ''}`} aria-labelledby=${heading}>
      <h2 id=${heading}>
        ${name ? html`<a href=${`/events/${o.event_id}`}>${name}</a>` : i18n.t('orders.event')}
      </h2>
      <p class="meta">
        <span class=${`badge badge-order-${o.status}`}>${i18n.t(`orders.status.${o.status}`)}</span>
        ${refunded && o.refunded_at && html`<span>${i18n.t('orders.refundedOn', { when: i18n.dateTime(Date.parse(o.refunded_at)) })}</span>`}
      </p>
      <dl class="facts">
        <div><dt>${i18n.t('order.number')}</dt><dd class="mono">${o.order_id}</dd></div>
        <div><dt>${i18n.t('hold.seats')}</dt><dd>${o.seats.join(', ')}</dd></div>
        <div><dt>${i18n.t('orders.amount')}</dt><dd class="num">${i18n.money(o.amount_cents ?? o.total_cents)}</dd></div>
        ${refunded && html`<div><dt>${i18n.t('orders.refunded')}</dt><dd class="num">${i18n.money(o.refunded_cents)}</dd></div>`}
        <div><dt>${i18n.t('orders.placed')}</dt><dd>${i18n.dateTime(Date.parse(o.created_at))}</dd></div>
      </dl>
      <table class="lines">
        <caption class="visually-hidden">${i18n.t('orders.prices')}</caption>
        <thead><tr><th scope="col">${i18n.t('orders.seat')}</th><th scope="col" class="num">${i18n.t('orders.price')}</th></tr></thead>
        <tbody>
          ${lines.map(
            (l) => html`<tr key=${l.seat}><td>${refunded ? html`<s>${l.seat}</s>` : l.seat}</td><td class="num">${l.price_cents == null ? '' : i18n.money(l.price_cents)}</td></tr>`,
          )}
        </tbody>
      </table>
      ${!refunded && html`<${CancelOrder} i18n=${i18n} order=${o} onRefunded=${onRefunded} />`}
    </article>
  `;
}

/** The refund window's note and the Cancel button, with a confirmation step. */
function CancelOrder({ i18n, order: o, onRefunded }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const yes = useRef(null);
  useEffect(() => {
    if (asking && yes.current) yes.current.focus();
  }, [asking]);
  if (!o.refundable) {
    return html`<p class="hint">${o.refundable_until ? i18n.t('orders.windowClosed') : i18n.t('orders.noRefunds')}</p>`;
  }
  const until = i18n.dateTime(Date.parse(o.refundable_until));
  const cancel = async () => {
    setBusy(true);
    setError(null);
    try {
      onRefunded(await request(`/api/v1/orders/${encodeURIComponent(o.order_id)}/refund`, { method: 'POST', body: {} }));
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return html`
    <div class="cancel">
      <p class="hint">${i18n.t('orders.cancelUntil', { when: until })}</p>
      ${!asking && html`<button type="button" class="secondary" onClick=${() => setAsking(true)}>${i18n.t('orders.cancel')}</button>`}
      ${asking &&
      html`<div role="group" aria-labelledby=${`ask-${o.order_id}`} class="panel">
        <p id=${`ask-${o.order_id}`}><strong>${i18n.t('orders.cancelAsk', { seats: o.seats.join(', '), amount: i18n.money(o.amount_cents ?? o.total_cents) })}</strong></p>
        <div class="actions">
          <button type="button" class="danger" ref=${yes} disabled=${busy} onClick=${cancel}>${busy ? i18n.t('orders.cancelling') : i18n.t('orders.cancelYes')}</button>
          <button type="button" class="secondary" disabled=${busy} onClick=${() => { setAsking(false); setError(null); }}>${i18n.t('orders.cancelNo')}</button>
        </div>
      </div>`}
      <${ErrorMessage} i18n=${i18n} error=${error} />
    </div>
  `;
}
