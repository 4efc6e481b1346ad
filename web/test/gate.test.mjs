// The gate's return URL (src/fan/gate.js): read from the query as nginx writes it, and
// the purchase token added without re-encoding the shop's URL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { returnToFrom, sentKey, withToken } from '../src/fan/gate.js';

test('return_to runs to the end of the query, raw, as the shipped gate.conf writes it', () => {
  assert.equal(returnToFrom('?return_to=https://shop.example/tickets/a?x=1&y=2'), 'https://shop.example/tickets/a?x=1&y=2');
  assert.equal(returnToFrom('?lang=en&return_to=https://shop.example/t'), 'https://shop.example/t');
  assert.equal(returnToFrom('return_to=https://shop.example/t?q=a%26b'), 'https://shop.example/t?q=a%26b');
});

test('an encoded return_to is decoded once; none, empty or a look-alike is null', () => {
  assert.equal(returnToFrom('?return_to=https%3A%2F%2Fshop.example%2Ft%3Fx%3D1'), 'https://shop.example/t?x=1');
  assert.equal(returnToFrom(''), null);
  assert.equal(returnToFrom('?next=/'), null);
  assert.equal(returnToFrom('?return_to='), null);
  assert.equal(returnToFrom('?xreturn_to=https://evil.example/'), null);
  assert.equal(returnToFrom('?return_to=https%3A%E0%A4%A'), null);
});

test('the token is the last parameter, before the fragment, the rest untouched', () => {
  assert.equal(withToken('https://shop.example/t', 'floodgate_token', 'a.b-c_d'), 'https://shop.example/t?floodgate_token=a.b-c_d');
  assert.equal(withToken('https://shop.example/t?q=a%20b+c', 'floodgate_token', 'x'), 'https://shop.example/t?q=a%20b+c&floodgate_token=x');
  assert.equal(withToken('https://shop.example/t?q=1#seat-map', 'floodgate_token', 'x'), 'https://shop.example/t?q=1&floodgate_token=x#seat-map');
  assert.equal(withToken('https://shop.example/t?', 'floodgate_token', 'x'), 'https://shop.example/t?floodgate_token=x');
});

test('one trip per token and event', () => {
  assert.notEqual(sentKey('e1', 'aaa.bbb.ccc1'), sentKey('e1', 'aaa.bbb.ccc2'));
  assert.notEqual(sentKey('e1', 'aaa.bbb.ccc1'), sentKey('e2', 'aaa.bbb.ccc1'));
});
