// Checkout on the fan page: keyboard only from joining to My orders, best-available
// seats, live seat changes between two fans, releasing a hold.
import { expect, test } from '@playwright/test';
import { screenshot, floodgatePerFile } from './harness.mjs';
import { admittedToken, expectAdmitted, fanPage, joinFromPage, tabTo } from './fan-helpers.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

const quick = { rate_per_minute: 600, max_active: 50, session_ttl_secs: 600 };

test('keyboard only: join, pick a seat, hold, confirm, see it in My orders', async ({ browser }) => {
  const event = await fg.createEvent({ opensInSecs: -1, admission: quick });
  const { page, context } = await fanPage(browser, fg, `/events/${event.id}`);
  await expect(page.getByRole('heading', { level: 1, name: event.name })).toBeVisible();

  const join = page.getByRole('button', { name: 'Join the queue' });
  await tabTo(page, join);
  await page.keyboard.press('Enter');
  await expectAdmitted(page);

  const grid = page.getByRole('grid', { name: 'Seat map' });
  await tabTo(page, grid);
  // Focus starts on the first free seat, A-1-1; move right twice and down once.
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  const cell = grid.getByRole('gridcell', { name: 'A-2-3, free' });
  await expect(cell).toHaveAttribute('aria-selected', 'false');
  await expect(grid).toHaveAttribute('aria-activedescendant', (await cell.getAttribute('id')) || 'missing');
  await page.keyboard.press('Enter');
  await expect(cell).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press(' ');
  await expect(grid.getByRole('gridcell', { name: 'A-2-4, free' })).toHaveAttribute('aria-selected', 'true');
  await screenshot(page, 'fan-checkout-picked');

  const hold = page.getByRole('button', { name: 'Hold seats', exact: true });
  await tabTo(page, hold);
  await page.keyboard.press('Enter');
  const held = page.getByRole('heading', { name: 'Seats held for you' });
  await expect(held).toBeFocused();
  await expect(page.getByRole('region', { name: 'Seats held for you' })).toContainText('A-2-3, A-2-4');
  await expect(grid.getByRole('gridcell', { name: 'A-2-4, yours' })).toBeAttached();
  await screenshot(page, 'fan-checkout-held');

  await tabTo(page, page.getByRole('button', { name: 'Confirm purchase' }));
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'You bought these seats' })).toBeFocused();
  const confirmation = page.getByRole('region', { name: 'You bought these seats' });
  await expect(confirmation).toContainText('A-2-3, A-2-4');
  await expect(confirmation).toContainText('$100.00');
  await screenshot(page, 'fan-checkout-confirmed');

  await tabTo(page, page.getByRole('link', { name: 'See My orders' }));
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/orders$/);
  await expect(page.getByRole('heading', { level: 1, name: 'My orders' })).toBeFocused();
  const order = page.getByRole('article').filter({ hasText: 'A-2-3, A-2-4' });
  await expect(order).toContainText(event.name);
  await expect(order).toContainText('$100.00');
  await screenshot(page, 'fan-orders');
  await context.close();
});

test('best available: two adjacent seats in a chosen section', async ({ browser }) => {
  const event = await fg.createEvent({ opensInSecs: -1, admission: quick });
  const { page, context } = await fanPage(browser, fg, `/events/${event.id}`);
  await joinFromPage(page);
  await expectAdmitted(page);
  await page.getByLabel('Number of seats').fill('2');
  await page.getByLabel('Section', { exact: true }).selectOption('B');
  await page.getByRole('button', { name: 'Find and hold seats' }).click();
  const region = page.getByRole('region', { name: 'Seats held for you' });
  await expect(region).toBeVisible();
  const text = await region.getByRole('definition').first().innerText();
  const seats = text.split(',').map((s) => s.trim());
  expect(seats).toHaveLength(2);
  const [a, b] = seats.map((s) => s.split('-'));
  expect(a[0]).toBe('B');
  expect(b[0]).toBe('B');
  expect(a[1]).toBe(b[1]);
  expect(Math.abs(Number(a[2]) - Number(b[2]))).toBe(1);
  await expect(region).toContainText('$50.00');
  await screenshot(page, 'fan-checkout-best-available');
  await context.close();
});

