// One sale's report, beside its dashboard: seats and takings per section, sales per
// minute, the funnel from joining the line to buying, and the times fans spent in
// line and shopping. Read once (and on "Refresh"); printable (admin.css @media print).
import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { adminApi } from './api.js';
import { useI18n } from '../shared/language.js';
import { SaleLinks } from './sale-links.js';
import { useTitle } from './util.js';

/** The time axis' tick steps in seconds: whole minutes and up. */
const MINUTE_TICKS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];

/** Longest span of minutes drawn with the empty minutes filled in as zeros. */
const MAX_FILLED_MINUTES = 24 * 60;

export function Report({ id, onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const [report, setReport] = useState(null);
  const [error, setError] = useState(null);
  useTitle(report ? t('report.title', { name: report.name }) : t('report.title_loading'));

  const load = useCallback(async () => {
    try {
      setReport(await adminApi.report(id));
      setError(null);
    } catch (e) {
      if (!onAuthError(e)) setError(e);
    }
  }, [id, onAuthError]);
  useEffect(() => {
    load();
  }, [load]);

  if (error) {
    const missing = error.status === 404;
    return html`<div>
      <p class="breadcrumb"><a href="/admin">${t('create.back')}</a></p>
      <h1 tabindex="-1">${missing ? t('dash.not_found') : t('report.title_loading')}</h1>
      <p class="error-box" role="alert">${missing ? t('dash.not_found_text') : t('report.failed', { message: error.message })}</p>
    </div>`;
  }
  if (!report) {
    return html`<div><h1 tabindex="-1">${t('report.title_loading')}</h1><p role="status">${t('app.loading')}</p></div>`;
  }
  const money = (c) => i18n.money(c);
  const n = (v) => i18n.number(v);
  return html`<div class="report">
    <p class="breadcrumb no-print"><a href="/admin">${t('create.back')}</a></p>
    <div class="title-row">
      <h1 tabindex="-1">${t('report.title', { name: report.name })}</h1>
      <${SaleLinks} id=${id} current="report" />
    </div>
    <p class="meta">${t('report.generated', { time: i18n.dateTime(Date.parse(report.generated_at)) })}</p>
    <div class="report-actions no-print">
      <button type="button" class="button secondary small" onClick=${load}>${t('report.refresh')}</button>
      <button type="button" class="button secondary small" onClick=${() => window.print()}>${t('report.print')}</button>
    </div>

    <section aria-labelledby="report-totals">
      <h2 id="report-totals">${t('report.totals')}</h2>
      <dl class="report-figures">
        <div><dt>${t('report.revenue')}</dt><dd>${money(report.revenue_cents)}</dd></div>
        <div><dt>${t('report.gross')}</dt><dd>${money(report.gross_cents)}</dd></div>
        <div><dt>${t('report.refunded_money')}</dt><dd>${money(report.refunded_cents)}</dd></div>
        <div><dt>${t('report.orders')}</dt><dd>${n(report.orders)}</dd></div>
        <div><dt>${t('report.sold')}</dt><dd>${n(report.sold)} / ${n(report.capacity)}</dd></div>
        <div><dt>${t('report.free')}</dt><dd>${n(report.free)}</dd></div>
      </dl>
    </section>

    <section aria-labelledby="report-sections">
      <h2 id="report-sections">${t('report.sections')}</h2>
      <div class="table-wrap">
        <table class="data-table">
          <thead><tr>
            <th scope="col">${t('report.section')}</th>
            <th scope="col" class="num">${t('report.capacity')}</th>
            <th scope="col" class="num">${t('report.sold')}</th>
            <th scope="col" class="num">${t('report.refunded')}</th>
            <th scope="col" class="num">${t('report.held')}</th>
            <th scope="col" class="num">${t('report.held_back')}</th>
            <th scope="col" class="num">${t('report.free')}</th>
            <th scope="col" class="num">${t('report.price')}</th>
            <th scope="col" class="num">${t('report.revenue')}</th>
            <th scope="col" class="num">${t('report.refunded_money')}</th>
          </tr></thead>
          <tbody>
            ${report.sections.map(
              (s) => html`<tr key=${s.name}>
                <th scope="row">${s.name}</th>
                <td class="num">${n(s.capacity)}</td>
                <td class="num">${n(s.sold)}</td>
                <td class="num">${n(s.refunded)}</td>
                <td class="num">${n(s.held)}</td>
                <td class="num">${n(s.held_back)}</td>
                <td class="num">${n(s.free)}</td>
                <td class="num">${money(s.price_cents)}</td>
                <td class="num">${money(s.revenue_cents)}</td>
                <td class="num">${money(s.refunded_cents)}</td>
              </tr>`,
            )}
          </tbody>
          <tfoot><tr>
            <th scope="row">${t('report.all_sections')}</th>
            <td class="num">${n(report.capacity)}</td>
            <td class="num">${n(report.sold)}</td>
            <td class="num">${n(report.refunded)}</td>
            <td class="num">${n(report.held)}</td>
            <td class="num">${n(report.held_back)}</td>
            <td class="num">${n(report.free)}</td>
            <td></td>
            <td class="num">${money(report.revenue_cents)}</td>
            <td class="num">${money(report.refunded_cents)}</td>
          </tr></tfoot>
        </table>
      </div>
    </section>

    <section aria-labelledby="report-sales">
      <h2 id="report-sales">${t('report.sales')}</h2>
      <${SalesChart} series=${report.sales_per_minute} />
    </section>

    <div class="report-pair">
      <section aria-labelledby="report-funnel">
        <h2 id="report-funnel">${t('report.funnel')}</h2>
        <div class="table-wrap"><table class="data-table">
          <thead><tr>
            <th scope="col">${t('report.step')}</th>
            <th scope="col" class="num">${t('report.fans')}</th>
            <th scope="col" class="num">${t('report.abandoned')}</th>
          </tr></thead>
          <tbody>
            ${report.funnel.steps.map(
              (s) => html`<tr key=${s.step}>
                <th scope="row">${t(`report.step_${s.step}`)}</th>
                <td class="num">${n(s.fans)}</td>
                <td class="num">${s.abandoned_share == null ? '—' : `${n(s.abandoned)} (${i18n.percent(s.abandoned_share)})`}</td>
              </tr>`,
            )}
          </tbody>
        </table></div>
        <p>${report.funnel.admitted_who_bought == null ? t('report.conversion_none') : t('report.conversion', { share: i18n.percent(report.funnel.admitted_who_bought) })}</p>
      </section>

      <section aria-labelledby="report-times">
        <h2 id="report-times">${t('report.times')}</h2>
        <dl class="report-figures">
          <div><dt>${t('report.queue_median')}</dt><dd>${secs(i18n, report.times.queue_median_secs)}</dd></div>
          <div><dt>${t('report.queue_p90')}</dt><dd>${secs(i18n, report.times.queue_p90_secs)}</dd></div>
          <div><dt>${t('report.purchase_median')}</dt><dd>${secs(i18n, report.times.purchase_median_secs)}</dd></div>
        </dl>
        <p class="hint">${t('report.times_hint', { count: report.times.orders_measured })}</p>
      </section>
    </div>
  </div>`;
}

function secs(i18n, value) {
  return value == null ? '—' : i18n.duration(Math.round(value));
}

/** `[seconds[], orders[], seats[]]` with every minute between the first sale and the last (zeros filled in). */
export function salesData(points, intervalSecs = 60) {
  if (points.length === 0) return [[], [], []];
  const step = intervalSecs * 1000;
  const first = points[0].at_ms;
  const last = points[points.length - 1].at_ms;
  const fill = (last - first) / step <= MAX_FILLED_MINUTES;
  const at = new Map(points.map((p) => [p.at_ms, p]));
  const xs = fill ? Array.from({ length: (last - first) / step + 1 }, (_, i) => first + i * step) : points.map((p) => p.at_ms);
  return [xs.map((x) => x / 1000), xs.map((x) => at.get(x)?.orders ?? 0), xs.map((x) => at.get(x)?.seats ?? 0)];
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#000';
}

function SalesChart({ series }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const box = useRef(null);
  const points = series.points;
  const total = points.reduce((a, p) => a + p.seats, 0);
  const peak = points.reduce((best, p) => (p.seats > (best?.seats ?? -1) ? p : best), null);

  useEffect(() => {
    const el = box.current;
    if (!el || points.length === 0) return undefined;
    const grid = { stroke: cssVar('--grid'), width: 1 };
    const text = cssVar('--muted');
    const timeFmt = new Intl.DateTimeFormat(i18n.locale, { hour: 'numeric', minute: '2-digit' });
    const width = () => Math.max(200, el.clientWidth);
    const data = salesData(points, series.interval_secs);
    const step = series.interval_secs;
    const xs = data[0];
    const u = new uPlot(
      {
        width: width(),
        height: 220,
        cursor: { show: false, drag: { x: false, y: false } },
        legend: { show: true, live: false },
        scales: {
          // Half a minute of room on each side, so one minute of sales still shows.
          x: { time: true, range: () => [xs[0] - step / 2, xs[xs.length - 1] + step / 2] },
          y: { range: (_u, _min, max) => [0, Math.max(1, (max ?? 0) * 1.15)] },
        },
        axes: [
          // Ticks on whole minutes at least (the labels show minutes: finer ticks
          // repeated the same label across a young sale's chart).
          { stroke: text, grid, ticks: grid, incrs: MINUTE_TICKS, values: (_u, s) => s.map((v) => timeFmt.format(v * 1000)) },
          { stroke: text, grid, ticks: grid, size: 56 },
        ],
        series: [
          { label: t('charts.time') },
          { label: t('report.seats'), stroke: cssVar('--accent'), fill: cssVar('--accent'), width: 1, points: { show: false }, paths: uPlot.paths.bars({ size: [0.6, 48] }) },
          { label: t('report.orders'), stroke: cssVar('--ok'), width: 2, points: { show: true, size: 6 } },
        ],
      },
      [data[0], data[2], data[1]],
      el,
    );
    const resize = new ResizeObserver(() => {
      if (width() !== u.width) u.setSize({ width: width(), height: 220 });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
    };
  }, [series, i18n]);

  if (points.length === 0) return html`<p>${t('report.no_sales')}</p>`;
  return html`<div class="chart-card">
    <div class="chart" ref=${box} role="img" aria-label=${t('report.sales')} aria-describedby="sales-summary"></div>
    <p id="sales-summary" class="chart-summary">
      ${t('report.sales_summary', { seats: i18n.number(total), minutes: i18n.number(points.length), peak: i18n.number(peak.seats), at: i18n.time(peak.at_ms) })}
    </p>
  </div>`;
}
