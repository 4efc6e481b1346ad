// One time-series chart of the last 15 minutes, drawn by uPlot. The canvas is an
// image to assistive technology: the heading names it and a text summary
// (aria-describedby) says what it shows; the figures above are the full equivalent.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { useI18n } from '../shared/language.js';
import { WINDOW_SECS } from './series.js';

const HEIGHT = 220;

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#000';
}

/**
 * @param {{id: string, title: string, summary: string, lines: {field: string, label: string, color: string, dash?: number[], stepped?: boolean}[], series: import('./series.js').StatsSeries, version: number}} props
 * `color` is a CSS custom property name (e.g. `--accent`); `version` changes when the data did.
 */
export function TimeChart({ id, title, summary, lines, series, version }) {
  const i18n = useI18n();
  const box = useRef(null);
  const plot = useRef(null);

  // (Re)build the chart when the language changes: labels and axis formats are Intl.
  useEffect(() => {
    const el = box.current;
    const numberFmt = new Intl.NumberFormat(i18n.locale, { notation: 'compact', maximumFractionDigits: 1 });
    const timeFmt = new Intl.DateTimeFormat(i18n.locale, { hour: 'numeric', minute: '2-digit' });
    const grid = { stroke: cssVar('--grid'), width: 1 };
    const text = cssVar('--muted');
    const opts = {
      width: Math.max(200, el.clientWidth),
      height: HEIGHT,
      pxAlign: false,
      // No hover read-out and no click-to-hide legend: neither would work from a
      // keyboard, and the figures give every current value.
      cursor: { show: false, drag: { x: false, y: false } },
      legend: { show: true, live: false },
      scales: {
        x: { time: true, range: (u, min, max) => [max - WINDOW_SECS, max] },
        y: { range: (u, min, max) => [0, Math.max(1, (max ?? 0) * 1.15)] },
      },
      axes: [
        {
          stroke: text,
          grid,
          ticks: grid,
          values: (u, splits) => splits.map((s) => timeFmt.format(s * 1000)),
        },
        {
          stroke: text,
          grid,
          ticks: grid,
          size: 56,
          values: (u, splits) => splits.map((v) => numberFmt.format(v)),
        },
      ],
      series: [
        { label: i18n.t('charts.time'), value: (u, v) => (v == null ? '—' : i18n.time(v * 1000)) },
        ...lines.map((l) => ({
          label: l.label,
          stroke: cssVar(l.color),
          width: 2,
          dash: l.dash,
          paths: l.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined,
          points: { show: false },
          value: (u, v) => (v == null ? '—' : i18n.number(v)),
        })),
      ],
    };
    const u = new uPlot(opts, series.data(lines.map((l) => l.field)), el);
    plot.current = u;
    const resize = new ResizeObserver(() => {
      const width = Math.max(200, el.clientWidth);
      if (width !== u.width) u.setSize({ width, height: HEIGHT });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [i18n]);

  useEffect(() => {
    plot.current?.setData(series.data(lines.map((l) => l.field)));
  }, [version]);

  return html`<section class="chart-card" aria-labelledby=${`${id}-title`}>
    <h3 id=${`${id}-title`}>${title}</h3>
    <div class="chart" ref=${box} role="img" aria-labelledby=${`${id}-title`} aria-describedby=${`${id}-summary`}></div>
    <p id=${`${id}-summary`} class="chart-summary">${summary}</p>
  </section>`;
}
