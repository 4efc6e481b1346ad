// One sale's live dashboard: figures and charts from the stats socket (history
// first when the server keeps it), the admission controls and the audit log.
import { html } from 'htm/preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { events as eventsApi, serverOffset } from '../shared/api.js';
import { adminApi } from './api.js';
import { AuditLog } from './audit.js';
import { AutotunePanel } from './autotune.js';
import { StaffPanel } from './staff.js';
import { TimeChart } from './charts.js';
import { useI18n } from '../shared/language.js';
import { Controls } from './controls.js';
import { ModeSwitch } from './mode.js';
import { SafetyNetPanel } from './safety-net.js';
import { StateBadge } from './events.js';
import { Figures } from './figures.js';
import { SeatsPanel } from './seats.js';
import { SaleActions } from './lifecycle.js';
import { SaleLinks } from './sale-links.js';
import { StatsSeries } from './series.js';
import { useStatsStream } from './stats-stream.js';
import { useInterval, useTitle } from './util.js';

/** After a change made here, stats frames for this long may predate it: trust the PATCH answer. */
const PATCH_SETTLE_MS = 2000;

export function Dashboard({ id, onAuthError }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const [event, setEvent] = useState(null);
  const [eventError, setEventError] = useState(null);
  const [stats, setStats] = useState(null);
  const [patched, setPatched] = useState(null);
  const [auditKey, setAuditKey] = useState(0);
  const [history, setHistory] = useState('loading');
  const [version, setVersion] = useState(0);
  const [now, setNow] = useState(Date.now());
  const series = useRef(new StatsSeries()).current;
  const pending = useRef([]);
  const historyDone = useRef(false);
  useTitle(event ? t('dash.title', { name: event.name }) : t('dash.title_loading'));
  useInterval(() => setNow(Date.now()), 1000);

  const loadEvent = useCallback(async () => {
    try {
      setEvent(await eventsApi.get(id));
      setEventError(null);
    } catch (e) {
      if (!onAuthError(e)) setEventError(e);
    }
  }, [id, onAuthError]);
  useEffect(() => {
    loadEvent();
  }, [loadEvent]);
  useInterval(loadEvent, 30_000);

  // Samples without `at_ms` are stamped on arrival, on the server's clock, so they
  // line up with the history's server-stamped samples.
  const clockOffset = useRef(0);
  useEffect(() => {
    serverOffset(2)
      .then((o) => {
        clockOffset.current = o;
      })
      .catch(() => {});
  }, []);
  const addSample = useCallback(
    (s) => series.push(s, typeof s.at_ms === 'number' ? s.at_ms : Date.now() + clockOffset.current),
    [series],
  );

  // History first (when the server keeps it), then the live samples that arrived meanwhile.
  useEffect(() => {
    const abort = new AbortController();
    adminApi
      .history(id, abort.signal)
      .then((h) => {
        for (const s of h?.samples ?? []) addSample(s);
        setHistory('ok');
      })
      .catch((e) => {
        if (e.name === 'AbortError') return;
        setHistory(e.status === 404 ? 'unavailable' : 'error');
      })
      .finally(() => {
        if (abort.signal.aborted) return;
        historyDone.current = true;
        for (const s of pending.current) addSample(s);
        pending.current = [];
        setVersion((v) => v + 1);
      });
    return () => abort.abort();
  }, [id, addSample]);

  const onSample = useCallback(
    (s) => {
      setStats(s);
      if (historyDone.current) {
        if (addSample(s)) setVersion((v) => v + 1);
      } else {
        pending.current.push(s);
      }
    },
    [addSample],
  );
  const onFatal = useCallback(
    (e) => {
      if (!onAuthError(e) && e.status === 404) setEventError(e);
    },
    [onAuthError],
  );
  const conn = useStatsStream(id, onSample, onFatal);

  const settings = useMemo(() => {
    if (!event) return null;
    const base = { ...event.admission };
    const fresh = patched && Date.now() - patched.at < PATCH_SETTLE_MS;
    if (stats && !fresh) {
      base.rate_per_minute = stats.rate_per_minute;
      base.max_active = stats.max_active ?? base.max_active;
      base.paused = stats.paused;
      base.mode = stats.mode ?? base.mode;
    }
    if (patched) {
      base.session_ttl_secs = patched.settings.session_ttl_secs;
      // The stats carry no message: the last answer of ours is the newest we know.
      base.message = patched.settings.message ?? null;
      base.safety_net = patched.settings.safety_net ?? null;
      if (fresh) Object.assign(base, patched.settings);
    }
    return base;
  }, [event, stats, patched]);

  const onApplied = useCallback((next) => {
    setPatched({ settings: next, at: Date.now() });
    setAuditKey((k) => k + 1);
  }, []);

  if (eventError) {
    const missing = eventError.status === 404;
    return html`<div>
      <p class="breadcrumb"><a href="/admin">${t('create.back')}</a></p>
      <h1 tabindex="-1">${missing ? t('dash.not_found') : t('dash.title_loading')}</h1>
      <p class="error-box" role="alert">${missing ? t('dash.not_found_text') : t('dash.load_failed', { message: eventError.message })}</p>
    </div>`;
  }

  const startsMs = event ? Date.parse(event.starts_at) : NaN;
  const opensIn = startsMs - now;

  return html`<div class="dashboard">
    <p class="breadcrumb"><a href="/admin">${t('create.back')}</a></p>
    <div class="title-row">
      <h1 tabindex="-1">${event ? event.name : t('dash.title_loading')}</h1>
      <${SaleLinks} id=${id} current="dashboard" />
      ${event && html`<${StateBadge} state=${liveState(event, stats, now)} />`}
    </div>
    ${event &&
    html`<p class="meta">
      ${t('dash.meta', {
        opens: i18n.dateTime(startsMs),
        capacity: event.capacity,
        max: event.max_seats_per_order,
        hold: i18n.duration(event.hold_ttl_secs),
      })}
    </p>`}
    ${event &&
    html`<${SaleActions} event=${event} state=${liveState(event, stats, now)} onAuthError=${onAuthError}
      onClosed=${() => { loadEvent(); setAuditKey((k) => k + 1); }} />`}
    <${Connection} conn=${conn} now=${now} stats=${stats} />
    ${settings?.paused && html`<p class="banner-msg warn">${t('dash.paused_banner')}</p>`}
    ${settings?.mode && settings.mode !== 'queue' && html`<p class="banner-msg warn">${t('dash.mode_banner', { mode: t(`mode.${settings.mode}`) })}</p>`}
    ${event && opensIn > 0 && event.state !== 'closed' && html`<p class="banner-msg info">${t('dash.opens_in', { clock: i18n.clock(opensIn / 1000) })}</p>`}

    <div class="dash-grid">
      <section class="dash-figures" aria-labelledby="figures-title">
        <h2 id="figures-title">${t('dash.figures')}</h2>
        <${Figures} stats=${stats} />
      </section>

      <section class="dash-controls" aria-labelledby="controls-title">
        <h2 id="controls-title">${t('dash.controls')}</h2>
        ${event?.state === 'closed'
          ? html`<p>${t('life.closed_controls')}</p>`
          : settings
          ? html`<${Controls} eventId=${id} settings=${settings} onApplied=${onApplied} onAuthError=${onAuthError} />
              <${ModeSwitch} eventId=${id} settings=${settings} onApplied=${onApplied} onAuthError=${onAuthError} />
              <h3 id="net-title">${t('dash.safety_net')}</h3>
              <${SafetyNetPanel} eventId=${id} settings=${settings} stats=${stats} onApplied=${onApplied} onAuthError=${onAuthError} />`
          : html`<p>${t('app.loading')}</p>`}
      </section>

      ${event?.state !== 'closed' &&
      html`<section class="dash-autotune" aria-labelledby="autotune-title">
        <h2 id="autotune-title">${t('dash.autotune')}</h2>
        <${AutotunePanel} eventId=${id} refreshKey=${auditKey} onAuthError=${onAuthError}
          onChanged=${() => setAuditKey((k) => k + 1)} />
      </section>`}

      ${event?.state !== 'closed' &&
      html`<section class="dash-staff" aria-labelledby="staff-title">
        <h2 id="staff-title">${t('dash.staff')}</h2>
        <${StaffPanel} eventId=${id} onAuthError=${onAuthError} onChanged=${() => setAuditKey((k) => k + 1)} />
      </section>`}

      <section class="dash-charts" aria-labelledby="charts-title">
        <h2 id="charts-title">${t('dash.charts')}</h2>
        ${history === 'unavailable' && html`<p class="notice">${t('dash.history_unavailable')}</p>`}
        ${history === 'error' && html`<p class="notice">${t('dash.history_failed')}</p>`}
        <${Charts} series=${series} version=${version} stats=${stats} />
      </section>

      <section class="dash-seats" aria-labelledby="seats-title">
        <h2 id="seats-title">${t('dash.seats')}</h2>
        <${SeatsPanel} eventId=${id} onAuthError=${onAuthError} onChanged=${() => setAuditKey((k) => k + 1)} />
      </section>

      <section class="dash-audit" aria-labelledby="audit-title">
        <h2 id="audit-title">${t('dash.audit')}</h2>
        <${AuditLog} eventId=${id} refreshKey=${auditKey} onAuthError=${onAuthError} />
      </section>
    </div>
  </div>`;
}

