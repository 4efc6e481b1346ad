// The fan's place in line for each event: one resilient queue socket per event the
// fan is in line for, its messages folded into the store. A reload or a reconnect
// resumes the same ticket (the server sends the current state on connect), so the
// socket never re-sends `join` on its own: a fan who lost the place is told `left`.
import { events as eventsApi, request, socketUrl } from '../shared/api.js';
import { solve } from './pow.js';
import { ResilientSocket } from '../shared/socket.js';
import { setAccount } from '../shared/session.js';
import { initialQueue, modeChange, reduceQueue, waiting } from './queue-reducer.js';
import { store, tabStorage, updateQueue } from './store.js';

/** @type {Map<string, {sock: ResilientSocket|null, wantJoin: boolean, joined?: boolean, polls: number}>} */
const clients = new Map();

const firstKey = (eventId, ticket) => `floodgate.first.${eventId}.${ticket}`;

/**
 * Looks up the signed-in fan's place for `eventId` (after a reload, or a visit in
 * another tab) and resumes the live connection if the fan holds a ticket.
 */
export async function attachQueue(eventId) {
  if (clients.has(eventId)) return;
  const client = { sock: null, wantJoin: false, polls: 0 };
  clients.set(eventId, client);
  let msg;
  try {
    msg = await request(`/api/v1/events/${eventId}/queue/me`);
  } catch (e) {
    if (e.status === 401) {
      clients.delete(eventId);
      setAccount(null);
      return;
    }
    // Unknown (offline?): connect; the socket tells the state when it can.
    msg = null;
  }
  if (clients.get(eventId) !== client) return;
  // A join made while the answer was on its way is newer news (its socket tells the
  // place itself): a stale "not in the queue" must not read as a lost place.
  if (msg && !client.joined) handle(eventId, msg);
  const phase = store.get().queues[eventId]?.phase;
  if (!msg || waiting(phase) || phase === 'admitted' || client.wantJoin) connect(eventId, client);
}

/** One click: joins the line (or the pre-queue before the opening), after the proof
 *  of work when the event asks for one. */
export function joinQueue(eventId) {
  let client = clients.get(eventId);
  if (!client) {
    client = { sock: null, wantJoin: false, polls: 0 };
    clients.set(eventId, client);
  }
  client.wantJoin = true;
  client.joined = true;
  client.powTries = 0;
  if (store.get().events[eventId]?.pow_difficulty > 0 && !client.pow) {
    solveThenJoin(eventId, client, null);
    return;
  }
  updateQueue(eventId, { phase: 'joining', error: null, notice: null });
  if (client.sock) {
    if (!client.sock.send({ type: 'join' })) client.sock.connectNow();
  } else {
    connect(eventId, client);
  }
}

/** Gives up the place: over the socket, or over HTTP when the socket is down (blocked
 *  WebSockets). Answers false when neither could say so. */
export function leaveQueue(eventId) {
  const client = clients.get(eventId);
  if (client) client.leaving = true;
  if (client?.sock?.send({ type: 'leave' })) return true;
  request(`/api/v1/events/${eventId}/queue/leave`, { method: 'POST' }).then(
    (msg) => handle(eventId, msg),
    () => updateQueue(eventId, { error: 'leave_offline' }),
  );
  return true;
}

/** Closes the connection (the place is kept for the server's grace period). */
export function detachQueue(eventId) {
  const client = clients.get(eventId);
  client?.sock?.stop();
  clients.delete(eventId);
}

/** Closes every queue connection (signing out). */
export function detachAll() {
  for (const id of [...clients.keys()]) detachQueue(id);
}

/** Solves `challenge` (or a fresh one) with honest progress, then joins with the
 *  solution in the socket's handshake (a new socket: the URL carries it). */
async function solveThenJoin(eventId, client, challenge) {
  client.powTries = (client.powTries || 0) + 1;
  if (client.powTries > 3) {
    client.wantJoin = false;
    updateQueue(eventId, { phase: 'idle', error: 'pow_required' });
    return;
  }
  updateQueue(eventId, { phase: 'solving', powProgress: 0, error: null, notice: null });
  try {
    const c = challenge || (await request(`/api/v1/events/${eventId}/challenge`, { method: 'POST' }));
    client.pow = await solve(c, (powProgress) => updateQueue(eventId, { powProgress }));
  } catch {
    client.wantJoin = false;
    updateQueue(eventId, { phase: 'idle', error: 'pow_failed' });
    return;
  }
  if (clients.get(eventId) !== client) return;
  updateQueue(eventId, { phase: 'joining' });
  client.sock?.stop();
  client.sock = null;
  connect(eventId, client);
}

