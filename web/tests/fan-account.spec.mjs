// Signing up and in on the fan page: a fan who moves on while the request is in
// flight stays where they went.
import { expect, test } from '@playwright/test';
import { PASSWORD, floodgatePerFile } from './harness.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

test('a fan who follows a link while signing up is not pulled back to the list', async ({ page }) => {
  const event = await fg.createEvent({ opensInSecs: 3600 });
  // Hold the sign-in answer back for a second, as a slow network would.
  await page.route('**/api/v1/auth/session', async (route) => {
    if (route.request().method() === 'POST') await new Promise((r) => setTimeout(r, 1_000));
    await route.continue();
  });
  await page.goto(`${fg.url}/signup`);
  await page.getByLabel('Email').fill(`mover-${Date.now()}@floodgate.test`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('link', { name: 'Sales' }).first().click();
  await page.getByRole('link', { name: event.name }).click();
  await expect(page.getByRole('heading', { level: 1, name: event.name })).toBeVisible();
  // The sign-in lands: the fan is signed in and still on the event page.
  await expect(page.getByText(/^Signed in as mover-/)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Join the queue' })).toBeVisible();
  expect(new URL(page.url()).pathname).toBe(`/events/${event.id}`);
});