/** The sale state, kept current between event reads (the opening passes, seats sell out). */
function liveState(event, stats, now) {
  if (event.state === 'closed') return 'closed';
  if (now < Date.parse(event.starts_at)) return 'scheduled';
  if (stats) return stats.capacity > 0 && stats.held + stats.sold + (stats.held_back ?? 0) >= stats.capacity ? 'sold_out' : 'on_sale';
  return event.state === 'scheduled' ? 'on_sale' : event.state;
}

function Connection({ conn, now, stats }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const label = {
    connecting: t('conn.connecting'),
    live: t('conn.live'),
    waiting: t('conn.reconnecting'),
    stopped: t('conn.stopped'),
  }[conn.state];
  const retry = conn.state === 'waiting' && conn.retryAt ? Math.max(0, Math.ceil((conn.retryAt - now) / 1000)) : null;
  return html`<div class="connection">
    <span class=${`dot ${conn.state}`} aria-hidden="true"></span>
    <span role="status">${label}</span>
    ${retry !== null && html`<span class="muted">${t('conn.retry_in', { count: retry })}</span>`}
    ${stats && html`<span class="muted">${t('conn.updated', { time: i18n.time(stats.at_ms ?? now) })}</span>`}
    ${conn.error && html`<span class="error-text">${t('conn.error', { error: conn.error })}</span>`}
  </div>`;
}

