// The console's Webhooks page against a real floodgate and a receiver in this
// process: register (the secret shown once), a delivery that failed once and was
// retried, "send again", delete after a confirmation; both languages, axe clean.
import http from 'node:http';
import { test, expect } from '@playwright/test';
import { ADMIN, screenshot, signInContext, floodgatePerFile } from './harness.mjs';
import { expectAccessible } from './a11y.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started), {
  env: { FLOODGATE_WEBHOOK_ALLOW_PRIVATE: '1', FLOODGATE_WEBHOOK_RETRY_BASE_MS: '200' },
});

/** A receiver answering the statuses in `script` (then 200); `got` holds the requests. */
async function receiver(script) {
  const got = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(script.shift() ?? 200);
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/hook`, got, close: () => server.close() };
}

test('register, read the delivery log, send again and delete', async ({ page, context }) => {
  const rx = await receiver([500]);
  await signInContext(context, fg.url, ADMIN);
  await page.setViewportSize({ width: 1200, height: 900 });
  await page.goto(`${fg.url}/admin`);
  await page.getByRole('link', { name: 'Webhooks' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Webhooks' })).toBeVisible();
  await expect(page.getByText('No endpoint is registered.')).toBeVisible();
  await expectAccessible(page, 'webhooks empty');

  // A bad URL is refused with its reason, and nothing is registered.
  await page.getByLabel('Endpoint URL').fill('ftp://example.com/hook');
  await page.getByRole('button', { name: 'Register endpoint' }).click();
  await expect(page.getByRole('alert')).toHaveText('That is not an http or https URL.');
  await expectAccessible(page, 'webhooks refused');

  await page.getByLabel('Endpoint URL').fill(rx.url);
  await page.getByLabel('Note (optional)').fill('Box office CRM');
  await page.getByRole('button', { name: 'Register endpoint' }).click();
  const secret = page.getByRole('textbox', { name: 'Secret' });
  await expect(secret).toHaveValue(/^whsec_[A-Za-z0-9+/=]{40,}$/);
  await expect(page.getByRole('heading', { name: 'Endpoints (1)' })).toBeVisible();
  await screenshot(page, 'webhooks-registered');
  await expectAccessible(page, 'webhooks secret shown');
  await page.getByRole('button', { name: 'I have copied it' }).click();
  await expect(secret).toHaveCount(0);

  // A sale that opens in a few seconds (the poller sees it scheduled first, every
  // 2 s): its opening is told to the receiver, which fails the first attempt.
  await fg.createEvent({ name: 'Webhook sale', opensInSecs: 8 });
  await expect.poll(() => rx.got.length, { timeout: 30_000 }).toBe(2);

  await page.getByRole('button', { name: `Deliveries to ${rx.url}` }).click();
  const log = page.getByRole('region', { name: `Deliveries to ${rx.url}` });
  await expect(log.getByRole('cell', { name: 'sale.opened', exact: true })).toBeVisible();
  await expect(async () => {
    await log.getByRole('button', { name: 'Refresh' }).click();
    await expect(log.getByText('Delivered')).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 15_000 });
  await expect(log.getByText('Answered 200')).toBeVisible();
  await screenshot(page, 'webhooks-log');
  await expectAccessible(page, 'webhooks log');

  await log.getByRole('button', { name: /^Send again: sale\.opened of / }).click();
  await expect(log.getByRole('status')).toHaveText('The sale.opened event will be sent again.');
  await expect.poll(() => rx.got.length, { timeout: 15_000 }).toBe(3);
  expect(rx.got[2].headers['webhook-id']).toBe(rx.got[0].headers['webhook-id']);

  await page.getByRole('combobox', { name: 'Language' }).selectOption('zh-TW');
  await expect(page.getByRole('heading', { level: 1, name: 'Webhook' })).toBeVisible();
  await expect(page.getByRole('button', { name: '重新傳送' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'sale.opened' })).toHaveText('sale.opened 事件將重新傳送。');
  await screenshot(page, 'webhooks-log-zh-TW');
  await expectAccessible(page, 'webhooks zh-TW');
  await page.getByRole('combobox', { name: '語言' }).selectOption('en');
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, 'webhooks-390');
  await expectAccessible(page, 'webhooks 390 px');
  await page.setViewportSize({ width: 1200, height: 900 });

  // Delete asks first; Cancel keeps it, confirming deletes it.
  await page.getByRole('button', { name: `Delete the endpoint ${rx.url}` }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Delete this endpoint?' });
  await expect(dialog).toBeVisible();
  await expectAccessible(page, 'webhooks delete confirmation');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('heading', { name: 'Endpoints (1)' })).toBeVisible();
  await page.getByRole('button', { name: `Delete the endpoint ${rx.url}` }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete endpoint' }).click();
  await expect(page.getByText('No endpoint is registered.')).toBeVisible();
  await expect(page.getByText(`Endpoint ${rx.url} deleted.`)).toBeVisible();
  rx.close();
});
