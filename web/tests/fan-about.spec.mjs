// People ahead deep in the line (issue 19): the server rounds them there ("about
// 12,000", `ahead_about`) and sends a change only when that number or the wait
// shown moves. The page shows the rounded number with "about" in both languages,
// reads it out the same way, and goes back to the exact number near the head. A
// line of 12,000 fans is out of reach here, so the test rewrites the real server's
// `queued` message on its way to the page, then plays the positions that follow.
import { expect, test } from '@playwright/test';
import { floodgatePerFile, screenshot } from './harness.mjs';
import { expectAccessible } from './a11y.mjs';
import { crowd, fanPage, joinFromPage, peopleAhead } from './fan-helpers.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

const paused = { rate_per_minute: 60, max_active: 50, session_ttl_secs: 600, paused: true };

/** A fan in a paused line whose queue socket passes through the test: its `queued`
 *  says 12,480 ahead, about 12,000; answers the page and a way to send it more. */
async function deepFan(browser, locale) {
  const event = await fg.createEvent({ opensInSecs: -1, admission: paused });
  const others = await crowd(browser, fg, event.id, 1);
  const fan = await fanPage(browser, fg, `/events/${event.id}`, { locale });
  let route = null;
  await fan.context.routeWebSocket(/queue\/ws/, (ws) => {
    route = ws;
    const server = ws.connectToServer();
    server.onMessage((text) => {
      const msg = JSON.parse(text);
      if (msg.type === 'queued') Object.assign(msg, { ahead: 12_480, ahead_about: 12_000 });
      ws.send(JSON.stringify(msg));
    });
  });
  await fan.page.reload();
  const send = (msg) => route.send(JSON.stringify(msg));
  return { ...fan, others, send };
}

const position = (ahead, ahead_about) => ({ type: 'position', ahead, ahead_about, eta_secs: 0, eta_basis: 'none', changed_at_ms: Date.now() });

test('deep in the line the fan sees and hears "about 12,000", near the head the exact number', async ({ browser }) => {
  const { page, context, others, send } = await deepFan(browser, 'en-US');
  await joinFromPage(page);
  const ahead = page.locator('.ahead');
  await expect(ahead).toHaveText(/^about 12,000\s*people ahead of you$/);
  await expect(page.getByRole('status').filter({ hasText: 'The line is paused. About 12,000 people are ahead of you.' })).toBeAttached();
  await expectAccessible(page, 'about 12,000 ahead');
  await screenshot(page, 'fan-queue-about');
  send(position(11_490, 11_000));
  await expect(ahead).toHaveText(/^about 11,000\s*people ahead of you$/);
  // Seats left in a big sale follow the same rule.
  send({ type: 'availability', available: 38_012, available_about: 38_000 });
  await expect(page.locator('.facts').getByRole('definition').filter({ hasText: 'about 38,000' })).toBeVisible();
  await expect(page.locator('.seats-left strong')).toHaveText(/^about 38,000 of /);
  // Near the head: the exact number, no "about".
  send(position(998, undefined));
  await expect(ahead).toHaveText(/^998\s*people ahead of you$/);
  expect(await peopleAhead(page)).toBe(998);
  await others.close();
  await context.close();
});

test('deep in the line in Traditional Chinese: 約 12,000', async ({ browser }) => {
  const { page, context, others } = await deepFan(browser, 'zh-TW');
  await page.getByRole('button', { name: '加入排隊' }).click();
  await expect(page.locator('.ahead')).toHaveText(/^約 12,000\s*人排在你前面$/);
  await expect(page.getByRole('status').filter({ hasText: '你前面大約還有 12,000 人。' })).toBeAttached();
  await expectAccessible(page, 'about 12,000 ahead, zh-TW');
  await others.close();
  await context.close();
});
