// Proof of work on the fan page: a sale asking for it makes the browser solve a
// challenge in a Web Worker (WebCrypto) with honest progress, then join; a reload keeps
// the place without solving again; the Chinese page says the same.
import { expect, test } from '@playwright/test';
import { screenshot, floodgatePerFile } from './harness.mjs';
import { fanPage, joinFromPage } from './fan-helpers.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

const admission = { rate_per_minute: 60, max_active: 50, session_ttl_secs: 600, paused: true };
const inLine = (page) => page.getByRole('heading', { name: 'You are in line' });

test('a fan solves the proof of work in the browser and joins; a reload needs none', async ({ browser }) => {
  const event = await fg.createEvent({ opensInSecs: -1, admission, pow_difficulty: 16 });
  expect(event.pow_difficulty).toBe(16);
  const { page, context } = await fanPage(browser, fg, `/events/${event.id}`);
  // The challenge takes a second to come, so the progress is seen however lucky the
  // solve (a solve may take a few hashes or many times the 2^16 expected).
  await page.route('**/challenge', async (route) => {
    await new Promise((r) => setTimeout(r, 1000));
    await route.continue();
  });
  const challenges = [];
  page.on('request', (r) => r.url().endsWith('/challenge') && challenges.push(r.url()));
  const sockets = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  await joinFromPage(page);
  const progress = page.getByRole('progressbar', { name: /Checking your browser… \d+%/ });
  await expect(progress).toBeVisible();
  await expect(page.getByText(/solve a small puzzle/)).toBeVisible();
  await screenshot(page, 'fan-pow-solving');
  await expect(inLine(page)).toBeVisible({ timeout: 60_000 });
  expect(challenges.length).toBe(1);
  expect(sockets.some((u) => /[?&]pow=/.test(u))).toBe(true);
  const me = await context.request.get(`${fg.url}/api/v1/events/${event.id}/queue/me`);
  const ticket = (await me.json()).ticket;
  expect(ticket).toBeTruthy();

  // A reload resumes the same ticket: no new challenge, no puzzle.
  await page.reload();
  await expect(inLine(page)).toBeVisible();
  expect(challenges.length).toBe(1);
  await expect(page.getByText(/Checking your browser/)).toHaveCount(0);
  const again = await context.request.get(`${fg.url}/api/v1/events/${event.id}/queue/me`);
  expect((await again.json()).ticket).toBe(ticket);
  await context.close();
});

test('a join without a solution is refused with the challenge, and the page says why in Chinese', async ({ browser }) => {
  const event = await fg.createEvent({ opensInSecs: -1, admission, pow_difficulty: 16 });
  const { page, context } = await fanPage(browser, fg, `/events/${event.id}`, { locale: 'zh-TW' });
  await page.route('**/challenge', async (route) => {
    await new Promise((r) => setTimeout(r, 1000));
    await route.continue();
  });
  const refused = await context.request.post(`${fg.url}/api/v1/events/${event.id}/queue/join`, {
    headers: { origin: fg.url },
  });
  expect(refused.status()).toBe(403);
  const body = await refused.json();
  expect(body.error.code).toBe('pow_required');
  expect(body.error.challenge.difficulty).toBe(16);
  await page.getByRole('button', { name: '加入排隊' }).click();
  await expect(page.getByText(/正在檢查您的瀏覽器… \d+%/)).toBeVisible();
  await screenshot(page, 'fan-pow-solving-zh');
  await expect(page.getByRole('heading', { name: '你正在排隊' })).toBeVisible({ timeout: 60_000 });
  await context.close();
});
