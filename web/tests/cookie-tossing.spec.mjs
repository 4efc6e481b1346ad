// Cookie tossing, as the probe did it: Chromium resolves app.floodgate.test and
// evil.floodgate.test to this machine (--host-resolver-rules); a page on the sibling
// evil.floodgate.test sets session cookies for the parent domain (Path=/ and the
// longer Path=/api, which browsers send first) holding the attacker's real session.
// Over HTTPS (a TLS front with a throw-away certificate, forwarding to floodgate with
// X-Forwarded-Proto) neither a signed-out nor a signed-in visitor may end up "Signed
// in as" the attacker; over plain HTTP (no `__Host-` prefix there) never either: the
// visitor is at worst signed out.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { PASSWORD, startFloodgate } from './harness.mjs';

test.use({
  ignoreHTTPSErrors: true,
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--host-resolver-rules=MAP *.floodgate.test 127.0.0.1',
    ],
  },
});

let fg;
let tlsFront;
let plainFront;
let attacker;
let certDir;

/**
 * The front door: requests for evil.floodgate.test get the attacker's page, which
 * tosses cookies; anything else goes to floodgate (over TLS when `tls` is given).
 */
async function startFront(upstream, tls) {
  const front = { token: '' };
  const handler = (req, res) => {
    const host = (req.headers.host || '').split(':')[0];
    if (host === 'evil.floodgate.test') {
      const secure = tls ? '; Secure' : '';
      res.setHeader('set-cookie', [
        `floodgate_session=${front.token}; Domain=floodgate.test; Path=/${secure}`,
        `floodgate_session=${front.token}; Domain=floodgate.test; Path=/api${secure}`,
        // Refused by the browser (a __Host- cookie has no Domain and Path=/), tried anyway.
        `__Host-floodgate_session=${front.token}; Domain=floodgate.test; Path=/; Secure`,
        `__Host-floodgate_session=${front.token}; Path=/api; Secure`,
      ]);
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end('<!doctype html><title>evil</title><p>tossed</p>');
      return;
    }
    const headers = { ...req.headers, 'x-forwarded-proto': tls ? 'https' : 'http', 'x-forwarded-for': '127.0.0.1' };
    const up = http.request({ host: '127.0.0.1', port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => {
      res.statusCode = 502;
      res.end();
    });
    req.pipe(up);
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  front.port = server.address().port;
  front.close = () => new Promise((resolve) => server.close(resolve));
  return front;
}

test.beforeAll(async () => {
  certDir = await mkdtemp(path.join(os.tmpdir(), 'floodgate-tls-'));
  const key = path.join(certDir, 'key.pem');
  const cert = path.join(certDir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=floodgate.test',
    '-addext', 'subjectAltName=DNS:*.floodgate.test,DNS:floodgate.test',
  ], { stdio: 'ignore' });
  // Behind the front, which appends X-Forwarded-For and says the scheme.
  fg = await startFloodgate({ env: { FLOODGATE_TRUSTED_PROXY_HOPS: '1' } });
  const upstream = { port: Number(new URL(fg.url).port) };
  tlsFront = await startFront(upstream, { key: await readFile(key), cert: await readFile(cert) });
  plainFront = await startFront(upstream, null);
  attacker = await fg.registerFan('attacker');
  const token = await fg.login(attacker.email, attacker.password);
  tlsFront.token = token;
  plainFront.token = token;
});

test.afterAll(async () => {
  await tlsFront?.close();
  await plainFront?.close();
  await fg?.stop();
  if (certDir) await rm(certDir, { recursive: true, force: true });
});

/** Visits the attacker's page; checks the tossed cookies really are in the jar. */
async function toss(page, base) {
  await page.goto(`${base}/`);
  await expect(page.getByText('tossed')).toBeVisible();
  const tossed = (await page.context().cookies()).filter((c) => c.value === tlsFront.token);
  expect(tossed.map((c) => `${c.name} ${c.domain} ${c.path}`).sort()).toEqual([
    'floodgate_session .floodgate.test /',
    'floodgate_session .floodgate.test /api',
  ]);
}

async function signIn(page, base, account) {
  await page.goto(`${base}/signin`);
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText(`Signed in as ${account.email}`)).toBeVisible();
}

test('over HTTPS a tossed cookie signs no signed-out visitor in as the attacker', async ({ page }) => {
  const app = `https://app.floodgate.test:${tlsFront.port}`;
  await toss(page, `https://evil.floodgate.test:${tlsFront.port}`);
  await page.goto(`${app}/`);
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByText(/Signed in as/)).toHaveCount(0);
  await page.goto(`${app}/orders`);
  await expect(page.getByText('Sign in to see your orders.')).toBeVisible();
});

test('over HTTPS a signed-in visitor stays themselves after a toss', async ({ page }) => {
  const app = `https://app.floodgate.test:${tlsFront.port}`;
  const victim = await fg.registerFan('victim');
  await signIn(page, app, victim);
  const names = (await page.context().cookies()).map((c) => c.name);
  expect(names).toContain('__Host-floodgate_session');
  await toss(page, `https://evil.floodgate.test:${tlsFront.port}`);
  for (const where of ['/', '/orders']) {
    await page.goto(`${app}${where}`);
    await expect(page.getByText(`Signed in as ${victim.email}`)).toBeVisible();
    await expect(page.getByText(`Signed in as ${attacker.email}`)).toHaveCount(0);
  }
});

test('over plain HTTP a tossed cookie never shows the attacker to a signed-in visitor', async ({ page }) => {
  const app = `http://app.floodgate.test:${new URL(fg.url).port}`;
  const victim = { ...(await fg.registerFan('victim')), password: PASSWORD };
  await signIn(page, app, victim);
  await toss(page, `http://evil.floodgate.test:${plainFront.port}`);
  await page.goto(`${app}/`);
  // Two valid session cookies of one name: refused, so the visitor looks signed out.
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
  await expect(page.getByText(`Signed in as ${attacker.email}`)).toHaveCount(0);
});
