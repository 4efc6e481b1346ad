// Held-back seats from the console's seat map: an admin selects a row, holds it back
// (after confirming), and a fan's map shows those seats as not for sale; released,
// they are free on the fan's map again. Both languages, axe, phone and desktop.
import { mkdir } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { ADMIN, signInContext, floodgatePerFile } from './harness.mjs';
import { expectAccessible } from './a11y.mjs';
import { expectAdmitted, fanPage, joinFromPage } from './fan-helpers.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

const SHOTS = process.env.FLOODGATE_SHOTS || '/tmp/shots-seats';
const quick = { rate_per_minute: 600, max_active: 50, session_ttl_secs: 600 };

async function shot(page, name) {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

/** The fan map's state of seat `id` (the page's test hook): free, held, sold or yours. */
async function fanSeat(page, id, state) {
  await page.waitForFunction(([id, state]) => window.__floodgateSeatState?.(id) === state, [id, state], { timeout: 10_000 });
}

test('an admin holds back a row on the console map; a fan sees it unavailable, then free again', async ({ browser }) => {
  const event = await fg.createEvent({ opensInSecs: -1, admission: quick });
  const admin = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  await signInContext(admin, fg.url, ADMIN);
  const page = await admin.newPage();
  await page.goto(`${fg.url}/admin/events/${event.id}`);

  const seats = page.getByRole('region', { name: 'Seat map', exact: true });
  await expect(seats.getByRole('img', { name: /Seat map: 100 free, 0 held, 0 sold, 0 held back/ })).toBeVisible();
  await expect(seats.getByRole('button', { name: 'Hold back' })).toBeDisabled();

  // A row outside the section is refused in words, nothing selected.
  await seats.getByLabel('Section').selectOption('A');
  await seats.getByLabel('Row').fill('9');
  await seats.getByRole('button', { name: 'Select row' }).click();
  await expect(seats.getByText('Enter a row from 1 to 5.')).toBeVisible();
  await expect(seats.getByLabel('Row')).toHaveAttribute('aria-invalid', 'true');

  await seats.getByLabel('Row').fill('3');
  await seats.getByRole('button', { name: 'Select row' }).click();
  await expect(seats.getByRole('status').filter({ hasText: '10 seats selected: A-3-1, A-3-2' })).toBeVisible();

  // Holding back asks first; cancelling changes nothing.
  await seats.getByRole('button', { name: 'Hold back' }).click();
  const confirm = page.getByRole('alertdialog', { name: 'Hold back 10 seats?' });
  await expect(confirm).toBeVisible();
  await expect(confirm.getByRole('button', { name: 'Yes, hold back' })).toBeFocused();
  await expectAccessible(page, 'hold-back confirmation');
  await shot(page, 'admin-seats-confirm-desktop');
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toHaveCount(0);
  await seats.getByRole('button', { name: 'Hold back' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Yes, hold back' }).click();
  await expect(seats.getByRole('status').filter({ hasText: '10 seats held back.' })).toBeVisible();
  await expect(seats.getByRole('img', { name: /90 free, 0 held, 0 sold, 10 held back/ })).toBeVisible();
  await expect(seats).toContainText('A-3-1, A-3-2, A-3-3');
  // The audit log names the change.
  const audit = page.getByRole('region', { name: 'Audit log' });
  await expect(audit).toContainText('held seats back');
  await expect(audit).toContainText('10 seats: A-3-1, A-3-2, A-3-3');
  await expect(audit).toContainText('Held-back seats in the sale: 0');
  await audit.screenshot({ path: `${SHOTS}/admin-audit-held-back.png` });
  await expectAccessible(page, 'seats held back');
  await shot(page, 'admin-seats-held-back-desktop');

  // The fan's map: the row is not for sale, the row in front of it is.
  const fan = await fanPage(browser, fg, `/events/${event.id}`);
  await joinFromPage(fan.page);
  await expectAdmitted(fan.page);
  await fanSeat(fan.page, 'A-3-5', 'sold');
  await fanSeat(fan.page, 'A-3-10', 'sold');
  await fanSeat(fan.page, 'A-2-5', 'free');
  await shot(fan.page, 'fan-map-row-held-back');

  // Released from the console, the row is free on the fan's map (live, no reload).
  await seats.getByLabel('Row').fill('3');
  await seats.getByRole('button', { name: 'Select row' }).click();
  await seats.getByRole('button', { name: 'Release' }).click();
  await expect(page.getByRole('alertdialog', { name: 'Release 10 seats?' })).toBeVisible();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Yes, release' }).click();
  await expect(seats.getByRole('status').filter({ hasText: '10 seats released.' })).toBeVisible();
  await expect(seats.getByText('No seats are held back.')).toBeVisible();
  await fanSeat(fan.page, 'A-3-5', 'free');

  // Phone width, in Traditional Chinese, with a row held back again.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByLabel('Language').selectOption('zh-TW');
  const zh = page.getByRole('region', { name: '座位圖', exact: true });
  await zh.getByLabel('排').fill('1');
  await zh.getByRole('button', { name: '選取整排' }).click();
  await zh.getByRole('button', { name: '暫不開賣' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: '確定暫不開賣' }).click();
  await expect(zh.getByRole('status').filter({ hasText: '已將 10 個座位設為暫不開賣。' })).toBeVisible();
  await expectAccessible(page, 'phone, zh-TW');
  await shot(page, 'admin-seats-phone-zh-TW-page');
  await zh.screenshot({ path: `${SHOTS}/admin-seats-phone-zh-TW.png` });
  await page.getByLabel('語言').selectOption('en');
  await seats.screenshot({ path: `${SHOTS}/admin-seats-phone-en.png` });

  await fan.context.close();
  await admin.close();
});
