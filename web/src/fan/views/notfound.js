// Any path the fan page does not know, and events that do not exist.
import { html } from 'htm/preact';
import { Title } from './util.js';

export function NotFound({ state }) {
  const { i18n } = state;
  return html`
    <${Title}>${i18n.t('notFound.title')}<//>
    <p>${i18n.t('notFound.text')}</p>
    <p><a href="/">${i18n.t('common.backToEvents')}</a></p>
  `;
}
