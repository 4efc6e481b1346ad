// Any path the fan page does not know, and events that do not exist.
import { html } from 'htm/preact';
import { useI18n } from '../../shared/language.js';
import { Title } from './util.js';

export function NotFound() {
  const i18n = useI18n();
  return html`
    <${Title}>${i18n.t('notFound.title')}<//>
    <p>${i18n.t('notFound.text')}</p>
    <p><a href="/">${i18n.t('common.backToEvents')}</a></p>
  `;
}
