// The list of sales: name (link to its dashboard), opening time, state, seats taken.
import { html } from 'htm/preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { events as eventsApi } from '../shared/api.js';
import { useI18n } from '../shared/language.js';
import { useInterval, useTitle } from './util.js';

export function EventsList({ onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  useTitle(t('events.title'));
  const [list, setList] = useState(null);
  const [error, setError] = useState(null);

  const load = useCallback(async () => {
    try {
      const all = await eventsApi.list();
      all.sort((a, b) => Date.parse(b.starts_at) - Date.parse(a.starts_at));
      setList(all);
      setError(null);
    } catch (e) {
      if (!onAuthError(e)) setError(e);
    }
  }, [onAuthError]);
  useEffect(() => {
    load();
  }, [load]);
  useInterval(load, 15_000);

  return html`<div>
    <div class="title-row">
      <h1 tabindex="-1">${t('events.title')}</h1>
      <a class="button" href="/admin/events/new">${t('events.create')}</a>
    </div>
    ${error && html`<p class="error-box" role="alert">${t('events.load_failed', { message: error.message })}</p>`}
    ${list === null && !error && html`<p role="status">${t('app.loading')}</p>`}
    ${list && list.length === 0 && html`<p>${t('events.empty')}</p>`}
    ${list && list.length > 0 && html`<div class="table-scroll" role="region" aria-labelledby="events-caption" tabindex="0">
      <table class="events-table">
        <caption id="events-caption">${t('events.caption')}</caption>
        <thead>
          <tr>
            <th scope="col">${t('events.col_name')}</th>
            <th scope="col">${t('events.col_opens')}</th>
            <th scope="col">${t('events.col_state')}</th>
            <th scope="col" class="num">${t('events.col_taken')}</th>
          </tr>
        </thead>
        <tbody>
          ${list.map((ev) => html`<tr key=${ev.id}>
            <th scope="row"><a href=${`/admin/events/${encodeURIComponent(ev.id)}`}>${ev.name}</a></th>
            <td><time datetime=${ev.starts_at}>${i18n.dateTime(Date.parse(ev.starts_at))}</time></td>
            <td><${StateBadge} state=${ev.state} /></td>
            <td class="num">${typeof ev.available === 'number' ? t('events.taken_of', { taken: ev.capacity - ev.available, capacity: ev.capacity }) : '—'}</td>
          </tr>`)}
        </tbody>
      </table>
    </div>
    <p class="hint">${t('events.taken_note')}</p>`}
  </div>`;
}

export function StateBadge({ state }) {
  const i18n = useI18n();
  return html`<span class=${`badge state-${state}`}>${i18n.t(`state.${state}`)}</span>`;
}
