// The shell's reconnecting socket (src/shared/socket.js) against a fake WebSocket:
// back-off attempts, what proves a socket works, the silence watchdog, the probe
// between attempts, and the polling fallback.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { ResilientSocket } from '../src/shared/socket.js';

class FakeSocket {
  static OPEN = 1;
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.all.push(this);
  }
  open() {
    this.readyState = FakeSocket.OPEN;
    this.onopen?.();
  }
  frame(msg) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
  send(data) {
    this.sent.push(JSON.parse(data));
  }
  close(code = 1006) {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

beforeEach(() => {
  FakeSocket.all = [];
  globalThis.WebSocket = FakeSocket;
  Object.defineProperty(globalThis, 'navigator', { value: { onLine: true }, configurable: true });
  globalThis.document = { visibilityState: 'visible', addEventListener() {}, removeEventListener() {} };
  globalThis.addEventListener = () => {};
  globalThis.removeEventListener = () => {};
});

let sock;
afterEach(() => sock?.stop());

/** Waits (up to 2 s) until `cond()` holds. */
async function until(cond, what) {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

const latest = () => FakeSocket.all.at(-1);

test('a dropped socket is replaced; the back-off grows until a frame arrives, then starts again', async () => {
  const attempts = [];
  const retries = [];
  const messages = [];
  sock = new ResilientSocket({
    url: () => `ws://x/${FakeSocket.all.length}`,
    backoff: (attempt) => {
      attempts.push(attempt);
      return 1;
    },
    onRetry: (at) => retries.push(at),
    onMessage: (m) => messages.push(m),
  }).start();
  assert.equal(FakeSocket.all.length, 1);
  latest().close();
  await until(() => FakeSocket.all.length === 2, 'the second socket');
  latest().close();
  await until(() => FakeSocket.all.length === 3, 'the third socket');
  assert.deepEqual(attempts, [0, 1]);
  assert.equal(retries.length, 2);
  latest().open();
  latest().frame({ type: 'hello' });
  latest().close();
  await until(() => FakeSocket.all.length === 4, 'the fourth socket');
  assert.deepEqual(attempts, [0, 1, 0], 'a frame resets the back-off');
  assert.deepEqual(messages, [{ type: 'hello' }]);
  assert.equal(latest().url, 'ws://x/3', 'the URL is asked again for each socket');
});

test('a frame that `proves` rejects does not reset the back-off', async () => {
  const attempts = [];
  sock = new ResilientSocket({
    url: 'ws://x',
    backoff: (attempt) => (attempts.push(attempt), 1),
    proves: (m) => m.type !== 'error',
    onMessage: () => {},
  }).start();
  latest().close();
  await until(() => FakeSocket.all.length === 2, 'the second socket');
  latest().frame({ type: 'error', code: 'x' });
  latest().close();
  await until(() => FakeSocket.all.length === 3, 'the third socket');
  assert.deepEqual(attempts, [0, 1]);
});

test('a socket quiet for silenceMs is closed and replaced', async () => {
  sock = new ResilientSocket({ url: 'ws://x', silenceMs: 20, backoff: () => 1, onMessage: () => {} }).start();
  latest().open();
  await until(() => FakeSocket.all.length === 2, 'the replacement');
  assert.equal(FakeSocket.all[0].readyState, 3, 'the quiet one was closed');
});

test('beforeRetry decides between attempts: false stops for good', async () => {
  let probes = 0;
  let allow = true;
  const attempts = [];
  sock = new ResilientSocket({
    url: 'ws://x',
    backoff: () => 1,
    onAttempt: () => attempts.push(Date.now()),
    beforeRetry: async () => {
      probes += 1;
      return allow;
    },
    onMessage: () => {},
  }).start();
  latest().close();
  await until(() => FakeSocket.all.length === 2, 'a retry after an allowed probe');
  allow = false;
  latest().close();
  await until(() => probes === 2, 'the second probe');
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(FakeSocket.all.length, 2, 'no socket after a refused probe');
  assert.equal(attempts.length, 2);
});

test('sockets that never deliver fall back to polling, which stops once a socket works', async () => {
  const statuses = [];
  const messages = [];
  let polls = 0;
  sock = new ResilientSocket({
    url: 'ws://x',
    backoff: () => 1,
    onStatus: (s) => statuses.push(s),
    onMessage: (m) => messages.push(m),
    poll: async () => ({ type: 'polled', n: ++polls }),
    pollMs: 10,
  }).start();
  for (let i = 1; i <= 3; i++) {
    await until(() => FakeSocket.all.length === i, `socket ${i}`);
    latest().close();
  }
  await until(() => messages.length >= 2, 'two polled answers');
  assert.ok(statuses.includes('polling'));
  await until(() => FakeSocket.all.length === 4, 'the socket tried again meanwhile');
  latest().open();
  latest().frame({ type: 'live' });
  const after = polls;
  await new Promise((r) => setTimeout(r, 40));
  assert.ok(polls <= after + 1, 'polling stopped');
  assert.equal(statuses.at(-1), 'open');
  assert.deepEqual(statuses.slice(0, 2), ['connecting', 'reconnecting']);
});

test('send answers whether the frame went out', () => {
  sock = new ResilientSocket({ url: 'ws://x', onMessage: () => {} }).start();
  assert.equal(sock.send({ type: 'join' }), false, 'not open yet');
  latest().open();
  assert.equal(sock.send({ type: 'join' }), true);
  assert.deepEqual(latest().sent, [{ type: 'join' }]);
});
