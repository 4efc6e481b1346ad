// The fan page's presale: the openings listed, "Have a presale code?" with every
// refusal worded (no code, unknown, used up by another account, too many attempts with
// the wait, the presale over, no connection), then the code accepted and the fan's
// pre-queue counting down to the group's own opening; at 390 px and desktop, in both
// languages, axe clean.
import { test, expect } from '@playwright/test';
import { screenshot, signInContext, floodgatePerFile } from './harness.mjs';
import { expectAccessible } from './a11y.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

const PHONE = { width: 390, height: 844 };
const GROUP_OPENS_IN_MS = 10 * 60_000;

/** A sale opening in an hour with a "Fan club" group opening in ten minutes and
 *  `count` single-use codes of it. */
async function presaleSale(count) {
  const event = await fg.createEvent({ name: 'Presale night', opensInSecs: 3600 });
  const opensAt = new Date(Date.now() + GROUP_OPENS_IN_MS).toISOString();
  const token = await fg.admin();
  const base = `/api/v1/admin/events/${event.id}/presale`;
  const group = await fg.api('POST', `${base}/groups`, { token, body: { name: 'Fan club', opens_at: opensAt } });
  const { codes } = await fg.api('POST', `${base}/groups/${group.id}/codes`, { token, body: { count, max_uses: 1 } });
  return { event, group, codes };
}

async function redeemAsAnother(eventId, code) {
  const other = await fg.registerFan('other');
  const token = await fg.login(other.email, other.password);
  await fg.api('POST', `/api/v1/events/${eventId}/presale/redeem`, { token, body: { code } });
}

/** A signed-in fan's context, with a page on the sale. */
async function fanOn(browser, sale, viewport) {
  const context = await browser.newContext({ viewport, locale: 'en-US' });
  await signInContext(context, fg.url, await fg.registerFan());
  const page = await context.newPage();
  await page.goto(`${fg.url}/events/${sale.event.id}`);
  return { context, page };
}

test('a code is refused in words, then accepted: the group and its opening, its own countdown', async ({ browser }) => {
  const sale = await presaleSale(3);
  const { context, page } = await fanOn(browser, sale, PHONE);
  const openings = page.getByRole('region', { name: 'When the lines open' });
  await expect(openings.getByRole('listitem').first()).toContainText('Fan club presale opens');
  await expect(openings.getByRole('listitem').last()).toContainText('Public sale opens');

  const form = page.getByRole('form', { name: 'Have a presale code?' });
  const field = form.getByLabel('Presale code');
  const use = form.getByRole('button', { name: 'Use code' });
  await expect(page.getByRole('button', { name: 'Join the queue' })).toBeVisible();
  await expectAccessible(page, 'presale code: empty');

  await use.click();
  await expect(form.getByRole('alert')).toHaveText('Enter your presale code first.');
  await expect(field).toBeFocused();

  await field.fill('ZZZZ-ZZZZ-ZZ');
  await use.click();
  await expect(form.getByRole('alert')).toHaveText(/^We don't know that code\./);
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page, 'presale code: unknown');
  expect(await page.evaluate(() => document.documentElement.scrollWidth), 'no sideways scrolling at 390 px').toBeLessThanOrEqual(PHONE.width);
  await screenshot(page, 'fan-presale-unknown-390');

  // Used by another account first: single use, so refused here.
  await redeemAsAnother(sale.event.id, sale.codes[1]);
  await field.fill(sale.codes[1]);
  await use.click();
  await expect(form.getByRole('alert')).toHaveText('That code has already been used by another account, so it cannot be used again.');

  // No connection, then the public sale opened meanwhile (the server's answers).
  const redeem = `**/api/v1/events/${sale.event.id}/presale/redeem`;
  await page.route(redeem, (route) => route.abort('internetdisconnected'));
  await use.click();
  await expect(form.getByRole('alert')).toHaveText('Your code could not be checked: no connection. Check your network and try again.');
  await page.unroute(redeem);
  await page.route(redeem, (route) =>
    route.fulfill({ status: 409, contentType: 'application/json', body: JSON.stringify({ error: { code: 'presale_over', message: 'the public sale has opened' } }) }),
  );
  await use.click();
  await expect(form.getByRole('alert')).toHaveText('The presale is over: the public sale has opened. Join the queue like everyone else.');
  await page.unroute(redeem);

  // Accepted: as typed by a person (lower case, spaces instead of dashes).
  await field.fill(` ${sale.codes[0].toLowerCase().replace(/-/g, ' ')} `);
  await use.click();
  const accepted = page.getByRole('status').filter({ hasText: 'Code accepted: you are in the Fan club presale.' });
  await expect(accepted).toBeVisible();
  await expect(accepted).toContainText('Its line opens');
  await expect(accepted).toContainText('Join the queue to take your place in it.');
  await expect(form).toHaveCount(0);
  // The page's countdown is now the group's.
  await expect(page.locator('.countdown-label')).toHaveText('The Fan club line opens in');
  await expectAccessible(page, 'presale code: accepted');
  await screenshot(page, 'fan-presale-accepted-390');

  await page.getByRole('button', { name: 'Join the queue' }).click();
  await expect(page.getByRole('heading', { name: 'You are in the pre-queue' })).toBeVisible();
  // The countdown is the group's (ten minutes), not the public opening's (an hour).
  await expect(page.getByText('Fan club presale line')).toBeVisible();
  await expect(page.locator('.queue .countdown-label')).toHaveText('The Fan club line opens in');
  const clock = await page.locator('.queue .clock').textContent();
  const [m, s] = clock.split(':').map(Number);
  expect(m * 60 + s).toBeLessThanOrEqual(GROUP_OPENS_IN_MS / 1000);
  expect(m * 60 + s).toBeGreaterThan(GROUP_OPENS_IN_MS / 1000 - 120);
  // After a reload too (the group found by its opening); the draw link is the group's.
  await page.reload();
  await expect(page.locator('.queue .countdown-label')).toHaveText('The Fan club line opens in');
  await expect(page.getByRole('link', { name: /^How to check the draw/ })).toHaveAttribute('href', `/api/v1/events/${sale.event.id}/prequeue?presale=${sale.group.id}`);
  await expectAccessible(page, 'presale: pre-queue');
  await screenshot(page, 'fan-presale-prequeue-390');
  await page.setViewportSize({ width: 1280, height: 900 });
  await screenshot(page, 'fan-presale-prequeue');
  await context.close();
});

