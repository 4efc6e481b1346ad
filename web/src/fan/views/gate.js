// The gate for shops Floodgate does not own: a visitor who came from a shop's
// protected page (`?return_to=`) is told where they will go, and once admitted is
// sent back there with the purchase token, instead of shopping here. The URL is
// checked by the server first (only origins the operator allows); a refused one is
// said plainly and the fan can still buy here.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { request } from '../../shared/api.js';
import { returnKey, returnToFrom, sentKey, withToken } from '../gate.js';

/** Reads a key of sessionStorage (null when storage is off). */
function stored(key) {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function store(key, value) {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // Private modes without storage: the fan keeps the URL in the address bar.
  }
}

/**
 * The return trip of event `id`: null (none), `{status: 'checking'}`,
 * `{status: 'ok', url, origin, param}` or `{status: 'refused', code, origin}`.
 * The raw URL is kept in sessionStorage, so a sign-in on the way does not lose it.
 */
export function useGateReturn(id) {
  const [gate, setGate] = useState(null);
  useEffect(() => {
    const fromUrl = returnToFrom(location.search);
    if (fromUrl) store(returnKey(id), fromUrl);
    const raw = fromUrl || stored(returnKey(id));
    if (!raw) {
      setGate(null);
      return undefined;
    }
    let alive = true;
    setGate({ status: 'checking' });
    request(`/api/v1/events/${encodeURIComponent(id)}/gate/return?return_to=${encodeURIComponent(raw)}`)
      .then((answer) => {
        if (alive) setGate({ status: 'ok', url: answer.return_to, origin: answer.origin, param: answer.token_param });
      })
      .catch((e) => {
        if (!alive) return;
        if (e.status === 400) store(returnKey(id), null);
        let origin = '';
        try {
          origin = new URL(raw).host;
        } catch {
          origin = '';
        }
        setGate({ status: 'refused', code: e.code, origin });
      });
    return () => {
      alive = false;
    };
  }, [id]);
  return gate;
}

/** While waiting: where the fan will go, or why the link is refused. */
export function GateNote({ i18n, gate }) {
  if (!gate || gate.status === 'checking') return null;
  if (gate.status === 'refused') {
    const key = gate.code === 'return_url_not_allowed' ? 'gate.refusedOrigin' : 'gate.refusedUrl';
    return html`<p class="error" role="alert">${i18n.t(key, { origin: gate.origin })} ${i18n.t('gate.buyHere')}</p>`;
  }
  return html`<p class="notice gate-note">${i18n.t('gate.willReturn', { origin: hostOf(gate.origin) })}</p>`;
}

/**
 * Admitted with a return trip: the fan goes back to the shop with the token, once
 * by itself; a second time with the same token (the shop sent them back) waits for a
 * click, so a shop that refuses the token cannot bounce the fan in a loop.
 */
export function GateTurn({ i18n, event, gate, token }) {
  const href = withToken(gate.url, gate.param, token);
  const key = sentKey(event.id, token);
  const [again] = useState(() => stored(key) !== null);
  useEffect(() => {
    if (again) return;
    store(key, String(Date.now()));
    store(returnKey(event.id), null);
    location.assign(href);
  }, [href]);
  const host = hostOf(gate.origin);
  return html`
    <section class="panel checkout" aria-labelledby="gate-h">
      <div role="alert" class="turn">
        <h2 id="gate-h">${i18n.t('checkout.turnTitle')}</h2>
        <p>${again ? i18n.t('gate.cameBack', { origin: host }) : i18n.t('gate.going', { origin: host })}</p>
      </div>
      <p class="actions"><a class="button" href=${href} rel="noreferrer">${i18n.t('gate.continue', { origin: host })}</a></p>
    </section>
  `;
}

/** `https://shop.example:8443` → `shop.example:8443`, as people read a site's name. */
function hostOf(origin) {
  try {
    return new URL(origin).host;
  } catch {
    return origin;
  }
}
