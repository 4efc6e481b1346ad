// Admitted: the fan's turn. The shopping-session clock, the live seat map (pick seats,
// then hold them) or best-available seats by number and section, the hold with its
// own clock (confirm or release), and the confirmed order.
import { html } from 'htm/preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  confirmHold, dropTaken, holdBest, holdLapsed, holdPicked, releaseHold, restoreCheckout, togglePick,
} from '../checkout.js';
import { FREE, SeatFeed } from '../seatfeed.js';
import { SeatMap } from '../seatmap.js';
import { useI18n } from '../../shared/language.js';
import { updateCheckout, useFanState, useNow } from '../store.js';
import { Bought } from './bought.js';
import { ErrorMessage } from './util.js';

export function Checkout({ event, queue: q }) {
  const i18n = useI18n();
  const state = useFanState();
  const id = event.id;
  useMemo(() => restoreCheckout(id, q.token), [id, q.token]);
  const c = state.checkouts[id] || { picked: [], used: 0 };
  if (c.order && c.order.event_id === id) {
    return html`
      <section class="panel checkout" aria-labelledby="done-h">
        <${Confirmation} i18n=${i18n} order=${c.order} />
      </section>
    `;
  }
  return html`<${Shopping} i18n=${i18n} event=${event} q=${q} c=${c} />`;
}

/** The shopping session: the live seat feed lives as long as this view. */
function Shopping({ i18n, event, q, c }) {
  const id = event.id;
  const token = q.token;
  const feed = useMemo(() => new SeatFeed(id).start(), [id]);
  const [taken, setTaken] = useState(null);
  useEffect(() => () => feed.stop(), [feed]);
  // Seats someone else took leave the fan's pick at once, and the fan is told which.
  useEffect(
    () =>
      feed.subscribe(() => {
        const layout = feed.layout;
        const gone = dropTaken(id, (sid) => feed.stateOf(layout.indexOf(sid)) === FREE);
        if (gone.length) setTaken({ code: 'seats_taken_live', seats: gone });
      }),
    [feed],
  );

  const now = useNow();
  const left = Math.max(0, (q.expiresAt - now) / 1000);
  const remaining = Math.max(0, event.max_seats_per_order - (c.used || 0));
  const mine = c.hold ? c.hold.seats : [];
  return html`
    <section class="panel checkout" aria-labelledby="turn-h">
      <div role="alert" class="turn">
        <h2 id="turn-h">${i18n.t('checkout.turnTitle')}</h2>
        <p>${i18n.t('checkout.turnText', { count: event.max_seats_per_order })}</p>
      </div>
      <p class="countdown">
        <span class="countdown-label">${i18n.t('checkout.timeLeft')}</span>
        <span class="clock num">${i18n.clock(left)}</span>
      </p>
      <${SessionAnnouncer} i18n=${i18n} left=${left} />
      <${ErrorMessage} i18n=${i18n} error=${c.error || taken} />
      ${c.hold && html`<${HoldPanel} i18n=${i18n} id=${id} token=${token} hold=${c.hold} busy=${c.busy} />`}
      <${Picker} i18n=${i18n} event=${event} token=${token} c=${c} feed=${feed} mine=${mine} remaining=${remaining}
        clearTaken=${() => setTaken(null)} />
    </section>
  `;
}

/** Says the time left at two minutes and at thirty seconds, not every second. */
function SessionAnnouncer({ i18n, left }) {
  const mark = left <= 30 ? 30 : left <= 120 ? 120 : 0;
  return html`<p role="status" class="visually-hidden">${mark && left > 0 ? i18n.t('checkout.timeWarning', { time: i18n.duration(mark) }) : ''}${left <= 0 ? i18n.t('checkout.timeUp') : ''}</p>`;
}

