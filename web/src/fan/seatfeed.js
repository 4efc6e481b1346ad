// Live seat states of one event: the compact snapshot (one character per seat) and
// the deltas after it, kept in a Uint8Array so 50,000 seats cost 50 KB. Listeners
// hear which seats changed (or `null` for "everything": a new snapshot).
import { request, socketUrl } from '../shared/api.js';
import { ResilientSocket } from './socket.js';

export const FREE = 0;
export const HELD = 1;
export const SOLD = 2;
const CODES = { f: FREE, h: HELD, s: SOLD };
const NAMES = { free: FREE, held: HELD, sold: SOLD };

/** Sections with their offsets: seat index = offset + (row-1)*seats_per_row + (seat-1). */
export class Layout {
  constructor(sections) {
    let offset = 0;
    let rowOffset = 0;
    this.sections = sections.map((s, i) => {
      const sec = { ...s, index: i, offset, rowOffset, count: s.rows * s.seats_per_row };
      offset += sec.count;
      rowOffset += s.rows;
      return sec;
    });
    this.total = offset;
    this.totalRows = rowOffset;
    this.maxCols = Math.max(1, ...sections.map((s) => s.seats_per_row));
    this.byName = new Map(this.sections.map((s) => [s.name, s]));
  }

  /** `A-1-5` → index, or -1. Section names may contain dashes: row and seat are the last two parts. */
  indexOf(id) {
    const parts = String(id).split('-');
    if (parts.length < 3) return -1;
    const seat = Number(parts.pop());
    const row = Number(parts.pop());
    const sec = this.byName.get(parts.join('-'));
    if (!sec || !(row >= 1 && row <= sec.rows) || !(seat >= 1 && seat <= sec.seats_per_row)) return -1;
    return sec.offset + (row - 1) * sec.seats_per_row + (seat - 1);
  }

  /** The section holding seat `index` (binary search over offsets). */
  sectionOf(index) {
    const secs = this.sections;
    let lo = 0;
    let hi = secs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (secs[mid].offset <= index) lo = mid;
      else hi = mid - 1;
    }
    return secs[lo];
  }

  /** `{sec, row, seat}` (1-based row and seat) of seat `index`. */
  position(index) {
    const sec = this.sectionOf(index);
    const local = index - sec.offset;
    return { sec, row: Math.floor(local / sec.seats_per_row) + 1, seat: (local % sec.seats_per_row) + 1 };
  }

  idOf(index) {
    const { sec, row, seat } = this.position(index);
    return `${sec.name}-${row}-${seat}`;
  }
}

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
      const same = this.layout && sameSections(this.layout.sections, msg.sections);
      if (!same) this.layout = new Layout(msg.sections);
      const n = this.layout.total;
      const states = new Uint8Array(n);
      const s = msg.states;
      for (let i = 0; i < n && i < s.length; i++) states[i] = CODES[s[i]] ?? FREE;
      this.states = states;
      this.emit(null);
    }
  }

  emit(changed) {
    for (const fn of this.listeners) fn(changed);
  }
}

function sameSections(a, b) {
  return (
    a.length === b.length &&
    a.every((s, i) => s.name === b[i].name && s.rows === b[i].rows && s.seats_per_row === b[i].seats_per_row)
  );
}
