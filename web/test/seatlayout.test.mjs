// The seat map's geometry (src/shared/seatlayout.js, src/shared/mapplaces.js): ids and
// indexes, rows across sections, the grid keys, compact states and marks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { arrange, GAP, PITCH } from '../src/shared/mapplaces.js';
import {
  decodeStates, FREE, gridKeyTarget, HELD, HELD_BACK, Layout, MARK_MINE, MARK_PICKED, marksOf, SOLD,
} from '../src/shared/seatlayout.js';

// A: 3 rows × 4, "B-2": 2 rows × 6 (a dash in the name), C: 1 row × 2.
const layout = new Layout([
  { name: 'A', rows: 3, seats_per_row: 4 },
  { name: 'B-2', rows: 2, seats_per_row: 6 },
  { name: 'C', rows: 1, seats_per_row: 2 },
]);

test('sections get offsets, row offsets and counts; totals add up', () => {
  assert.deepEqual(layout.sections.map((s) => [s.offset, s.rowOffset, s.count, s.index]), [[0, 0, 12, 0], [12, 3, 12, 1], [24, 5, 2, 2]]);
  assert.deepEqual([layout.total, layout.totalRows, layout.maxCols], [26, 6, 6]);
  assert.equal(new Layout([]).maxCols, 1);
});

test('ids and indexes round-trip for every seat', () => {
  for (let i = 0; i < layout.total; i++) assert.equal(layout.indexOf(layout.idOf(i)), i);
  assert.equal(layout.idOf(0), 'A-1-1');
  assert.equal(layout.idOf(11), 'A-3-4');
  assert.equal(layout.idOf(12), 'B-2-1-1');
  assert.equal(layout.idOf(25), 'C-1-2');
  assert.deepEqual(layout.position(19), { sec: layout.sections[1], row: 2, seat: 2 });
});

test('ids outside the map are -1', () => {
  for (const id of ['A-0-1', 'A-4-1', 'A-1-5', 'A-1-0', 'A-1', 'D-1-1', 'B-1-1', 'A-1-1.5', 'A-x-1', '', 'A--1-1']) {
    assert.equal(layout.indexOf(id), -1, id);
  }
});

test('sameShape compares names and sizes only', () => {
  const sections = layout.sections.map(({ name, rows, seats_per_row }) => ({ name, rows, seats_per_row, price_cents: 1 }));
  assert.ok(layout.sameShape(sections));
  assert.ok(!layout.sameShape(sections.slice(1)));
  assert.ok(!layout.sameShape(sections.map((s, i) => (i === 2 ? { ...s, rows: 2 } : s))));
  assert.ok(!layout.sameShape(sections.map((s, i) => (i === 0 ? { ...s, name: 'Z' } : s))));
});

test('rows away cross sections, keep the seat number where they can, stop at the ends', () => {
  const a32 = layout.indexOf('A-3-2');
  assert.equal(layout.idOf(layout.rowsAway(a32, 1)), 'B-2-1-2');
  assert.equal(layout.idOf(layout.rowsAway(layout.indexOf('B-2-2-6'), 1)), 'C-1-2', 'a shorter row: its last seat');
  assert.equal(layout.idOf(layout.rowsAway(layout.indexOf('B-2-1-5'), -1)), 'A-3-4');
  assert.equal(layout.idOf(layout.rowsAway(a32, -10)), 'A-1-2');
  assert.equal(layout.idOf(layout.rowsAway(a32, 10)), 'C-1-2');
  assert.deepEqual(layout.rowEnds(layout.indexOf('B-2-2-3')), { first: layout.indexOf('B-2-2-1'), last: layout.indexOf('B-2-2-6') });
});

