// Route matching (src/shared/routes.js) through the two apps' tables, and where the
// fan's sign-in forms may send the fan back to (`safeNext`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { match as adminMatch, owns as adminOwns } from '../src/admin/routes.js';
import { match as fanMatch, owns as fanOwns, safeNext } from '../src/fan/routes.js';
import { compileRoutes } from '../src/shared/routes.js';

const ID = '0190f2d4-5c1e-7a3b-9f00-0123456789ab';

test('the fan page names its routes; trailing slashes do not matter', () => {
  assert.deepEqual(fanMatch('/'), { name: 'events', params: {} });
  assert.deepEqual(fanMatch(''), { name: 'events', params: {} });
  assert.deepEqual(fanMatch('/orders/'), { name: 'orders', params: {} });
  assert.deepEqual(fanMatch('/signin'), { name: 'signin', params: {} });
  assert.deepEqual(fanMatch('/signup//'), { name: 'signup', params: {} });
  assert.deepEqual(fanMatch(`/events/${ID}`), { name: 'event', params: { id: ID } });
});

test('an event id is lower-cased, and only hex and dashes up to 64 make one', () => {
  assert.deepEqual(fanMatch(`/events/${ID.toUpperCase()}`), { name: 'event', params: { id: ID } });
  for (const bad of ['/events/', '/events/xyz', `/events/${'a'.repeat(65)}`, `/events/${ID}/more`, '/events/%41', '/Orders', '/orders/x']) {
    assert.equal(fanMatch(bad).name, 'notFound', bad);
  }
});

test('the fan page shows its own paths and any event; other links load their page', () => {
  assert.ok(fanOwns('/'));
  assert.ok(fanOwns('/orders'));
  assert.ok(fanOwns('/events/not-an-id'), 'an unknown event says so in the page');
  assert.ok(!fanOwns('/admin'));
  assert.ok(!fanOwns('/api/v1/events'));
});

test('the console names its routes under /admin', () => {
  assert.deepEqual(adminMatch('/admin'), { name: 'events', params: {} });
  assert.deepEqual(adminMatch('/admin/'), { name: 'events', params: {} });
  assert.deepEqual(adminMatch('/admin/events/new'), { name: 'create', params: {} });
  assert.deepEqual(adminMatch('/admin/webhooks'), { name: 'webhooks', params: {} });
  assert.deepEqual(adminMatch(`/admin/events/${ID}`), { name: 'dashboard', params: { id: ID } });
  assert.deepEqual(adminMatch(`/admin/events/${ID}/edit`), { name: 'edit', params: { id: ID } });
  assert.deepEqual(adminMatch(`/admin/events/${ID}/report`), { name: 'report', params: { id: ID } });
  assert.deepEqual(adminMatch(`/admin/events/${ID}/orders/`), { name: 'orders', params: { id: ID } });
  assert.deepEqual(adminMatch(`/admin/events/${ID}/presale`), { name: 'presale', params: { id: ID } });
});

test('console ids are URL-decoded; unknown or malformed paths are not_found', () => {
  assert.deepEqual(adminMatch('/admin/events/a%20b'), { name: 'dashboard', params: { id: 'a b' } });
  for (const bad of ['/', '/admin/events', '/admin/events/x/y', '/admin/events/x/refunds', '/admin/events/%E0%A4%A', '/administrator']) {
    assert.equal(adminMatch(bad).name, 'not_found', bad);
  }
  assert.ok(adminOwns('/admin') && adminOwns('/admin/events/x'));
  assert.ok(!adminOwns('/administrator') && !adminOwns('/events/x') && !adminOwns('/api/v1/admin/events/x/orders.csv'));
});

test('route tables: literal parts are literal, the first match wins', () => {
  const match = compileRoutes([
    { name: 'dot', path: '/a.b' },
    { name: 'new', path: '/x/new' },
    { name: 'item', path: '/x/:id' },
    { name: 'pair', path: '/p/:a/:b', params: { b: '\\d+' }, parse: ({ a, b }) => ({ a, b: Number(b) }) },
  ]);
  assert.equal(match('/a.b').name, 'dot');
  assert.equal(match('/aXb').name, 'notFound', 'a dot is not a wildcard');
  assert.equal(match('/x/new').name, 'new');
  assert.deepEqual(match('/x/old'), { name: 'item', params: { id: 'old' } });
  assert.deepEqual(match('/p/q/42'), { name: 'pair', params: { a: 'q', b: 42 } });
  assert.equal(match('/p/q/r').name, 'notFound');
});

const ORIGIN = 'https://tickets.example';

test('safeNext keeps the fan on this site, on a page the fan page has', () => {
  const cases = [
    [null, '/'],
    ['', '/'],
    ['/\\evil.example/x', '/'],
    ['/\\/evil.example', '/'],
    ['\\\\evil.example', '/'],
    ['//evil.example', '/'],
    ['https://evil.example/', '/'],
    [`${ORIGIN}/orders`, '/'],
    ['/\t/evil.example', '/'],
    ['/\n/evil.example', '/'],
    ['javascript:alert(1)', '/'],
    ['evil.example', '/'],
    ['/signin', '/'],
    ['/signup?next=/orders', '/'],
    ['/no/such/page', '/'],
    ['/admin', '/'],
    [`/events/${ID}`, `/events/${ID}`],
    [`/events/${ID}?x=1#y`, `/events/${ID}?x=1#y`],
    ['/orders', '/orders'],
    ['/', '/'],
  ];
  for (const [next, landing] of cases) assert.equal(safeNext(next, ORIGIN), landing, JSON.stringify(next));
});
