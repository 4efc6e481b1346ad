// The live dashboard: figures and uPlot charts fed by the stats socket, the
// admission controls (PATCH only what changed), pause behind a confirmation dialog,
// and the audit log.
import { test, expect } from '@playwright/test';
import path from 'node:path';
import { ADMIN, SCREENSHOTS, screenshot, signInContext, floodgatePerFile } from './harness.mjs';
import { expectAccessible } from './a11y.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

/** Opens `count` fans' queue sockets (from a page on the server's origin) and joins. */
async function joinFans(browser, eventId, count) {
  const tokens = [];
  for (let i = 0; i < count; i++) {
    const fan = await fg.registerFan('queue');
    tokens.push(await fg.login(fan.email, fan.password));
  }
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${fg.url}/healthz`);
  const first = await page.evaluate(
    ({ eventId, tokens }) =>
      Promise.all(
        tokens.map(
          (token) =>
            new Promise((resolve, reject) => {
              const url = `ws://${location.host}/api/v1/events/${eventId}/queue/ws?access_token=${encodeURIComponent(token)}`;
              const ws = new WebSocket(url);
              (window.sockets ??= []).push(ws);
              ws.onopen = () => ws.send(JSON.stringify({ type: 'join' }));
              ws.onmessage = (m) => resolve(JSON.parse(m.data).type);
              ws.onerror = () => reject(new Error('queue socket failed'));
            }),
        ),
      ),
    { eventId, tokens },
  );
  return { context, first };
}

