// `/orders`: the signed-in fan's orders, newest first, with the sale each is for.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { events as eventsApi, request } from '../../shared/api.js';
import { withNext } from '../router.js';
import { ErrorMessage, Title } from './util.js';

export function Orders({ state }) {
  const { i18n, user } = state;
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
  return html`
    <${Title}>${i18n.t('orders.title')}<//>
    <${ErrorMessage} i18n=${i18n} error=${error} />
    ${!sorted && !error && html`<p class="muted">${i18n.t('common.loading')}</p>`}
    ${sorted && sorted.length === 0 && html`<p>${i18n.t('orders.none')} <a href="/">${i18n.t('common.backToEvents')}</a></p>`}
    ${sorted &&
    sorted.length > 0 &&
    html`<ul class="cards" aria-label=${i18n.t('orders.title')}>
      ${sorted.map(
        (o) => html`<li key=${o.order_id}>
          <article class="card" aria-labelledby=${`order-${o.order_id}`}>
            <h2 id=${`order-${o.order_id}`}>
              ${names[o.event_id] ? html`<a href=${`/events/${o.event_id}`}>${names[o.event_id]}</a>` : i18n.t('orders.event')}
            </h2>
            <dl class="facts">
              <div><dt>${i18n.t('order.number')}</dt><dd class="mono">${o.order_id}</dd></div>
              <div><dt>${i18n.t('hold.seats')}</dt><dd>${o.seats.join(', ')}</dd></div>
              <div><dt>${i18n.t('hold.total')}</dt><dd class="num">${i18n.money(o.total_cents)}</dd></div>
              <div><dt>${i18n.t('orders.placed')}</dt><dd>${i18n.dateTime(Date.parse(o.created_at))}</dd></div>
            </dl>
          </article>
        </li>`,
      )}
    </ul>`}
  `;
}
