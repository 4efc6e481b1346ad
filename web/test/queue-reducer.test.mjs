// The fan's place in line as a pure fold (src/fan/queue-reducer.js): each server
// message moves the phase, and says what the page must do about it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initialQueue, reduceQueue, waiting } from '../src/fan/queue-reducer.js';

/** Folds messages one after another, answering the last step. */
function fold(messages, ctx = {}, start = initialQueue()) {
  let step = { queue: start };
  for (const msg of messages) step = reduceQueue(step.queue, msg, ctx);
  return step;
}

const queued = (ticket, ahead, extra = {}) => ({ type: 'queued', ticket, ahead, eta_secs: ahead * 2, ...extra });

test('joining before the opening: the pre-queue, then the line, then admitted', () => {
  const pre = reduceQueue({ ...initialQueue(), phase: 'joining' }, { type: 'prequeue', ticket: 't1', starts_at: '2030-01-01T00:00:00Z' }, { wantJoin: true });
  assert.equal(pre.queue.phase, 'prequeue');
  assert.equal(pre.queue.startsAt, Date.parse('2030-01-01T00:00:00Z'));
  assert.deepEqual(pre.client, { wantJoin: false, pow: null }, 'the join request is answered');
  assert.equal(pre.detach, false);

  const line = reduceQueue(pre.queue, { type: 'position', ahead: 12, eta_secs: 30 });
  assert.equal(line.queue.phase, 'queued', 'the opening turns the pre-queue into the line');
  assert.equal(line.queue.first, 12);
  assert.deepEqual(line.first, { ticket: 't1', first: 12 }, 'the starting place is remembered');

  const admitted = reduceQueue(line.queue, { type: 'admitted', purchase_token: 'tok', expires_at: '2030-01-01T00:10:00Z' });
  assert.equal(admitted.queue.phase, 'admitted');
  assert.equal(admitted.queue.token, 'tok');
  assert.equal(admitted.queue.expiresAt, Date.parse('2030-01-01T00:10:00Z'));
  assert.deepEqual(admitted.client, { wantJoin: false });
});

test('queued keeps the largest starting place: the stored one, or a later larger count', () => {
  const resumed = reduceQueue(initialQueue(), queued('t1', 5), { storedFirst: 40 });
  assert.equal(resumed.queue.first, 40);
  assert.equal(resumed.first, null, 'nothing new to remember');
  const grown = reduceQueue(initialQueue(), queued('t1', 50), { storedFirst: 40 });
  assert.equal(grown.queue.first, 50);
  assert.deepEqual(grown.first, { ticket: 't1', first: 50 });
  const position = reduceQueue(grown.queue, { type: 'position', ahead: 20, eta_secs: 10 });
  assert.equal(position.queue.first, 50);
  assert.equal(position.first, null);
});

test("the server's wait range is kept; older servers send none", () => {
  const ranged = reduceQueue(initialQueue(), queued('t1', 5, { eta_low_secs: 5, eta_high_secs: 20, eta_basis: 'measured' }));
  assert.deepEqual([ranged.queue.etaLow, ranged.queue.etaHigh, ranged.queue.etaBasis], [5, 20, 'measured']);
  const plain = reduceQueue(ranged.queue, { type: 'position', ahead: 4, eta_secs: 8 });
  assert.deepEqual([plain.queue.etaLow, plain.queue.etaHigh, plain.queue.etaBasis], [null, null, null]);
});

test('a new ticket for a fan already waiting, who did not rejoin, means the place was lost', () => {
  const first = fold([queued('t1', 5)]);
  const lost = reduceQueue(first.queue, queued('t2', 30));
  assert.equal(lost.queue.notice, 'place_lost');
  const same = reduceQueue(lost.queue, queued('t2', 29));
  assert.equal(same.queue.notice, 'place_lost', 'kept while still in line');
  const fresh = reduceQueue({ ...initialQueue(), phase: 'joining' }, queued('t3', 3));
  assert.equal(fresh.queue.notice, null);
});

