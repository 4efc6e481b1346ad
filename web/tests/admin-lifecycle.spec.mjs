// The end of a sale and changes before it, in the console and on the fan page: the
// create form takes the show time, the refund window and the cap per account; an
// admin edits a sale before its opening, then closes it behind a confirmation; a fan
// waiting in the pre-queue sees plainly that the sale is closed.
import { test, expect } from '@playwright/test';
import { ADMIN, screenshot, signInContext, floodgatePerFile } from './harness.mjs';
import { expectAccessible } from './a11y.mjs';
import { fanPage, joinFromPage } from './fan-helpers.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

const PHONE = { width: 390, height: 844 };

test('the create form sets the show time, the refund window and the cap per account', async ({ page, context }) => {
  await signInContext(context, fg.url, ADMIN);
  await page.goto(`${fg.url}/admin/events/new`);
  await page.getByLabel('Sale name').fill('Box office night');
  await page.getByLabel('Opening time').fill('2030-05-01T19:30');
  // A refund window needs a show time, and the show comes after the opening.
  await page.getByLabel('Refund window (hours before the show, optional)').fill('48');
  await page.getByLabel('Show time (optional)').fill('2030-05-01T19:00');
  await page.getByRole('button', { name: 'Create sale' }).click();
  await expect(page.getByLabel('Show time (optional)')).toHaveAccessibleDescription(/must come after the opening/);
  await page.getByLabel('Show time (optional)').fill('2030-06-01T20:00');
  await page.getByLabel('Seats per account (optional)').fill('6');
  await page.getByRole('button', { name: 'Create sale' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Box office night' })).toBeVisible();
  const id = page.url().split('/').pop();
  const event = await fg.api('GET', `/api/v1/events/${id}`);
  expect(event.refund_window_secs).toBe(48 * 3600);
  expect(event.max_seats_per_account).toBe(6);
  expect(Date.parse(event.show_at)).toBe(new Date(2030, 5, 1, 20, 0).getTime());
});

test('an admin edits a sale before its opening, then closes it; the waiting fan sees it closed', async ({ browser, page, context }) => {
  const event = await fg.createEvent({ opensInSecs: 3600, name: 'Autumn tour' });
  const fan = await fanPage(browser, fg, `/events/${event.id}`, { viewport: PHONE });
  await joinFromPage(fan.page);
  await expect(fan.page.getByRole('heading', { name: /line opens|pre-queue|You're in/i }).first()).toBeVisible();

  await signInContext(context, fg.url, ADMIN);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${fg.url}/admin/events/${event.id}`);
  await page.getByRole('link', { name: 'Edit the sale' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Edit the sale' })).toBeVisible();
  await expect(page.getByLabel('Sale name')).toHaveValue('Autumn tour');
  await page.getByLabel('Sale name').fill('Autumn tour (moved)');
  await page.getByLabel('Show time (optional)').fill('2031-10-01T20:00');
  await page.getByLabel('Refund window (hours before the show, optional)').fill('24');
  await page.getByLabel('Seats per account (optional)').fill('4');
  await expectAccessible(page, 'edit form');
  await screenshot(page, 'lifecycle-edit-desktop');
  await page.setViewportSize(PHONE);
  await screenshot(page, 'lifecycle-edit-390');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Autumn tour (moved)' })).toBeVisible();
  await expect(page.getByText('edited the sale')).toBeVisible();
  const edited = await fg.api('GET', `/api/v1/events/${event.id}`);
  expect([edited.name, edited.refund_window_secs, edited.max_seats_per_account]).toEqual(['Autumn tour (moved)', 24 * 3600, 4]);
  expect(edited.starts_at, 'an untouched opening is not sent back rounded to the minute').toBe(event.starts_at);

  // Closing asks first; cancelling changes nothing.
  await page.getByRole('button', { name: 'Close the sale' }).click();
  const dialog = page.getByRole('dialog', { name: 'Close “Autumn tour (moved)”?' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await expectAccessible(page, 'close dialog');
  await screenshot(page, 'lifecycle-close-dialog');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  expect((await fg.api('GET', `/api/v1/events/${event.id}`)).state).toBe('scheduled');
  await page.getByRole('button', { name: 'Close the sale' }).click();
  await dialog.getByRole('button', { name: 'Close the sale' }).click();
  await expect(page.getByText('This sale is closed: admission and sales have stopped.')).toBeVisible();
  await expect(page.getByText('closed the sale')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Edit the sale' })).toHaveCount(0);
  expect((await fg.api('GET', `/api/v1/events/${event.id}`)).state).toBe('closed');
  await expectAccessible(page, 'closed dashboard');
  await screenshot(page, 'lifecycle-closed-dashboard');

  // The fan, waiting in the pre-queue, is told at once.
  await expect(fan.page.getByRole('heading', { name: 'This sale is closed' })).toBeVisible();
  await expect(fan.page.getByRole('button', { name: 'Join the queue' })).toHaveCount(0);
  await expectAccessible(fan.page, 'closed sale, fan');
  await screenshot(fan.page, 'lifecycle-fan-closed-390');
  // A reload shows the same, in the other language too.
  const zh = await fanPage(browser, fg, `/events/${event.id}`, { locale: 'zh-TW' });
  await expect(zh.page.getByRole('heading', { name: '此場銷售已結束' })).toBeVisible();
  await screenshot(zh.page, 'lifecycle-fan-closed-zh-desktop');
  await fan.context.close();
  await zh.context.close();
});
