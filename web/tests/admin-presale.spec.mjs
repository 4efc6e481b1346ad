// The console's Presale page against a real floodgate: groups (a refusal shown, added,
// edited, deleted after a confirmation), a group's codes (generated, uploaded as CSV,
// a malformed CSV refused, listed with their use, paged, revoked after a confirmation,
// downloaded as CSV); both languages, axe clean, at desktop and phone widths.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test, expect } from '@playwright/test';
import { ADMIN, SCREENSHOTS, screenshot, signInContext, floodgatePerFile } from './harness.mjs';
import { expectAccessible } from './a11y.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

/** `ms` from now as a `datetime-local` value (local time, minutes). */
function localInput(ms) {
  const d = new Date(Date.now() + ms);
  const two = (v) => String(v).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
}

test('groups and codes: add, edit, generate, upload, list, revoke, download, delete', async ({ page, context }) => {
  const event = await fg.createEvent({ name: 'Presale sale', opensInSecs: 3 * 3600 });
  await signInContext(context, fg.url, ADMIN);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${fg.url}/admin/events/${event.id}`);
  await page.getByRole('navigation', { name: "This sale's pages" }).getByRole('link', { name: 'Presale' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Presale' })).toBeVisible();
  await expect(page.getByText('No presale groups: everyone waits for the public opening.')).toBeVisible();
  await expectAccessible(page, 'presale: empty');

  // Checked here first: an opening after the public one is refused, and nothing is sent.
  const add = page.getByRole('region', { name: 'Add a group' });
  await add.getByLabel('Group name').fill('Fan club');
  await add.getByLabel('Opens').fill(localInput(4 * 3600_000));
  await add.getByRole('button', { name: 'Add group' }).click();
  await expect(add.getByText(/^Opens: a group's line must open before the public sale/)).toBeVisible();
  await expect(add.getByLabel('Opens')).toBeFocused();
  await expect(add.getByLabel('Opens')).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page, 'presale: refused');

  await add.getByLabel('Opens').fill(localInput(3600_000));
  await add.getByRole('button', { name: 'Add group' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Group Fan club added.' })).toBeVisible();
  await add.getByLabel('Group name').fill('Partners');
  await add.getByLabel('Opens').fill(localInput(2 * 3600_000));
  await add.getByRole('button', { name: 'Add group' }).click();
  const groups = page.getByRole('region', { name: /^Groups/ });
  await expect(groups.getByRole('heading', { name: 'Groups (2 of 8)' })).toBeVisible();

  // Edit: the name changes; the table follows.
  await groups.getByRole('button', { name: 'Edit the group Partners' }).click();
  const edit = page.getByRole('region', { name: 'Edit the group Partners' });
  await expect(edit.getByLabel('Group name')).toBeFocused();
  await edit.getByLabel('Group name').fill('Partners and press');
  await edit.getByRole('button', { name: 'Save changes' }).click();
  await expect(groups.getByRole('cell', { name: 'Partners and press', exact: true })).toBeVisible();
  await expect(edit).toHaveCount(0);

  // Codes of the fan club: 60 generated, single use.
  await groups.getByRole('button', { name: 'Codes of Fan club' }).click();
  const codes = page.getByRole('region', { name: 'Codes of Fan club' });
  await codes.getByLabel('How many codes').fill('60');
  await codes.getByLabel('Uses per code').fill('1');
  await codes.getByRole('button', { name: 'Generate codes' }).click();
  await expect(codes.getByRole('status')).toHaveText('60 codes generated for Fan club.');
  const fresh = (await codes.getByLabel('The new codes (60)').inputValue()).split('\n');
  expect(fresh).toHaveLength(60);
  await expect(codes.getByRole('heading', { name: '60 codes, 0 used' })).toBeVisible();
  const table = codes.getByRole('table');
  await expect(table.locator('tbody tr')).toHaveCount(50);
  await codes.getByRole('button', { name: 'Next page' }).click();
  await expect(table.locator('tbody tr')).toHaveCount(10);
  await codes.getByRole('button', { name: 'Previous page' }).click();
  await expect(table.locator('tbody tr')).toHaveCount(50);

  // A CSV: a malformed line refused (nothing added), then a good file.
  await codes.getByLabel('CSV file').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('code,max_uses\nVIPCODE001,lots\n') });
  await codes.getByRole('button', { name: 'Upload codes' }).click();
  await expect(codes.getByText(/^Nothing was added: /)).toBeVisible();
  await expect(codes.getByLabel('CSV file')).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page, 'presale: bad csv');
  await codes.getByLabel('CSV file').setInputFiles({ name: 'vip.csv', mimeType: 'text/csv', buffer: Buffer.from('code,max_uses\nVIPCODE001,5\nVIPCODE002\n') });
  await codes.getByRole('button', { name: 'Upload codes' }).click();
  await expect(codes.getByRole('status')).toHaveText('2 codes added to Fan club; 0 already there skipped.');
  await expect(codes.getByRole('heading', { name: '62 codes, 0 used' })).toBeVisible();

  // A fan uses one code: its use, first account and time are listed.
  // (One on the list's first page: the list is in code order, not the order made.)
  const used = (await table.locator('tbody tr').first().locator('code').textContent()).trim();
  expect(fresh.concat(['VIPCODE001', 'VIPCODE002'])).toContain(used);
  const fan = await fg.registerFan('coded');
  const fanEmail = fan.email;
  const fanToken = await fg.login(fan.email, fan.password);
  await fg.api('POST', `/api/v1/events/${event.id}/presale/redeem`, { token: fanToken, body: { code: used } });
  await codes.getByRole('button', { name: 'Refresh' }).click();
  await expect(codes.getByRole('heading', { name: '62 codes, 1 used' })).toBeVisible();
  const usedRow = codes.getByRole('row').filter({ hasText: fanEmail });
  await expect(usedRow).toHaveCount(1);
  await expect(usedRow.getByRole('cell', { name: '1 of 1' })).toBeVisible();
  await expect(usedRow.getByRole('cell', { name: 'Used up' })).toBeVisible();

  // Revoke, after a confirmation whose safe choice has the focus.
  const victim = (await table.locator('tbody tr').nth(1).locator('code').textContent()).trim();
  await codes.getByRole('button', { name: `Revoke the code ${victim}` }).click();
  const confirm = page.getByRole('dialog', { name: `Revoke the code ${victim}?` });
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await expectAccessible(page, 'presale: revoke asked');
  await screenshot(page, 'admin-presale-revoke');
  await confirm.getByRole('button', { name: 'Revoke code' }).click();
  await expect(codes.getByRole('status')).toHaveText(`Code ${victim} revoked.`);
  const revokedRow = codes.getByRole('row').filter({ hasText: victim });
  await expect(revokedRow.getByRole('cell', { name: 'Revoked' })).toBeVisible();
  await expect(revokedRow.getByRole('button')).toHaveCount(0);

  // The group's codes as CSV.
  const [download] = await Promise.all([page.waitForEvent('download'), codes.getByRole('button', { name: 'Download all codes (CSV)' }).click()]);
  expect(download.suggestedFilename()).toBe('presale-codes-fan-club.csv');
  const csv = (await readFile(await download.path(), 'utf8')).trim().split(/\r?\n/);
  expect(csv[0]).toBe('code,max_uses,uses,revoked,first_email,first_used_at');
  expect(csv).toHaveLength(63);
  expect(csv.find((l) => l.startsWith(`${victim},`))).toMatch(/,true,/);
  expect(csv.find((l) => l.includes(fanEmail))).toMatch(/,1,1,false,/);
  await expect(codes.getByRole('status')).toHaveText('Downloaded 62 codes of Fan club.');

  await expectAccessible(page, 'presale: codes');
  await screenshot(page, 'admin-presale');
  await page.setViewportSize({ width: 390, height: 844 });
  await expectAccessible(page, 'presale: phone');
  expect(await page.evaluate(() => document.documentElement.scrollWidth), 'no sideways scrolling at 390 px').toBeLessThanOrEqual(390);
  await screenshot(page, 'admin-presale-390');
  await groups.screenshot({ path: path.join(SCREENSHOTS, 'admin-presale-groups-390.png') });
  await codes.locator('.codes-tools').screenshot({ path: path.join(SCREENSHOTS, 'admin-presale-tools-390.png') });
  await table.locator('tbody tr').nth(1).scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'admin-presale-list-390.png') });
  await page.setViewportSize({ width: 1280, height: 900 });

  // Delete: a group whose codes were used is refused; one without goes.
  await groups.getByRole('button', { name: 'Delete the group Fan club' }).click();
  let ask = page.getByRole('dialog', { name: 'Delete the group Fan club?' });
  await ask.getByRole('button', { name: 'Delete group' }).click();
  await expect(ask.getByRole('alert')).toHaveText('Not deleted: fans have already used codes of this group, and they keep their place in its line.');
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await expect(ask).toHaveCount(0);
  await expect(groups.getByRole('button', { name: 'Delete the group Fan club' })).toBeFocused();
  await groups.getByRole('button', { name: 'Delete the group Partners and press' }).click();
  ask = page.getByRole('dialog', { name: 'Delete the group Partners and press?' });
  await ask.getByRole('button', { name: 'Delete group' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Group Partners and press deleted.' })).toBeVisible();
  await expect(groups.getByRole('heading', { name: 'Groups (1 of 8)' })).toBeVisible();

  // Every change is in the sale's audit log.
  await page.getByRole('navigation', { name: "This sale's pages" }).getByRole('link', { name: 'Live dashboard' }).click();
  const audit = page.getByRole('region', { name: 'Audit log' });
  for (const said of ['added a presale group', 'changed a presale group', 'added presale codes', 'revoked a presale code', 'deleted a presale group']) {
    await expect(audit).toContainText(said);
  }
  await page.getByRole('navigation', { name: "This sale's pages" }).getByRole('link', { name: 'Presale' }).click();
  await groups.getByRole('button', { name: 'Codes of Fan club' }).click();
  await codes.getByRole('button', { name: 'Download all codes (CSV)' }).click();
  await expect(codes.getByRole('status')).toHaveText('Downloaded 62 codes of Fan club.');

  await page.getByRole('combobox', { name: 'Language' }).selectOption('zh-TW');
  await expect(page.getByRole('heading', { level: 1, name: '預售' })).toBeVisible();
  const zhCodes = page.getByRole('region', { name: 'Fan club 的存取碼' });
  await expect(zhCodes.getByRole('button', { name: '下載所有存取碼（CSV）' })).toBeVisible();
  await expect(zhCodes.getByRole('status')).toHaveText('已下載 Fan club 的 62 組存取碼。');
  await expectAccessible(page, 'presale: zh-TW');
  await screenshot(page, 'admin-presale-zh-TW');
});