test('left unasked while waiting is a lost place; asked, it is not; twice keeps the notice', () => {
  const inLine = fold([queued('t1', 5)]).queue;
  const lost = reduceQueue(inLine, { type: 'left' });
  assert.equal(lost.queue.phase, 'left');
  assert.equal(lost.queue.notice, 'place_lost');
  assert.equal(lost.detach, true);
  assert.deepEqual(lost.first, { ticket: 't1', first: null }, 'the starting place is forgotten');
  assert.equal(reduceQueue(lost.queue, { type: 'left' }).queue.notice, 'place_lost', 'the repeat keeps it');
  const asked = reduceQueue(inLine, { type: 'left' }, { leaving: true });
  assert.equal(asked.queue.notice, null);
});

test('expired drops the token and closes the socket', () => {
  const admitted = fold([queued('t1', 0), { type: 'admitted', purchase_token: 'tok', expires_at: '2030-01-01T00:00:00Z' }]).queue;
  const expired = reduceQueue(admitted, { type: 'expired' });
  assert.equal(expired.queue.phase, 'expired');
  assert.equal(expired.queue.token, undefined);
  assert.equal(expired.queue.notice, null);
  assert.equal(expired.detach, true);
});

test('paused, resumed, sold out and seats left', () => {
  let q = fold([queued('t1', 5)]).queue;
  q = reduceQueue(q, { type: 'paused' }).queue;
  assert.equal(q.paused, true);
  q = reduceQueue(q, { type: 'resumed' }).queue;
  assert.deepEqual([q.paused, q.notice], [false, 'resumed']);
  const soldOut = reduceQueue(q, { type: 'sold_out' });
  assert.deepEqual([soldOut.queue.soldOut, soldOut.queue.notice, soldOut.seats], [true, null, 0]);
  const seats = reduceQueue(soldOut.queue, { type: 'availability', available: 7 });
  assert.deepEqual([seats.queue.available, seats.seats], [7, 7]);
  assert.equal(reduceQueue(q, { type: 'waitlist' }).queue.waitlist, true);
});

test("an HTTP answer's sold_out and waitlist flags are kept", () => {
  const q = reduceQueue(initialQueue(), queued('t1', 5, { sold_out: true, waitlist: true })).queue;
  assert.deepEqual([q.soldOut, q.waitlist], [true, true]);
  const pre = reduceQueue(initialQueue(), { type: 'prequeue', ticket: 't', starts_at: '2030-01-01T00:00:00Z', sold_out: true }).queue;
  assert.equal(pre.soldOut, true);
});

test('purchased and closed end the line for good', () => {
  const admitted = fold([queued('t1', 0), { type: 'admitted', purchase_token: 'tok', expires_at: '2030-01-01T00:00:00Z' }]).queue;
  const bought = reduceQueue(admitted, { type: 'purchased', orders: ['o1'] });
  assert.deepEqual([bought.queue.phase, bought.queue.token, bought.queue.orders, bought.detach], ['purchased', undefined, ['o1'], true]);
  const closed = reduceQueue(admitted, { type: 'closed' });
  assert.deepEqual([closed.queue.phase, closed.closed, closed.detach], ['closed', true, true]);
});

test('errors: a proof of work to solve, no ticket while polling, anything else shown', () => {
  const joining = { ...initialQueue(), phase: 'joining' };
  const pow = reduceQueue(joining, { type: 'error', code: 'pow_required', challenge: { seed: 'x' } }, { wantJoin: true });
  assert.deepEqual(pow.solve, { seed: 'x' });
  assert.deepEqual(pow.client, { pow: null });
  assert.equal(pow.queue, joining, 'the state is unchanged');
  const unasked = reduceQueue(joining, { type: 'error', code: 'pow_required', challenge: { seed: 'x' } });
  assert.equal(unasked.solve, null, 'no join in flight: nothing to solve');
  assert.equal(unasked.queue.error, 'pow_required');

  const inLine = fold([queued('t1', 5)]).queue;
  const gone = reduceQueue(inLine, { type: 'error', code: 'not_in_queue' });
  assert.deepEqual([gone.queue.phase, gone.queue.notice], ['left', 'place_lost']);
  const needsSocket = reduceQueue(joining, { type: 'error', code: 'not_in_queue' }, { wantJoin: true });
  assert.deepEqual([needsSocket.queue.phase, needsSocket.queue.error], ['joining', 'join_needs_socket']);
  const idle = reduceQueue({ ...initialQueue(), error: 'x' }, { type: 'error', code: 'not_in_queue' });
  assert.deepEqual([idle.queue.phase, idle.queue.error], ['idle', 'x']);

  assert.equal(reduceQueue(inLine, { type: 'error', code: 'rate_limited' }).queue.error, 'rate_limited');
});

