// Editing a sale's sections before its opening, from the console's edit form (the
// create form's own section editor): the dashboard's seat map shows the new layout,
// and a sale with a seat held back refuses the change in words, nothing changed.
import { test, expect } from '@playwright/test';
import { ADMIN, screenshot, signInContext, floodgatePerFile } from './harness.mjs';
import { expectAccessible } from './a11y.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

test('an admin edits the sections before the opening and sees the new seat map', async ({ page, context }) => {
  const event = await fg.createEvent({ opensInSecs: 3600, name: 'Winter recital' });
  await signInContext(context, fg.url, ADMIN);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(`${fg.url}/admin/events/${event.id}`);
  const seats = page.getByRole('region', { name: 'Seat map', exact: true });
  await expect(seats.getByRole('img', { name: /Seat map: 100 free/ })).toBeVisible();

  await page.getByRole('link', { name: 'Edit the sale' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Edit the sale' })).toBeVisible();
  const first = page.getByRole('group', { name: 'Section 1' });
  await expect(first.getByLabel('Name', { exact: true })).toHaveValue('A');
  // Section A becomes Stalls, 4 rows of 6 at 35.00; B goes; a Gallery is added.
  await first.getByLabel('Name', { exact: true }).fill('Stalls');
  await first.getByLabel('Rows').fill('4');
  await first.getByLabel('Seats per row').fill('6');
  await first.getByLabel('Price (US$)').fill('35.00');
  await page.getByRole('group', { name: 'Section 2' }).getByRole('button', { name: /Remove/ }).click();
  await page.getByRole('button', { name: 'Add a section' }).click();
  const gallery = page.getByRole('group', { name: 'Section 2' });
  await gallery.getByLabel('Name', { exact: true }).fill('Gallery');
  await gallery.getByLabel('Rows').fill('2');
  await gallery.getByLabel('Seats per row').fill('5');
  await gallery.getByLabel('Price (US$)').fill('15.00');
  await expect(page.getByText('Capacity: 34 seats')).toBeVisible();
  await expectAccessible(page, 'edit form with sections');
  await screenshot(page, 'sections-edit-desktop');
  await page.getByRole('button', { name: 'Save changes' }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Winter recital' })).toBeVisible();
  await expect(seats.getByRole('img', { name: /Seat map: 34 free, 0 held, 0 sold, 0 held back/ })).toBeVisible();
  await expect(seats.getByLabel('Section').locator('option')).toHaveText(['Stalls', 'Gallery']);
  await expect(page.getByText('Stalls: 4 rows of 6 at $35.00; Gallery: 2 rows of 5 at $15.00')).toBeVisible();
  await expectAccessible(page, 'dashboard after the edit');
  await screenshot(page, 'sections-edited-dashboard');
  const edited = await fg.api('GET', `/api/v1/events/${event.id}`);
  expect(edited.capacity).toBe(34);
  expect(edited.sections).toEqual([
    { name: 'Stalls', rows: 4, seats_per_row: 6, price_cents: 3500 },
    { name: 'Gallery', rows: 2, seats_per_row: 5, price_cents: 1500 },
  ]);
  const map = await fg.api('GET', `/api/v1/events/${event.id}/seats`);
  expect(Object.keys(map.seats)).toHaveLength(34);
  expect(map.seats['Gallery-2-5']).toBe('free');
});

test('a sale with a seat held back keeps its sections, and the form says why', async ({ page, context }) => {
  const event = await fg.createEvent({ opensInSecs: 3600, name: 'Spring gala' });
  await fg.api('POST', `/api/v1/admin/events/${event.id}/seats/hold-back`, {
    token: await fg.admin(),
    body: { seats: ['A-1-1'] },
  });
  await signInContext(context, fg.url, ADMIN);
  await page.goto(`${fg.url}/admin/events/${event.id}/edit`);
  const first = page.getByRole('group', { name: 'Section 1' });
  await first.getByLabel('Rows').fill('3');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText(/its sections can no longer change/)).toBeVisible();
  await expect(page.getByRole('heading', { name: 'The server did not save the changes' })).toBeVisible();
  await expect(page.getByText('Error code: seats_in_use')).toBeVisible();
  await screenshot(page, 'sections-refused');
  const event2 = await fg.api('GET', `/api/v1/events/${event.id}`);
  expect(event2.capacity).toBe(100);
});
