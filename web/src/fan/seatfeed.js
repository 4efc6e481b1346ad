// Live seat states of one event: the compact snapshot (one character per seat) and
// the deltas after it, kept in a Uint8Array so 50,000 seats cost 50 KB. Listeners
// hear which seats changed (or `null` for "everything": a new snapshot).
import { request, socketUrl } from '../shared/api.js';
import { decodeStates, FREE, HELD, Layout, SOLD } from '../shared/seatlayout.js';
import { ResilientSocket } from '../shared/socket.js';

export { FREE, HELD, SOLD, Layout };
const NAMES = { free: FREE, held: HELD, sold: SOLD };

export class SeatFeed {
  constructor(eventId) {
    this.eventId = eventId;
    this.layout = null;
    /** @type {Uint8Array|null} */
    this.states = null;
    this.listeners = new Set();
    this.sock = null;
  }

  start() {
    this.sock = new ResilientSocket({
      url: socketUrl(`/api/v1/events/${this.eventId}/seats/ws?format=compact`),
      onMessage: (msg) => this.apply(msg),
      poll: () => request(`/api/v1/events/${this.eventId}/seats?format=compact`),
      pollMs: 5000,
    }).start();
    return this;
  }

  stop() {
    this.sock?.stop();
    this.listeners.clear();
  }

  /** `fn(changed: number[] | null)`; answers the unsubscribe function. */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  stateOf(index) {
    return this.states ? this.states[index] : FREE;
  }

  apply(msg) {
    if (msg.type === 'delta') {
      if (!this.states) return;
      const changed = [];
      for (const c of msg.changes || []) {
        const i = this.layout.indexOf(c.seat);
        const st = NAMES[c.state];
        if (i < 0 || st === undefined) continue;
        this.states[i] = st;
        changed.push(i);
      }
      if (changed.length) this.emit(changed);
    } else if (typeof msg.states === 'string' && Array.isArray(msg.sections)) {
      // A snapshot (first frame, after lag, or a polled answer): replace the map.
      if (!this.layout || !this.layout.sameShape(msg.sections)) this.layout = new Layout(msg.sections);
      this.states = decodeStates(this.layout, msg.states);
      this.emit(null);
    }
  }

  emit(changed) {
    for (const fn of this.listeners) fn(changed);
  }
}