test('unknown messages change nothing', () => {
  const q = initialQueue();
  const step = reduceQueue(q, { type: 'something_new' });
  assert.equal(step.queue, q);
  assert.deepEqual([step.detach, step.closed, step.solve, step.seats, step.first, step.client], [false, false, null, null, null, null]);
  assert.ok(waiting('queued') && waiting('prequeue') && !waiting('admitted') && !waiting('joining'));
});

test('deep in the line the rounded people-ahead is kept beside the exact one (issue 19)', () => {
  const deep = fold([queued('t1', 12_480, { ahead_about: 12_000 })]);
  assert.equal(deep.queue.ahead, 12_480);
  assert.equal(deep.queue.aheadAbout, 12_000);
  const moved = reduceQueue(deep.queue, { type: 'position', ahead: 11_490, ahead_about: 11_000, eta_secs: 600, changed_at_ms: 1 });
  assert.equal(moved.queue.aheadAbout, 11_000);
  assert.equal(moved.queue.first, 12_480, 'the starting place is the exact one');
  // Near the head the server sends no rounded number: the exact one is shown.
  const head = reduceQueue(moved.queue, { type: 'position', ahead: 999, eta_secs: 10 });
  assert.equal(head.queue.aheadAbout, null);
  assert.equal(head.queue.ahead, 999);
});

test('admission modes: the message is kept, the place too, and the line says when it moves again', () => {
  const inLine = fold([queued('t1', 7)]).queue;
  const held = reduceQueue(inLine, { type: 'mode', mode: 'queue_all', message: 'Hold on.' });
  assert.equal(held.queue.mode, 'queue_all');
  assert.equal(held.queue.modeMessage, 'Hold on.');
  assert.equal(held.queue.phase, 'queued');
  assert.equal(held.queue.ahead, 7, 'the place is kept');
  const down = reduceQueue(held.queue, { type: 'mode', mode: 'reject', message: null });
  assert.equal(down.queue.modeMessage, null);
  assert.equal(down.queue.notice, null);
  const back = reduceQueue(down.queue, { type: 'mode', mode: 'queue', message: null });
  assert.equal(back.queue.notice, 'resumed', 'the line moves again: say so');
  const quiet = reduceQueue(initialQueue(), { type: 'mode', mode: 'passthrough', message: null });
  assert.equal(quiet.queue.notice, null, 'nothing resumed for a fan not in line');
});

test('a join refused in reject mode ends the join request without losing a place', () => {
  const joining = { ...initialQueue(), phase: 'joining' };
  const refused = reduceQueue(joining, { type: 'error', code: 'event_rejecting', message: 'Down.' }, { wantJoin: true });
  assert.equal(refused.queue.phase, 'idle');
  assert.equal(refused.queue.mode, 'reject');
  assert.deepEqual(refused.client, { wantJoin: false });
  const inLine = fold([queued('t1', 3)]).queue;
  const kept = reduceQueue(inLine, { type: 'error', code: 'event_rejecting', message: 'Down.' });
  assert.equal(kept.queue.phase, 'queued', 'a fan in line keeps the place');
});

test("a presale group's pre-queue: the group named, its own opening the countdown's", () => {
  const pre = reduceQueue(initialQueue(), { type: 'prequeue', ticket: 't', starts_at: '2030-01-01T09:00:00Z', presale: 'Fan club' }).queue;
  assert.deepEqual(pre.presale, { name: 'Fan club', opensAt: Date.parse('2030-01-01T09:00:00Z') });
  assert.equal(pre.startsAt, Date.parse('2030-01-01T09:00:00Z'));
  // A frame without the group's name keeps what the fan's redeemed code said.
  const kept = reduceQueue({ ...initialQueue(), presale: { name: 'Partners', opensAt: 1 } }, { type: 'prequeue', ticket: 't', starts_at: '2030-01-01T10:00:00Z' }).queue;
  assert.deepEqual(kept.presale, { name: 'Partners', opensAt: 1 });
});
