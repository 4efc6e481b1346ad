// Checkout with the purchase token the queue handed over: pick seats, hold them (or
// ask for the best adjacent ones), confirm or release. The hold and the order are
// remembered for the tab (sessionStorage) so a reload during a hold shows it again.
import { events as eventsApi, request } from '../shared/api.js';
import { store, tabStorage, updateCheckout } from './store.js';

const key = (eventId) => `floodgate.checkout.${eventId}`;

/** The checkout state of `eventId`, restored for the current purchase token. */
export function restoreCheckout(eventId, token) {
  if (store.get().checkouts[eventId]) return;
  const saved = tabStorage.get(key(eventId));
  const same = saved && token && saved.token === token.slice(-24);
  updateCheckout(eventId, {
    hold: same ? saved.hold : null,
    order: saved ? saved.order : null,
    used: same ? saved.used : 0,
    picked: [],
    busy: null,
    error: null,
  });
}

/** Forgets the tab's checkout of `eventId` (a fan who bought joins the line again:
 *  the next admission is a new shopping session). */
export function forgetCheckout(eventId) {
  tabStorage.set(key(eventId), null);
  store.set((s) => {
    const { [eventId]: _gone, ...rest } = s.checkouts;
    return { checkouts: rest };
  });
}

function save(eventId, token) {
  const c = store.get().checkouts[eventId];
  tabStorage.set(key(eventId), { token: token.slice(-24), hold: c.hold, order: c.order, used: c.used });
}

/** Adds or removes a seat from the fan's pick (free seats only, up to `max`). */
export function togglePick(eventId, id, { free, max }) {
  const c = store.get().checkouts[eventId];
  if (!c || c.hold || c.busy) return 'busy';
  if (c.picked.includes(id)) {
    updateCheckout(eventId, { picked: c.picked.filter((s) => s !== id), error: null });
    return 'removed';
  }
  if (!free) return 'unavailable';
  if (c.picked.length >= max) {
    updateCheckout(eventId, { error: { code: 'pick_limit', max } });
    return 'limit';
  }
  updateCheckout(eventId, { picked: [...c.picked, id], error: null });
  return 'added';
}

/** Drops seats someone else took from the pick; answers the ones dropped. */
export function dropTaken(eventId, isFree) {
  const c = store.get().checkouts[eventId];
  if (!c || !c.picked.length) return [];
  const taken = c.picked.filter((id) => !isFree(id));
  if (taken.length) updateCheckout(eventId, { picked: c.picked.filter((id) => isFree(id)) });
  return taken;
}

async function run(eventId, token, busy, fn) {
  const c = store.get().checkouts[eventId];
  if (c?.busy) return;
  updateCheckout(eventId, { busy, error: null });
  try {
    await fn();
  } catch (e) {
    const details = e.details || {};
    const patch = {
      error: { code: e.code || 'unknown', status: e.status, seats: details.seats, message: e.message, retryAfter: e.retryAfter },
    };
    if (e.code === 'seats_unavailable' && Array.isArray(details.seats)) {
      patch.picked = store.get().checkouts[eventId].picked.filter((s) => !details.seats.includes(s));
    }
    if (e.code === 'hold_expired' || (e.code === 'not_found' && busy !== 'hold')) patch.hold = null;
    updateCheckout(eventId, patch);
  } finally {
    updateCheckout(eventId, { busy: null });
    save(eventId, token);
    refreshEvent(eventId);
  }
}

/** Seats left changed: fetch the event again (the page shows its `available`). */
function refreshEvent(eventId) {
  eventsApi.get(eventId).then(
    (ev) => store.set((s) => ({ events: { ...s.events, [eventId]: ev } })),
    () => {},
  );
}

function held(eventId, answer) {
  updateCheckout(eventId, (c) => ({
    hold: {
      hold_id: answer.hold_id,
      seats: answer.seats,
      expiresAt: Date.parse(answer.expires_at),
      total_cents: answer.total_cents,
    },
    picked: [],
    released: null,
    used: c.used + answer.seats.length,
  }));
}

/** Holds the picked seats. */
export function holdPicked(eventId, token) {
  const seats = store.get().checkouts[eventId].picked;
  if (!seats.length) return;
  return run(eventId, token, 'hold', async () => {
    held(eventId, await request(`/api/v1/events/${eventId}/holds`, { method: 'POST', token, body: { seats } }));
  });
}

/** Holds the best `quantity` adjacent seats, in `section` if given. */
export function holdBest(eventId, token, quantity, section) {
  const body = section ? { quantity, section } : { quantity };
  return run(eventId, token, 'hold', async () => {
    held(eventId, await request(`/api/v1/events/${eventId}/holds`, { method: 'POST', token, body }));
  });
}

export function confirmHold(eventId, token) {
  const hold = store.get().checkouts[eventId].hold;
  if (!hold) return;
  return run(eventId, token, 'confirm', async () => {
    const order = await request(`/api/v1/holds/${hold.hold_id}/confirm`, { method: 'POST', token });
    updateCheckout(eventId, { order, hold: null });
  });
}

export function releaseHold(eventId, token) {
  const hold = store.get().checkouts[eventId].hold;
  if (!hold) return;
  return run(eventId, token, 'release', async () => {
    await request(`/api/v1/holds/${hold.hold_id}`, { method: 'DELETE', token });
    updateCheckout(eventId, { hold: null, released: hold.seats });
  });
}

/** The hold ran out on the fan's clock: forget it (the server releases the seats). */
export function holdLapsed(eventId, token) {
  updateCheckout(eventId, { hold: null, error: { code: 'hold_expired' } });
  save(eventId, token);
}
