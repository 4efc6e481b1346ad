// Creating a sale through the console's form: the form's own checks (with messages
// tied to their fields), the server's refusal shown with its code, then success
// landing on the new sale's dashboard.
import { test, expect } from '@playwright/test';
import { ADMIN, screenshot, signInContext, floodgatePerFile } from './harness.mjs';
import { expectAccessible } from './a11y.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

test('the create form checks its fields, shows the server refusal, then creates the sale', async ({ page, context }) => {
  await signInContext(context, fg.url, ADMIN);
  await page.goto(`${fg.url}/admin`);
  await page.getByRole('link', { name: 'Create a sale' }).click();
  await expect(page).toHaveURL(`${fg.url}/admin/events/new`);
  await expect(page.getByRole('heading', { level: 1, name: 'Create a sale' })).toBeFocused();

  // Bad input: no name, a second section named like the first, zero rows.
  await page.getByRole('button', { name: 'Add a section' }).click();
  const section1 = page.getByRole('group', { name: 'Section 1' });
  const section2 = page.getByRole('group', { name: 'Section 2' });
  await expect(section2.getByLabel('Name')).toBeFocused();
  await expect(section2.getByLabel('Name')).toHaveValue('B');
  await section2.getByLabel('Name').fill('A');
  await section1.getByLabel('Rows').fill('0');
  await page.getByRole('button', { name: 'Create sale' }).click();

  const summary = page.getByRole('group', { name: 'There are 3 problems to fix' });
  await expect(summary).toBeFocused();
  const name = page.getByLabel('Sale name');
  await expect(name).toHaveAttribute('aria-invalid', 'true');
  await expect(name).toHaveAccessibleDescription('Sale name: enter a value.');
  await expect(section1.getByLabel('Rows')).toHaveAttribute('aria-invalid', 'true');
  await expect(section1.getByLabel('Rows')).toHaveAccessibleDescription('Section 1, Rows: enter a whole number from 1 to 1,000.');
  await expect(section2.getByLabel('Name')).toHaveAccessibleDescription(/“A” is already used by section 1/);
  await expectAccessible(page, 'create form with errors');
  await screenshot(page, 'admin-create-errors');

  // The summary's links lead to the fields.
  await summary.getByRole('link', { name: 'Sale name: enter a value.' }).click();
  await expect(name).toBeFocused();

  // Fixing a field clears its message as you type.
  await name.fill('Spring tour — Taipei');
  await expect(name).not.toHaveAttribute('aria-invalid', 'true');
  await section1.getByLabel('Rows').fill('5');
  await section2.getByLabel('Name').fill('B');
  await section2.getByLabel('Price (US$)').fill('25.5');
  await page.getByLabel('Admission rate (fans per minute)').fill('120');
  await expect(page.getByRole('group', { name: /problems? to fix/ })).toHaveCount(0);

  // The server's refusal is shown with its code: the request is altered on its way
  // (two sections with one name) to reach the server's own check.
  await page.route(
    '**/api/v1/admin/events',
    async (route) => {
      const body = route.request().postDataJSON();
      body.sections[1].name = body.sections[0].name;
      await route.continue({ postData: JSON.stringify(body) });
    },
    { times: 1 },
  );
  await page.getByRole('button', { name: 'Create sale' }).click();
  const refusal = page.getByRole('group', { name: 'The server did not create the sale' });
  await expect(refusal).toBeFocused();
  await expect(refusal).toContainText('Error code: invalid_field');
  await expect(refusal).toContainText('used twice');
  await screenshot(page, 'admin-create-server-error');

  // Sent as it is, the sale is created and its dashboard opens.
  const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/admin/events') && r.status() === 201);
  await page.getByRole('button', { name: 'Create sale' }).click();
  const event = await (await created).json();
  await expect(page).toHaveURL(`${fg.url}/admin/events/${event.id}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Spring tour — Taipei' })).toBeVisible();
  expect(event.sections).toEqual([
    { name: 'A', rows: 5, seats_per_row: 20, price_cents: 5000 },
    { name: 'B', rows: 10, seats_per_row: 20, price_cents: 2550 },
  ]);
  expect(event.admission.rate_per_minute).toBe(120);
  expect(event.capacity).toBe(300);
  // The opening time typed in local time arrives as the same instant in UTC.
  expect(Math.abs(Date.parse(event.starts_at) - Date.now() - 3600_000)).toBeLessThan(10 * 60_000);
});

test('the opening time is sent in UTC and sections can be removed', async ({ page, context }) => {
  await signInContext(context, fg.url, ADMIN);
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.goto(`${fg.url}/admin/events/new`);
  await page.getByLabel('Sale name').fill('Removal test');
  await page.getByLabel('Opening time').fill('2030-05-01T19:30');
  await page.getByRole('button', { name: 'Add a section' }).click();
  await page.getByRole('button', { name: 'Add a section' }).click();
  await expect(page.getByText('Capacity: 600 seats')).toBeVisible();
  await page.getByRole('button', { name: 'Remove Section 2' }).click();
  await expect(page.getByRole('group', { name: /^Section \d$/ })).toHaveCount(2);
  await expect(page.getByRole('group', { name: 'Section 2' }).getByLabel('Name')).toHaveValue('C');
  await expect(page.getByText('Capacity: 400 seats')).toBeVisible();
  const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/admin/events') && r.status() === 201);
  await page.getByRole('button', { name: 'Create sale' }).click();
  const event = await (await created).json();
  const expected = await page.evaluate(() => new Date(2030, 4, 1, 19, 30).toISOString());
  expect(Date.parse(event.starts_at)).toBe(Date.parse(expected));
  expect(event.sections.map((s) => s.name)).toEqual(['A', 'C']);
});
