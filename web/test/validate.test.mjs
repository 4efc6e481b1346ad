// The console's create- and edit-sale form rules (src/admin/validate.js), which
// mirror the server's: every problem at once, by input id, and the request body.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LIMITS, parsePriceCents, parseWhole, validateEvent } from '../src/admin/validate.js';

const t = (key, params) => (params ? `${key} ${JSON.stringify(params)}` : key);
const ids = {
  name: 'name', startsAt: 'starts', showAt: 'show', refundHours: 'refund', perAccount: 'per-account', pow: 'pow',
  maxSeats: 'max-seats', holdTtl: 'hold', rate: 'rate', maxActive: 'max-active', sessionTtl: 'session', addSection: 'add',
  section: (key) => ({ name: `s${key}-name`, rows: `s${key}-rows`, seatsPerRow: `s${key}-per-row`, price: `s${key}-price` }),
};
const parseDateTime = (v) => (v ? Date.parse(`${v}Z`) : NaN);
const valid = () => ({
  name: ' Spring show ',
  startsAt: '2030-05-01T18:00',
  showAt: '',
  refundHours: '',
  perAccount: '',
  pow: '',
  maxSeats: '4',
  holdTtl: '300',
  rate: '120',
  maxActive: '50',
  sessionTtl: '600',
  sections: [
    { key: 1, name: 'A', rows: '5', seatsPerRow: '10', price: '50' },
    { key: 2, name: 'B', rows: '2', seatsPerRow: '3', price: '12.5' },
  ],
});
const check = (patch) => validateEvent({ ...valid(), ...patch }, { t, ids, parseDateTime });
const errorIds = (result) => result.errors.map((e) => e.id);

test('whole numbers and prices parse strictly', () => {
  assert.equal(parseWhole(' 12 ', 1, 20), 12);
  for (const bad of ['', '0', '21', '1.5', '-1', '1e1', 'x', null, undefined]) assert.equal(parseWhole(bad, 1, 20), undefined, String(bad));
  assert.equal(parsePriceCents('12'), 1200);
  assert.equal(parsePriceCents('12.5'), 1250);
  assert.equal(parsePriceCents('0.07'), 7);
  for (const bad of ['12.345', '-1', '$5', '', '1,5', String(LIMITS.priceMaxCents / 100 + 1)]) assert.equal(parsePriceCents(bad), undefined, bad);
});

test('a valid form answers the request body, blank options left out or null', () => {
  const { errors, body, capacity } = check({});
  assert.deepEqual(errors, []);
  assert.equal(capacity, 56);
  assert.deepEqual(body, {
    name: 'Spring show',
    starts_at: '2030-05-01T18:00:00.000Z',
    sections: [
      { name: 'A', rows: 5, seats_per_row: 10, price_cents: 5000 },
      { name: 'B', rows: 2, seats_per_row: 3, price_cents: 1250 },
    ],
    max_seats_per_order: 4,
    hold_ttl_secs: 300,
    admission: { rate_per_minute: 120, max_active: 50, session_ttl_secs: 600 },
    show_at: null,
    refund_window_secs: null,
    max_seats_per_account: null,
  });
});

test('the optional settings: show time, refund window, per-account cap, proof of work', () => {
  const { errors, body } = check({ showAt: '2030-05-02T20:00', refundHours: '48', perAccount: '8', pow: '12' });
  assert.deepEqual(errors, []);
  assert.equal(body.show_at, '2030-05-02T20:00:00.000Z');
  assert.equal(body.refund_window_secs, 48 * 3600);
  assert.equal(body.max_seats_per_account, 8);
  assert.equal(body.pow_difficulty, 12);
});

test('every problem is reported at once, in the form order, and no body is sent', () => {
  const result = check({ name: '  ', startsAt: '', maxSeats: '51', holdTtl: '', rate: 'x', sessionTtl: '9' });
  assert.equal(result.body, null);
  assert.deepEqual(errorIds(result), ['name', 'starts', 'max-seats', 'hold', 'rate', 'session']);
  assert.match(result.errors[0].message, /^validate.required/);
  assert.match(result.errors[2].message, /^validate.range .*"min":1,"max":50/);
});

test('names: too long counts characters, not bytes', () => {
  assert.deepEqual(errorIds(check({ name: '票'.repeat(LIMITS.nameMax) })), []);
  assert.deepEqual(errorIds(check({ name: 'x'.repeat(LIMITS.nameMax + 1) })), ['name']);
});

test('sections: names, duplicates, sizes, prices, none, too many, too large', () => {
  const s = (patch) => ({ key: 9, name: 'C', rows: '1', seatsPerRow: '1', price: '1', ...patch });
  const sections = (...extra) => [...valid().sections, ...extra];
  assert.deepEqual(errorIds(check({ sections: sections(s({ name: 'A' })) })), ['s9-name'], 'a duplicate');
  assert.match(check({ sections: sections(s({ name: 'A' })) }).errors[0].message, /"other":1/);
  assert.deepEqual(errorIds(check({ sections: sections(s({ name: 'C-1' })) })), ['s9-name'], 'a dash is not allowed');
  assert.deepEqual(errorIds(check({ sections: sections(s({ rows: '0', seatsPerRow: '1001', price: '1.234' })) })), ['s9-rows', 's9-per-row', 's9-price']);
  assert.deepEqual(errorIds(check({ sections: sections(s({ price: ' ' })) })), ['s9-price']);
  assert.deepEqual(errorIds(check({ sections: [] })), ['add']);
  const many = Array.from({ length: LIMITS.sectionsMax + 1 }, (_, i) => s({ key: i, name: `S${i}` }));
  assert.deepEqual(errorIds(check({ sections: many })), ['add']);
  const huge = [s({ name: 'A', rows: '1000', seatsPerRow: '1000' }), s({ key: 8, name: 'B', rows: '1', seatsPerRow: '1' })];
  const result = check({ sections: huge });
  assert.deepEqual(errorIds(result), ['add']);
  assert.equal(result.capacity, 1_000_001);
});

test('dates: unreadable, the show before the opening, a refund window without a show', () => {
  assert.deepEqual(errorIds(check({ startsAt: 'soon' })), ['starts']);
  assert.deepEqual(errorIds(check({ showAt: 'later' })), ['show']);
  assert.deepEqual(errorIds(check({ showAt: '2030-05-01T18:00' })), ['show'], 'the show must come after the opening');
  assert.deepEqual(errorIds(check({ refundHours: '24' })), ['refund']);
  assert.deepEqual(errorIds(check({ refundHours: '8785', showAt: '2030-05-02T20:00' })), ['refund']);
  assert.deepEqual(errorIds(check({ perAccount: '0', pow: '29' })), ['per-account', 'pow']);
});
