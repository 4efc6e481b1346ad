// After a purchase: the fan's order(s) for this sale, in place of the line or the seat
// map ("You bought these seats"), with the way to My orders. Shown right after the
// confirm and on every later visit, from the queue's `purchased` state (which names
// the orders); the order details come from the checkout just done or from the API.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { request } from '../../shared/api.js';
import { useI18n } from '../../shared/language.js';
import { forgetCheckout } from '../checkout.js';
import { joinQueue } from '../queue.js';
import { useFanState } from '../store.js';
import { ErrorMessage } from './util.js';

/** The orders `q.orders` of this sale (the queue's `purchased` state). */
export function Purchased({ event, queue: q }) {
  const i18n = useI18n();
  const state = useFanState();
  const ids = q.orders || [];
  const local = state.checkouts[event.id]?.order;
  const known = local && ids.includes(local.order_id) ? [local] : null;
  const [orders, setOrders] = useState(known);
  const [error, setError] = useState(null);
  useEffect(() => {
    if (known && ids.length === 1) return undefined;
    let alive = true;
    request('/api/v1/orders').then(
      (list) => alive && setOrders(list.filter((o) => ids.includes(o.order_id))),
      (e) => alive && setError(e),
    );
    return () => {
      alive = false;
    };
  }, [ids.join(',')]);
  return html`
    <section class="panel checkout" aria-labelledby="done-h">
      <${Bought} i18n=${i18n} orders=${orders} focus=${!!known} />
      <${ErrorMessage} i18n=${i18n} error=${error} />
      <p class="hint">${i18n.t('bought.againHint')}</p>
      <p class="actions">
        <button type="button" class="secondary" onClick=${() => again(event.id)}>${i18n.t('bought.again')}</button>
      </p>
    </section>
  `;
}

/** "You bought these seats": each order's number, seats and total. `orders` null while
 *  loading; `focus` moves focus to the heading (right after buying). */
export function Bought({ i18n, orders, focus }) {
  const heading = useRef(null);
  useEffect(() => {
    if (focus) heading.current?.focus();
  }, [focus]);
  return html`
    <div class="done">
      <h2 id="done-h" tabindex="-1" ref=${heading}>${i18n.t('bought.title')}</h2>
      <p>${i18n.t('bought.text')}</p>
      ${!orders && html`<p class="muted">${i18n.t('bought.loading')}</p>`}
      ${orders &&
      orders.map(
        (order) => html`<dl class="facts" key=${order.order_id}>
          <div><dt>${i18n.t('hold.seats')}</dt><dd>${order.seats.join(', ')}</dd></div>
          <div><dt>${i18n.t('hold.total')}</dt><dd class="num">${i18n.money(order.total_cents)}</dd></div>
          <div><dt>${i18n.t('order.number')}</dt><dd class="mono">${order.order_id}</dd></div>
        </dl>`,
      )}
      <p><a href="/orders">${i18n.t('order.seeOrders')}</a></p>
    </div>
  `;
}

function again(eventId) {
  forgetCheckout(eventId);
  joinQueue(eventId);
}
