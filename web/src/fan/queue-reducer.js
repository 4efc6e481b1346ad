// The fan's place in line as a pure fold: one server message (from the queue socket
// or a polled HTTP answer) and the queue state before it give the state after it,
// plus what the caller must do about it (forget the join request, store the starting
// place, close the socket, solve a proof of work, show the seats left). No I/O here,
// so every phase change is unit-tested (test/queue-reducer.test.mjs).

/**
 * @typedef {object} QueueState  one event's queue, as the server last told us
 * @property {'idle'|'solving'|'joining'|'prequeue'|'queued'|'admitted'|'purchased'|'expired'|'left'|'closed'} phase
 * @property {string} [ticket]
 * @property {number} [ahead]      people in front (exact as of the last message)
 * @property {number|null} [aheadAbout] people in front as shown deep in the line,
 *   rounded by the server ("about 12,000"); null: `ahead` is shown
 * @property {number} [eta]        estimated seconds to wait
 * @property {number|null} [etaLow]  the server's range for it (null: none given)
 * @property {number|null} [etaHigh]
 * @property {string|null} [etaBasis] rate | measured | active_limit | none
 * @property {number} [first]      `ahead` when the fan started (for the progress bar)
 * @property {number} [startsAt]   opening (ms, server clock) while in the pre-queue
 * @property {{name: string, opensAt: number}} [presale]  the presale group whose line the fan is in
 * @property {boolean} paused
 * @property {'queue'|'queue_all'|'reject'|'passthrough'|null} mode  the event's admission
 *   mode as the socket (or a polled event) last told it; null: not told yet (the page
 *   then reads the event's `admission.mode`)
 * @property {string|null} modeMessage  the admin's words for that mode (null: none)
 * @property {boolean} soldOut
 * @property {string|null} notice  'resumed' right after a pause ended, 'place_lost'
 * @property {number|null} available seats still free (from `availability`)
 * @property {number|null} [availableAbout] the same rounded by the server from 1,000 up
 *   ("about 38,000"; null: `available` is shown)
 * @property {string} [token]      purchase token once admitted
 * @property {number} [expiresAt]  end of the shopping session (ms, server clock)
 * @property {'idle'|'connecting'|'open'|'reconnecting'|'offline'|'polling'} conn
 * @property {string|null} error   last error code from the socket or a request
 */

/** @returns {QueueState} */
export const initialQueue = () => ({
  phase: 'idle',
  paused: false,
  mode: null,
  modeMessage: null,
  soldOut: false,
  waitlist: false,
  notice: null,
  available: null,
  conn: 'idle',
  error: null,
});

/** In the pre-queue or in line: a ticket the server keeps for the fan. */
export const waiting = (phase) => phase === 'prequeue' || phase === 'queued';

/**
 * @typedef {object} Step  what one message changes
 * @property {QueueState} queue   the state after the message
 * @property {{wantJoin?: boolean, pow?: null}|null} client  changes to the join request
 * @property {{ticket: string, first: number|null}|null} first  the starting place to remember (null: forget)
 * @property {boolean} detach      nothing more to follow: close the socket
 * @property {object|null} solve   a proof-of-work challenge to solve before joining again
 * @property {number|null} seats   seats left, for the event's own figures
 * @property {boolean} closed      the sale is over for good
 */

/**
 * Folds `msg` into `q`.
 * @param {QueueState} q
 * @param {{type: string}} msg
 * @param {{wantJoin?: boolean, leaving?: boolean, storedFirst?: number|null}} [ctx]
 *   the fan's join request in flight, a leave the fan asked for, and (for `queued`)
 *   the starting place remembered for its ticket
 * @returns {Step}
 */