test("a second fan's map shows the first fan's held seats within a second", async ({ browser }) => {
  const event = await fg.createEvent({ opensInSecs: -1, admission: quick });
  const one = await fanPage(browser, fg, `/events/${event.id}`);
  const two = await fanPage(browser, fg, `/events/${event.id}`);
  await joinFromPage(one.page);
  await joinFromPage(two.page);
  await expectAdmitted(one.page);
  await expectAdmitted(two.page);
  await expect(two.page.getByRole('grid', { name: 'Seat map' })).not.toHaveAttribute('aria-busy', 'true');
  expect(await two.page.evaluate(() => window.__floodgateSeatState('B-3-5'))).toBe('free');

  await one.page.getByLabel('Number of seats').fill('1');
  await one.page.getByLabel('Section', { exact: true }).selectOption('B');
  await one.page.getByRole('button', { name: 'Find and hold seats' }).click();
  const region = one.page.getByRole('region', { name: 'Seats held for you' });
  await expect(region).toBeVisible();
  const seat = (await region.getByRole('definition').first().innerText()).trim();
  const heldAt = Date.now();
  await expect.poll(() => two.page.evaluate((s) => window.__floodgateSeatState(s), seat), { timeout: 1500, intervals: [50] }).toBe('held');
  console.log(`seat ${seat} showed as held on the other fan's map after ${Date.now() - heldAt} ms`);
  expect(await one.page.evaluate((s) => window.__floodgateSeatState(s), seat)).toBe('yours');
  await screenshot(two.page, 'fan-checkout-other-fan-map');
  await one.context.close();
  await two.context.close();
});

test('releasing a hold frees the seats', async ({ browser }) => {
  const event = await fg.createEvent({ opensInSecs: -1, admission: quick });
  const { page, context } = await fanPage(browser, fg, `/events/${event.id}`);
  await joinFromPage(page);
  await expectAdmitted(page);
  await page.getByLabel('Number of seats').fill('2');
  await page.getByRole('button', { name: 'Find and hold seats' }).click();
  const region = page.getByRole('region', { name: 'Seats held for you' });
  await expect(region).toBeVisible();
  const seats = (await region.getByRole('definition').first().innerText()).split(',').map((s) => s.trim());
  expect(await page.evaluate((s) => window.__floodgateSeatState(s), seats[0])).toBe('yours');
  await page.getByRole('button', { name: 'Release seats' }).click();
  await expect(page.getByText(`Seats released: ${seats.join(', ')}.`)).toBeVisible();
  await expect(region).toBeHidden();
  await expect.poll(() => page.evaluate((s) => window.__floodgateSeatState(s), seats[0])).toBe('free');
  await expect.poll(async () => (await fg.api('GET', `/api/v1/events/${event.id}`)).available).toBe(100);
  await screenshot(page, 'fan-checkout-released');
  await context.close();
});

test('a seat another fan took is reported and dropped from the pick', async ({ browser }) => {
  const event = await fg.createEvent({ opensInSecs: -1, admission: quick });
  const { page, context } = await fanPage(browser, fg, `/events/${event.id}`);
  await joinFromPage(page);
  await expectAdmitted(page);
  const grid = page.getByRole('grid', { name: 'Seat map' });
  // Enter picks a seat once the first seat snapshot says it is free (a busy machine
  // can admit the fan before the seat feed's snapshot arrives).
  await expect(grid).not.toHaveAttribute('aria-busy', 'true');
  await grid.focus();
  await page.keyboard.press('Enter'); // picks A-1-1
  await expect(grid.getByRole('gridcell', { name: 'A-1-1, free' })).toHaveAttribute('aria-selected', 'true');
  const other = await admittedToken(browser, fg, event.id);
  await fg.api('POST', `/api/v1/events/${event.id}/holds`, { token: other.token, session: other.session, body: { seats: ['A-1-1'] } });
  await expect(page.getByRole('alert').filter({ hasText: 'Just taken by someone else: A-1-1' })).toBeVisible();
  await expect(grid.getByRole('gridcell', { name: 'A-1-1, held' })).toHaveAttribute('aria-selected', 'false');
  await expect(page.getByRole('button', { name: 'Hold seats', exact: true })).toBeDisabled();
  await screenshot(page, 'fan-checkout-seat-taken');
  await other.context.close();
  await context.close();
});

