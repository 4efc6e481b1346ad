// The reconnect delays (src/shared/backoff.js): bounds, growth, caps and jitter.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fullJitter, spreadJitter } from '../src/shared/backoff.js';

const fixed = (v) => () => v;

test('full jitter stays under the exponential bound, which doubles per attempt', () => {
  assert.equal(fullJitter(0, { random: fixed(0.999999) }) < 500, true);
  assert.equal(fullJitter(0, { random: fixed(0.5) }), 250);
  assert.equal(fullJitter(1, { random: fixed(0.5) }), 500);
  assert.equal(fullJitter(3, { random: fixed(0.5) }), 2000);
  assert.equal(fullJitter(5, { random: fixed(0) }), 0, 'full jitter may retry at once');
});

test('full jitter is capped, even for huge attempt numbers', () => {
  assert.equal(fullJitter(10, { random: fixed(1) }), 30_000);
  assert.equal(fullJitter(1_000, { random: fixed(1) }), 30_000);
  assert.equal(fullJitter(4, { base: 100, cap: 1_000, random: fixed(1) }), 1_000);
  assert.ok(Number.isFinite(fullJitter(1e9)));
});

test('full jitter spreads a crowd over the whole window', () => {
  const delays = Array.from({ length: 2_000 }, () => fullJitter(4));
  assert.ok(delays.every((d) => d >= 0 && d < 8_000));
  assert.ok(Math.min(...delays) < 1_000 && Math.max(...delays) > 7_000, 'uses the whole range');
});

test('spread jitter stays within ±25% of the bound, never immediate', () => {
  assert.equal(spreadJitter(0, { random: fixed(0) }), 750);
  assert.equal(spreadJitter(0, { random: fixed(0.5) }), 1000);
  assert.equal(spreadJitter(0, { random: fixed(1) }), 1250);
  assert.equal(spreadJitter(2, { random: fixed(0.5) }), 4000);
  assert.equal(spreadJitter(20, { random: fixed(0.5) }), 30_000, 'capped');
  assert.equal(spreadJitter(20, { random: fixed(1) }), 37_500, 'the spread applies to the cap too');
});

test('spread jitter answers whole milliseconds', () => {
  for (let i = 0; i < 100; i++) assert.ok(Number.isInteger(spreadJitter(i % 7)));
});
