// The live figures: the numbers behind the charts, and their accessible equivalent.
import { html } from 'htm/preact';
import { useI18n } from '../shared/language.js';

/**
 * The time to clear the queue: the server's estimate when it sends one (null:
 * unknown), else waiting fans over the configured rate. Answers seconds or null.
 */
export function etaClearSecs(stats) {
  if (!stats) return null;
  if ('eta_clear_secs' in stats) return stats.eta_clear_secs;
  if (stats.waiting === 0) return 0;
  if (stats.paused || !(stats.rate_per_minute > 0)) return null;
  return Math.ceil((stats.waiting / stats.rate_per_minute) * 60);
}

export function Figures({ stats }) {
  const i18n = useI18n();
  const t = (k, p) => i18n.t(k, p);
  const n = (v) => (typeof v === 'number' ? i18n.number(v) : '—');
  if (!stats) return html`<p role="status">${t('dash.waiting_for_stats')}</p>`;

  const eta = etaClearSecs(stats);
  const etaText = eta === null ? '—' : eta === 0 ? t('fig.eta_none') : i18n.duration(eta);
  const etaNote =
    eta === null
      ? stats.paused
        ? t('fig.eta_paused')
        : t('fig.eta_unknown')
      : 'eta_clear_secs' in stats
        ? t('fig.eta_server')
        : t('fig.eta_estimate');
  const soldShare = stats.capacity > 0 ? i18n.percent(stats.sold / stats.capacity) : null;
  const hasRevenue = typeof stats.revenue_cents === 'number';
  const hasConnected = typeof stats.connected === 'number';

  // Each figure is a named group ("Waiting: 1,234, fans in the queue"), so a screen
  // reader can move between them and tests can find them by name.
  const card = (key, value, note, tone) => html`<div class=${`figure${tone ? ` ${tone}` : ''}`} key=${key} role="group" aria-labelledby=${`fig-${key}`}>
    <p class="figure-label" id=${`fig-${key}`}>${t(`fig.${key}`)}</p>
    <p class=${/\d/.test(value) || value === '—' ? 'figure-value' : 'figure-value words'}>${value}</p>
    ${note && html`<p class="figure-note">${note}</p>`}
  </div>`;

  // Inversions between join and admission order (docs/FAIRNESS.md).
  const fairCard = (key, f) =>
    f &&
    card(
      key,
      typeof f.kendall_tau === 'number' ? i18n.number(Math.round(f.kendall_tau * 1000) / 1000) : '—',
      t(`fig.${key}_note`, { inversions: n(f.inversions), fans: n(f.fans) }),
    );

  return html`<div class="figures">
    ${card('waiting', n(stats.waiting), t('fig.waiting_note'))}
    ${card('prequeue', n(stats.prequeue), stats.opened ? t('fig.prequeue_opened') : t('fig.prequeue_note'))}
    ${card(
      'admitted',
      n(stats.admitted_last_minute),
      stats.paused ? t('fig.admitted_paused', { rate: stats.rate_per_minute }) : t('fig.admitted_note', { rate: stats.rate_per_minute }),
      stats.paused ? 'warn' : null,
    )}
    ${card('active', n(stats.active), t('fig.active_note', { max: stats.max_active }), stats.active >= stats.max_active ? 'warn' : null)}
    ${card('held', n(stats.held), t('fig.held_note'))}
    ${card('sold', n(stats.sold), t('fig.sold_note', { capacity: stats.capacity, share: soldShare ?? '—' }))}
    ${card('revenue', hasRevenue ? i18n.money(stats.revenue_cents, { whole: stats.revenue_cents >= 100_000 }) : '—', hasRevenue ? t('fig.revenue_note') : t('fig.not_reported'))}
    ${card('connected', hasConnected ? n(stats.connected) : '—', hasConnected ? t('fig.connected_note') : t('fig.not_reported'))}
    ${card('eta', etaText, etaNote)}
    ${fairCard('fair_prequeue', stats.fairness?.prequeue)}
    ${fairCard('fair_after', stats.fairness?.after_opening)}
  </div>`;
}
