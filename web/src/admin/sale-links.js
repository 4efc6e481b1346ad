// The links between one sale's pages: its live dashboard, its report, its orders, its presale.
import { html } from 'htm/preact';
import { useI18n } from '../shared/language.js';

export function SaleLinks({ id, current }) {
  const i18n = useI18n();
  const base = `/admin/events/${encodeURIComponent(id)}`;
  const pages = [
    ['dashboard', base, 'sale.dashboard'],
    ['report', `${base}/report`, 'sale.report'],
    ['orders', `${base}/orders`, 'sale.orders'],
    ['presale', `${base}/presale`, 'sale.presale'],
  ];
  return html`<nav class="sale-links no-print" aria-label=${i18n.t('sale.pages')}>
    <ul>
      ${pages.map(
        ([name, href, key]) => html`<li key=${name}>
          <a href=${href} aria-current=${name === current ? 'page' : undefined}>${i18n.t(key)}</a>
        </li>`,
      )}
    </ul>
  </nav>`;
}