function Picker({ i18n, event, token, c, feed, mine, remaining, clearTaken }) {
  const id = event.id;
  const [said, setSaid] = useState('');
  const heading = useRef(null);
  const held = !!c.hold;
  useEffect(() => {
    if (c.released) heading.current?.focus();
  }, [c.released]);
  const price = (sid) => {
    const sec = feed.layout ? feed.layout.sectionOf(feed.layout.indexOf(sid)) : null;
    const s = sec && event.sections.find((x) => x.name === sec.name);
    return s ? s.price_cents : 0;
  };
  const onToggle = (sid) => {
    if (held) {
      setSaid(i18n.t('checkout.releaseFirst'));
      return;
    }
    clearTaken();
    const i = feed.layout.indexOf(sid);
    const result = togglePick(id, sid, { free: feed.stateOf(i) === FREE, max: remaining });
    const count = result === 'added' ? c.picked.length + 1 : result === 'removed' ? c.picked.length - 1 : c.picked.length;
    if (result === 'added') setSaid(i18n.t('checkout.pickedSeat', { id: sid, count, max: remaining }));
    else if (result === 'removed') setSaid(i18n.t('checkout.unpickedSeat', { id: sid, count, max: remaining }));
    else if (result === 'unavailable') setSaid(i18n.t('checkout.notFree', { id: sid }));
  };
  const total = c.picked.reduce((sum, sid) => sum + price(sid), 0);
  return html`
    <section class="pick" aria-labelledby="pick-h">
      <h3 id="pick-h" tabindex="-1" ref=${heading}>${i18n.t('checkout.pickTitle')}</h3>
      ${c.released && !held && html`<p class="notice ok">${i18n.t('checkout.released', { seats: c.released.join(', ') })}</p>`}
      <p>
        ${held
          ? i18n.t('checkout.releaseFirst')
          : remaining > 0
            ? i18n.t('checkout.pickText', { count: remaining })
            : i18n.t('checkout.noneLeft', { count: event.max_seats_per_order })}
      </p>
      <${SeatMap} feed=${feed} i18n=${i18n} picked=${c.picked} mine=${mine} onToggle=${onToggle} priceOf=${(sid) => i18n.money(price(sid))} />
      <p role="status" class="visually-hidden">${said}</p>
      ${!held &&
      html`<div class="pick-summary">
        <p>
          <span>${i18n.t('checkout.yourPick')}</span>${' '}
          <strong>${c.picked.length ? c.picked.join(', ') : i18n.t('checkout.nothingPicked')}</strong>
          ${c.picked.length > 0 && html`<span> · ${i18n.money(total)}</span>`}
        </p>
        <button type="button" class="primary" disabled=${!c.picked.length || !!c.busy} onClick=${() => holdPicked(id, token)}>
          ${c.busy === 'hold' ? i18n.t('checkout.holding') : i18n.t('checkout.hold')}
        </button>
      </div>`}
      ${!held && remaining > 0 && html`<${BestAvailable} i18n=${i18n} event=${event} token=${token} remaining=${remaining} busy=${c.busy} />`}
    </section>
  `;
}

/** N adjacent seats, best available, in a section or anywhere: no map needed. */
function BestAvailable({ i18n, event, token, remaining, busy }) {
  const [quantity, setQuantity] = useState(Math.min(2, remaining));
  const [section, setSection] = useState('');
  useEffect(() => setQuantity((n) => Math.max(1, Math.min(Number(n) || 1, remaining))), [remaining]);
  const submit = (e) => {
    e.preventDefault();
    const n = Math.max(1, Math.min(remaining, Math.round(Number(quantity)) || 1));
    updateCheckout(event.id, { released: null });
    holdBest(event.id, token, n, section || undefined);
  };
  return html`
    <form class="best" onSubmit=${submit} aria-labelledby="best-h">
      <h3 id="best-h">${i18n.t('best.title')}</h3>
      <p class="hint">${i18n.t('best.text')}</p>
      <div class="fields">
        <div class="field">
          <label for="best-qty">${i18n.t('best.quantity')}</label>
          <input id="best-qty" type="number" inputmode="numeric" min="1" max=${remaining} required value=${quantity}
            onInput=${(e) => setQuantity(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="best-section">${i18n.t('best.section')}</label>
          <select id="best-section" value=${section} onChange=${(e) => setSection(e.currentTarget.value)}>
            <option value="">${i18n.t('best.anySection')}</option>
            ${event.sections.map((s) => html`<option value=${s.name}>${i18n.t('best.sectionOption', { name: s.name, price: i18n.money(s.price_cents) })}</option>`)}
          </select>
        </div>
        <button type="submit" class="primary" disabled=${!!busy}>${i18n.t('best.submit')}</button>
      </div>
    </form>
  `;
}

function HoldPanel({ i18n, id, token, hold, busy }) {
  const now = useNow();
  const left = Math.max(0, (hold.expiresAt - now) / 1000);
  const heading = useRef(null);
  useEffect(() => heading.current?.focus(), [hold.hold_id]);
  useEffect(() => {
    if (left <= 0) holdLapsed(id, token);
  }, [left <= 0]);
  return html`
    <section class="hold" aria-labelledby="hold-h">
      <h3 id="hold-h" tabindex="-1" ref=${heading}>${i18n.t('hold.title')}</h3>
      <dl class="facts">
        <div><dt>${i18n.t('hold.seats')}</dt><dd>${hold.seats.join(', ')}</dd></div>
        <div><dt>${i18n.t('hold.total')}</dt><dd class="num">${i18n.money(hold.total_cents)}</dd></div>
        <div><dt>${i18n.t('hold.expiresIn')}</dt><dd class="clock num">${i18n.clock(left)}</dd></div>
      </dl>
      <p class="actions">
        <button type="button" class="primary" disabled=${!!busy} onClick=${() => confirmHold(id, token)}>
          ${busy === 'confirm' ? i18n.t('hold.confirming') : i18n.t('hold.confirm')}
        </button>
        <button type="button" class="secondary" disabled=${!!busy} onClick=${() => releaseHold(id, token)}>
          ${busy === 'release' ? i18n.t('hold.releasing') : i18n.t('hold.release')}
        </button>
      </p>
    </section>
  `;
}

function Confirmation({ i18n, order }) {
  return html`
    <${Bought} i18n=${i18n} orders=${[order]} focus=${true} />
    <p class="hint">${i18n.t('order.sessionEnded')}</p>
  `;
}
