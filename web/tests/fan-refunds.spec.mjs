// Refunds on the fan page: a fan buys, cancels the order from My orders (after a
// confirmation step), the order shows as refunded with its seats, and the seat shows
// free on another fan's seat map. Screenshots at 390 px and desktop, in English and
// Traditional Chinese.
import { mkdir } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import { floodgatePerFile } from './harness.mjs';
import { expectAdmitted, fanPage, joinFromPage } from './fan-helpers.mjs';
import { expectAccessible } from './a11y.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

const SHOTS = process.env.REFUND_SHOTS || '/tmp/shots-refunds';
const quick = { rate_per_minute: 600, max_active: 50, session_ttl_secs: 600 };
const weekOut = () => new Date(Date.now() + 7 * 86_400_000).toISOString();

async function shot(page, name) {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

/** Buys one best-available seat in `section` through the page (join, hold,
 * confirm); answers the seat's id. */
async function buy(page, section) {
  await joinFromPage(page);
  await expectAdmitted(page);
  await page.getByLabel('Number of seats').fill('1');
  await page.getByLabel('Section', { exact: true }).selectOption(section);
  await page.getByRole('button', { name: 'Find and hold seats' }).click();
  const region = page.getByRole('region', { name: 'Seats held for you' });
  await expect(region).toBeVisible();
  const seat = (await region.getByRole('definition').first().innerText()).trim();
  await page.getByRole('button', { name: 'Confirm purchase' }).click();
  await expect(page.getByRole('heading', { name: 'You bought these seats' })).toBeVisible();
  return seat;
}

test('a fan cancels from My orders and the seat shows free on another fan’s map', async ({ browser }) => {
  const event = await fg.createEvent({ opensInSecs: -1, admission: quick, show_at: weekOut(), refund_window_secs: 86_400 });
  const { page, context } = await fanPage(browser, fg, `/events/${event.id}`);
  const seat = await buy(page, 'A');

  // Another fan, shopping meanwhile, sees the seat sold.
  const other = await fanPage(browser, fg, `/events/${event.id}`);
  await joinFromPage(other.page);
  await expectAdmitted(other.page);
  const otherGrid = other.page.getByRole('grid', { name: 'Seat map' });
  await expect(otherGrid.getByRole('gridcell', { name: `${seat}, sold` })).toBeAttached();

  await page.goto(`${fg.url}/orders`);
  const order = page.getByRole('article').filter({ hasText: seat });
  await expect(order).toContainText('Confirmed');
  await expect(order).toContainText('$50.00');
  await expect(order).toContainText('You can cancel this order until');
  await expectAccessible(page, 'my orders, cancellable');
  await shot(page, 'orders-desktop-en-confirmed');

  // Cancel asks first; "Keep my order" changes nothing.
  await order.getByRole('button', { name: 'Cancel this order' }).click();
  const ask = order.getByRole('group');
  await expect(ask).toContainText(`Cancel your order for ${seat}?`);
  await expect(order.getByRole('button', { name: 'Yes, cancel my order' })).toBeFocused();
  await expectAccessible(page, 'my orders, asking to cancel');
  await shot(page, 'orders-desktop-en-asking');
  await order.getByRole('button', { name: 'Keep my order' }).click();
  await expect(ask).toHaveCount(0);
  await expect(order).toContainText('Confirmed');

  await order.getByRole('button', { name: 'Cancel this order' }).click();
  await order.getByRole('button', { name: 'Yes, cancel my order' }).click();
  await expect(order).toContainText('Refunded');
  await expect(order).toContainText('Cancelled and refunded on');
  await expect(order.getByRole('button', { name: 'Cancel this order' })).toHaveCount(0);
  await expectAccessible(page, 'my orders, refunded');
  await shot(page, 'orders-desktop-en-refunded');

  // The other fan's map shows it free, live.
  await expect(otherGrid.getByRole('gridcell', { name: `${seat}, free` })).toBeAttached({ timeout: 5_000 });

  // After a reload the order is still there, refunded, with its seat.
  await page.reload();
  const kept = page.getByRole('article').filter({ hasText: seat });
  await expect(kept).toContainText('Refunded');

  // The same page at 390 px and in Traditional Chinese.
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'orders-390-en-refunded');
  await page.getByLabel('Language').selectOption('zh-TW');
  await expect(kept).toContainText('已退款');
  await shot(page, 'orders-390-zh-TW-refunded');
  await page.setViewportSize({ width: 1280, height: 900 });
  await shot(page, 'orders-desktop-zh-TW-refunded');
  await other.context.close();
  await context.close();
});

test('cancellable and closed windows, in both languages at 390 px', async ({ browser }) => {
  const open = await fg.createEvent({ opensInSecs: -1, admission: quick, show_at: weekOut(), refund_window_secs: 86_400 });
  const none = await fg.createEvent({ opensInSecs: -1, admission: quick });
  const { page, context } = await fanPage(browser, fg, `/events/${open.id}`, { viewport: { width: 390, height: 844 } });
  const b = await buy(page, 'B');
  await page.goto(`${fg.url}/events/${none.id}`);
  const a = await buy(page, 'A');
  await page.goto(`${fg.url}/orders`);
  const cancellable = page.getByRole('article').filter({ hasText: b });
  const fixed = page.getByRole('article').filter({ hasText: a });
  await expect(cancellable.getByRole('button', { name: 'Cancel this order' })).toBeVisible();
  await expect(fixed).toContainText('This sale does not offer cancellations.');
  await expect(fixed.getByRole('button', { name: 'Cancel this order' })).toHaveCount(0);
  await cancellable.getByRole('button', { name: 'Cancel this order' }).click();
  await expectAccessible(page, 'my orders at 390 px, asking');
  await shot(page, 'orders-390-en-asking');
  await page.getByLabel('Language').selectOption('zh-TW');
  await expect(cancellable.getByRole('button', { name: '是，取消我的訂單' })).toBeVisible();
  await expectAccessible(page, 'my orders at 390 px, zh-TW');
  await shot(page, 'orders-390-zh-TW-asking');
  await context.close();
});