test('a reload during a hold shows the same hold, and the seat allowance is counted', async ({ browser }) => {
  const event = await fg.createEvent({ opensInSecs: -1, admission: quick });
  const { page, context } = await fanPage(browser, fg, `/events/${event.id}`);
  await joinFromPage(page);
  await expectAdmitted(page);
  await page.getByLabel('Number of seats').fill('3');
  await page.getByRole('button', { name: 'Find and hold seats' }).click();
  const region = page.getByRole('region', { name: 'Seats held for you' });
  const seats = await region.getByRole('definition').first().innerText();
  await page.reload();
  await expectAdmitted(page);
  await expect(page.getByRole('region', { name: 'Seats held for you' }).getByRole('definition').first()).toHaveText(seats);
  await expect(page.getByRole('button', { name: 'Confirm purchase' })).toBeEnabled();
  // Releasing does not give seats back (the token counts seats over its life): one is left.
  await page.getByRole('button', { name: 'Release seats' }).click();
  await expect(page.getByText('You can pick up to 1 seats.', { exact: false }).or(page.getByText('You can pick 1 more seat.', { exact: false }))).toBeVisible();
  await expect(page.getByLabel('Number of seats')).toHaveAttribute('max', '1');
  await context.close();
});

test('the map by pointer: a click picks a seat, a drag pans without picking', async ({ browser }) => {
  const event = await fg.createEvent({ opensInSecs: -1, admission: quick });
  const { page, context } = await fanPage(browser, fg, `/events/${event.id}`);
  await joinFromPage(page);
  await expectAdmitted(page);
  const grid = page.getByRole('grid', { name: 'Seat map' });
  await expect(grid).not.toHaveAttribute('aria-busy', 'true');
  const seatPoint = (id) => page.evaluate((s) => window.__floodgateSeatPoint(s), id);
  const pt = await seatPoint('B-2-3');
  await page.mouse.click(pt.x, pt.y);
  await expect(page.getByText('Your pick:').locator('..')).toContainText('B-2-3');
  await expect(grid.getByRole('gridcell', { name: 'B-2-3, free' })).toHaveAttribute('aria-selected', 'true');
  // Drag from a seat: the map moves with the pointer, and nothing is picked.
  const from = await seatPoint('A-3-3');
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move(from.x + 40, from.y + 30, { steps: 5 });
  await page.mouse.up();
  const to = await seatPoint('A-3-3');
  expect(Math.round(to.x - from.x)).toBe(40);
  expect(Math.round(to.y - from.y)).toBe(30);
  await expect(page.getByText('Your pick:').locator('..')).not.toContainText('A-3-3');
  // Zooming in keeps the seat under the wheel where it was.
  const before = await seatPoint('B-2-3');
  const pitch = async () => (await seatPoint('B-2-4')).x - (await seatPoint('B-2-3')).x;
  const pitchBefore = await pitch();
  await page.mouse.move(before.x, before.y);
  await page.mouse.wheel(0, -200);
  await expect.poll(pitch).toBeGreaterThan(pitchBefore * 1.2);
  await expect.poll(async () => {
    const after = await seatPoint('B-2-3');
    return Math.round(Math.hypot(after.x - before.x, after.y - before.y));
  }).toBeLessThan(2);
  await context.close();
});
