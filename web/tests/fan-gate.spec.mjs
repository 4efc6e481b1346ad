// The gate for other shops on the fan page: a visitor sent by a shop's proxy
// (`?return_to=`) is told where they will go, and once admitted lands back on the shop
// with the purchase token (which Floodgate's check then passes); a return URL on an
// origin the operator did not allow is refused in words, in both languages; a second
// trip with the same token waits for a click.
import http from 'node:http';
import { expect, test } from '@playwright/test';
import { expectAccessible } from './a11y.mjs';
import { screenshot, startFloodgate } from './harness.mjs';
import { fanPage, joinFromPage } from './fan-helpers.mjs';

let fg;
let shop;
let shopServer;

test.beforeAll(async () => {
  // A tiny shop: every path answers a page naming the URL it was asked for.
  shopServer = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><title>Shop</title><main><h1>The shop</h1><p id="url">${req.url.replace(/[<&]/g, '')}</p></main></html>`);
  });
  await new Promise((resolve) => shopServer.listen(0, '127.0.0.1', resolve));
  shop = `http://127.0.0.1:${shopServer.address().port}`;
  fg = await startFloodgate({ env: { FLOODGATE_GATE_ORIGINS: shop } });
});

test.afterAll(async () => {
  await fg?.stop();
  shopServer?.close();
});

const open = { rate_per_minute: 600, max_active: 100, session_ttl_secs: 600 };

test('an admitted visitor goes back to the shop with the token, which the check passes', async ({ browser }) => {
  const event = await fg.createEvent({ opensInSecs: -1, admission: { ...open, paused: true } });
  const back = `${shop}/tickets/show?seat=A-1&n=2`;
  const { page, context } = await fanPage(browser, fg, `/events/${event.id}?return_to=${back}`);
  const host = new URL(shop).host;
  await expect(page.getByText(`You came from ${host}. When it is your turn, we will take you back there to buy.`)).toBeVisible();
  await joinFromPage(page);
  await expect(page.getByRole('heading', { name: 'You are in line' })).toBeVisible();
  await expectAccessible(page, 'gate: in line with a return trip');
  await screenshot(page, 'fan-gate-in-line');

  await fg.patchAdmission(event.id, { paused: false });
  await page.waitForURL((url) => url.origin === shop && url.searchParams.has('floodgate_token'), { timeout: 20_000 });
  const landed = new URL(page.url());
  expect(landed.pathname + landed.search.replace(/&floodgate_token=[^&]*$/, '')).toBe('/tickets/show?seat=A-1&n=2');
  await expect(page.getByRole('heading', { name: 'The shop' })).toBeVisible();
  const token = landed.searchParams.get('floodgate_token');
  const check = await context.request.get(`${fg.url}/api/v1/gate/check`, {
    headers: { 'Floodgate-Event': event.id, 'Floodgate-Gate-Token': token },
  });
  expect(check.status()).toBe(204);

  // Sent back again with the same token (say the shop refused it): no second trip by
  // itself, a button instead.
  await page.goto(`${fg.url}/events/${event.id}?return_to=${back}`);
  await expect(page.getByText(`${host} sent you back here. If it keeps doing so, contact the shop.`)).toBeVisible();
  const button = page.getByRole('link', { name: `Continue to ${host}` });
  await expect(button).toBeVisible();
  expect(new URL(await button.getAttribute('href')).searchParams.get('floodgate_token')).toBe(token);
  await expectAccessible(page, 'gate: sent back');
  await screenshot(page, 'fan-gate-sent-back');
  await context.close();
});

test('a return URL on an origin the operator did not allow is refused, in both languages', async ({ browser }) => {
  const event = await fg.createEvent({ opensInSecs: -1, admission: open });
  const { page, context } = await fanPage(browser, fg, `/events/${event.id}?return_to=https://evil.example/steal`);
  await expect(page.getByRole('alert').filter({ hasText: 'evil.example' })).toContainText('This link wants to send you on to evil.example, which this sale does not allow. You can still wait in line and buy here.');
  await expect(page.getByRole('button', { name: 'Join the queue' })).toBeVisible();
  await expectAccessible(page, 'gate: refused return URL');
  await screenshot(page, 'fan-gate-refused');

  await page.getByLabel('Language').selectOption({ label: '繁體中文' });
  await expect(page.getByRole('alert').filter({ hasText: 'evil.example' })).toContainText('這個連結要把你送到 evil.example，但本場銷售不允許。');
  await screenshot(page, 'fan-gate-refused-zh-TW');

  // Admitted anyway, the fan shops here: nobody is sent to evil.example.
  await page.getByRole('button', { name: '加入排隊' }).click();
  await expect(page.getByRole('heading', { name: '輪到你了！' })).toBeVisible({ timeout: 20_000 });
  expect(new URL(page.url()).origin).toBe(fg.url);
  await context.close();
});
