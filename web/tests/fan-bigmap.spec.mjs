// The seat map at 50,000 seats: the first full draw is measured (and printed), the map
// stays usable by keyboard, and another fan's hold shows within a second.
import { expect, test } from '@playwright/test';
import { screenshot, floodgatePerFile } from './harness.mjs';
import { admittedToken, expectAdmitted, fanPage, joinFromPage, tabTo } from './fan-helpers.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

test('50,000 seats: first draw measured, keyboard works, a hold shows within a second', async ({ browser }) => {
  const sections = ['A', 'B', 'C', 'D', 'E'].map((name, i) => ({ name, rows: 100, seats_per_row: 100, price_cents: 10000 - i * 1000 }));
  const event = await fg.createEvent({
    opensInSecs: -1,
    sections,
    admission: { rate_per_minute: 600, max_active: 50, session_ttl_secs: 600 },
  });
  expect(event.capacity).toBe(50_000);
  const { page, context } = await fanPage(browser, fg, `/events/${event.id}`);
  await joinFromPage(page);
  await expectAdmitted(page);
  const grid = page.getByRole('grid', { name: 'Seat map' });
  await expect(grid).not.toHaveAttribute('aria-busy', 'true');
  await expect(grid).toHaveAttribute('aria-rowcount', '500');
  await expect(grid).toHaveAttribute('aria-colcount', '100');
  await expect.poll(() => page.evaluate(() => window.__floodgateMetrics?.seatMapRenderMs)).not.toBeNull();
  const metrics = await page.evaluate(() => window.__floodgateMetrics);
  console.log(`seatMapRenderMs=${metrics.seatMapRenderMs} (50,000 seats, first full draw); firstPositionMs=${metrics.firstPositionMs}`);
  expect(metrics.seatMapRenderMs).toBeLessThan(500);
  await screenshot(page, 'fan-bigmap-overview');

  // Another fan holds two seats through the API; this fan's map shows them within a second.
  const other = await admittedToken(browser, fg, event.id);
  expect(await page.evaluate(() => window.__floodgateSeatState('C-50-50'))).toBe('free');
  const started = Date.now();
  await fg.api('POST', `/api/v1/events/${event.id}/holds`, { token: other.token, session: other.session, body: { seats: ['A-1-2', 'C-50-50'] } });
  await expect.poll(() => page.evaluate(() => window.__floodgateSeatState('C-50-50')), { timeout: 1000, intervals: [25] }).toBe('held');
  console.log(`another fan's hold showed after ${Date.now() - started} ms`);

  // By keyboard: the grid starts on the first free seat (A-1-1); its neighbour is held.
  await tabTo(page, grid);
  await expect(grid.getByRole('gridcell', { name: 'A-1-1, free' })).toBeAttached();
  await page.keyboard.press('ArrowRight');
  const held = grid.getByRole('gridcell', { name: 'A-1-2, held' });
  await expect(held).toBeAttached();
  await expect(grid).toHaveAttribute('aria-activedescendant', (await held.getAttribute('id')) || 'missing');
  // Enter on a held seat picks nothing.
  await page.keyboard.press('Enter');
  await expect(held).toHaveAttribute('aria-selected', 'false');
  // Page Down jumps ten rows; End goes to the row's last seat; crossing into the next section.
  await page.keyboard.press('PageDown');
  await page.keyboard.press('End');
  await expect(grid.getByRole('gridcell', { name: 'A-11-100, free' })).toBeAttached();
  for (let i = 0; i < 9; i++) await page.keyboard.press('PageDown');
  await expect(grid.getByRole('gridcell', { name: 'B-1-100, free' })).toBeAttached();
  await page.keyboard.press(' ');
  await expect(grid.getByRole('gridcell', { name: 'B-1-100, free' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByText('B-1-100', { exact: true })).toBeVisible();
  await screenshot(page, 'fan-bigmap-zoomed');

  // Zoom buttons and the wheel redraw without trouble.
  await page.getByRole('button', { name: 'Show whole map' }).click();
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await page.getByRole('button', { name: 'Zoom in' }).click();
  await grid.hover();
  await page.mouse.wheel(0, -300);
  await page.getByRole('button', { name: 'Zoom out' }).click();
  await screenshot(page, 'fan-bigmap-zoom-buttons');
  await other.context.close();
  await context.close();
});
