// Languages on the fan page: switching to Traditional Chinese renders from the zh-TW
// catalogue, is remembered across a reload, and formats money, dates and numbers
// with Intl for the locale.
import { expect, test } from '@playwright/test';
import { screenshot, floodgatePerFile } from './harness.mjs';
import { fanPage } from './fan-helpers.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

const usd = (locale, dollars) => new Intl.NumberFormat(locale, { style: 'currency', currency: 'USD' }).format(dollars);

test('switching to 繁體中文 renders from the zh-TW catalogue and is remembered', async ({ page }) => {
  const event = await fg.createEvent({ opensInSecs: 3600 });
  await page.goto(fg.url + '/');
  await expect(page.getByRole('heading', { level: 1, name: 'Sales' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');

  await page.getByLabel('Language').selectOption({ label: '繁體中文' });
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-TW');
  await expect(page.getByRole('heading', { level: 1, name: '售票活動' })).toBeVisible();
  await expect(page.getByLabel('語言')).toHaveValue('zh-TW');
  await expect(page.getByRole('link', { name: '跳到主要內容' })).toBeAttached();
  await expect(page.getByRole('navigation', { name: '主選單' }).getByRole('link', { name: '登入' })).toBeVisible();
  await expect(page.getByText('即將開賣').first()).toBeVisible();
  await expect(page).toHaveTitle('售票活動 · Floodgate');

  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: '售票活動' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-TW');
  await expect(page.getByLabel('語言')).toHaveValue('zh-TW');
  await screenshot(page, 'fan-i18n-list-zh-TW');

  await page.getByRole('link', { name: event.name }).click();
  const table = page.getByRole('table', { name: '區域、票價與座位數' });
  await expect(table.getByRole('row', { name: /^A/ })).toContainText(usd('zh-TW', 50));
  await expect(table.getByRole('row', { name: /^B/ })).toContainText(usd('zh-TW', 25));
  await expect(page.getByText('距離開賣')).toBeVisible();
  await expect(page.getByRole('heading', { name: '開始排隊' })).toBeVisible();
  await screenshot(page, 'fan-i18n-event-zh-TW');

  await page.getByLabel('語言').selectOption('en');
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(table).toHaveCount(0);
  const tableEn = page.getByRole('table', { name: 'Sections, prices and seats' });
  await expect(tableEn.getByRole('row', { name: /^A/ })).toContainText('$50.00');
  await expect(page.getByLabel('Language')).toHaveValue('en');
});

test('a fan in Traditional Chinese: the pre-queue, the line and the checkout', async ({ browser }) => {
  const event = await fg.createEvent({
    opensInSecs: 4,
    admission: { rate_per_minute: 600, max_active: 50, session_ttl_secs: 600 },
  });
  const { page, context } = await fanPage(browser, fg, '/', { locale: 'zh-TW' });
  // The browser asks for zh-TW, and nothing is remembered yet: the page starts in it.
  await expect(page.locator('html')).toHaveAttribute('lang', 'zh-TW');
  await page.getByRole('link', { name: event.name }).click();
  await page.getByRole('button', { name: '加入排隊' }).click();
  await expect(page.getByRole('heading', { name: '你已進入預先排隊區' })).toBeVisible();
  await expect(page.getByText('提早到不會決定你的順序：開賣時，所有在這裡等候的人會隨機重新排序。')).toBeVisible();
  await screenshot(page, 'fan-i18n-prequeue-zh-TW');
  await expect(page.getByRole('alert').filter({ hasText: '輪到你了！' })).toBeVisible({ timeout: 20_000 });
  const grid = page.getByRole('grid', { name: '座位圖' });
  await grid.focus();
  await expect(grid.getByRole('gridcell', { name: 'A-1-1，空位' })).toBeAttached();
  await page.keyboard.press('Enter');
  await expect(page.getByText('你選的座位：')).toBeVisible();
  await expect(page.getByRole('button', { name: '保留座位', exact: true })).toBeEnabled();
  // 50.00 US dollars in zh-TW (Intl says "US$50.00").
  await expect(page.getByText(usd('zh-TW', 50)).first()).toBeVisible();
  await screenshot(page, 'fan-i18n-checkout-zh-TW');
  await context.close();
});
