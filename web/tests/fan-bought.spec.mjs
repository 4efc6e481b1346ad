// After a purchase and after sell-out on the fan page: a fan who bought sees the
// order, also after a reload (not "It's your turn!" and not the seat map); a fan on
// the waitlist reads their place and the seats that came back; the header's account
// links keep the way back to the sale.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { expectAccessible } from './a11y.mjs';
import { floodgatePerFile, screenshot } from './harness.mjs';
import { admittedToken, crowd, expectAdmitted, fanPage, joinFromPage } from './fan-helpers.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

const quick = { rate_per_minute: 600, max_active: 50, session_ttl_secs: 600 };
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
/** Where the screenshots are also kept for a person to look at (SHOTS_DIR). */
const SHOTS = process.env.SHOTS_DIR;

/** A screenshot at phone width and at desktop width. */
async function shots(page, name) {
  for (const [size, viewport] of [['phone', PHONE], ['desktop', DESKTOP]]) {
    await page.setViewportSize(viewport);
    await screenshot(page, `${name}-${size}`);
    if (SHOTS) {
      await mkdir(SHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SHOTS, `${name}-${size}.png`), fullPage: true });
    }
  }
  await page.setViewportSize(DESKTOP);
}

test('a fan buys, reloads and sees the order, not a shopping screen', async ({ browser }) => {
  const event = await fg.createEvent({ opensInSecs: -1, admission: quick });
  const { page, context } = await fanPage(browser, fg, `/events/${event.id}`);
  await joinFromPage(page);
  await expectAdmitted(page);
  await page.getByRole('button', { name: 'Find and hold seats' }).click();
  await expect(page.getByRole('heading', { name: 'Seats held for you' })).toBeVisible();
  await page.getByRole('button', { name: 'Confirm purchase' }).click();
  const bought = page.getByRole('region', { name: 'You bought these seats' });
  await expect(bought).toBeVisible();
  const seats = await bought.getByRole('definition').first().innerText();
  expect(seats).toMatch(/^A-\d+-\d+, A-\d+-\d+$/);

  await page.reload();
  await expect(bought).toBeVisible();
  await expect(bought).toContainText(seats);
  await expect(bought).toContainText('$100.00');
  await expect(bought.getByRole('link', { name: 'See My orders' })).toHaveAttribute('href', '/orders');
  await expect(page.getByText("It's your turn!")).toHaveCount(0);
  await expect(page.getByRole('grid', { name: 'Seat map' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Join the line again' })).toBeVisible();
  await expectAccessible(page, 'bought, after a reload');
  await shots(page, 'fan-bought');

  // In Traditional Chinese too.
  await page.getByLabel('Language').selectOption('zh-TW');
  await expect(page.getByRole('region', { name: '你已購買這些座位' })).toContainText(seats);
  await context.close();
});

test('the waitlist: your place and the seats that came back', async ({ browser }) => {
  const event = await fg.createEvent({
    opensInSecs: -1,
    sections: [{ name: 'A', rows: 1, seats_per_row: 4, price_cents: 5000 }],
    admission: quick,
  });
  // Another fan holds every seat (two holds of two): sold out.
  const holder = await admittedToken(browser, fg, event.id);
  const holds = [];
  for (const seats of [['A-1-1', 'A-1-2'], ['A-1-3', 'A-1-4']]) {
    holds.push(await fg.api('POST', `/api/v1/events/${event.id}/holds`, { token: holder.token, session: holder.session, body: { seats } }));
  }
  // 36 fans line up first (nobody is admitted: no seat is free), then this fan: 37th.
  const line = await crowd(browser, fg, event.id, 36);
  const { page, context } = await fanPage(browser, fg, `/events/${event.id}`);
  await joinFromPage(page);
  const soldOut = 'Sold out — you are 37th on the waitlist.';
  // Shown (the first match), and said once by the line's status region.
  await expect(page.getByText(soldOut).first()).toBeVisible({ timeout: 15_000 });
  await expect(page.getByRole('status').filter({ hasText: soldOut })).toHaveCount(1);
  await expectAccessible(page, 'waitlist, sold out');
  await shots(page, 'fan-waitlist-sold-out');

  // Two seats come back: the first in line is offered them (the holder still shops),
  // and this fan reads that they came back.
  await fg.api('DELETE', `/api/v1/holds/${holds[0].hold_id}`, { token: holder.token, session: holder.session });
  await expect(page.getByText('Sold out — you are 36th on the waitlist; 2 seats came back.').first()).toBeVisible({ timeout: 15_000 });
  await expectAccessible(page, 'waitlist, seats came back');
  await shots(page, 'fan-waitlist-seats-back');
  await page.getByLabel('Language').selectOption('zh-TW');
  await expect(page.getByText('已售完 — 你是候補名單上的第 36 位；有 2 個座位釋出。').first()).toBeVisible();
  await shots(page, 'fan-waitlist-seats-back-zh');
  await context.close();
  await line.close();
  await holder.context.close();
});

test("the header's account links keep the way back to the sale", async ({ browser }) => {
  const event = await fg.createEvent({ opensInSecs: -1, admission: quick });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${fg.url}/events/${event.id}`);
  const next = `next=${encodeURIComponent(`/events/${event.id}`)}`;
  const nav = page.getByRole('navigation');
  await expect(nav.getByRole('link', { name: 'Create an account' })).toHaveAttribute('href', `/signup?${next}`);
  await expect(nav.getByRole('link', { name: 'Sign in' })).toHaveAttribute('href', `/signin?${next}`);
  await context.close();
});