test('the grid keys move the focus inside the map', () => {
  const at = (id, key, ctrl) => layout.idOf(gridKeyTarget(layout, layout.indexOf(id), key, ctrl));
  assert.equal(at('A-1-4', 'ArrowRight'), 'A-2-1', 'right runs on in reading order');
  assert.equal(at('A-1-1', 'ArrowLeft'), 'A-1-1', 'stops at the first seat');
  assert.equal(at('C-1-2', 'ArrowRight'), 'C-1-2', 'stops at the last seat');
  assert.equal(at('A-2-3', 'ArrowDown'), 'A-3-3');
  assert.equal(at('A-2-3', 'ArrowUp'), 'A-1-3');
  assert.equal(at('A-1-3', 'PageDown'), 'C-1-2');
  assert.equal(at('C-1-1', 'PageUp'), 'A-1-1');
  assert.equal(at('B-2-2-3', 'Home'), 'B-2-2-1');
  assert.equal(at('B-2-2-3', 'End'), 'B-2-2-6');
  assert.equal(at('B-2-2-3', 'Home', true), 'A-1-1');
  assert.equal(at('B-2-2-3', 'End', true), 'C-1-2');
  assert.equal(gridKeyTarget(layout, -1, 'ArrowRight'), 1, 'no focus yet: from the first seat');
  assert.equal(gridKeyTarget(layout, 3, 'Enter'), null);
  assert.equal(gridKeyTarget(layout, 3, 'a'), null);
  assert.equal(gridKeyTarget(layout, 3, 'constructor'), null);
});

test("the accessible row: the focused seat's neighbours within reach", () => {
  const around = layout.rowAround(layout.indexOf('B-2-1-3'), 1);
  assert.equal(around.sec.name, 'B-2');
  assert.equal(around.row, 1);
  assert.deepEqual(around.seats.map((s) => [s.id, s.seat, s.index]), [['B-2-1-2', 2, 13], ['B-2-1-3', 3, 14], ['B-2-1-4', 4, 15]]);
  assert.deepEqual(layout.rowAround(0, 20).seats.map((s) => s.id), ['A-1-1', 'A-1-2', 'A-1-3', 'A-1-4']);
});

test('compact states decode per seat; unknown and missing characters are free', () => {
  const small = new Layout([{ name: 'A', rows: 1, seats_per_row: 6 }]);
  assert.deepEqual([...decodeStates(small, 'fhsbx')], [FREE, HELD, SOLD, HELD_BACK, FREE, FREE]);
  assert.equal(decodeStates(small, 'ssssssss').length, 6, 'extra characters are ignored');
});

test('marks: picked, then mine over them; unknown ids skipped', () => {
  const marks = marksOf(layout, ['A-1-1', 'A-1-2', 'nope'], ['A-1-2', 'C-1-2']);
  assert.equal(marks.length, layout.total);
  assert.equal(marks[0], MARK_PICKED);
  assert.equal(marks[1], MARK_MINE);
  assert.equal(marks[25], MARK_MINE);
  assert.equal(marks.reduce((n, m) => n + (m ? 1 : 0), 0), 3);
});

test('sections are placed without overlap, centred in bands, for the largest seats', () => {
  const wide = arrange(layout.sections, 1000, 200, 20);
  const boxes = layout.sections.map((s) => {
    const p = wide.places[s.index];
    return { x0: p.x, x1: p.x + s.seats_per_row * PITCH, y0: p.y, y1: p.y + p.labelH + s.rows * PITCH };
  });
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, b] = [boxes[i], boxes[j]];
      assert.ok(a.x1 <= b.x0 || b.x1 <= a.x0 || a.y1 <= b.y0 || b.y1 <= a.y0, `sections ${i} and ${j} overlap`);
    }
  }
  assert.equal(wide.h, 20 + 3 * PITCH, 'a wide canvas: one band');
  assert.equal(wide.w, (4 + 6 + 2) * PITCH + 2 * GAP);
  const tall = arrange(layout.sections, 100, 1000, 20);
  assert.equal(tall.w, 6 * PITCH, 'a tall canvas: one section a band');
  assert.equal(tall.places[0].x, (6 - 4) * PITCH / 2, 'narrower sections are centred');
});
