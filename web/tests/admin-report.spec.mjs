// The box office in the console: a sale's report page (printable) and its orders page
// (search, CSV download), on a real sale with orders bought through the API.
import { readFile, mkdir } from 'node:fs/promises';
import { test, expect } from '@playwright/test';
import { ADMIN, signInContext, floodgatePerFile } from './harness.mjs';
import { expectAccessible } from './a11y.mjs';

const SHOTS = process.env.REPORT_SHOTS || '/tmp/shots-report';
let fg;
floodgatePerFile(test, (started) => (fg = started));

async function shot(page, name) {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
}

/** A fan who joins over HTTP, waits to be admitted, holds `seats` and confirms. */
async function buy(eventId, seats) {
  const fan = await fg.registerFan('buyer');
  const token = await fg.login(fan.email, fan.password);
  await fg.api('POST', `/api/v1/events/${eventId}/queue/join`, { token });
  let purchase = null;
  for (let i = 0; i < 60 && !purchase; i += 1) {
    const me = await fg.api('GET', `/api/v1/events/${eventId}/queue/me`, { token });
    purchase = me?.purchase_token ?? null;
    if (!purchase) await new Promise((r) => setTimeout(r, 500));
  }
  if (!purchase) throw new Error('never admitted');
  const hold = await fg.api('POST', `/api/v1/events/${eventId}/holds`, { token: purchase, session: token, body: { seats } });
  await fg.api('POST', `/api/v1/holds/${hold.hold_id}/confirm`, { token: purchase, session: token, body: {} });
  return fan;
}

test('the admin reads the report, searches orders and downloads the CSV', async ({ page, context }) => {
  const event = await fg.createEvent({
    name: 'Box office sale',
    opensInSecs: -5,
    admission: { rate_per_minute: 600, max_active: 50, session_ttl_secs: 600 },
  });
  const first = await buy(event.id, ['A-1-1', 'A-1-2']);
  await buy(event.id, ['B-1-1']);
  await buy(event.id, ['A-2-5']);
  await signInContext(context, fg.url, ADMIN);

  // The report, reached from the sale's dashboard.
  await page.goto(`${fg.url}/admin/events/${event.id}`);
  await page.getByRole('navigation', { name: "This sale's pages" }).getByRole('link', { name: 'Report' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Report: Box office sale' })).toBeVisible();
  const sections = page.getByRole('region', { name: 'Sections' });
  const rowA = sections.getByRole('row', { name: /^A / });
  await expect(rowA.getByRole('cell').nth(1)).toHaveText('3'); // sold
  await expect(sections.getByRole('row', { name: /^B / }).getByRole('cell').nth(1)).toHaveText('1');
  await expect(page.getByRole('region', { name: 'Totals' })).toContainText('$175.00'); // 3 × 50 + 25
  const funnel = page.getByRole('region', { name: 'From the line to a purchase' });
  await expect(funnel.getByRole('row', { name: /^Bought/ })).toContainText('3');
  await expect(funnel).toContainText('100% of admitted fans bought.');
  await expect(page.getByRole('img', { name: 'Sales per minute' })).toHaveAccessibleDescription(/^4 seats sold/);
  await expectAccessible(page, 'report');
  await shot(page, 'report-desktop');
  await page.emulateMedia({ media: 'print' });
  await expect(page.getByRole('button', { name: 'Print' })).toBeHidden();
  await shot(page, 'report-print');
  await page.emulateMedia({ media: 'screen' });
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'report-390');
  await page.setViewportSize({ width: 1280, height: 900 });

  // Orders: search by a piece of the email, then by a seat in lower case.
  await page.getByRole('navigation', { name: "This sale's pages" }).getByRole('link', { name: 'Orders' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Orders' })).toBeVisible();
  const results = page.getByRole('region', { name: /Results/ });
  await expect(results.getByRole('row')).toHaveCount(4); // header + 3 orders
  const search = page.getByRole('searchbox', { name: 'Search orders' });
  await search.fill(first.email.slice(0, 14).toUpperCase());
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(results.getByRole('row')).toHaveCount(2);
  await expect(results).toContainText('A-1-1, A-1-2');
  await search.fill('b-1-1');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await expect(results.getByRole('row')).toHaveCount(2);
  await expect(results).toContainText('B-1-1');
  await expect(results.getByRole('button', { name: /^Refund order / })).toBeVisible();
  await expectAccessible(page, 'orders');
  await shot(page, 'orders-desktop');
  await page.setViewportSize({ width: 390, height: 844 });
  await shot(page, 'orders-390');

  // The CSV: every order, as a download.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download CSV of every order' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`orders-${event.id}.csv`);
  const csv = await readFile(await download.path(), 'utf8');
  const lines = csv.trim().split('\n');
  expect(lines[0]).toBe('order_id,created_at,email,seats,seat_count,amount_cents,amount,status,refunded_at,refunded_by,refund_reason,refunded_cents');
  expect(lines).toHaveLength(4);
  expect(csv).toContain(`${first.email},A-1-1 A-1-2,2,10000,100.00,confirmed,,,,`);

  // A refund from the console: a reason is required, then the order turns refunded.
  await page.setViewportSize({ width: 1280, height: 900 });
  await results.getByRole('button', { name: /^Refund order / }).click();
  const panel = page.getByRole('region', { name: /^Refund B-1-1/ });
  await panel.getByRole('button', { name: 'Refund $25.00' }).click();
  await expect(panel.getByRole('alert')).toHaveText('Give a reason for the refund.');
  await panel.getByRole('textbox', { name: 'Reason for the refund' }).fill('Seat obstructed');
  await expectAccessible(page, 'refund panel');
  await shot(page, 'orders-refund');
  await panel.getByRole('button', { name: 'Refund $25.00' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'refunded' })).toBeVisible();
  await expect(results.getByRole('row').nth(1)).toContainText('Refunded');
  await expect(results.getByRole('row').nth(1)).toContainText('Seat obstructed');
  await expect(results.getByRole('button', { name: /^Refund order / })).toHaveCount(0);
  // The report counts it.
  await page.getByRole('navigation', { name: "This sale's pages" }).getByRole('link', { name: 'Report' }).click();
  const totals = page.getByRole('region', { name: 'Totals' });
  await expect(totals.getByRole('definition').first()).toHaveText('$150.00'); // net
  await expect(page.getByRole('region', { name: 'Sections' }).getByRole('row', { name: /^B / }).getByRole('cell').nth(2)).toHaveText('1'); // refunded seats
  await shot(page, 'report-after-refund');
  await page.getByRole('navigation', { name: "This sale's pages" }).getByRole('link', { name: 'Orders' }).click();
  await page.setViewportSize({ width: 390, height: 844 });

  // The same pages in Traditional Chinese.
  await page.getByRole('combobox', { name: 'Language' }).selectOption('zh-TW');
  await expect(page.getByRole('heading', { level: 1, name: '訂單' })).toBeVisible();
  await shot(page, 'orders-390-zh-TW');
});
