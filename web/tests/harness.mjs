// Starts a real floodgate for a spec file (fresh data dir, random port, a bootstrap
// admin, generous rate limits) and offers one helper per API call the tests need.
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const SCREENSHOTS = path.join(here, '..', 'test-output', 'screenshots');
export const ADMIN = { email: 'admin@floodgate.test', password: 'admin-password' };
export const PASSWORD = 'fan-password-1';

function binary() {
  if (process.env.FLOODGATE_BIN) return process.env.FLOODGATE_BIN;
  const target = process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache/floodgate/target');
  return path.join(target, 'debug', 'floodgate');
}

/**
 * A running floodgate. `env` adds or overrides environment variables.
 * @returns {Promise<Floodgate>}
 */
export async function startFloodgate({ env = {}, args = [] } = {}) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'floodgate-web-'));
  const child = spawn(binary(), args, {
    env: {
      ...process.env,
      FLOODGATE_LISTEN: '127.0.0.1:0',
      FLOODGATE_DATA_DIR: dataDir,
      FLOODGATE_ADMIN_EMAIL: ADMIN.email,
      FLOODGATE_ADMIN_PASSWORD: ADMIN.password,
      FLOODGATE_AUTH_RATE_PER_SEC: '1000',
      FLOODGATE_JOIN_RATE_PER_SEC: '1000',
      FLOODGATE_SEAT_MAP_RATE_PER_SEC: '1000',
      FLOODGATE_MAX_SOCKETS_PER_IP: '100000',
      // Every browser of a test comes from 127.0.0.1.
      FLOODGATE_MAX_PLACES_PER_IP: '100000',
      FLOODGATE_POLL_IP_RATE_PER_SEC: '100000',
      FLOODGATE_SIGNUP_PER_MINUTE: '100000',
      FLOODGATE_SIGNUP_BURST: '100000',
      FLOODGATE_ARGON2_PER_IP: '100000',
      FLOODGATE_ARGON2_QUEUE: '100000',
      FLOODGATE_ARGON2_MEMORY_KIB: '1024',
      // stop() sends SIGTERM: no load balancer to wait for before the drain.
      FLOODGATE_SHUTDOWN_DELAY_SECS: '0',
      FLOODGATE_POW_DEFAULT_DIFFICULTY: '0',
      RUST_LOG: process.env.RUST_LOG || 'info',
      NO_COLOR: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`floodgate did not start:\n${logs}`)), 60_000);
    const onData = (chunk) => {
      logs += chunk.toString();
      // The log line is `… floodgate listening addr=127.0.0.1:PORT role=All`.
      const m = logs.match(/floodgate listening.*?addr=(\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(`http://${m[1]}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`floodgate exited with ${code}:\n${logs}`));
    });
  });
  return new Floodgate(url, child, dataDir, () => logs);
}

export class Floodgate {
  constructor(url, child, dataDir, logs) {
    this.url = url;
    this.child = child;
    this.dataDir = dataDir;
    this.logs = logs;
    this.adminToken = null;
  }

  async stop() {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (this.child.exitCode === null) this.child.kill('SIGKILL');
    }
    await rm(this.dataDir, { recursive: true, force: true });
  }

  /** Calls the API with a bearer token (and, for the checkout, the session of the
   *  purchase token's account in Floodgate-Session); answers the parsed body, throws
   *  on non-2xx. */
  async api(method, pathname, { token, session, body } = {}) {
    const headers = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (session) headers['floodgate-session'] = session;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(this.url + pathname, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${pathname} → ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  async login(email, password) {
    const { token } = await this.api('POST', '/api/v1/auth/login', { body: { email, password } });
    return token;
  }

  async admin() {
    this.adminToken ??= await this.login(ADMIN.email, ADMIN.password);
    return this.adminToken;
  }

  /** Registers a fan with a unique email; answers `{email, password}`. */
  async registerFan(prefix = 'fan') {
    const email = `${prefix}-${Math.random().toString(36).slice(2, 10)}@floodgate.test`;
    await this.api('POST', '/api/v1/auth/register', { body: { email, password: PASSWORD } });
    return { email, password: PASSWORD };
  }

  /**
   * Creates an event opening `opensInSecs` from now (negative: already open).
   * `overrides` replaces fields of the request (see the admin API).
   */
  async createEvent({ opensInSecs = 30, ...overrides } = {}) {
    const body = {
      name: `Test sale ${Math.random().toString(36).slice(2, 7)}`,
      starts_at: new Date(Date.now() + opensInSecs * 1000).toISOString(),
      sections: [
        { name: 'A', rows: 5, seats_per_row: 10, price_cents: 5000 },
        { name: 'B', rows: 5, seats_per_row: 10, price_cents: 2500 },
      ],
      max_seats_per_order: 4,
      hold_ttl_secs: 300,
      admission: { rate_per_minute: 60, max_active: 50, session_ttl_secs: 600 },
      ...overrides,
    };
    return this.api('POST', '/api/v1/admin/events', { token: await this.admin(), body });
  }

  async patchAdmission(eventId, patch) {
    return this.api('PATCH', `/api/v1/admin/events/${eventId}/admission`, { token: await this.admin(), body: patch });
  }

  async stats(eventId) {
    return this.api('GET', `/api/v1/admin/events/${eventId}/stats`, { token: await this.admin() });
  }
}

/**
 * Signs `account` in inside a browser context (the cookie session the pages use),
 * through the same endpoint the sign-in form calls.
 */
export async function signInContext(context, baseUrl, account) {
  const res = await context.request.post(`${baseUrl}/api/v1/auth/session`, {
    data: { email: account.email, password: account.password },
    headers: { origin: baseUrl },
  });
  if (!res.ok()) throw new Error(`sign-in failed: ${res.status()} ${await res.text()}`);
  return res.json();
}

/** Saves a full-page screenshot under test-output/screenshots/NAME.png. */
export async function screenshot(page, name) {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * One floodgate for a spec file: started before its first test, stopped after its
 * last; `use` receives it (e.g. `floodgatePerFile(test, (s) => (fg = s))`).
 */
export function floodgatePerFile(test, use, options) {
  let fg;
  test.beforeAll(async () => {
    fg = await startFloodgate(options);
    use(fg);
  });
  test.afterAll(async () => {
    await fg?.stop();
  });
}
