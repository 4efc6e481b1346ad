// Accessibility of every state of the fan page (axe, WCAG 2.2 AA tags), and phones:
// nothing wider than a 360 px screen except inside the seat map.
import { expect, test } from '@playwright/test';
import { expectAccessible } from './a11y.mjs';
import { screenshot, floodgatePerFile } from './harness.mjs';
import { admittedToken, crowd, expectAdmitted, fanPage, joinFromPage } from './fan-helpers.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

const quick = { rate_per_minute: 600, max_active: 50, session_ttl_secs: 600 };

test('signed out: the list, an event before its opening, sign-in and sign-up with errors, not found', async ({ page }) => {
  const event = await fg.createEvent({ opensInSecs: 3600 });
  await page.goto(fg.url + '/');
  await expect(page.getByRole('link', { name: event.name })).toBeVisible();
  await expectAccessible(page, 'event list');
  await screenshot(page, 'fan-events');

  await page.getByRole('link', { name: event.name }).click();
  await expect(page.getByRole('heading', { level: 1, name: event.name })).toBeFocused();
  await expect(page.getByText('Sign in to join the queue.', { exact: false })).toBeVisible();
  await expect(page.getByText('Opens in')).toBeVisible();
  await expectAccessible(page, 'event before opening, signed out');
  await screenshot(page, 'fan-event-signed-out');

  await page.getByRole('main').getByRole('link', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/signin\?next=/);
  await page.getByLabel('Email').fill('nobody@floodgate.test');
  await page.getByLabel('Password').fill('wrong-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText(/That email and password do not match an account/);
  await expectAccessible(page, 'sign-in error');
  await screenshot(page, 'fan-signin-error');

  await page.goto(fg.url + '/signup');
  await page.getByLabel('Email').fill(`new-${Date.now()}@floodgate.test`);
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByLabel('Password')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Password')).toBeFocused();
  await expect(page.getByRole('alert')).toHaveText(/Use a password of 8 to 128 characters/);
  await expectAccessible(page, 'sign-up error');
  await screenshot(page, 'fan-signup-error');

  const taken = await fg.registerFan();
  await page.getByLabel('Email').fill(taken.email);
  await page.getByLabel('Password').fill('long-enough-password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('alert')).toHaveText(/already exists/);
  await expect(page.getByLabel('Email')).toHaveAttribute('aria-invalid', 'true');

  await page.goto(fg.url + '/nowhere/at/all');
  await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
  await expectAccessible(page, 'not found');
});

test('signing up goes back to the event, signed in', async ({ page }) => {
  const event = await fg.createEvent({ opensInSecs: 3600 });
  await page.goto(`${fg.url}/events/${event.id}`);
  await page.getByRole('main').getByRole('link', { name: 'Create an account' }).click();
  await page.getByLabel('Email').fill(`new-${Date.now()}@floodgate.test`);
  await page.getByLabel('Password').fill('long-enough-password');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(new RegExp(`/events/${event.id}$`));
  await expect(page.getByRole('button', { name: 'Join the queue' })).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sign in' })).toBeVisible();
});

test('waiting: pre-queue, queued, paused, left', async ({ browser }) => {
  const event = await fg.createEvent({ opensInSecs: 5, admission: { ...quick, rate_per_minute: 60, paused: true } });
  const others = await crowd(browser, fg, event.id, 2);
  const { page, context } = await fanPage(browser, fg, `/events/${event.id}`);
  await joinFromPage(page);
  await expect(page.getByRole('heading', { name: 'You are in the pre-queue' })).toBeVisible();
  // The fan's pseudonym in the draw (docs/FAIRNESS.md), and where the draw is published.
  await expect(page.getByText('Your ticket in the draw:')).toBeVisible();
  await expect(page.locator('.draw-ticket code')).toHaveText(/^[0-9a-f]{32}$/);
  await expect(page.getByRole('link', { name: /How to check the draw/ })).toHaveAttribute('href', `/api/v1/events/${event.id}/prequeue`);
  await expectAccessible(page, 'pre-queue');

  await expect(page.getByRole('heading', { name: 'You are in line' })).toBeVisible({ timeout: 15_000 });
  await expect(page.getByText('The line is paused.', { exact: true })).toBeVisible();
  await expectAccessible(page, 'paused');
  await fg.patchAdmission(event.id, { paused: false, rate_per_minute: 1 });
  await expect(page.getByText('The line is moving again.', { exact: true })).toBeVisible();
  await expectAccessible(page, 'queued');

  await page.getByRole('button', { name: 'Leave the queue' }).click();
  await page.getByRole('button', { name: 'Yes, leave' }).click();
  await expect(page.getByRole('heading', { name: 'You left the queue' })).toBeVisible();
  await expectAccessible(page, 'left');
  await others.close();
  await context.close();
});

test('admitted with the map, hold placed, order confirmed, my orders', async ({ browser }) => {
  const event = await fg.createEvent({ opensInSecs: -1, admission: quick });
  const { page, context } = await fanPage(browser, fg, `/events/${event.id}`);
  await joinFromPage(page);
  await expectAdmitted(page);
  await expect(page.getByRole('grid', { name: 'Seat map' })).not.toHaveAttribute('aria-busy', 'true');
  await expectAccessible(page, 'admitted with the map');
  await screenshot(page, 'fan-admitted');

  await page.getByRole('button', { name: 'Find and hold seats' }).click();
  await expect(page.getByRole('heading', { name: 'Seats held for you' })).toBeVisible();
  await expectAccessible(page, 'hold placed');

  await page.getByRole('button', { name: 'Confirm purchase' }).click();
  await expect(page.getByRole('heading', { name: 'You bought these seats' })).toBeVisible();
  await expectAccessible(page, 'order confirmed');

  await page.getByRole('link', { name: 'See My orders' }).click();
  await expect(page.getByRole('article')).toHaveCount(1);
  await expectAccessible(page, 'my orders');
  await context.close();
});

test('sold out: the list, the event page and a fan in line', async ({ browser }) => {
  const event = await fg.createEvent({
    opensInSecs: -1,
    sections: [{ name: 'A', rows: 1, seats_per_row: 2, price_cents: 9900 }],
    max_seats_per_order: 2,
    admission: quick,
  });
  const other = await admittedToken(browser, fg, event.id);
  await fg.api('POST', `/api/v1/events/${event.id}/holds`, { token: other.token, session: other.session, body: { quantity: 2 } });
  await expect.poll(async () => (await fg.api('GET', `/api/v1/events/${event.id}`)).state).toBe('sold_out');

  const { page, context } = await fanPage(browser, fg, `/events/${event.id}`);
  await expect(page.getByRole('main').getByText(/Sold out$/).first()).toBeVisible();
  await expect(page.getByText('Every seat is taken right now.', { exact: false })).toBeVisible();
  await expectAccessible(page, 'event sold out');
  await joinFromPage(page);
  // "Sold out for now." until the room's next admission step sees no free seat and
  // makes the line a waitlist for good (within a second; sooner on a busy machine).
  await expect(page.getByText(/^(Sold out for now\.|Sold out — you are 1st on the waitlist\.)$/).first()).toBeVisible();
  await expectAccessible(page, 'sold out in line');
  await screenshot(page, 'fan-queue-sold-out');
  await page.goto(fg.url + '/');
  await expect(page.getByRole('listitem').filter({ hasText: event.name })).toContainText('Sold out');
  await expectAccessible(page, 'list with a sold-out sale');
  await other.context.close();
  await context.close();
});

test('a 360 px wide phone: no sideways scrolling in any state', async ({ browser }) => {
  const viewport = { width: 360, height: 740 };
  const noOverflow = async (page, label) => {
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width, `horizontal overflow in "${label}"`).toBeLessThanOrEqual(360);
  };
  // Opens late enough that a loaded machine still shows the pre-queue before it.
  const event = await fg.createEvent({ opensInSecs: 12, admission: quick });
  const { page, context } = await fanPage(browser, fg, '/', { viewport });
  await expect(page.getByRole('link', { name: event.name })).toBeVisible();
  await noOverflow(page, 'event list');
  await screenshot(page, 'fan-360-events');
  await page.getByRole('link', { name: event.name }).click();
  await noOverflow(page, 'event page');
  await joinFromPage(page);
  await expect(page.getByRole('heading', { name: 'You are in the pre-queue' })).toBeVisible();
  await noOverflow(page, 'pre-queue');
  await screenshot(page, 'fan-360-prequeue');
  await expectAdmitted(page);
  await expect(page.getByRole('grid', { name: 'Seat map' })).not.toHaveAttribute('aria-busy', 'true');
  await noOverflow(page, 'admitted');
  await screenshot(page, 'fan-360-admitted');
  await page.getByLabel('Language').selectOption('zh-TW');
  await expect(page.getByRole('heading', { name: '輪到你了！' })).toBeVisible();
  await noOverflow(page, 'admitted in zh-TW');
  await screenshot(page, 'fan-360-admitted-zh-TW');
  await page.getByRole('button', { name: '尋找並保留座位' }).click();
  await expect(page.getByRole('heading', { name: '已為你保留座位' })).toBeVisible();
  await noOverflow(page, 'hold in zh-TW');
  await screenshot(page, 'fan-360-hold-zh-TW');
  await page.goto(fg.url + '/signin');
  await noOverflow(page, 'sign in');
  await context.close();
});
