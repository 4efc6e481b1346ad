// A WebSocket that comes back, for both apps (the fan's queue and seat map, the
// console's live stats). Reconnects with exponential back-off (full jitter by
// default: a crowd that lost its connection at once does not return at once),
// promptly when the browser goes back online or the tab becomes visible, and falls
// back to polling when sockets never deliver anything (a proxy or a firewall that
// blocks them), while still trying the socket now and then.
import { fullJitter } from './backoff.js';

/** Consecutive connections that closed before delivering a frame, before polling. */
const FAILS_BEFORE_POLLING = 3;
/** A socket quiet this long is asked for a frame (NATs and proxies drop idle ones). */
const QUIET_MS = 45_000;
/** Close code of a replica shutting down (its fans move to the others). */
const SERVICE_RESTART = 1012;
/** A drained replica's fans come back spread over this long, not all within 500 ms. */
const RESTART_SPREAD_MS = 2_000;

export class ResilientSocket {
  /**
   * @param {object} o
   * @param {string|(() => string)} o.url
   * @param {(msg: any) => void} o.onMessage  each JSON frame (and each polled answer)
   * @param {(status: string) => void} [o.onStatus]  'connecting'|'open'|'reconnecting'|'offline'|'polling'
   * @param {(sock: ResilientSocket) => void} [o.onOpen]
   * @param {() => Promise<any>} [o.poll]  answers a message like the socket's, for the fallback
   * @param {number} [o.pollMs]
   * @param {() => object|null} [o.ping]  a frame that the server always answers, to test a quiet socket
   * @param {number} [o.silenceMs]  a socket that delivers nothing this long is closed (and replaced)
   * @param {(attempt: number) => number} [o.backoff]  ms before retry `attempt` (0 first; see backoff.js)
   * @param {(msg: any) => boolean} [o.proves]  whether a frame shows the socket works (default: any)
   * @param {() => Promise<boolean>} [o.beforeRetry]  after a close: false stops for good
   * @param {(at: number) => void} [o.onRetry]  a retry is due at `at` (Date.now() ms)
   * @param {() => void} [o.onAttempt]  a connection is being opened
   */
  constructor(o) {
    this.o = o;
    this.ws = null;
    this.attempt = 0;
    this.fails = 0;
    this.polling = false;
    this.stopped = false;
    this.timer = 0;
    this.pollTimer = 0;
    this.pingTimer = 0;
    this.lastHeard = 0;
    this.status = 'idle';
    this.onOnline = () => {
      if (this.polling) this.pollNow();
      this.recycle();
    };
    this.onOffline = () => this.setStatus('offline');
    this.onVisible = () => {
      if (document.visibilityState !== 'visible') return;
      if (!this.ws) this.connect();
      else if (this.o.ping) this.checkAlive(15_000);
      if (this.polling) this.pollNow();
    };
  }

  start() {
    addEventListener('online', this.onOnline);
    addEventListener('offline', this.onOffline);
    document.addEventListener('visibilitychange', this.onVisible);
    this.connect();
    if (this.o.ping) this.pingTimer = setInterval(() => this.checkAlive(QUIET_MS), QUIET_MS / 3);
    return this;
  }

  stop() {
    this.stopped = true;
    removeEventListener('online', this.onOnline);
    removeEventListener('offline', this.onOffline);
    document.removeEventListener('visibilitychange', this.onVisible);
    clearTimeout(this.timer);
    clearTimeout(this.pollTimer);
    clearInterval(this.pingTimer);
    this.drop();
  }