test('too many wrong codes: the wait is told, in Traditional Chinese too', async ({ browser }) => {
  const sale = await presaleSale(1);
  const { context, page } = await fanOn(browser, sale, { width: 1280, height: 900 });
  await page.getByLabel('Language').selectOption({ label: '繁體中文' });
  const form = page.getByRole('form', { name: '有預售代碼嗎？' });
  await expect(page.getByRole('region', { name: '隊伍開放時間' })).toContainText('Fan club 預售開放');
  await screenshot(page, 'fan-presale-zh-TW');
  const field = form.getByLabel('預售代碼');
  await field.fill('WRONG-CODE-00');
  await form.getByRole('button', { name: '使用代碼' }).click();
  await expect(form.getByRole('alert')).toHaveText(/^我們不認得這個代碼。/);
  // Wrong codes until the account is told to wait.
  for (let i = 1; i < 40; i++) {
    await field.fill(`WRONG-CODE-${String(i).padStart(2, '0')}`);
    await form.getByRole('button', { name: '使用代碼' }).click();
    await expect(form.getByRole('alert')).toBeVisible();
    if ((await form.getByRole('alert').textContent()).startsWith('不符的代碼太多次')) break;
  }
  await expect(form.getByRole('alert')).toHaveText(/^不符的代碼太多次。你可以在 .+ 後再試一次。$/);
  await expectAccessible(page, 'presale code: too many (zh-TW)');
  await screenshot(page, 'fan-presale-too-many-zh-TW');

  await page.getByLabel('語言').selectOption('en');
  const en = page.getByRole('form', { name: 'Have a presale code?' });
  await en.getByLabel('Presale code').fill(sale.codes[0]);
  await en.getByRole('button', { name: 'Use code' }).click();
  await expect(en.getByRole('alert')).toHaveText(/^Too many codes that did not match\. You can try again in .+\.$/);
  await context.close();
});

test("a fan already in the public pre-queue moves to the group's line with a code", async ({ browser }) => {
  const sale = await presaleSale(1);
  const { context, page } = await fanOn(browser, sale, PHONE);
  await page.getByRole('button', { name: 'Join the queue' }).click();
  await expect(page.getByRole('heading', { name: 'You are in the pre-queue' })).toBeVisible();
  await expect(page.locator('.queue .countdown-label')).toHaveText('The line opens in');
  const publicClock = await page.locator('.queue .clock').textContent();
  expect(publicClock.split(':')).toHaveLength(2);
  expect(Number(publicClock.split(':')[0])).toBeGreaterThan(50);

  const form = page.getByRole('form', { name: 'Have a presale code?' });
  await form.getByLabel('Presale code').fill(sale.codes[0]);
  await form.getByRole('button', { name: 'Use code' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Code accepted: you are in the Fan club presale.' })).toContainText('You moved from the public pre-queue into its line.');
  await expect(page.getByText('Fan club presale line')).toBeVisible();
  await expect(page.locator('.queue .countdown-label')).toHaveText('The Fan club line opens in');
  const [m] = (await page.locator('.queue .clock').textContent()).split(':').map(Number);
  expect(m).toBeLessThan(GROUP_OPENS_IN_MS / 60_000);
  await expectAccessible(page, 'presale: moved to the group');
  expect(await page.evaluate(() => document.documentElement.scrollWidth), 'no sideways scrolling at 390 px').toBeLessThanOrEqual(PHONE.width);
  await screenshot(page, 'fan-presale-moved-390');
  await context.close();
});

test("at its opening the group's line moves while the public sale is still to come", async ({ browser }) => {
  const event = await fg.createEvent({ name: 'Early birds', opensInSecs: 3600, admission: { rate_per_minute: 600, max_active: 50, session_ttl_secs: 600 } });
  const token = await fg.admin();
  const base = `/api/v1/admin/events/${event.id}/presale`;
  const group = await fg.api('POST', `${base}/groups`, { token, body: { name: 'Fan club', opens_at: new Date(Date.now() + 6000).toISOString() } });
  const { codes } = await fg.api('POST', `${base}/groups/${group.id}/codes`, { token, body: { count: 1, max_uses: 1 } });
  const { context, page } = await fanOn(browser, { event }, PHONE);
  const form = page.getByRole('form', { name: 'Have a presale code?' });
  await form.getByLabel('Presale code').fill(codes[0]);
  await form.getByRole('button', { name: 'Use code' }).click();
  await page.getByRole('button', { name: 'Join the queue' }).click();
  await expect(page.getByRole('heading', { name: 'You are in the pre-queue' })).toBeVisible();
  // The group's opening: the fan is let in, an hour before the public sale.
  await expect(page.getByRole('heading', { name: "It's your turn!" })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText('Opening soon')).toBeVisible();
  await expect(page.getByText('Opens in')).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'When the lines open' })).toContainText('Fan club presale opened');
  await expectAccessible(page, 'presale: admitted before the public sale');
  await screenshot(page, 'fan-presale-admitted-390');
  await context.close();
});
