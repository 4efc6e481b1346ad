// The dashboard's safety net: switched on with two levels (validated before sending),
// saying whether it lets fans through or queues them as the sale fills, in both
// languages.
import { test, expect } from '@playwright/test';
import path from 'node:path';
import { ADMIN, SCREENSHOTS, screenshot, signInContext, floodgatePerFile } from './harness.mjs';
import { expectAccessible } from './a11y.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

test('the safety net lets fans through, then queues them', async ({ page, context }) => {
  const event = await fg.createEvent({ name: 'Netted sale', opensInSecs: -1, admission: { rate_per_minute: 1, max_active: 100, session_ttl_secs: 600 } });
  await signInContext(context, fg.url, ADMIN);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${fg.url}/admin/events/${event.id}`);
  const controls = page.getByRole('region', { name: 'Admission controls' });
  await expect(controls.getByText('Safety net off')).toBeVisible();

  await controls.getByLabel('Queue only when it gets busy').check();
  const shoppers = controls.getByRole('spinbutton', { name: 'Most shoppers before queueing' });
  await shoppers.fill('0');
  await controls.getByRole('button', { name: 'Save safety net' }).click();
  await expect(shoppers).toBeFocused();
  await expect(shoppers).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page, 'safety net: invalid level');

  await shoppers.fill('2');
  await controls.getByRole('spinbutton', { name: 'Most arrivals per minute before queueing' }).fill('100');
  await controls.getByRole('button', { name: 'Save safety net' }).click();
  await expect(controls.getByText('Saved: the safety net is on.')).toBeVisible();
  await expect(controls.getByText('Safety net: letting fans straight through')).toBeVisible({ timeout: 10_000 });
  const saved = await fg.api('GET', `/api/v1/events/${event.id}`);
  expect(saved.admission.safety_net).toEqual({ max_shoppers: 2, max_arrivals_per_minute: 100 });
  await expectAccessible(page, 'safety net: through');
  await screenshot(page, 'admin-safety-net-through');

  // Two fans go straight through; the third waits: the net is queueing.
  const answers = [];
  for (let i = 0; i < 3; i++) {
    const fan = await fg.registerFan('net');
    const token = await fg.login(fan.email, fan.password);
    answers.push((await fg.api('POST', `/api/v1/events/${event.id}/queue/join`, { token, body: {} })).type);
  }
  expect(answers).toEqual(['admitted', 'admitted', 'queued']);
  await expect(controls.getByText('Safety net: fans are queueing')).toBeVisible({ timeout: 10_000 });
  await expect(controls.getByText('Shopping now: 2. Joined in the last minute: 3.')).toBeVisible({ timeout: 10_000 });
  await expectAccessible(page, 'safety net: queueing');
  await controls.screenshot({ path: path.join(SCREENSHOTS, 'admin-safety-net-queueing.png') });

  await page.getByLabel('Language').selectOption('zh-TW');
  await expect(page.getByText('安全網：粉絲正在排隊')).toBeVisible();
  await expectAccessible(page, 'safety net: zh-TW');
  await page.getByRole('region', { name: '入場控制' }).screenshot({ path: path.join(SCREENSHOTS, 'admin-safety-net-zh-TW.png') });
});
