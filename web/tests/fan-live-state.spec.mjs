// The fan page follows the sale live, without a reload: un-pausing a sold-out line
// turns "The line is paused" into the waitlist's words, and the sale's badge follows
// seats coming back (an admin releasing held-back seats) and going again.
import { expect, test } from '@playwright/test';
import { floodgatePerFile, screenshot } from './harness.mjs';
import { fanPage, joinFromPage } from './fan-helpers.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

const paused = { rate_per_minute: 60, max_active: 50, session_ttl_secs: 600, paused: true };
const small = [{ name: 'A', rows: 1, seats_per_row: 2, price_cents: 5000 }];
const ALL = ['A-1-1', 'A-1-2'];

async function seats(eventId, action, list) {
  return fg.api('POST', `/api/v1/admin/events/${eventId}/seats/${action}`, {
    token: await fg.admin(),
    body: { seats: list },
  });
}

/** The fan's place in line. */
const line = (page) => page.getByRole('region', { name: 'You are in line' });
/** The sale's state under its title (a word and a glyph). */
const badge = (page) => page.locator('.meta .badge');

test('un-pausing a sold-out line shows the waitlist, not "paused"', async ({ browser }) => {
  const event = await fg.createEvent({ opensInSecs: -1, admission: paused, sections: small });
  const { page } = await fanPage(browser, fg, `/events/${event.id}`);
  await joinFromPage(page);
  await expect(page.getByRole('heading', { name: 'You are in line' })).toBeVisible();
  await seats(event.id, 'hold-back', ALL);
  await expect(line(page).getByRole('strong').filter({ hasText: 'Sold out — you are 1st on the waitlist.' })).toBeVisible();
  await expect(line(page).getByText('The line is paused.', { exact: true })).toBeVisible();
  await fg.patchAdmission(event.id, { paused: false });
  await expect(line(page).getByText('The line is paused.', { exact: true })).toHaveCount(0);
  await expect(line(page).getByRole('strong').filter({ hasText: 'Sold out — you are 1st on the waitlist.' })).toBeVisible();
  await screenshot(page, 'fan-live-unpaused-sold-out');
  // And the other way: seats come back while the line is paused again.
  await fg.patchAdmission(event.id, { paused: true });
  await expect(line(page).getByText('The line is paused.', { exact: true })).toBeVisible();
  await seats(event.id, 'release', ['A-1-1']);
  await expect(line(page).getByRole('strong').filter({ hasText: 'Sold out — you are 1st on the waitlist; 1 seat came back.' })).toBeVisible();
  await expect(line(page).getByText('The line is paused.', { exact: true })).toBeVisible();
  await screenshot(page, 'fan-live-paused-seat-back');
});

test('in line, the badge agrees with the live seat count as seats come back and go', async ({ browser }) => {
  const event = await fg.createEvent({ opensInSecs: -1, admission: paused, sections: small });
  await seats(event.id, 'hold-back', ALL);
  const { page } = await fanPage(browser, fg, `/events/${event.id}`);
  await expect(badge(page)).toHaveText(/Sold out/);
  await joinFromPage(page);
  await expect(line(page).getByRole('strong').filter({ hasText: 'Sold out — you are 1st on the waitlist.' })).toBeVisible();
  const seatsLeft = page.locator('.seats-left strong');
  await expect(seatsLeft).toHaveText('0 of 2');
  await seats(event.id, 'release', ['A-1-2']);
  // The queue's `availability` says a seat is back: the badge says so with it, not
  // at the page's next fetch of the event.
  await expect(seatsLeft).toHaveText('1 of 2');
  expect(await badge(page).innerText()).toMatch(/On sale/);
  await screenshot(page, 'fan-live-badge-on-sale');
  await seats(event.id, 'hold-back', ['A-1-2']);
  await expect(seatsLeft).toHaveText('0 of 2');
  expect(await badge(page).innerText()).toMatch(/Sold out/);
});