function Charts({ series, version, stats }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const n = (v) => (v === null || v === undefined ? '—' : i18n.number(v));
  const s = (f) => series.summary(f);
  const empty = series.length === 0;

  const queue = s('waiting');
  const pre = s('prequeue');
  const flow = s('admitted_last_minute');
  const rate = s('rate_per_minute');
  const held = s('held');
  const sold = s('sold');
  const active = s('active');

  return html`<div class="charts">
    <${TimeChart} id="chart-queue" title=${t('charts.queue')} version=${version} series=${series}
      summary=${empty ? t('charts.no_data') : t('charts.queue_summary', { waiting: n(queue.latest), peak: n(queue.max), prequeue: n(pre.latest), prequeue_peak: n(pre.max) })}
      lines=${[
        { field: 'waiting', label: t('fig.waiting'), color: '--accent' },
        { field: 'prequeue', label: t('fig.prequeue'), color: '--warn', dash: [6, 4] },
      ]} />
    <${TimeChart} id="chart-flow" title=${t('charts.flow')} version=${version} series=${series}
      summary=${empty ? t('charts.no_data') : t('charts.flow_summary', { admitted: n(flow.latest), peak: n(flow.max), rate: n(rate.latest ?? stats?.rate_per_minute) })}
      lines=${[
        { field: 'admitted_last_minute', label: t('charts.admitted'), color: '--ok' },
        { field: 'rate_per_minute', label: t('charts.configured'), color: '--muted', dash: [6, 4], stepped: true },
      ]} />
    <${TimeChart} id="chart-seats" title=${t('charts.seats')} version=${version} series=${series}
      summary=${empty ? t('charts.no_data') : t('charts.seats_summary', { held: n(held.latest), sold: n(sold.latest), sold_then: n(sold.first), active: n(active.latest) })}
      lines=${[
        { field: 'sold', label: t('fig.sold'), color: '--accent' },
        { field: 'held', label: t('fig.held'), color: '--warn', dash: [6, 4] },
        { field: 'active', label: t('fig.active'), color: '--ok', dash: [2, 3] },
      ]} />
  </div>`;
}
