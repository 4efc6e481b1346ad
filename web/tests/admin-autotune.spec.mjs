// The dashboard's autotune panel: switched on with a range and targets (validated
// before sending), switched off by a rate set by hand (and saying so), and the
// recent changes worded from their reasons, in both languages.
import { test, expect } from '@playwright/test';
import path from 'node:path';
import { ADMIN, SCREENSHOTS, screenshot, signInContext, floodgatePerFile } from './harness.mjs';
import { expectAccessible } from './a11y.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

test('autotune is switched on, then off by a rate set by hand', async ({ page, context }) => {
  const event = await fg.createEvent({ name: 'Autotuned sale', opensInSecs: -1 });
  await signInContext(context, fg.url, ADMIN);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${fg.url}/admin/events/${event.id}`);
  const panel = page.getByRole('region', { name: 'Autotune' });
  await expect(panel.getByText('Autotune off: the rate is set by hand')).toBeVisible();
  await expect(panel.getByText(/Too little checkout traffic to judge by/)).toBeVisible();

  // Lowest above highest: refused here, nothing sent.
  await panel.getByLabel('Tune the admission rate automatically').check();
  await panel.getByRole('spinbutton', { name: 'Lowest rate (per minute)' }).fill('900');
  await panel.getByRole('spinbutton', { name: 'Highest rate (per minute)' }).fill('600');
  await panel.getByRole('button', { name: 'Save autotune' }).click();
  await expect(panel.getByText('The lowest rate must not be above the highest rate.')).toBeVisible();
  await expect(panel.getByRole('spinbutton', { name: 'Lowest rate (per minute)' })).toBeFocused();
  await expectAccessible(page, 'autotune: invalid range');

  await panel.getByRole('spinbutton', { name: 'Lowest rate (per minute)' }).fill('30');
  await panel.getByRole('spinbutton', { name: 'Checkout p99 target (ms)' }).fill('400');
  await panel.getByRole('spinbutton', { name: 'Checkout error target (%)' }).fill('2.5');
  await panel.getByRole('button', { name: 'Save autotune' }).click();
  await expect(panel.getByRole('status')).toHaveText('Saved: autotune is on.');
  await expect(panel.getByText('Autotune on: the rate follows the checkout')).toBeVisible();
  await expect(panel.getByRole('list')).toContainText('admin@floodgate.test saved the autotune setting (on)');
  const saved = await fg.api('GET', `/api/v1/admin/events/${event.id}/autotune`, { token: await fg.admin() });
  expect(saved.settings).toEqual({ enabled: true, min_rate_per_minute: 30, max_rate_per_minute: 600, p99_target_ms: 400, error_rate_target: 0.025 });
  await expectAccessible(page, 'autotune: on');
  await screenshot(page, 'admin-autotune-on');

  // A rate set by hand wins: autotune is off, and the panel says who and why.
  await page.getByRole('spinbutton', { name: 'Admission rate (fans per minute)' }).fill('120');
  await page.getByRole('button', { name: 'Apply changes' }).click();
  await expect(panel.getByText(/set the rate by hand .* which switched autotune off/)).toBeVisible({ timeout: 10_000 });
  await expect(panel.getByText('Autotune off: the rate is set by hand')).toBeVisible();
  await expect(panel.getByRole('list')).toContainText('admin@floodgate.test set the rate by hand: autotune switched off');
  await expect(page.getByRole('region', { name: 'Audit log' })).toContainText('set the rate by hand, which switched autotune off');
  await expectAccessible(page, 'autotune: off by hand');
  await expect(panel.getByText('Saved: autotune is on.')).toHaveCount(0);
  await screenshot(page, 'admin-autotune-off-by-hand');
  await panel.screenshot({ path: path.join(SCREENSHOTS, 'admin-autotune-panel-off-by-hand.png') });
});

test('autotune changes are worded from their reasons, in both languages', async ({ page, context }) => {
  const event = await fg.createEvent({ name: 'Tuned sale', opensInSecs: -1 });
  await signInContext(context, fg.url, ADMIN);
  const now = Date.now();
  const rate = (at, from, to, why, p99) => ({
    at: new Date(now - at).toISOString(),
    kind: 'rate',
    actor_email: 'autotune@floodgate.invalid',
    from_rate: from,
    to_rate: to,
    reason: 'as written',
    detail: { why, from, to, requests: 420, p99_ms: p99, p99_target_ms: 500, error_rate: 0.004, error_rate_target: 0.01 },
  });
  await page.route(`**/api/v1/admin/events/${event.id}/autotune`, (route) =>
    route.fulfill({
      json: {
        settings: { enabled: true, min_rate_per_minute: 300, max_rate_per_minute: 3000, p99_target_ms: 500, error_rate_target: 0.01 },
        rate_per_minute: 990,
        figures: { requests: 420, p99_ms: 300, error_rate: 0.004, replicas: 2, window_ms: 30_000, min_requests: 10 },
        changes: [
          rate(5_000, 840, 990, 'under_targets', 300),
          rate(40_000, 1200, 840, 'p99_over', 1000),
          rate(45_000, 1050, 1200, 'under_targets', 200),
        ],
      },
    }),
  );
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${fg.url}/admin/events/${event.id}`);
  const panel = page.getByRole('region', { name: 'Autotune' });
  await expect(panel.getByText('Checkout over the last 30 sec: 420 requests, p99 300 ms, 0.4% errors.')).toBeVisible();
  const changes = panel.getByRole('list');
  await expect(changes.getByRole('listitem')).toHaveCount(3);
  await expect(changes.getByRole('listitem').nth(1)).toContainText('Lowered 1,200 → 840/min: checkout p99 1,000 ms was over the 500 ms target');
  await expect(changes.getByRole('listitem').first()).toContainText('Raised 840 → 990/min');
  await expectAccessible(page, 'autotune: changes');
  await screenshot(page, 'admin-autotune-changes');
  await panel.screenshot({ path: path.join(SCREENSHOTS, 'admin-autotune-panel-changes.png') });

  await page.getByLabel('Language').selectOption('zh-TW');
  await expect(page.getByRole('region', { name: '自動調整' }).getByRole('list')).toContainText('降低 1,200 → 840/分鐘');
  await expectAccessible(page, 'autotune: changes (zh-TW)');
  await screenshot(page, 'admin-autotune-zh-TW');
  await page.getByRole('region', { name: '自動調整' }).screenshot({ path: path.join(SCREENSHOTS, 'admin-autotune-panel-zh-TW.png') });
});
