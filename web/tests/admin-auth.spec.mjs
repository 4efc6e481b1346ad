// The admin console's sign-in: an admin gets in (and out), a fan account is refused,
// the language choice sticks, and every state passes an axe scan.
import { test, expect } from '@playwright/test';
import { ADMIN, screenshot, signInContext, startFloodgate } from './harness.mjs';
import { expectAccessible } from './a11y.mjs';

let fg;
let event;
test.beforeAll(async () => {
  fg = await startFloodgate();
  event = await fg.createEvent({ name: 'Sign-in test sale', opensInSecs: 3600 });
});
test.afterAll(async () => {
  await fg?.stop();
});

test('an admin signs in with the form, sees the sales, and signs out', async ({ page }) => {
  await page.goto(`${fg.url}/admin`);
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Skip to main content' })).toBeAttached();
  await expectAccessible(page, 'signed out');
  await screenshot(page, 'admin-signed-out');

  // Empty fields are caught before anything is sent.
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByLabel('Email')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByLabel('Email')).toHaveAccessibleDescription('Enter your email address.');
  await expect(page.getByLabel('Email')).toBeFocused();

  // A wrong password is refused with a clear message.
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('do not match an account');
  await screenshot(page, 'admin-signin-wrong-password');

  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Sales' })).toBeFocused();
  const row = page.getByRole('row', { name: /Sign-in test sale/ });
  await expect(row).toContainText('Scheduled');
  await expect(row).toContainText('0 / 100');
  await expectAccessible(page, 'events list');
  await screenshot(page, 'admin-events');

  // The list links to each sale's dashboard.
  await page.getByRole('link', { name: 'Sign-in test sale' }).click();
  await expect(page).toHaveURL(`${fg.url}/admin/events/${event.id}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Sign-in test sale' })).toBeFocused();
  await page.goBack();
  await expect(page.getByRole('heading', { level: 1, name: 'Sales' })).toBeVisible();

  // Narrow screens: nothing spills sideways.
  await page.setViewportSize({ width: 360, height: 780 });
  await expect.poll(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await screenshot(page, 'admin-events-360');
  await page.setViewportSize({ width: 1280, height: 800 });

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await expect(page.getByRole('status')).toHaveText('You are signed out.');
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
});

test('a fan account is refused with a clear message', async ({ page }) => {
  const fan = await fg.registerFan('not-admin');
  await page.goto(`${fg.url}/admin/events/new`);
  await page.getByLabel('Email').fill(fan.email);
  await page.getByLabel('Password').fill(fan.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Not an admin account' })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('This account is not an admin');
  await expect(page.getByRole('alert')).toContainText(fan.email);
  // Nothing of the console is offered.
  await expect(page.getByRole('link', { name: 'New sale' })).toHaveCount(0);
  await expect(page.getByLabel('Sale name')).toHaveCount(0);
  await expectAccessible(page, 'refused');
  await screenshot(page, 'admin-refused');

  await page.getByRole('button', { name: 'Sign out and use another account' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
});

test('a fan already signed in (cookie) is refused too', async ({ page, context }) => {
  const fan = await fg.registerFan('cookie-fan');
  await signInContext(context, fg.url, fan);
  await page.goto(`${fg.url}/admin`);
  await expect(page.getByRole('heading', { level: 1, name: 'Not an admin account' })).toBeVisible();
});

test('the language choice switches to Traditional Chinese and is remembered', async ({ page, context }) => {
  await signInContext(context, fg.url, ADMIN);
  await page.goto(`${fg.url}/admin`);
  await page.getByLabel('Language').selectOption('zh-TW');
  await expect(page.getByRole('heading', { level: 1, name: '售票活動' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-TW');
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: '售票活動' })).toBeVisible();
  await expect(page.getByLabel('語言')).toHaveValue('zh-TW');
  await expectAccessible(page, 'events list (zh-TW)');
  await screenshot(page, 'admin-events-zh-TW');
  await page.getByLabel('語言').selectOption('en');
  await expect(page.getByRole('heading', { level: 1, name: 'Sales' })).toBeVisible();
});
