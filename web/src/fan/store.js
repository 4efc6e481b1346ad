// The fan page's state, in one place: a plain object replaced on every change, a
// `set` that merges a patch, and subscribers. Views read it through `useStore`;
// modules that talk to the network write to it through `set` / `update*` helpers.
import { useEffect, useState } from 'preact/hooks';

/**
 * @typedef {object} QueueState  one event's queue, as the server last told us
 * @property {'idle'|'joining'|'prequeue'|'queued'|'admitted'|'expired'|'left'} phase
 * @property {string} [ticket]
 * @property {number} [ahead]      people in front
 * @property {number} [eta]        estimated seconds to wait
 * @property {number|null} [etaLow]  the server's range for it (null: none given)
 * @property {number|null} [etaHigh]
 * @property {string|null} [etaBasis] rate | measured | active_limit | none
 * @property {number} [first]      `ahead` when the fan started (for the progress bar)
 * @property {number} [startsAt]   opening (ms, server clock) while in the pre-queue
 * @property {boolean} paused
 * @property {boolean} soldOut
 * @property {string|null} notice  'resumed' right after a pause ended
 * @property {number|null} available seats still free (from `availability`)
 * @property {string} [token]      purchase token once admitted
 * @property {number} [expiresAt]  end of the shopping session (ms, server clock)
 * @property {'idle'|'connecting'|'open'|'reconnecting'|'offline'|'polling'} conn
 * @property {string|null} error   last error code from the socket or a request
 */

function createStore(initial) {
  let state = initial;
  const subscribers = new Set();
  return {
    get: () => state,
    /** Merges `patch` (an object, or a function of the state answering one). */
    set(patch) {
      const next = typeof patch === 'function' ? patch(state) : patch;
      if (!next) return;
      state = { ...state, ...next };
      for (const fn of subscribers) fn(state);
    },
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
  };
}

export const store = createStore({
  /** @type {import('../shared/i18n.js').I18n | null} */
  i18n: null,
  /** ms to add to Date.now() to read the server's clock */
  offset: 0,
  /** undefined while unknown; null when signed out */
  user: undefined,
  route: { name: 'events', params: {} },
  /** @type {Record<string, object>} events by id, as last fetched */
  events: {},
  eventsListed: null,
  /** @type {Record<string, QueueState>} */
  queues: {},
  /** @type {Record<string, object>} checkout by event id: {hold, order, busy, error, used} */
  checkouts: {},
});

/** The server's clock now, in ms. */
export const serverNow = () => Date.now() + store.get().offset;

/** Re-renders the calling component whenever the store changes; answers the state. */
export function useStore() {
  const [state, setState] = useState(store.get());
  useEffect(() => store.subscribe(setState), []);
  return state;
}

export const initialQueue = () => ({
  phase: 'idle',
  paused: false,
  soldOut: false,
  waitlist: false,
  notice: null,
  available: null,
  conn: 'idle',
  error: null,
});

/** Merges `patch` into the queue state of `eventId`. */
export function updateQueue(eventId, patch) {
  store.set((s) => {
    const prev = s.queues[eventId] || initialQueue();
    const next = typeof patch === 'function' ? patch(prev) : patch;
    return next ? { queues: { ...s.queues, [eventId]: { ...prev, ...next } } } : null;
  });
}

/** Merges `patch` into the checkout state of `eventId`. */
export function updateCheckout(eventId, patch) {
  store.set((s) => {
    const prev = s.checkouts[eventId] || { hold: null, order: null, busy: null, error: null, used: 0 };
    const next = typeof patch === 'function' ? patch(prev) : patch;
    return next ? { checkouts: { ...s.checkouts, [eventId]: { ...prev, ...next } } } : null;
  });
}

/** A value that ticks every `ms` (aligned to the second), for countdowns. */
export function useNow(ms = 1000) {
  const [now, setNow] = useState(serverNow());
  useEffect(() => {
    let timer;
    const tick = () => {
      const t = serverNow();
      setNow(t);
      timer = setTimeout(tick, ms - (t % ms) + 5);
    };
    timer = setTimeout(tick, ms - (serverNow() % ms) + 5);
    return () => clearTimeout(timer);
  }, [ms]);
  return now;
}

/** sessionStorage that never throws (private modes, quotas). */
export const session = {
  get(key) {
    try {
      const v = sessionStorage.getItem(key);
      return v === null ? null : JSON.parse(v);
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      if (value === null || value === undefined) sessionStorage.removeItem(key);
      else sessionStorage.setItem(key, JSON.stringify(value));
    } catch {
      /* storage blocked: state lasts for this page only */
    }
  },
};
