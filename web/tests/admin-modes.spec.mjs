// Admission modes (docs/ARCHITECTURE.md, "Admission modes"): the console's mode switch
// (a choice, a message, a confirmation that says what it does) and what fans see
// live: the admin's message while everyone queues, the maintenance page in reject (a
// fan in line keeps the place), and the line moving again back in queue mode.
import { expect, test } from '@playwright/test';
import { ADMIN, floodgatePerFile, screenshot, signInContext } from './harness.mjs';
import { expectAccessible } from './a11y.mjs';
import { fanPage, joinFromPage } from './fan-helpers.mjs';

let fg;
floodgatePerFile(test, (started) => (fg = started));

// Rate 1 a minute: nobody is admitted while the test runs, whatever the mode.
const slow = { rate_per_minute: 1, max_active: 50, session_ttl_secs: 600 };
const line = (page) => page.getByRole('region', { name: 'You are in line' });

test('the console switches modes behind a confirmation; fans are told live', async ({ browser }) => {
  const event = await fg.createEvent({ name: 'Mode switch sale', opensInSecs: -5, admission: slow });
  const { page: fan } = await fanPage(browser, fg, `/events/${event.id}`);
  await joinFromPage(fan);
  await expect(fan.getByRole('heading', { name: 'You are in line' })).toBeVisible();

  const adminContext = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  await signInContext(adminContext, fg.url, ADMIN);
  const admin = await adminContext.newPage();
  await admin.goto(`${fg.url}/admin/events/${event.id}`);
  const modes = admin.getByRole('group', { name: 'Admission mode' });
  await expect(modes.getByText('Now: Queue')).toBeVisible();

  // Queue everyone, with a message: the dialog says what happens and quotes it.
  await modes.getByRole('radio', { name: 'Queue everyone' }).check();
  const note = 'Our payment provider is down. Stay on this page: you keep your place.';
  await admin.getByRole('textbox', { name: 'Message to fans' }).fill(note);
  await admin.getByRole('button', { name: 'Switch mode…' }).click();
  const dialog = admin.getByRole('dialog', { name: 'Switch to Queue everyone?' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('Nobody will be admitted until you switch back.');
  await expect(dialog).toContainText(note);
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await expectAccessible(admin, 'mode dialog');
  await screenshot(admin, 'admin-mode-confirm');
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(admin.getByRole('status').filter({ hasText: 'Admission mode is now Queue everyone. Fans have been told.' })).toBeVisible();
  await expect(modes.getByText('Now: Queue everyone')).toBeVisible({ timeout: 5000 });
  await expect(admin.getByText('Admission mode: Queue everyone.')).toBeVisible();
  await expectAccessible(admin, 'dashboard in queue_all');
  await screenshot(admin, 'admin-mode-queue-all');
  const audit = admin.getByRole('region', { name: 'Audit log' });
  await expect(audit).toContainText('Queue everyone');

  // The fan in line is told, live, with the admin's words.
  await expect(line(fan).getByText('Nobody is being let in for now.', { exact: true })).toBeVisible();
  await expect(line(fan).getByText(note)).toBeVisible();
  await expectAccessible(fan, 'fan in line, queue_all');
  await screenshot(fan, 'fan-mode-queue-all');

  // Reject (by the API): the fan in line keeps the place; a newcomer gets the
  // maintenance page and no join button.
  const down = 'Down for maintenance until 10:30.\nThank you for waiting.';
  await fg.patchAdmission(event.id, { mode: 'reject', message: down });
  await expect(line(fan).getByText('Down for maintenance.', { exact: true })).toBeVisible();
  await expect(line(fan).getByText('Down for maintenance until 10:30.')).toBeVisible();
  await expect(fan.getByRole('heading', { name: 'You are in line' })).toBeVisible();
  await screenshot(fan, 'fan-mode-reject-in-line');
  const { page: late } = await fanPage(browser, fg, `/events/${event.id}`);
  await expect(late.getByRole('heading', { name: 'Down for maintenance.' })).toBeVisible();
  await expect(late.getByText('Thank you for waiting.')).toBeVisible();
  await expect(late.getByRole('button', { name: 'Join the queue' })).toHaveCount(0);
  await expectAccessible(late, 'maintenance page');
  await screenshot(late, 'fan-mode-reject-maintenance');
  const { page: lateZh } = await fanPage(browser, fg, `/events/${event.id}`, { locale: 'zh-TW' });
  await expect(lateZh.getByRole('heading', { name: '系統維護中。' })).toBeVisible();
  await screenshot(lateZh, 'fan-mode-reject-maintenance-zh-TW');

  // Back to queue from the console: the fan hears the line moves again.
  await expect(modes.getByText('Now: Reject (maintenance)')).toBeVisible({ timeout: 5000 });
  await modes.getByRole('radio', { name: 'Queue', exact: true }).check();
  await admin.getByRole('button', { name: 'Switch mode…' }).click();
  await admin.getByRole('dialog', { name: 'Switch to Queue?' }).getByRole('button', { name: 'Confirm' }).click();
  await expect(line(fan).getByText('The line is moving again.', { exact: true })).toBeVisible();
  await expect(line(fan).getByText('Down for maintenance.', { exact: true })).toHaveCount(0);
  // A fan not in line reads the event again every ~10 s.
  await expect(late.getByRole('button', { name: 'Join the queue' })).toBeVisible({ timeout: 15_000 });
  await screenshot(fan, 'fan-mode-back-to-queue');
});
