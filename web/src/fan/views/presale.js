// Presales on the fan page: the openings of the sale's presale groups (listed on the
// event page), and "Have a presale code?" — a code redeemed for the signed-in account
// puts every join of it into that group's line, which opens before the public sale.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { events as eventsApi, request } from '../../shared/api.js';
import { setAccount } from '../../shared/session.js';
import { handle } from '../queue.js';
import { store, updateQueue, useNow } from '../store.js';
import { errorText } from './util.js';

/** The presale groups the public event lists, by opening time. */
export function presalesOf(event) {
  return [...(event?.presales ?? [])].sort((a, b) => Date.parse(a.opens_at) - Date.parse(b.opens_at));
}

/**
 * The presale group whose line a pre-queued fan is in, `{name, id}`, or null for the
 * public line: the server's opening for the fan (`startsAt`) is the group's, so the
 * group is found by it (after a reload too), the accepted code's name deciding a tie.
 */
export function lineGroup(event, q) {
  const startsAt = q.startsAt;
  if (!(startsAt < Date.parse(event.starts_at))) return null;
  const same = presalesOf(event).filter((g) => Date.parse(g.opens_at) === startsAt);
  const group = same.find((g) => g.name === q.presale?.name) ?? same[0];
  if (group) return { name: group.name, id: group.id ?? null };
  return q.presale ? { name: q.presale.name, id: null } : null;
}

/** "Fan club presale opens …", one line per group, then the public opening. */
export function Openings({ i18n, event }) {
  const now = useNow();
  const groups = presalesOf(event);
  if (groups.length === 0) return null;
  return html`<section class="openings" aria-labelledby="openings-h">
    <h2 id="openings-h">${i18n.t('presale.openingsTitle')}</h2>
    <ul>
      ${groups.map((g) => html`<li key=${g.id ?? g.name + g.opens_at}>
        ${i18n.t(Date.parse(g.opens_at) <= now ? 'presale.groupOpened' : 'presale.groupOpens', { name: g.name })} <time datetime=${g.opens_at}>${i18n.dateTime(Date.parse(g.opens_at))}</time>
      </li>`)}
      <li>${i18n.t('presale.publicOpens')} <time datetime=${event.starts_at}>${i18n.dateTime(Date.parse(event.starts_at))}</time></li>
    </ul>
  </section>`;
}

/** The sentence for a refused code, in the fan's language. */
export function codeErrorText(i18n, err) {
  switch (err?.code) {
    case 'code_missing':
      return i18n.t('presale.codeMissing');
    case 'code_unknown':
      return i18n.t('presale.codeUnknown');
    case 'code_used_up':
      return i18n.t('presale.codeUsedUp');
    case 'code_other_group':
      return i18n.t('presale.codeOtherGroup');
    case 'too_many_code_attempts':
      return err.retryAfter > 0
        ? i18n.t('presale.tooManyWait', { wait: i18n.duration(err.retryAfter) })
        : i18n.t('presale.tooMany');
    case 'presale_over':
      return i18n.t('presale.over');
    case 'network':
      return i18n.t('presale.network');
    default:
      return errorText(i18n, err);
  }
}

/**
 * "Have a presale code?": a field and a button (before the public opening, when the
 * sale has presale groups), then the group's name and opening once accepted. A fan
 * already in the public pre-queue moves to the group's line: its state is read again.
 */
export function PresaleCode({ i18n, event, q }) {
  const now = useNow();
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const accepted = q.presale;

  if (accepted) {
    return html`<div class="notice ok presale-accepted" role="status">
      <p><strong>${i18n.t('presale.accepted', { name: accepted.name })}</strong></p>
      <p>${accepted.opensAt <= now ? i18n.t('presale.acceptedOpen') : i18n.t('presale.acceptedOpens', { when: i18n.dateTime(accepted.opensAt) })}
        ${' '}${accepted.moved ? i18n.t('presale.acceptedMoved') : q.phase === 'prequeue' || q.phase === 'queued' ? '' : i18n.t('presale.acceptedJoin')}</p>
    </div>`;
  }

  const submit = async (e) => {
    e.preventDefault();
    const typed = code.trim();
    if (!typed) {
      setError({ code: 'code_missing' });
      document.getElementById('presale-code')?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const { group } = await eventsApi.redeemPresale(event.id, typed);
      // Already pre-queued in the public line: the server moved the place; its state
      // (the group's opening) is read again, and the move is said.
      const moved = store.get().queues[event.id]?.phase === 'prequeue';
      updateQueue(event.id, { presale: { name: group.name, opensAt: Date.parse(group.opens_at), moved } });
      setCode('');
      if (moved) {
        request(`/api/v1/events/${event.id}/queue/me`).then((msg) => msg && handle(event.id, msg), () => {});
      }
    } catch (err) {
      if (err?.status === 401) {
        setAccount(null);
        return;
      }
      setError(err);
      document.getElementById('presale-code')?.focus();
    } finally {
      setBusy(false);
    }
  };

  return html`<form class="presale-code" onSubmit=${submit} noValidate aria-labelledby="presale-code-h">
    <h3 id="presale-code-h">${i18n.t('presale.haveCode')}</h3>
    <p class="hint" id="presale-code-hint">${i18n.t('presale.codeHint')}</p>
    <label for="presale-code">${i18n.t('presale.codeLabel')}</label>
    <div class="code-row">
      <input id="presale-code" type="text" value=${code} autocomplete="off" autocapitalize="characters" spellcheck="false"
        maxlength="64" enterkeyhint="go"
        onInput=${(e) => { setCode(e.currentTarget.value); if (error) setError(null); }}
        aria-invalid=${error ? 'true' : undefined}
        aria-describedby=${error ? 'presale-code-hint presale-code-error' : 'presale-code-hint'} />
      <button type="submit" class="secondary" disabled=${busy}>${busy ? i18n.t('presale.checking') : i18n.t('presale.useCode')}</button>
    </div>
    ${error && html`<p class="error" role="alert" id="presale-code-error">${codeErrorText(i18n, error)}</p>`}
  </form>`;
}
