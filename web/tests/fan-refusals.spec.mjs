// Refusals on the fan page say why and when to retry, in both languages: a fan past
// the per-account limit on hold attempts (one a minute here) reads the reason and the
// server's Retry-After.
import { expect, test } from '@playwright/test';
import { screenshot, floodgatePerFile } from './harness.mjs';
import { fanPage } from './fan-helpers.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started), {
  env: { FLOODGATE_HOLD_ATTEMPTS_PER_MINUTE: '1', FLOODGATE_HOLD_ATTEMPTS_BURST: '1' },
});

const quick = { rate_per_minute: 600, max_active: 50, session_ttl_secs: 600 };

const LANGUAGES = {
  en: {
    locale: 'en-US',
    join: 'Join the queue',
    turn: "It's your turn!",
    map: 'Seat map',
    hold: 'Hold seats',
    held: 'Seats held for you',
    release: 'Release seats',
    refused: /^Too many attempts\. Wait a moment and try again\. You can try again in \d+ s\.$/,
  },
  'zh-TW': {
    locale: 'zh-TW',
    join: '加入排隊',
    turn: '輪到你了！',
    map: '座位圖',
    hold: '保留座位',
    held: '已為你保留座位',
    release: '釋出座位',
    refused: /^嘗試次數過多，請稍候再試。\d+ 秒後可以再試一次。$/,
  },
};

for (const [name, t] of Object.entries(LANGUAGES)) {
  test(`a fan past the hold limit reads why and when to retry (${name})`, async ({ browser }) => {
    const event = await fg.createEvent({ opensInSecs: -1, admission: quick });
    const { page, context } = await fanPage(browser, fg, `/events/${event.id}`, { locale: t.locale });
    await page.getByRole('button', { name: t.join }).click();
    await expect(page.getByRole('alert').filter({ hasText: t.turn })).toBeVisible({ timeout: 20_000 });

    const grid = page.getByRole('grid', { name: t.map });
    const hold = page.getByRole('button', { name: t.hold, exact: true });
    // The one hold attempt of the minute: held, then released (Enter picks a seat once
    // the first seat snapshot has arrived).
    await expect(grid).not.toHaveAttribute('aria-busy', 'true');
    await grid.focus();
    await page.keyboard.press('Enter');
    await hold.click();
    await expect(page.getByRole('heading', { name: t.held })).toBeVisible();
    await page.getByRole('button', { name: t.release }).click();
    await expect(page.getByRole('heading', { name: t.held })).toHaveCount(0);
    await expect.poll(() => page.evaluate(() => window.__floodgateSeatState('A-1-1'))).toBe('free');

    // The next attempt is refused: the reason, and when to try again.
    await grid.focus();
    await page.keyboard.press('Enter');
    await hold.click();
    const refusal = page.getByRole('alert').filter({ hasText: t.refused });
    await expect(refusal).toBeVisible();
    await screenshot(page, `fan-refusal-hold-limit-${name}`);
    await context.close();
  });
}