  /** Sends a JSON frame; false when not connected. */
  send(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(msg));
      return true;
    }
    return false;
  }

  /** Connects now if not connected (e.g. the fan asked for something). */
  connectNow() {
    if (!this.ws) this.connect();
  }

  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    this.o.onStatus?.(status);
  }

  connect() {
    if (this.stopped || this.ws) return;
    clearTimeout(this.timer);
    if (!navigator.onLine) {
      this.setStatus('offline');
      this.schedule();
      return;
    }
    if (!this.polling) this.setStatus(this.attempt === 0 && this.fails === 0 ? 'connecting' : 'reconnecting');
    this.o.onAttempt?.();
    let ws;
    try {
      ws = new WebSocket(typeof this.o.url === 'function' ? this.o.url() : this.o.url);
    } catch {
      this.closed(false);
      return;
    }
    this.ws = ws;
    let heard = false;
    this.armSilence();
    ws.onopen = () => {
      if (!this.polling) this.setStatus('open');
      this.o.onOpen?.(this);
    };
    ws.onmessage = (e) => {
      this.lastHeard = Date.now();
      clearTimeout(this.aliveTimer);
      this.armSilence();
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return;
      }
      if (!heard && (!this.o.proves || this.o.proves(msg))) {
        heard = true;
        this.attempt = 0;
        this.fails = 0;
        this.stopPolling();
        this.setStatus('open');
      }
      this.o.onMessage(msg);
    };
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearTimeout(this.silenceTimer);
      this.closed(heard, e.code);
    };
  }

  /** With `silenceMs`, a socket that stays quiet that long is closed (then replaced). */
  armSilence() {
    if (!this.o.silenceMs) return;
    clearTimeout(this.silenceTimer);
    const ws = this.ws;
    this.silenceTimer = setTimeout(() => ws.close(), this.o.silenceMs);
  }

  async closed(heard, code) {
    if (this.stopped) return;
    if (!heard) this.fails += 1;
    if (this.fails >= FAILS_BEFORE_POLLING && this.o.poll && !this.polling) this.startPolling();
    this.setStatus(this.polling ? 'polling' : navigator.onLine ? 'reconnecting' : 'offline');
    if (this.o.beforeRetry && !(await this.o.beforeRetry())) {
      this.stop();
      return;
    }
    if (this.stopped || this.ws) return;
    this.schedule(code === SERVICE_RESTART && this.attempt === 0 ? RESTART_SPREAD_MS : undefined);
  }

  /** Connects again after a back-off (or a random wait up to `spreadMs`). */
  schedule(spreadMs) {
    clearTimeout(this.timer);
    const backoff = this.o.backoff ?? fullJitter;
    const delay = spreadMs === undefined ? backoff(this.attempt) : Math.random() * spreadMs;
    this.attempt += 1;
    this.timer = setTimeout(() => this.connect(), delay);
    this.o.onRetry?.(Date.now() + delay);
  }

  /** Closes a socket that may have died unnoticed and connects again at once. */
  recycle() {
    this.attempt = 0;
    this.drop();
    this.connect();
  }

  drop() {
    const ws = this.ws;
    this.ws = null;
    clearTimeout(this.aliveTimer);
    clearTimeout(this.silenceTimer);
    if (ws) {
      ws.onclose = ws.onmessage = ws.onopen = null;
      try {
        ws.close(1000);
      } catch {
        /* already closed */
      }
    }
  }

  /** A socket quiet for `quietMs` is asked for a frame; no answer in 10 s and it is replaced. */
  checkAlive(quietMs) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || Date.now() - this.lastHeard < quietMs) return;
    const ping = this.o.ping();
    if (!ping || !this.send(ping)) return;
    clearTimeout(this.aliveTimer);
    this.aliveTimer = setTimeout(() => this.recycle(), 10_000);
  }

  startPolling() {
    this.polling = true;
    this.pollNow();
  }

  stopPolling() {
    this.polling = false;
    clearTimeout(this.pollTimer);
  }

  async pollNow() {
    clearTimeout(this.pollTimer);
    if (!this.polling || this.stopped || this.polled) return;
    this.polled = true;
    try {
      const msg = await this.o.poll();
      if (msg && this.polling && !this.stopped) this.o.onMessage(msg);
    } catch {
      /* the next poll tries again */
    } finally {
      this.polled = false;
    }
    if (!this.polling || this.stopped) return;
    const every = this.o.pollMs || 3000;
    this.pollTimer = setTimeout(() => this.pollNow(), every * (0.8 + Math.random() * 0.4));
  }
}
