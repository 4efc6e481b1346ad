// The dashboard's staff list (staff bypass): an unknown email refused, naming it, and
// nothing saved; a list saved; a staff account then admitted at once with a line
// waiting; the bypass in the audit log; in both languages.
import { test, expect } from '@playwright/test';
import path from 'node:path';
import { ADMIN, SCREENSHOTS, screenshot, signInContext, floodgatePerFile } from './harness.mjs';
import { expectAccessible } from './a11y.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

test('the staff list is edited, and staff skip the line', async ({ page, context }) => {
  const event = await fg.createEvent({ name: 'Staffed sale', opensInSecs: -1, admission: { rate_per_minute: 1, max_active: 100, session_ttl_secs: 600 } });
  const staff = await fg.registerFan('staff');
  const fan = await fg.registerFan('fan');
  await signInContext(context, fg.url, ADMIN);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${fg.url}/admin/events/${event.id}`);
  const panel = page.getByRole('region', { name: 'Staff', exact: true });
  await expect(panel.getByText('No staff accounts for this sale: only admins skip the line.')).toBeVisible();

  // An email with no account: refused, named, nothing saved.
  const box = panel.getByLabel('Staff emails');
  await box.fill(`${staff.email}\nnobody@floodgate.test`);
  await panel.getByRole('button', { name: 'Save staff list' }).click();
  await expect(panel.getByRole('status')).toContainText('nobody@floodgate.test');
  await expect(box).toBeFocused();
  await expect(box).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page, 'staff: unknown email');
  expect((await fg.api('GET', `/api/v1/admin/events/${event.id}/staff`, { token: await fg.admin() })).staff).toEqual([]);

  await box.fill(staff.email);
  await panel.getByRole('button', { name: 'Save staff list' }).click();
  await expect(panel.getByRole('status')).toHaveText('Saved: 1 on the staff list.');
  await expect(panel.getByText("Staff accounts that skip this sale's line: 1 (and every admin).")).toBeVisible();

  // A fan waits; the staff account is admitted at once.
  const fanToken = await fg.login(fan.email, fan.password);
  const queued = await fg.api('POST', `/api/v1/events/${event.id}/queue/join`, { token: fanToken, body: {} });
  expect(queued.type).toBe('queued');
  const staffToken = await fg.login(staff.email, staff.password);
  const admitted = await fg.api('POST', `/api/v1/events/${event.id}/queue/join`, { token: staffToken, body: {} });
  expect(admitted.type).toBe('admitted');

  await page.reload();
  const audit = page.getByRole('region', { name: 'Audit log' });
  await expect(audit).toContainText('skipped the line (staff)', { timeout: 10_000 });
  await expect(audit).toContainText('changed the staff list');
  await expectAccessible(page, 'staff: saved');
  await screenshot(page, 'admin-staff');
  await panel.screenshot({ path: path.join(SCREENSHOTS, 'admin-staff-panel.png') });

  await page.getByLabel('Language').selectOption('zh-TW');
  const zh = page.getByRole('region', { name: '工作人員', exact: true });
  await expect(zh.getByLabel('工作人員電子郵件')).toHaveValue(staff.email);
  await expectAccessible(page, 'staff: zh-TW');
  await zh.screenshot({ path: path.join(SCREENSHOTS, 'admin-staff-panel-zh-TW.png') });
});
