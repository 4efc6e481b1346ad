// `/`: the sales (on sale first, then soonest), refreshed every ~15 s (with jitter) for seats left.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { events as eventsApi } from '../../shared/api.js';
import { useI18n } from '../../shared/language.js';
import { store, useFanState, useNow } from '../store.js';
import { ErrorMessage, fromPrice, saleState, Title } from './util.js';

export function EventsList() {
  const i18n = useI18n();
  const list = useFanState().eventsListed;
  const [error, setError] = useState(null);
  const now = useNow();

  useEffect(() => {
    let timer;
    let alive = true;
    const load = async () => {
      try {
        const all = await eventsApi.list();
        if (!alive) return;
        setError(null);
        store.set((s) => ({
          eventsListed: all,
          events: { ...s.events, ...Object.fromEntries(all.map((e) => [e.id, e])) },
        }));
      } catch (e) {
        if (alive) setError(e);
      }
      if (alive) timer = setTimeout(load, 12_000 + Math.random() * 6_000);
    };
    load();
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, []);

  // On sale first, then opening soonest, then sold out and closed.
  const rank = { on_sale: 0, scheduled: 1, sold_out: 2, closed: 3 };
  const sorted = list
    ? [...list].sort(
        (a, b) =>
          (rank[saleState(a, now)] ?? 4) - (rank[saleState(b, now)] ?? 4) || Date.parse(a.starts_at) - Date.parse(b.starts_at),
      )
    : null;
  return html`
    <${Title}>${i18n.t('events.title')}<//>
    <${ErrorMessage} i18n=${i18n} error=${error} />
    ${!sorted && !error && html`<p class="muted">${i18n.t('common.loading')}</p>`}
    ${sorted && sorted.length === 0 && html`<p>${i18n.t('events.none')}</p>`}
    ${sorted &&
    sorted.length > 0 &&
    html`<ul class="cards" aria-label=${i18n.t('events.title')}>
      ${sorted.map((ev) => html`<li key=${ev.id}><${EventCard} i18n=${i18n} event=${ev} now=${now} /></li>`)}
    </ul>`}
  `;
}

function EventCard({ i18n, event, now }) {
  const st = saleState(event, now);
  const starts = Date.parse(event.starts_at);
  return html`
    <article class="card">
      <h2><a href=${`/events/${event.id}`}>${event.name}</a></h2>
      <p class="meta"><${StateBadge} i18n=${i18n} state=${st} /> <span>${i18n.dateTime(starts)}</span></p>
      <dl class="facts">
        ${st === 'scheduled' && html`<div><dt>${i18n.t('event.opensIn')}</dt><dd class="num">${i18n.duration((starts - now) / 1000)}</dd></div>`}
        <div><dt>${i18n.t('event.seatsLeft')}</dt><dd class="num">${i18n.t('event.seatsOf', { available: event.available ?? '—', capacity: event.capacity })}</dd></div>
        <div><dt>${i18n.t('event.from')}</dt><dd class="num">${i18n.money(fromPrice(event))}</dd></div>
      </dl>
    </article>
  `;
}

/** The sale's state as a word and a glyph (never colour alone). */
export function StateBadge({ i18n, state }) {
  const glyph = { scheduled: '◷', on_sale: '●', sold_out: '✕', closed: '■' }[state] || '';
  return html`<span class=${`badge badge-${state}`}><span aria-hidden="true">${glyph} </span>${i18n.t(`state.${state}`)}</span>`;
}
