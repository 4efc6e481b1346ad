// A place that could not be kept is never lost silently: a fan whose ticket lapsed
// while the network was down (longer than the reconnect grace) is told so on
// reconnecting, and can join again at the back.
import { expect, test } from '@playwright/test';
import { screenshot, floodgatePerFile } from './harness.mjs';
import { crowd, fanPage, joinFromPage, peopleAhead } from './fan-helpers.mjs';

let fg;
// A 2 s grace instead of 60 s, so the place lapses within the test.
floodgatePerFile(test, (started) => (fg = started), { env: { FLOODGATE_RECONNECT_GRACE_SECS: '2' } });

test('offline past the grace period: on reconnecting the fan is told the place was lost', async ({ browser }) => {
  const event = await fg.createEvent({
    opensInSecs: -1,
    admission: { rate_per_minute: 60, max_active: 50, session_ttl_secs: 600, paused: true },
  });
  const others = await crowd(browser, fg, event.id, 2);
  const { page, context } = await fanPage(browser, fg, '/');
  // The fan's queue socket goes through a route the test can cut (a browser going
  // offline does not close open WebSockets); HTTP to the API can be cut too.
  let down = false;
  const open = [];
  await context.routeWebSocket(/queue\/ws/, (ws) => {
    if (down) return ws.close();
    ws.connectToServer();
    open.push(ws);
  });
  await context.route('**/api/v1/**', (route) => (down ? route.abort('internetdisconnected') : route.continue()));
  await page.goto(`${fg.url}/events/${event.id}`);
  await joinFromPage(page);
  await expect(page.getByRole('heading', { name: 'You are in line' })).toBeVisible();
  await expect.poll(() => peopleAhead(page)).toBe(2);

  down = true;
  for (const ws of open) await ws.close();
  // The store drops a ticket with no socket once its grace has run out.
  await expect
    .poll(async () => (await fg.stats(event.id)).waiting, { timeout: 15_000 })
    .toBe(2);
  down = false;

  await expect(page.getByRole('heading', { name: 'Your place in line was lost' })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByText('Your place could not be kept')).toBeVisible();
  await screenshot(page, 'fan-queue-place-lost');
  await page.getByRole('button', { name: 'Join again at the back' }).click();
  await expect.poll(() => peopleAhead(page), { timeout: 10_000 }).toBe(2);
  await others.close();
  await context.close();
});