/** The queue socket's URL, with the proof of work while the fan is joining with one. */
function queueUrl(eventId, client) {
  const url = socketUrl(`/api/v1/events/${eventId}/queue/ws`);
  return client.pow && client.wantJoin ? `${url}?pow=${encodeURIComponent(client.pow)}` : url;
}

function connect(eventId, client) {
  if (client.sock) return;
  client.sock = new ResilientSocket({
    url: () => queueUrl(eventId, client),
    onMessage: (msg) => handle(eventId, msg),
    onStatus: (conn) => updateQueue(eventId, { conn }),
    onOpen: (sock) => {
      if (client.wantJoin) {
        sock.send({ type: 'join' });
        return;
      }
      // A reconnect: the server sends a waiting ticket's state by itself, but says
      // nothing of a ticket that lapsed meanwhile, so ask (a lost place is told).
      if (waiting(store.get().queues[eventId]?.phase)) {
        request(`/api/v1/events/${eventId}/queue/me`).then((msg) => handle(eventId, msg), () => {});
      }
    },
    poll: () => poll(eventId, client),
    pollMs: 3000,
    ping: () => {
      const phase = store.get().queues[eventId]?.phase;
      return waiting(phase) || phase === 'admitted' ? { type: 'join' } : null;
    },
  }).start();
}

/** The polling fallback: the fan's latest message (joining over HTTP first when the
 *  fan asked to join), and every other time the event (which carries what the socket
 *  would push: paused, the admission mode and its message, sold out, seats left). */
async function poll(eventId, client) {
  client.polls += 1;
  const pow = client.pow ? `?pow=${encodeURIComponent(client.pow)}` : '';
  const ask = client.wantJoin
    ? request(`/api/v1/events/${eventId}/queue/join${pow}`, { method: 'POST' })
    : request(`/api/v1/events/${eventId}/queue/me`);
  const [msg, event] = await Promise.all([
    ask.catch((e) => {
      // The session ended: there is no place to follow any more.
      if (e.status === 401) {
        detachAll();
        setAccount(null);
        return null;
      }
      if (e.code === 'pow_required' && e.details?.challenge && client.wantJoin) {
        client.pow = null;
        solveThenJoin(eventId, client, e.details.challenge);
        return null;
      }
      throw e;
    }),
    client.polls % 2 === 1 ? eventsApi.get(eventId).catch(() => null) : null,
  ]);
  if (event) {
    store.set((s) => ({ events: { ...s.events, [eventId]: event } }));
    updateQueue(eventId, (q) => {
      const paused = !!event.admission?.paused;
      const soldOut = event.state === 'sold_out';
      const resumed = (q.paused && !paused) || (q.soldOut && !soldOut);
      const notice = resumed ? 'resumed' : q.notice;
      const mode = event.admission?.mode ?? 'queue';
      const message = event.admission?.message ?? null;
      const modePatch = mode === q.mode && message === q.modeMessage ? {} : modeChange({ ...q, notice }, mode, message);
      return { paused, soldOut, available: event.available, notice, ...modePatch };
    });
  }
  return msg;
}

/** The event as the queue's live seat count tells it: seats left, and the sale's state
 *  between `on_sale` and `sold_out` (a sold-out sale is on sale again once seats come
 *  back), without waiting for the page's next fetch of the event. */
function liveSeats(eventId, available) {
  store.set((s) => {
    const ev = s.events[eventId];
    if (!ev || (ev.state !== 'on_sale' && ev.state !== 'sold_out')) return null;
    const state = available > 0 ? 'on_sale' : 'sold_out';
    if (ev.state === state && ev.available === available) return null;
    return { events: { ...s.events, [eventId]: { ...ev, state, available } } };
  });
}

/** Folds one server message into the store (queue-reducer.js), then does what it asks. */
export function handle(eventId, msg) {
  const client = clients.get(eventId);
  const q = store.get().queues[eventId] || initialQueue();
  const storedFirst = msg.type === 'queued' ? tabStorage.get(firstKey(eventId, msg.ticket)) : null;
  const step = reduceQueue(q, msg, { wantJoin: !!client?.wantJoin, leaving: !!client?.leaving, storedFirst });
  if (client && step.client) Object.assign(client, step.client);
  if (step.first) tabStorage.set(firstKey(eventId, step.first.ticket), step.first.first);
  if (step.closed) {
    store.set((s) => {
      const ev = s.events[eventId];
      return ev ? { events: { ...s.events, [eventId]: { ...ev, state: 'closed' } } } : {};
    });
  }
  if (step.queue !== q) store.set((s) => ({ queues: { ...s.queues, [eventId]: step.queue } }));
  if (step.seats !== null) liveSeats(eventId, step.seats);
  if (step.detach) detachQueue(eventId);
  if (step.solve) solveThenJoin(eventId, client, step.solve);
}