test('figures and charts follow the server live; controls change admission', async ({ page, context, browser }) => {
  const event = await fg.createEvent({
    name: 'Live dashboard sale',
    opensInSecs: -5,
    admission: { rate_per_minute: 60, max_active: 50, session_ttl_secs: 600 },
  });
  await signInContext(context, fg.url, ADMIN);
  await page.goto(`${fg.url}/admin/events/${event.id}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Live dashboard sale' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: /^Live$/ })).toBeVisible();

  const figures = page.getByRole('region', { name: 'Live figures' });
  await expect(figures.getByRole('group', { name: 'Admitted per minute' })).toContainText('configured 60 per minute');
  await expect(figures.getByRole('group', { name: 'Sold seats' })).toContainText('of 100');
  // The fairness figures (docs/FAIRNESS.md): nobody pre-queued in this sale.
  await expect(figures.getByRole('group', { name: 'Pre-queue shuffle (Kendall tau)' })).toContainText('a fair shuffle is about 0.5');
  await expect(figures.getByRole('group', { name: 'After the opening (Kendall tau)' })).toContainText('0 is first come, first served');

  // Three uPlot charts, each a named region with a described image.
  for (const name of ['Queue', 'Admission flow', 'Seats and shoppers']) {
    const region = page.getByRole('region', { name });
    await expect(region.getByRole('heading', { name })).toBeVisible();
    await expect(region.locator('.uplot canvas')).toHaveCount(1);
    await expect(region.getByRole('img', { name })).toHaveAccessibleDescription(/\d/);
  }

  // A change made elsewhere (the API) shows within seconds, in figures and charts.
  await fg.patchAdmission(event.id, { rate_per_minute: 90, paused: true });
  await expect(figures.getByRole('group', { name: 'Admitted per minute' })).toContainText('paused (configured 90 per minute)', { timeout: 5000 });
  await expect(page.getByRole('button', { name: 'Resume admission' })).toBeVisible();
  await expect(page.getByRole('img', { name: 'Admission flow' })).toHaveAccessibleDescription(/configured rate of 90 per minute/, { timeout: 5000 });
  const rate = page.getByRole('spinbutton', { name: 'Admission rate (fans per minute)' });
  await expect(rate).toHaveValue('90');

  // Fans joining while paused wait in the queue.
  const fans = await joinFans(browser, event.id, 3);
  expect(fans.first).toEqual(['queued', 'queued', 'queued']);
  await expect(figures.getByRole('group', { name: 'Waiting' })).toContainText('3', { timeout: 5000 });
  await expect(figures.getByRole('group', { name: 'Time to clear the queue' })).toContainText('no estimate while paused');
  await expectAccessible(page, 'dashboard');
  await screenshot(page, 'admin-dashboard');

  // The slider and the number stay in sync both ways.
  const slider = page.getByRole('slider', { name: 'Admission rate slider' });
  await rate.fill('240');
  await expect(slider).toHaveAttribute('aria-valuetext', '240 fans per minute');
  const before = Number(await slider.inputValue());
  await slider.focus();
  await page.keyboard.press('ArrowRight');
  await expect(slider).toHaveValue(String(before + 1));
  await expect(rate).not.toHaveValue('240');
  await rate.fill('240');

  // Apply sends only what changed.
  const patch = page.waitForRequest((r) => r.method() === 'PATCH');
  await page.getByRole('button', { name: 'Apply changes' }).click();
  expect((await patch).postDataJSON()).toEqual({ rate_per_minute: 240 });
  await expect(page.getByRole('status').filter({ hasText: 'Applied' })).toHaveText('Applied: Rate per minute 90 → 240.');
  await expect.poll(async () => (await fg.stats(event.id)).rate_per_minute).toBe(240);
  await expect(page.getByRole('img', { name: 'Admission flow' })).toHaveAccessibleDescription(/configured rate of 240 per minute/, { timeout: 5000 });

  // Out-of-range values are caught in the form, not sent.
  await page.getByRole('spinbutton', { name: 'Max active shoppers' }).fill('0');
  await page.getByRole('button', { name: 'Apply changes' }).click();
  await expect(page.getByRole('spinbutton', { name: 'Max active shoppers' })).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByRole('spinbutton', { name: 'Max active shoppers' })).toHaveAccessibleDescription(/from 1 to 10,000,000/);
  await page.getByRole('button', { name: 'Discard edits' }).click();
  await expect(page.getByRole('spinbutton', { name: 'Max active shoppers' })).toHaveValue('50');

  // Resume: the dialog asks first; Cancel changes nothing.
  await page.getByRole('button', { name: 'Resume admission' }).click();
  const dialog = page.getByRole('dialog', { name: 'Resume admission?' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('button', { name: 'Resume admission' })).toBeFocused();
  expect((await fg.stats(event.id)).paused).toBe(true);

  await page.getByRole('button', { name: 'Resume admission' }).click();
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(dialog).toBeHidden();
  await expect.poll(async () => (await fg.stats(event.id)).paused).toBe(false);
  await expect(page.getByRole('button', { name: 'Pause admission' })).toBeVisible();
  // Resumed, the waiting fans are admitted.
  await expect(figures.getByRole('group', { name: 'Waiting' })).toContainText('0', { timeout: 8000 });
  await expect(figures.getByRole('group', { name: 'Active shoppers' })).toContainText('3');
  await fans.context.close();
});

test('pausing asks for confirmation; Cancel and Escape do nothing', async ({ page, context }) => {
  const event = await fg.createEvent({ name: 'Pause dialog sale', opensInSecs: 600 });
  await signInContext(context, fg.url, ADMIN);
  await page.goto(`${fg.url}/admin/events/${event.id}`);
  const pause = page.getByRole('button', { name: 'Pause admission' });
  await pause.click();
  const dialog = page.getByRole('dialog', { name: 'Pause admission?' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toHaveAccessibleDescription(/Nobody will be admitted until you resume/);
  await expectAccessible(page, 'pause dialog');
  // The viewport, not the full page: a modal dialog sits over what is on screen.
  await page.screenshot({ path: path.join(SCREENSHOTS, 'admin-pause-dialog.png') });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await pause.click();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  expect((await fg.stats(event.id)).paused).toBe(false);

  await pause.click();
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Admission paused.' })).toBeVisible();
  await expect.poll(async () => (await fg.stats(event.id)).paused).toBe(true);
  await expect(page.getByRole('button', { name: 'Resume admission' })).toBeVisible();
  await expect(page.getByText('Admission is paused. Nobody is admitted')).toBeVisible();
});

test('the audit log lists changes, newest first', async ({ page, context }) => {
  const event = await fg.createEvent({ name: 'Audit sale' });
  await signInContext(context, fg.url, ADMIN);
  await page.goto(`${fg.url}/admin/events/${event.id}`);
  const audit = page.getByRole('region', { name: 'Audit log' });
  await expect(audit.getByRole('listitem').first()).toContainText('created the sale');

  await page.getByRole('spinbutton', { name: 'Admission rate (fans per minute)' }).fill('75');
  await page.getByRole('button', { name: 'Apply changes' }).click();
  const newest = audit.locator('ol > li').first();
  await expect(newest).toContainText(`${ADMIN.email} changed admission`);
  await expect(newest).toContainText('Rate per minute:');
  await expect(newest).toContainText('60');
  await expect(newest).toContainText('75');
  await expect(audit.locator('ol > li').last()).toContainText('created the sale');
  await screenshot(page, 'admin-audit');
});

test('the dashboard works on a 360 px screen and in Traditional Chinese', async ({ page, context }) => {
  const event = await fg.createEvent({ name: 'Narrow screen sale', opensInSecs: -1 });
  await signInContext(context, fg.url, ADMIN);
  await page.setViewportSize({ width: 360, height: 800 });
  await page.goto(`${fg.url}/admin/events/${event.id}`);
  await expect(page.getByRole('status').filter({ hasText: /^Live$/ })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Queue' }).locator('canvas')).toHaveCount(1);
  await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await screenshot(page, 'admin-dashboard-360');

  await page.getByLabel('Language').selectOption('zh-TW');
  await expect(page.getByRole('spinbutton', { name: '入場速率（每分鐘人數）' })).toBeVisible();
  await expect(page.getByRole('region', { name: '隊列' }).locator('canvas')).toHaveCount(1);
  await page.setViewportSize({ width: 1280, height: 900 });
  await expectAccessible(page, 'dashboard (zh-TW)');
  await screenshot(page, 'admin-dashboard-zh-TW');
});

test('an unknown sale says so', async ({ page, context }) => {
  await signInContext(context, fg.url, ADMIN);
  await page.goto(`${fg.url}/admin/events/00000000-0000-0000-0000-000000000000`);
  await expect(page.getByRole('heading', { level: 1, name: 'Sale not found' })).toBeVisible();
});
