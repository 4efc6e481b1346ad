// The fan page's own state, in one place (the shell keeps the route, the session and
// the language): the server's clock, the events, and per event the queue and the
// checkout. Views read it through `useFanState`; modules that talk to the network
// write to it through `set` / `update*` helpers.
import { useEffect, useState } from 'preact/hooks';
import { useSession } from '../shared/session.js';
import { createStore, useStore } from '../shared/store.js';
import { initialQueue } from './queue-reducer.js';

export { initialQueue };

export const store = createStore({
  /** ms to add to Date.now() to read the server's clock */
  offset: 0,
  /** @type {Record<string, object>} events by id, as last fetched */
  events: {},
  eventsListed: null,
  /** @type {Record<string, import('./queue-reducer.js').QueueState>} */
  queues: {},
  /** @type {Record<string, object>} checkout by event id: {hold, order, busy, error, used} */
  checkouts: {},
});

/** The server's clock now, in ms. */
export const serverNow = () => Date.now() + store.get().offset;

/** Re-renders the calling component whenever the fan's state changes; answers it. */
export const useFanState = () => useStore(store);

/** The signed-in fan: undefined while unknown, null when signed out (or when the
 *  server could not say: the page offers to sign in). */
export function useUser() {
  const { account, error } = useSession();
  return account === undefined && error ? null : account;
}

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
export const tabStorage = {
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
