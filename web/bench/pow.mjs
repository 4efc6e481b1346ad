// Times the fan page's proof-of-work worker (web/src/fan/pow-worker.js, WebCrypto) in
// Debian's Chromium at each difficulty: the median over several random challenges.
// Usage: FLOODGATE_BIN=…/floodgate node bench/pow.mjs [--from 8] [--to 22] [--runs 7]
// Prints a Markdown table (bits, expected hashes, median ms, hashes/s).
import { chromium } from 'playwright-core';
import { startFloodgate } from '../tests/harness.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const [from, to, runs] = [arg('from', 8), arg('to', 22), arg('runs', 7)];

const fg = await startFloodgate();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage();
  await page.goto(fg.url + '/');
  const html = await (await fetch(fg.url + '/')).text();
  const script = html.match(/src="(\/assets\/fan-[^"]+\.js)"/)[1];
  const fan = await (await fetch(fg.url + script)).text();
  const worker = fan.match(/\/assets\/powworker-[A-Z0-9]+\.js/)[0];
  console.log(`| bits | expected hashes | median ms (${runs} runs) | hashes/s |`);
  console.log('|---:|---:|---:|---:|');
  for (let bits = from; bits <= to; bits++) {
    const results = await page.evaluate(
      async ({ worker, bits, runs }) => {
        const out = [];
        for (let r = 0; r < runs; r++) {
          const challenge = `bench-${bits}-${r}-${Math.random().toString(36).slice(2)}`;
          const w = new Worker(worker, { type: 'module' });
          const t0 = performance.now();
          const hashes = await new Promise((resolve) => {
            w.onmessage = (e) => e.data.solution && resolve(e.data.hashes);
            w.postMessage({ challenge, difficulty: bits });
          });
          out.push({ ms: performance.now() - t0, hashes });
          w.terminate();
        }
        return out;
      },
      { worker, bits, runs },
    );
    const ms = results.map((r) => r.ms).sort((a, b) => a - b);
    const median = ms[Math.floor(ms.length / 2)];
    const rate = results.reduce((a, r) => a + r.hashes, 0) / (results.reduce((a, r) => a + r.ms, 0) / 1000);
    console.log(`| ${bits} | ${2 ** bits} | ${median.toFixed(0)} | ${Math.round(rate)} |`);
  }
} finally {
  await browser.close();
  await fg.stop();
}
