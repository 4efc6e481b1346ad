// `/events/{id}`: the sale (sections, prices, seats left, the countdown to the opening
// on the server's clock) and, below the title, the fan's place: join, the line, or
// the checkout once admitted.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { events as eventsApi } from '../../shared/api.js';
import { useI18n } from '../../shared/language.js';
import { attachQueue } from '../queue.js';
import { useRoute } from '../router.js';
import { initialQueue, store, useFanState, useNow, useUser } from '../store.js';
import { Purchased } from './bought.js';
import { Checkout } from './checkout.js';
import { GateNote, GateTurn, useGateReturn } from './gate.js';
import { StateBadge } from './events.js';
import { NotFound } from './notfound.js';
import { QueuePanel } from './queue.js';
import { Openings } from './presale.js';
import { ErrorMessage, saleState, Title } from './util.js';

/** While waiting, the queue socket tells seats left (`availability`). */
const WAITING = new Set(['joining', 'prequeue', 'queued']);

export function EventPage() {
  const i18n = useI18n();
  const user = useUser();
  const state = useFanState();
  const id = useRoute().params.id;
  const event = state.events[id];
  const q = state.queues[id] || initialQueue();
  const [loadError, setLoadError] = useState(null);
  const now = useNow();
  const inLine = WAITING.has(q.phase);
  // Sent here by a shop's proxy (`?return_to=`): admitted fans go back there.
  const gate = useGateReturn(id);

  const load = async () => {
    try {
      const ev = await eventsApi.get(id);
      setLoadError(null);
      store.set((s) => ({ events: { ...s.events, [id]: ev } }));
    } catch (e) {
      setLoadError(e);
    }
  };

  // Seats left stay live: while not in line, refresh every ~10 s with jitter (in
  // line, the queue socket's `availability` messages do it).
  useEffect(() => {
    let timer;
    let alive = true;
    const tick = async () => {
      await load();
      if (alive) timer = setTimeout(tick, 8_000 + Math.random() * 4_000);
    };
    if (!inLine || !store.get().events[id]) tick();
    else timer = setTimeout(tick, 8_000 + Math.random() * 4_000);
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [id, inLine]);

  // A closed sale has no line to follow (its socket would be refused).
  const closed = event?.state === 'closed';
  useEffect(() => {
    if (user && !closed) attachQueue(id);
  }, [id, !!user, closed]);

  useEffect(() => {
    if (event) document.title = i18n.t('title.event', { name: event.name });
  }, [event && event.name, i18n]);

  // At the opening (server clock), every fan's page flips at the same moment; the
  // event itself is fetched again a moment later, spread over two seconds.
  const st = event ? saleState(event, now) : null;
  const prevState = useRef(st);
  const [opened, setOpened] = useState(false);
  useEffect(() => {
    if (prevState.current === 'scheduled' && st === 'on_sale') {
      setOpened(true);
      const t = setTimeout(load, Math.random() * 2000);
      prevState.current = st;
      return () => clearTimeout(t);
    }
    prevState.current = st;
  }, [st]);

  if (!event) {
    if (loadError && loadError.status === 404) return html`<${NotFound} />`;
    return html`
      <${Title}>${i18n.t('event.loading')}<//>
      <${ErrorMessage} i18n=${i18n} error=${loadError} />
    `;
  }

  const starts = Date.parse(event.starts_at);
  // A fan whose presale code was accepted counts down to the group's opening.
  const groupOpens = q.presale && q.presale.opensAt < starts ? q.presale.opensAt : NaN;
  const available = inLine && typeof q.available === 'number' ? q.available : event.available;
  // Deep in a big sale the server rounds seats left too ("about 38,000").
  const availableAbout = inLine && typeof q.available === 'number' && typeof q.availableAbout === 'number' ? q.availableAbout : null;
  const seatsShown = availableAbout !== null ? i18n.t('queue.aboutNumber', { n: i18n.number(availableAbout) }) : available ?? '—';
  // A fan who bought keeps seeing the order after the shopping session ends.
  const order = state.checkouts[id]?.order;
  const admitted = q.phase === 'admitted' || (q.phase === 'expired' && order && order.event_id === id);
  return html`
    <${Title}>${event.name}<//>
    <p class="meta"><${StateBadge} i18n=${i18n} state=${st} /> <span>${i18n.dateTime(starts)}</span></p>
    <p role="status" class="visually-hidden">${opened ? i18n.t('event.nowOpen') : ''}</p>
    ${st === 'scheduled' && !['prequeue', 'queued', 'admitted', 'purchased'].includes(q.phase) &&
    (groupOpens > now
      ? html`<p class="countdown">
          <span class="countdown-label">${i18n.t('presale.lineOpensIn', { name: q.presale.name })}</span>
          <span class="clock num">${i18n.clock((groupOpens - now) / 1000)}</span>
        </p>`
      : html`<p class="countdown">
          <span class="countdown-label">${i18n.t('event.opensIn')}</span>
          <span class="clock num">${i18n.clock((starts - now) / 1000)}</span>
        </p>`)}
    ${st === 'scheduled' && html`<${Openings} i18n=${i18n} event=${event} />`}
    ${!admitted && q.phase !== 'purchased' && html`<${GateNote} i18n=${i18n} gate=${gate} />`}
    ${q.phase === 'purchased'
      ? html`<${Purchased} event=${event} queue=${q} />`
      : q.phase === 'admitted' && q.token && gate && gate.status === 'ok'
      ? html`<${GateTurn} i18n=${i18n} event=${event} gate=${gate} token=${q.token} />`
      : q.phase === 'admitted' && gate && gate.status === 'checking'
      ? html`<p class="muted">${i18n.t('common.loading')}</p>`
      : admitted
      ? html`<${Checkout} event=${event} queue=${q} />`
      : html`<${QueuePanel} event=${event} queue=${q} saleState=${st} available=${available} availableAbout=${availableAbout} />`}
    <section class="panel" aria-labelledby="tickets-h">
      <h2 id="tickets-h">${i18n.t('event.tickets')}</h2>
      <p class="seats-left" hidden=${st === 'closed'}>
        <span>${i18n.t('event.seatsLeft')}</span>
        <strong class="num">${i18n.t('event.seatsOf', { available: seatsShown, capacity: event.capacity })}</strong>
      </p>
      <div class="table-wrap">
        <table>
          <caption class="visually-hidden">${i18n.t('event.sectionsCaption')}</caption>
          <thead><tr><th scope="col">${i18n.t('event.section')}</th><th scope="col">${i18n.t('event.price')}</th><th scope="col">${i18n.t('event.seats')}</th></tr></thead>
          <tbody>
            ${event.sections.map(
              (s) => html`<tr key=${s.name}>
                <th scope="row">${s.name}</th>
                <td class="num">${i18n.money(s.price_cents)}</td>
                <td class="num">${i18n.t('event.rowsBySeats', { rows: s.rows, seats: s.seats_per_row, count: s.rows * s.seats_per_row })}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <p class="hint">${i18n.t('event.rules', { max: event.max_seats_per_order, count: event.max_seats_per_order, hold: i18n.duration(event.hold_ttl_secs) })}</p>
    </section>
  `;
}
