// A seat map's shape and its seats' state codes, shared by the fan page's live map and
// the admin console's: seat index = section offset + (row-1)*seats_per_row + (seat-1).
// `Layout` owns that geometry (ids, rows, moving between rows and sections), so the
// maps and the canvas never redo it. Pure, unit-tested (test/seatlayout.test.mjs).

export const FREE = 0;
export const HELD = 1;
export const SOLD = 2;
/** Held back from sale by an admin (only the admins' map tells it apart; fans see sold). */
export const HELD_BACK = 3;
/** Compact seat map characters → state codes. */
export const CODES = { f: FREE, h: HELD, s: SOLD, b: HELD_BACK };
/** Marks drawn over a seat's state: picked by this person, or already theirs. */
export const MARK_PICKED = 1;
export const MARK_MINE = 2;

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

  /** Whether `sections` (a snapshot's) have this layout's names and sizes. */
  sameShape(sections) {
    const a = this.sections;
    return (
      a.length === sections.length &&
      a.every((s, i) => s.name === sections[i].name && s.rows === sections[i].rows && s.seats_per_row === sections[i].seats_per_row)
    );
  }

  /** The index of seat `seat` (1-based) in row `row` (1-based) of `sec`. */
  indexAt(sec, row, seat) {
    return sec.offset + (row - 1) * sec.seats_per_row + (seat - 1);
  }

  /** `A-1-5` → index, or -1. Section names may contain dashes: row and seat are the last two parts. */
  indexOf(id) {
    const parts = String(id).split('-');
    if (parts.length < 3) return -1;
    const seat = Number(parts.pop());
    const row = Number(parts.pop());
    const sec = this.byName.get(parts.join('-'));
    if (!sec || !Number.isInteger(row) || !Number.isInteger(seat)) return -1;
    if (row < 1 || row > sec.rows || seat < 1 || seat > sec.seats_per_row) return -1;
    return this.indexAt(sec, row, seat);
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

  /** `index` kept inside the map. */
  clamp(index) {
    return Math.max(0, Math.min(this.total - 1, index));
  }

  /** The first and last seat of `index`'s row. */
  rowEnds(index) {
    const { sec, row } = this.position(index);
    const first = this.indexAt(sec, row, 1);
    return { first, last: first + sec.seats_per_row - 1 };
  }

  /**
   * The seat `delta` rows below (above, if negative) seat `index`, counting rows
   * across sections in order, in the same seat number (or the row's last seat when
   * that row is shorter); stops at the first and last rows.
   */
  rowsAway(index, delta) {
    const { sec, row, seat } = this.position(index);
    const g = Math.max(0, Math.min(this.totalRows - 1, sec.rowOffset + row - 1 + delta));
    let target = this.sections[0];
    for (const s of this.sections) if (s.rowOffset <= g) target = s;
    return this.indexAt(target, g - target.rowOffset + 1, Math.min(seat, target.seats_per_row));
  }

  /**
   * The seats of `index`'s row within `reach` seats of it: `{sec, row, seats: [{index,
   * seat, id}]}` (the fan map's accessible row shows these).
   */
  rowAround(index, reach) {
    const { sec, row, seat } = this.position(index);
    const seats = [];
    for (let c = Math.max(1, seat - reach); c <= Math.min(sec.seats_per_row, seat + reach); c++) {
      seats.push({ index: this.indexAt(sec, row, c), seat: c, id: `${sec.name}-${row}-${c}` });
    }
    return { sec, row, seats };
  }
}

/** A compact seat map's states (one character per seat, see CODES) as codes; unknown or missing ones are free. */
export function decodeStates(layout, compact) {
  const states = new Uint8Array(layout.total);
  for (let i = 0; i < layout.total && i < compact.length; i++) states[i] = CODES[compact[i]] ?? FREE;
  return states;
}

/** Marks for seat ids: `picked` as MARK_PICKED, then `mine` as MARK_MINE (unknown ids skipped). */
export function marksOf(layout, picked, mine = []) {
  const marks = new Uint8Array(layout.total);
  for (const [ids, mark] of [[picked, MARK_PICKED], [mine, MARK_MINE]]) {
    for (const id of ids) {
      const i = layout.indexOf(id);
      if (i >= 0) marks[i] = mark;
    }
  }
  return marks;
}

/** The grid keys (ARIA grid pattern): where each moves the focus from seat `i`. */
const GRID_KEYS = new Map([
  ['ArrowRight', (layout, i) => i + 1],
  ['ArrowLeft', (layout, i) => i - 1],
  ['ArrowDown', (layout, i) => layout.rowsAway(i, 1)],
  ['ArrowUp', (layout, i) => layout.rowsAway(i, -1)],
  ['PageDown', (layout, i) => layout.rowsAway(i, 10)],
  ['PageUp', (layout, i) => layout.rowsAway(i, -10)],
  ['Home', (layout, i, ctrl) => (ctrl ? 0 : layout.rowEnds(i).first)],
  ['End', (layout, i, ctrl) => (ctrl ? layout.total - 1 : layout.rowEnds(i).last)],
]);

/**
 * Where a key moves the focus in a seat grid from seat `index`: arrows, Home/End in
 * the row or, with Ctrl, the map, PageUp/PageDown ten rows; kept inside the map. Null
 * for any other key.
 */
export function gridKeyTarget(layout, index, key, ctrlKey = false) {
  const move = GRID_KEYS.get(key);
  return move ? layout.clamp(move(layout, layout.clamp(index), ctrlKey)) : null;
}
