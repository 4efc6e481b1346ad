// A small client for Floodgate's HTTP API. Errors come back in the contract's shape
// {"error":{"code","message"}} and are thrown as ApiError, so views branch on `code`.
// The browser's session is an HttpOnly cookie: page scripts never see the session
// token. Checkout calls carry the purchase token the queue socket handed over.

/** An error answered by the API (or a network failure, code `network`). */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0 for a network failure)
   * @param {string} code machine-readable code from the body
   * @param {string} message text for humans, from the server
   * @param {object} [details] the rest of the error object (e.g. `seats`)
   */
  constructor(status, code, message, details = {}, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    /** Seconds the server asked to wait before retrying (`Retry-After`), or null. */
    this.retryAfter = retryAfter;
  }
}

/**
 * Calls the API. Answers the parsed JSON body (null for 204).
 * @param {string} path e.g. `/api/v1/events`
 * `contentType` sends `body` as it is (a string) with that type instead of as JSON.
 * @param {{method?: string, body?: unknown, token?: string, signal?: AbortSignal, contentType?: string}} [options]
 */
export async function request(path, { method = 'GET', body, token, signal, contentType } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = contentType ?? 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined || contentType ? body : JSON.stringify(body),
      credentials: 'same-origin',
      signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', e.message || 'network error');
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const err = json && json.error ? json.error : { code: `http_${response.status}`, message: text };
    const { code, message, ...details } = err;
    const retryAfter = Number.parseInt(response.headers.get('retry-after') ?? '', 10);
    throw new ApiError(response.status, code, message, details, retryAfter > 0 ? retryAfter : null);
  }
  return json;
}

/** Browser sessions (an HttpOnly cookie set by the server). */
export const session = {
  /** The signed-in account `{user_id, email, admin, expires_at}`, or null. */
  async me() {
    try {
      return await request('/api/v1/auth/session');
    } catch (e) {
      if (e.status === 401) return null;
      throw e;
    }
  },
  /** Signs in; the server sets the cookie. Answers the account. */
  login: (email, password) => request('/api/v1/auth/session', { method: 'POST', body: { email, password } }),
  logout: () => request('/api/v1/auth/session', { method: 'DELETE' }),
  register: (email, password) => request('/api/v1/auth/register', { method: 'POST', body: { email, password } }),
};

export const events = {
  list: () => request('/api/v1/events'),
  get: (id) => request(`/api/v1/events/${encodeURIComponent(id)}`),
  /** Redeems a presale access code: answers `{group: {name, opens_at}}`. */
  redeemPresale: (id, code) => request(`/api/v1/events/${encodeURIComponent(id)}/presale/redeem`, { method: 'POST', body: { code } }),
};

/** The wall clock of the server: `offset` ms to add to Date.now(). */
export async function serverOffset(samples = 3) {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < samples; i++) {
    const t0 = Date.now();
    const { now_ms } = await request('/api/v1/time');
    const t1 = Date.now();
    // The server read its clock about half-way through the round trip.
    const rtt = t1 - t0;
    if (rtt < best.rtt) best = { rtt, offset: now_ms - (t0 + rtt / 2) };
  }
  return best.offset;
}

/** `ws://` or `wss://` URL of an API path on this origin. */
export function socketUrl(path) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${path}`;
}
