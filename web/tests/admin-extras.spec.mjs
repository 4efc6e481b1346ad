// The dashboard with the server features that are on their way (stats history, the
// audit log, revenue/connected/ETA in the stats), their shapes mocked in the browser
// as the API contract describes them; and the stats socket's reconnection.
import { test, expect } from '@playwright/test';
import { ADMIN, screenshot, signInContext, floodgatePerFile } from './harness.mjs';
import { expectAccessible } from './a11y.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

const sample = (atMs, i) => ({
  at_ms: atMs,
  waiting: Math.round(400 + 300 * Math.sin(i / 25)),
  prequeue: i < 40 ? 200 - i * 5 : 0,
  admitted_last_minute: Math.min(120, i * 3),
  rate_per_minute: i < 100 ? 120 : 180,
  max_active: 50,
  active: Math.min(50, i),
  held: Math.min(30, Math.round(i / 4)),
  sold: i * 2,
  paused: false,
});

test('history, audit and the extra stats fields are shown; the socket reconnects', async ({ page, context }) => {
  const event = await fg.createEvent({ name: 'Mocked extras sale', opensInSecs: -600 });
  await signInContext(context, fg.url, ADMIN);

  const now = Date.now();
  const samples = Array.from({ length: 180 }, (_, i) => sample(now - (180 - i) * 5000, i));
  await page.route(`**/api/v1/admin/events/${event.id}/stats/history`, (route) =>
    route.fulfill({ json: { interval_secs: 5, samples } }),
  );
  await page.route(`**/api/v1/admin/events/${event.id}/audit?*`, (route) =>
    route.fulfill({
      json: [
        {
          id: 2,
          at: new Date(now - 60_000).toISOString(),
          actor: { id: 'u1', email: 'boxoffice@floodgate.test' },
          action: 'admission_changed',
          before: { rate_per_minute: 120, max_active: 50, session_ttl_secs: 600, paused: false },
          after: { rate_per_minute: 180, max_active: 50, session_ttl_secs: 900, paused: false },
        },
        {
          id: 1,
          at: new Date(now - 900_000).toISOString(),
          actor: { id: 'u1', email: 'boxoffice@floodgate.test' },
          action: 'event_created',
          before: null,
          after: { name: 'Mocked extras sale', starts_at: event.starts_at, capacity: 100, admission: { rate_per_minute: 120, max_active: 50, session_ttl_secs: 600, paused: false } },
        },
      ],
    }),
  );
  let sockets = 0;
  await page.routeWebSocket(/\/stats\/ws$/, (ws) => {
    sockets += 1;
    const mine = sockets;
    let i = 180;
    const send = () => {
      const s = { ...sample(Date.now(), i++), admitted_total: 900, capacity: 1000, opened: true, revenue_cents: 123_450, connected: 42, eta_clear_secs: 95 };
      ws.send(JSON.stringify(s));
    };
    send();
    const timer = setInterval(send, 1000);
    // The first socket drops after three frames: the page must reconnect by itself.
    if (mine === 1) setTimeout(() => { clearInterval(timer); ws.close(); }, 2500);
    ws.onClose(() => clearInterval(timer));
  });

  await page.goto(`${fg.url}/admin/events/${event.id}`);
  const figures = page.getByRole('region', { name: 'Live figures' });
  await expect(figures.getByRole('group', { name: 'Revenue' })).toContainText('$1,235'); // whole dollars from $1,000 up
  await expect(figures.getByRole('group', { name: 'Connected fans' })).toContainText('42');
  await expect(figures.getByRole('group', { name: 'Time to clear the queue' })).toContainText('1 min 35 sec');
  await expect(figures.getByRole('group', { name: 'Time to clear the queue' })).toContainText('server estimate');
  await expect(page.getByRole('img', { name: 'Queue' })).toHaveAccessibleDescription(/peak 700/);
  await expect(page.getByText('does not keep stats history')).toHaveCount(0);

  const audit = page.getByRole('region', { name: 'Audit log' });
  const entries = audit.locator('ol > li.audit-entry');
  await expect(entries).toHaveCount(2);
  await expect(entries.first()).toContainText('boxoffice@floodgate.test changed admission');
  // "→" is hidden from screen readers, which hear "changed to" instead.
  await expect(entries.first()).toContainText('Rate per minute: 120 →  changed to 180');
  await expect(entries.first()).toContainText('Session TTL: 10 min →  changed to 15 min');
  await expect(entries.first()).not.toContainText('Max active shoppers');
  await expect(entries.last()).toContainText('created the sale');

  // The mocked socket closes: the page says so, then reconnects on its own.
  await expect(page.getByRole('status').filter({ hasText: 'Connection lost, reconnecting' })).toBeVisible({ timeout: 5000 });
  await expect(page.getByRole('status').filter({ hasText: /^Live$/ })).toBeVisible({ timeout: 5000 });
  expect(sockets).toBe(2);
  await page.waitForTimeout(1200);
  await expectAccessible(page, 'dashboard with history and audit');
  await screenshot(page, 'admin-dashboard-history');
});