export function reduceQueue(q, msg, { wantJoin = false, leaving = false, storedFirst = null } = {}) {
  const step = { queue: q, client: null, first: null, detach: false, solve: null, seats: null, closed: false };
  const set = (patch) => {
    step.queue = { ...step.queue, ...patch };
  };
  // An HTTP answer says "sold out" or "waitlist" in the same message (the socket sends its own).
  const extras = () => ({ ...(msg.sold_out ? { soldOut: true } : {}), ...(msg.waitlist ? { waitlist: true } : {}) });
  switch (msg.type) {
    case 'prequeue':
      step.client = { wantJoin: false, pow: null };
      set({ phase: 'prequeue', ticket: msg.ticket, pseudonym: msg.pseudonym ?? null, startsAt: Date.parse(msg.starts_at), error: null, ...extras() });
      // A presale group's line: the server names the group; its opening is `starts_at`.
      if (msg.presale) set({ presale: { name: msg.presale, opensAt: Date.parse(msg.starts_at) } });
      break;
    case 'queued': {
      step.client = { wantJoin: false, pow: null };
      let first = storedFirst;
      if (typeof first !== 'number' || first < msg.ahead) {
        first = msg.ahead;
        step.first = { ticket: msg.ticket, first };
      }
      set({
        phase: 'queued',
        ticket: msg.ticket,
        pseudonym: msg.pseudonym ?? null,
        ahead: msg.ahead,
        aheadAbout: msg.ahead_about ?? null,
        eta: msg.eta_secs,
        ...etaFields(msg),
        first,
        error: null,
        // A new ticket for a fan who was already waiting and did not ask to rejoin:
        // the place could not be kept (the service lost it); say so.
        notice: q.ticket && q.ticket !== msg.ticket && waiting(q.phase) ? 'place_lost' : q.phase === 'queued' ? q.notice : null,
        ...extras(),
      });
      break;
    }
    case 'position': {
      let first = q.first;
      if (typeof first !== 'number' || first < msg.ahead) {
        first = msg.ahead;
        if (q.ticket) step.first = { ticket: q.ticket, first };
      }
      const phase = q.phase === 'prequeue' || q.phase === 'joining' ? 'queued' : q.phase;
      set({ phase, ahead: msg.ahead, aheadAbout: msg.ahead_about ?? null, eta: msg.eta_secs, ...etaFields(msg), first });
      break;
    }
    case 'admitted':
      step.client = { wantJoin: false };
      set({ phase: 'admitted', token: msg.purchase_token, expiresAt: Date.parse(msg.expires_at), paused: false, soldOut: false, notice: null, error: null });
      break;
    case 'purchased':
      // The session ended with an order: no token any more, and nothing to follow.
      step.client = { wantJoin: false };
      step.detach = true;
      set({ phase: 'purchased', orders: msg.orders, token: undefined, paused: false, soldOut: false, waitlist: false, notice: null, error: null });
      break;
    case 'waitlist':
      set({ waitlist: true });
      break;
    case 'paused':
      set({ paused: true, notice: null });
      break;
    case 'mode':
      set(modeChange(q, msg.mode, msg.message ?? null));
      break;
    case 'resumed':
      set({ paused: false, soldOut: false, notice: 'resumed' });
      break;
    case 'sold_out':
      set({ soldOut: true, notice: null });
      step.seats = 0;
      break;
    case 'availability':
      set({ available: msg.available, availableAbout: msg.available_about ?? null });
      step.seats = msg.available;
      break;
    case 'closed':
      // The sale is over for good (the server closes the socket next): no place to
      // keep, nothing to reconnect to.
      step.closed = true;
      step.detach = true;
      set({ phase: 'closed', token: undefined, paused: false, soldOut: false, notice: null, error: null });
      break;
    case 'left':
    case 'expired': {
      if (q.ticket) step.first = { ticket: q.ticket, first: null };
      // `left` that the fan did not ask for: the place lapsed or was lost; say so. The
      // same news may come twice (the reconnected socket and the `queue/me` the
      // reconnect asks): the second keeps what the first said.
      const lost = msg.type === 'left' && !leaving && waiting(q.phase);
      const notice = lost ? 'place_lost' : q.phase === msg.type ? q.notice : null;
      step.detach = true;
      set({ phase: msg.type, token: undefined, paused: false, soldOut: false, notice, error: null });
      break;
    }
    case 'error':
      if (msg.code === 'pow_required' && msg.challenge && wantJoin) {
        // No (or no longer a) valid proof of work for a new place: solve the one given.
        step.client = { pow: null };
        step.solve = msg.challenge;
      } else if (msg.code === 'event_rejecting') {
        // Maintenance: no new place for now (a place already held is kept).
        step.client = { wantJoin: false };
        set({ phase: waiting(q.phase) ? q.phase : 'idle', mode: 'reject', error: null });
      } else if (msg.code === 'not_in_queue') {
        // Polling answered "no ticket": joining needs the socket, which keeps trying.
        // A fan who was waiting and now has no ticket lost the place: tell them.
        if (waiting(q.phase) && !wantJoin) set({ phase: 'left', notice: 'place_lost' });
        else set({ phase: wantJoin ? 'joining' : 'idle', error: wantJoin ? 'join_needs_socket' : q.error });
      } else {
        set({ error: msg.code });
      }
      break;
    default:
      break;
  }
  return step;
}

/** Modes that hold admission: the fan is shown the admin's message (admission.md). */
export const holding = (mode) => mode === 'queue_all' || mode === 'reject';

/**
 * The queue state's patch for the event's admission mode `mode` with `message`: a
 * line that moves again after `queue_all` or `reject` says so (`resumed`).
 * @param {QueueState} q
 */
export function modeChange(q, mode, message) {
  const resumed = holding(q.mode) && !holding(mode) && waiting(q.phase);
  return { mode, modeMessage: message, notice: resumed ? 'resumed' : holding(mode) ? null : q.notice };
}

/** The estimated wait's range and basis from a `queued` or `position` message (absent
 *  from older servers: null, and the page falls back to a range of its own). */
function etaFields(msg) {
  return { etaLow: msg.eta_low_secs ?? null, etaHigh: msg.eta_high_secs ?? null, etaBasis: msg.eta_basis ?? null };
}
