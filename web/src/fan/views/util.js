// Small pieces several views share: error messages by code, the wait range, the
// event's state on the server's clock, headings that take focus.
import { html } from 'htm/preact';

/** Message keys for the API's error codes; anything else falls back to a generic one. */
const ERRORS = new Set([
  'invalid_credentials', 'email_taken', 'invalid_email', 'weak_password', 'rate_limited', 'network',
  'seats_unavailable', 'token_exhausted', 'wrong_event', 'too_many_seats', 'invalid_token', 'sold_out',
  'unknown_seat', 'duplicate_seat', 'invalid_quantity', 'unknown_section', 'hold_expired', 'not_your_hold',
  'not_found', 'unavailable', 'overloaded', 'event_closed', 'unauthorized', 'pick_limit', 'leave_offline',
  'join_needs_socket', 'seats_taken_live', 'session_ended', 'invalid_field', 'invalid_body', 'invalid_json', 'frame_too_large',
  'too_many_places', 'pow_required', 'pow_failed', 'refund_window_closed', 'refunds_not_offered',
  'account_limit_reached', 'token_account_mismatch', 'bad_origin', 'event_rejecting',
]);

/**
 * A sentence for an error (an ApiError, or `{code, seats, max, retryAfter}`), in the
 * fan's language, followed by when to try again if the server said (`Retry-After`).
 */
export function errorText(i18n, err) {
  if (!err) return '';
  const code = err.code || 'unknown';
  const params = { seats: (err.seats || []).join(', '), max: err.max ?? '', code };
  const text = ERRORS.has(code) ? i18n.t(`error.${code}`, params) : i18n.t('error.generic', params);
  return err.retryAfter > 0 ? i18n.t('error.retryIn', { text, secs: err.retryAfter }) : text;
}

/**
 * The estimated wait as a range, 80%–130% of `eta` seconds, rounded to a step that
 * suits its size; null when it is about to happen.
 */
export function etaRange(eta) {
  if (!(eta > 0)) return null;
  const lo = eta * 0.8;
  const hi = eta * 1.3;
  if (hi < 60) return { under: 60 };
  // Whole minutes up to half an hour, then 5 minutes, then quarter hours.
  const step = (v) => (v < 1800 ? 60 : v < 3 * 3600 ? 300 : 900);
  const low = Math.max(60, Math.floor(lo / step(lo)) * step(lo));
  const high = Math.max(low + step(low), Math.ceil(hi / step(hi)) * step(hi));
  return { low, high };
}

/** A wait rounded for people: 5 s steps under a minute and a half, then whole minutes,
 *  5 minutes past half an hour, quarter hours past three hours (`how`: floor, ceil or
 *  round). */
function roundWait(secs, how) {
  const step = secs < 90 ? 5 : secs < 1800 ? 60 : secs < 3 * 3600 ? 300 : 900;
  return Math.max(how === Math.ceil ? step : 0, how(secs / step) * step);
}

/**
 * The estimated wait: "about 2 min (1 min–3 min)" from the server's point estimate and
 * range; the waitlist's own meaning when the server gives no estimate on it; the
 * page's own 80%–130% range from servers that send no range.
 */
export function etaText(i18n, eta, low = null, high = null, basis = null) {
  if (basis === 'none') return i18n.t('queue.etaNone');
  if (typeof low === 'number' && typeof high === 'number') {
    if (!(eta > 0) || high <= 10) return i18n.t('queue.etaSoon');
    const point = roundWait(eta, Math.round) || roundWait(eta, Math.ceil);
    const lo = Math.min(point, roundWait(low, Math.floor));
    const hi = Math.max(point, roundWait(high, Math.ceil));
    const about = i18n.duration(point);
    if (lo === hi) return i18n.t('queue.etaAbout', { eta: about });
    return i18n.t('queue.etaAboutRange', { eta: about, low: i18n.duration(lo), high: i18n.duration(hi) });
  }
  const r = etaRange(eta);
  if (!r) return i18n.t('queue.etaSoon');
  if (r.under) return i18n.t('queue.etaUnderMinute');
  return i18n.t('queue.etaRange', { low: i18n.duration(r.low), high: i18n.duration(r.high) });
}

/** The sale's state on the server's clock: a scheduled sale is on sale from its start. */
export function saleState(event, now) {
  if (event.state === 'scheduled' && now >= Date.parse(event.starts_at)) return 'on_sale';
  return event.state;
}

/** The main heading of a view; the app moves focus to it after navigation. */
export function Title({ children, id }) {
  return html`<h1 id=${id} tabindex="-1">${children}</h1>`;
}

/** An error paragraph announced at once (role="alert"), or nothing. */
export function ErrorMessage({ i18n, error, id }) {
  if (!error) return null;
  return html`<p class="error" role="alert" id=${id}>${errorText(i18n, error)}</p>`;
}

/** Lowest section price, for "from $25.00". */
export function fromPrice(event) {
  return Math.min(...event.sections.map((s) => s.price_cents));
}
