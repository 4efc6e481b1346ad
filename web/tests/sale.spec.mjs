// A full sale in the browser: two fans and an admin, each in their own browser
// context, against a real floodgate. The fans wait in the pre-queue, the sale opens,
// the admin raises the admission rate in the console, both fans are admitted, one
// holds two adjacent seats (which the other's map shows held), confirms, and finds
// the order in My orders.
import { expect, test } from '@playwright/test';
import { ADMIN, PASSWORD, screenshot, floodgatePerFile } from './harness.mjs';
import { crowd } from './fan-helpers.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

/** The number in "N people ahead of you" on a fan's page. */
async function ahead(page) {
  const line = page.getByText(/(person|people) ahead of you/).first();
  if (!(await line.isVisible())) return null;
  const text = await line.locator('..').innerText();
  const m = text.replace(/,/g, '').match(/(\d+)\s*(person|people) ahead/);
  return m ? Number(m[1]) : null;
}

test('two fans and an admin: pre-queue, opening, live rate change, hold, confirm, My orders', async ({ browser }) => {
  test.setTimeout(120_000);
  // A sale opening in 15 s that admits almost nobody (1 fan a minute) until the
  // admin raises the rate.
  const event = await fg.createEvent({
    opensInSecs: 15,
    admission: { rate_per_minute: 1, max_active: 10, session_ttl_secs: 600 },
  });

  // Fan 1 creates an account through the page; fan 2 signs in through the form.
  const fan1 = await browser.newContext();
  const page1 = await fan1.newPage();
  const email1 = `first-${Date.now()}@floodgate.test`;
  await page1.goto(`${fg.url}/signup`);
  await page1.getByLabel('Email').fill(email1);
  await page1.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page1.getByRole('button', { name: 'Create account' }).click();
  await expect(page1.getByText(`Signed in as ${email1}`)).toBeVisible();

  const account2 = await fg.registerFan('second');
  const fan2 = await browser.newContext();
  const page2 = await fan2.newPage();
  await page2.goto(`${fg.url}/signin`);
  await page2.getByLabel('Email').fill(account2.email);
  await page2.getByLabel('Password', { exact: true }).fill(account2.password);
  await page2.getByRole('button', { name: 'Sign in' }).click();
  await expect(page2.getByText(`Signed in as ${account2.email}`)).toBeVisible();

  // Both join before the opening and see the pre-queue with its rule; a few other
  // fans (API sockets) wait with them, so there is a line to move through.
  const others = await crowd(browser, fg, event.id, 3);
  for (const page of [page1, page2]) {
    await page.goto(`${fg.url}/events/${event.id}`);
    await page.getByRole('button', { name: 'Join the queue' }).click();
    await expect(page.getByRole('heading', { name: 'You are in the pre-queue' })).toBeVisible();
    await expect(page.getByText('Arriving early does not decide your place')).toBeVisible();
  }
  await screenshot(page1, 'sale-1-prequeue');

  // The opening: both are shuffled into the line and see people ahead.
  for (const page of [page1, page2]) {
    await expect(page.getByRole('heading', { name: 'You are in line' })).toBeVisible({ timeout: 30_000 });
  }
  const start = [await ahead(page1), await ahead(page2)];
  expect(start.every((n) => n !== null && n >= 0)).toBe(true);
  await screenshot(page2, 'sale-2-in-line');

  // The admin raises the rate in the console.
  const admin = await browser.newContext();
  const console_ = await admin.newPage();
  await console_.goto(`${fg.url}/admin`);
  await console_.getByLabel('Email').fill(ADMIN.email);
  await console_.getByLabel('Password').fill(ADMIN.password);
  await console_.getByRole('button', { name: 'Sign in' }).click();
  await console_.getByRole('link', { name: event.name }).click();
  const rate = console_.getByRole('spinbutton', { name: 'Admission rate (fans per minute)' });
  await rate.fill('60');
  await console_.getByRole('button', { name: 'Apply changes' }).click();
  await expect.poll(async () => (await fg.stats(event.id)).rate_per_minute).toBe(60);
  await screenshot(console_, 'sale-3-console-rate-raised');

  // Positions fall (or the fan's turn comes), and both fans are admitted.
  const turn = (page) => page.getByRole('alert').filter({ hasText: "It's your turn!" });
  for (const [i, page] of [page1, page2].entries()) {
    if (start[i] > 0) {
      await expect
        .poll(async () => (await turn(page).isVisible()) || (await ahead(page)) < start[i], { timeout: 30_000 })
        .toBe(true);
    }
  }
  for (const page of [page1, page2]) {
    await expect(turn(page)).toBeVisible({ timeout: 30_000 });
  }
  await screenshot(page1, 'sale-4-admitted');

  // Fan 1 holds two adjacent best-available seats in section A.
  await page1.getByLabel('Number of seats').fill('2');
  await page1.getByLabel('Section').selectOption('A');
  await page1.getByRole('button', { name: 'Find and hold seats' }).click();
  const held = page1.getByRole('region', { name: 'Seats held for you' }).or(page1.getByText('Seats held for you'));
  await expect(held.first()).toBeVisible();
  const seats = await page1.evaluate(() => window.__floodgateLastHold?.seats ?? null);
  const heldSeats = seats ?? (await heldSeatIds(page1));
  expect(heldSeats).toHaveLength(2);
  const [s1, s2] = heldSeats.map((id) => id.split('-'));
  expect(s1[0]).toBe('A');
  expect(s1[1]).toBe(s2[1]);
  expect(Math.abs(Number(s1[2]) - Number(s2[2]))).toBe(1);

  // Fan 2's map shows them held within a second.
  for (const id of heldSeats) {
    await expect
      .poll(() => page2.evaluate((seat) => window.__floodgateSeatState?.(seat), id), { timeout: 1_000 })
      .toBe('held');
  }
  await screenshot(page2, 'sale-5-other-fan-sees-held');

  // Fan 1 confirms and finds the order in My orders.
  await page1.getByRole('button', { name: 'Confirm purchase' }).click();
  await expect(page1.getByRole('heading', { name: 'You bought these seats' })).toBeVisible();
  await screenshot(page1, 'sale-6-confirmed');
  await page1.getByRole('link', { name: 'My orders' }).first().click();
  for (const id of heldSeats) await expect(page1.getByText(id).first()).toBeVisible();
  await expect(page1.getByText(event.name).first()).toBeVisible();
  await screenshot(page1, 'sale-7-my-orders');

  // The console's figures follow: 2 sold.
  await expect.poll(async () => (await fg.stats(event.id)).sold, { timeout: 10_000 }).toBe(2);
  await others.close();
  for (const c of [fan1, fan2, admin]) await c.close();
});

/** Seat ids listed in the fan's hold panel (e.g. "A-1-5"). */
async function heldSeatIds(page) {
  const text = await page.getByText('Seats held for you').locator('xpath=ancestor::section[1]').innerText();
  return [...new Set(text.match(/\b[A-Z][A-Za-z0-9]*-\d+-\d+\b/g) ?? [])];
}
