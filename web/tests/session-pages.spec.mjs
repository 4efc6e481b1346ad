// The pages' side of sessions: an anonymous visit logs no console error (no one
// signed in is an answer, not a 401), and `?next=` after signing in goes only to a
// page of this site, whatever it holds.
import { expect, test } from '@playwright/test';
import { floodgatePerFile } from './harness.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

test('an anonymous visitor loads the pages without a console error', async ({ page }) => {
  const event = await fg.createEvent({ opensInSecs: 3600 });
  const errors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  for (const [where, ready] of [
    ['/', () => page.getByRole('link', { name: 'Sign in' })],
    [`/events/${event.id}`, () => page.getByRole('heading', { level: 1, name: event.name })],
    ['/orders', () => page.getByText('Sign in to see your orders.')],
    ['/admin', () => page.getByLabel('Email')],
  ]) {
    await page.goto(`${fg.url}${where}`);
    await expect(ready()).toBeVisible();
    await page.waitForLoadState('networkidle');
  }
  expect(errors).toEqual([]);
});

test('signing in with a hostile next= stays on the site and works', async ({ browser }) => {
  const event = await fg.createEvent({ opensInSecs: 3600 });
  const cases = [
    ['/\\evil.example/x', '/'],
    ['/\\/evil.example', '/'],
    ['//evil.example', '/'],
    ['https://evil.example/', '/'],
    ['/\t/evil.example', '/'],
    ['javascript:alert(1)', '/'],
    ['/signin', '/'],
    ['/no/such/page', '/'],
    [`/events/${event.id}`, `/events/${event.id}`],
    ['/orders', '/orders'],
  ];
  for (const [next, landing] of cases) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const fan = await fg.registerFan('next');
    await page.goto(`${fg.url}/signin?next=${encodeURIComponent(next)}`);
    await page.getByLabel('Email').fill(fan.email);
    await page.getByLabel('Password').fill(fan.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByText(`Signed in as ${fan.email}`)).toBeVisible();
    await expect.poll(() => new URL(page.url()).pathname, { message: next }).toBe(landing);
    expect(new URL(page.url()).origin).toBe(fg.url);
    await expect(page.getByText(/Something went wrong/)).toHaveCount(0);
    await context.close();
  }
});

test('a slow "signed out" from the page load does not undo a sign-in made meanwhile', async ({ page }) => {
  const fan = await fg.registerFan('slow-me');
  // Hold the page load's GET /auth/session (answered for no cookie: signed out) until
  // the sign-in's POST has been answered, the order a loaded server can produce.
  let signedIn;
  const loginAnswered = new Promise((resolve) => (signedIn = resolve));
  let held = 0;
  await page.route('**/api/v1/auth/session', async (route) => {
    if (route.request().method() === 'GET' && held++ === 0) {
      const response = await route.fetch();
      await loginAnswered;
      await route.fulfill({ response });
      return;
    }
    const response = await route.fetch();
    await route.fulfill({ response });
    if (route.request().method() === 'POST') setTimeout(signedIn, 200);
  });
  await page.goto(`${fg.url}/signin`);
  await page.getByLabel('Email').fill(fan.email);
  await page.getByLabel('Password').fill(fan.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(() => held).toBeGreaterThan(0);
  await loginAnswered;
  await page.waitForTimeout(300);
  await expect(page.getByText(`Signed in as ${fan.email}`)).toBeVisible();
  await expect(page.getByRole('link', { name: 'Sign in' })).toHaveCount(0);
});
