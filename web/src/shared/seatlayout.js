// A seat map's shape and its seats' state codes, shared by the fan page's live map and
// the admin console's: seat index = section offset + (row-1)*seats_per_row + (seat-1).

export const FREE = 0;
export const HELD = 1;
export const SOLD = 2;
/** Held back from sale by an admin (only the admins' map tells it apart; fans see sold). */
export const HELD_BACK = 3;
/** Compact seat map characters → state codes. */
export const CODES = { f: FREE, h: HELD, s: SOLD, b: HELD_BACK };

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
