// Benchmarks of the fan page, in Debian's Chromium against a real floodgate (the
// binary in FLOODGATE_BIN, embedded store) on loopback. Prints one JSON object:
//   transfer      the fan page's JS and CSS as transferred (gzip), and uncompressed
//   first_position_ms   page load (navigation start) → first people-ahead shown, after
//                       one click on "Join the queue"; and on a reload (resume)
//   seat_map_render_ms  first full draw of a 50,000-seat map
//   queue_memory  the page's JS heap and DOM nodes at the start and after
//                 WEB_BENCH_QUEUE_SECS (default 600) in a queue that moves every second
// Run: node --experimental-websocket bench/fan.mjs   (scripts/bench.sh web does this)
import { chromium } from 'playwright-core';
import { startFloodgate, signInContext } from '../tests/harness.mjs';

const RUNS = Number(process.env.WEB_BENCH_RUNS || 5);
const QUEUE_SECS = Number(process.env.WEB_BENCH_QUEUE_SECS || 600);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : null;
};
const log = (...a) => console.error('[web bench]', ...a);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const fg = await startFloodgate();
const result = { chromium: browser.version() };
const sockets = [];

try {
  result.transfer = await transfer();
  result.first_position_ms = await firstPosition();
  result.seat_map_render_ms = await seatMapRender();
  result.queue_memory = await queueMemory();
} finally {
  for (const ws of sockets) ws.close();
  await browser.close();
  await fg.stop();
}
console.log(JSON.stringify(result));

/** Bytes of JS and CSS the fan page transfers on a cold load. */
async function transfer() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const types = new Map();
  const sizes = { js_gzip_bytes: 0, css_gzip_bytes: 0, js_bytes: 0, css_bytes: 0, requests: 0 };
  cdp.on('Network.responseReceived', (e) => types.set(e.requestId, e.type));
  cdp.on('Network.dataReceived', (e) => {
    const kind = types.get(e.requestId);
    if (kind === 'Script') sizes.js_bytes += e.dataLength;
    if (kind === 'Stylesheet') sizes.css_bytes += e.dataLength;
  });
  cdp.on('Network.loadingFinished', (e) => {
    const kind = types.get(e.requestId);
    if (kind === 'Script') sizes.js_gzip_bytes += e.encodedDataLength;
    if (kind === 'Stylesheet') sizes.css_gzip_bytes += e.encodedDataLength;
    if (kind === 'Script' || kind === 'Stylesheet') sizes.requests += 1;
  });
  const event = await fg.createEvent({ opensInSecs: 3600 });
  await page.goto(`${fg.url}/events/${event.id}`, { waitUntil: 'networkidle' });
  await context.close();
  log('transfer', sizes);
  return sizes;
}

/** Opens queue sockets for `n` load-test fans, each joined, so a browser fan waits behind them. */
async function crowd(eventId, n, tag) {
  const fans = await fg.api('POST', '/api/v1/admin/fans', { token: await fg.admin(), body: { count: n, tag } });
  const wsBase = fg.url.replace('http://', 'ws://');
  await Promise.all(
    fans.map(
      (f) =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(`${wsBase}/api/v1/events/${eventId}/queue/ws?access_token=${f.token}`);
          sockets.push(ws);
          ws.onopen = () => ws.send(JSON.stringify({ type: 'join' }));
          ws.onmessage = () => resolve();
          ws.onerror = reject;
        }),
    ),
  );
}

async function signedInPage() {
  const context = await browser.newContext();
  await signInContext(context, fg.url, await fg.registerFan('bench'));
  return { context, page: await context.newPage() };
}

async function joinAndWait(page) {
  await page.getByRole('button', { name: 'Join the queue' }).click();
  await page.waitForFunction(() => window.__floodgateMetrics?.firstPositionMs != null, null, { timeout: 30_000 });
  return page.evaluate(() => window.__floodgateMetrics.firstPositionMs);
}

async function firstPosition() {
  const event = await fg.createEvent({ opensInSecs: -1, admission: { rate_per_minute: 1, max_active: 1, session_ttl_secs: 600 } });
  await crowd(event.id, 20, 'firstpos');
  const join = [];
  const reload = [];
  for (let i = 0; i < RUNS; i++) {
    const { context, page } = await signedInPage();
    await page.goto(`${fg.url}/events/${event.id}`);
    join.push(await joinAndWait(page));
    // A reload resumes the same ticket without a click.
    await page.reload();
    await page.waitForFunction(() => window.__floodgateMetrics?.firstPositionMs != null, null, { timeout: 30_000 });
    reload.push(await page.evaluate(() => window.__floodgateMetrics.firstPositionMs));
    await context.close();
  }
  log('first position', { join, reload });
  return { join_median: median(join), join_runs: join, reload_median: median(reload), reload_runs: reload };
}

async function seatMapRender() {
  const sections = ['A', 'B', 'C', 'D', 'E'].map((name, i) => ({ name, rows: 100, seats_per_row: 100, price_cents: 9000 - i * 1000 }));
  const event = await fg.createEvent({ opensInSecs: -1, sections, admission: { rate_per_minute: 6000, max_active: 100, session_ttl_secs: 600 } });
  const runs = [];
  for (let i = 0; i < Math.min(RUNS, 3); i++) {
    const { context, page } = await signedInPage();
    await page.goto(`${fg.url}/events/${event.id}`);
    await page.getByRole('button', { name: 'Join the queue' }).click();
    await page.waitForFunction(() => window.__floodgateMetrics?.seatMapRenderMs != null, null, { timeout: 60_000 });
    runs.push(await page.evaluate(() => window.__floodgateMetrics.seatMapRenderMs));
    await context.close();
  }
  log('seat map', runs);
  return { seats: 50_000, median: median(runs), runs };
}

async function queueMemory() {
  // Enough fans ahead that the queue moves by one every second for the whole run.
  const ahead = QUEUE_SECS + 60;
  const event = await fg.createEvent({ opensInSecs: -1, admission: { rate_per_minute: 60, max_active: 100000, session_ttl_secs: 3600 } });
  await fg.patchAdmission(event.id, { paused: true });
  await crowd(event.id, ahead, 'memory');
  const { context, page } = await signedInPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const sample = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    const { metrics } = await cdp.send('Performance.getMetrics');
    const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
    const ahead = await page.evaluate(() => document.body.innerText.match(/(\d[\d,]*)\s+(?:people|person) ahead/)?.[1] ?? null);
    return { js_heap_used_bytes: m.JSHeapUsedSize, dom_nodes: m.Nodes, listeners: m.JSEventListeners, ahead };
  };
  await page.goto(`${fg.url}/events/${event.id}`);
  await joinAndWait(page);
  await fg.patchAdmission(event.id, { paused: false });
  const samples = [{ t_secs: 0, ...(await sample()) }];
  const started = Date.now();
  while (Date.now() - started < QUEUE_SECS * 1000) {
    await new Promise((r) => setTimeout(r, Math.min(60_000, QUEUE_SECS * 1000)));
    samples.push({ t_secs: Math.round((Date.now() - started) / 1000), ...(await sample()) });
    log('memory', samples.at(-1));
  }
  await context.close();
  return { secs: QUEUE_SECS, start: samples[0], end: samples.at(-1), samples };
}
