// Helpers shared by the fan page's specs (fan-*.spec.mjs): a signed-in fan's page,
// a crowd of fans in line ahead of them, purchase tokens for "another fan", and
// keyboard-only movement.
import { expect } from '@playwright/test';
import { signInContext } from './harness.mjs';

/** A new browser context signed in as a new fan, with a page on `path`. */
export async function fanPage(browser, fg, path = '/', { viewport, locale = 'en-US' } = {}) {
  const context = await browser.newContext({ viewport: viewport || { width: 1280, height: 900 }, locale });
  const account = await fg.registerFan();
  await signInContext(context, fg.url, account);
  const page = await context.newPage();
  await page.goto(fg.url + path);
  return { context, page, account };
}

/** Joins the queue from the event page (one click) and waits until the fan is in line. */
export async function joinFromPage(page) {
  await page.getByRole('button', { name: 'Join the queue' }).click();
}

/**
 * Opens `n` queue sockets for `n` new fans from one helper page (bearer tokens in
 * `?access_token=`), each joining in turn; answers a handle that can close them.
 */
export async function crowd(browser, fg, eventId, n) {
  const tokens = [];
  for (let i = 0; i < n; i++) {
    const fan = await fg.registerFan('crowd');
    tokens.push(await fg.login(fan.email, fan.password));
  }
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(fg.url + '/no-such-page');
  await page.evaluate(
    async ({ eventId, tokens }) => {
      window.__crowd = [];
      for (const token of tokens) {
        await new Promise((resolve, reject) => {
          const ws = new WebSocket(`ws://${location.host}/api/v1/events/${eventId}/queue/ws?access_token=${token}`);
          ws.onopen = () => ws.send(JSON.stringify({ type: 'join' }));
          ws.onmessage = (e) => {
            const m = JSON.parse(e.data);
            if (['queued', 'prequeue', 'admitted'].includes(m.type)) resolve();
          };
          ws.onerror = () => reject(new Error('crowd socket failed'));
          window.__crowd.push(ws);
        });
      }
    },
    { eventId, tokens },
  );
  return { context, page, close: () => context.close() };
}

/**
 * Admits a new fan (its own context and queue socket) and answers its purchase token
 * and session (the checkout takes the token only with its account's session), for
 * checkout calls made "by another fan" through the API.
 */
export async function admittedToken(browser, fg, eventId) {
  const fan = await fg.registerFan('other');
  const token = await fg.login(fan.email, fan.password);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(fg.url + '/no-such-page');
  const purchase = await page.evaluate(
    ({ eventId, token }) =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`ws://${location.host}/api/v1/events/${eventId}/queue/ws?access_token=${token}`);
        ws.onopen = () => ws.send(JSON.stringify({ type: 'join' }));
        ws.onmessage = (e) => {
          const m = JSON.parse(e.data);
          if (m.type === 'admitted') resolve(m.purchase_token);
        };
        ws.onerror = () => reject(new Error('socket failed'));
        window.__keep = ws;
        setTimeout(() => reject(new Error('not admitted within 30 s')), 30_000);
      }),
    { eventId, token },
  );
  return { token: purchase, session: token, context };
}

/** Presses Tab until `locator` has focus (keyboard only); fails after `max` presses. */
export async function tabTo(page, locator, max = 40) {
  for (let i = 0; i < max; i++) {
    if (await locator.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await page.keyboard.press('Tab');
  }
  await expect(locator).toBeFocused();
}

/** The number shown as people ahead (plain text, not a live region). */
export async function peopleAhead(page) {
  const text = await page.getByText(/people ahead of you|person ahead of you/).locator('..').innerText();
  return Number(text.replace(/[^0-9]/g, ''));
}

/** Waits until the fan's turn is announced. */
export async function expectAdmitted(page, timeout = 20_000) {
  await expect(page.getByRole('alert').filter({ hasText: "It's your turn!" })).toBeVisible({ timeout });
}
