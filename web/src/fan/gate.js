// The gate for shops Floodgate does not own: a visitor sent to the line by a shop's
// proxy arrives with `?return_to=<shop URL>`; once admitted, the page sends them back
// there with the purchase token (the server says whether the URL's origin is allowed:
// GET /api/v1/events/{id}/gate/return). Pure, so it is unit-tested (web/test/gate.test.mjs).

const RETURN = 'return_to=';

/**
 * The return URL in a query string (`location.search`), or null. nginx cannot
 * percent-encode, so the shipped gate.conf puts `return_to` last and raw: its value
 * runs to the end of the query (the shop's own `&a=1` included). A caller that did
 * encode it (`https%3A%2F%2F…`) is decoded once.
 */
export function returnToFrom(search) {
  const query = (search || '').replace(/^\?/, '');
  let at = -1;
  for (let i = query.indexOf(RETURN); i !== -1; i = query.indexOf(RETURN, i + 1)) {
    if (i === 0 || query[i - 1] === '&') {
      at = i;
      break;
    }
  }
  if (at === -1) return null;
  let value = query.slice(at + RETURN.length);
  if (/^https?%3A/i.test(value)) {
    try {
      value = decodeURIComponent(value);
    } catch {
      return null;
    }
  }
  return value || null;
}

/**
 * `url` with `param=token` as its last query parameter (before any `#fragment`), the
 * rest of the URL byte for byte (no re-encoding of the shop's query).
 */
export function withToken(url, param, token) {
  const hashAt = url.indexOf('#');
  const base = hashAt === -1 ? url : url.slice(0, hashAt);
  const hash = hashAt === -1 ? '' : url.slice(hashAt);
  const sep = base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?';
  return `${base}${sep}${encodeURIComponent(param)}=${encodeURIComponent(token)}${hash}`;
}

/** Where the pending return URL of an event is kept over a sign-in (sessionStorage). */
export const returnKey = (eventId) => `floodgate.gate.return.${eventId}`;

/**
 * The key that remembers the page already sent this token back once: a second trip
 * with the same token (the shop refused it) is not automatic, so a misconfigured shop
 * cannot bounce the fan in a loop.
 */
export const sentKey = (eventId, token) => `floodgate.gate.sent.${eventId}.${String(token).slice(-16)}`;
