// The banner on every page: the skip link, the site name, navigation, the account and
// the language switch.
import { html } from 'htm/preact';
import { useI18n } from '../../shared/language.js';
import { signOut as endSession } from '../../shared/session.js';
import { language } from '../language.js';
import { detachAll } from '../queue.js';
import { navigate, useRoute, withNext } from '../router.js';
import { store, useUser } from '../store.js';

export function Header() {
  const i18n = useI18n();
  const user = useUser();
  const route = useRoute();
  const current = (name) => (route.name === name ? 'page' : undefined);
  // Both account links keep the way back to the page the fan is on (a sale's page).
  const back = (path) => (route.name === 'signin' || route.name === 'signup' ? path : withNext(path));
  const signOut = async () => {
    await endSession();
    detachAll();
    store.set({ queues: {}, checkouts: {} });
    navigate('/');
  };
  return html`
    <a class="skip-link" href="#main">${i18n.t('nav.skip')}</a>
    <header class="site-header">
      <div class="bar">
        <a class="brand" href="/">Floodgate</a>
        <nav aria-label=${i18n.t('nav.label')}>
          <ul>
            <li><a href="/" aria-current=${current('events')}>${i18n.t('nav.events')}</a></li>
            ${user && html`<li><a href="/orders" aria-current=${current('orders')}>${i18n.t('nav.orders')}</a></li>`}
            ${user === null &&
            html`<li><a href=${back('/signin')} aria-current=${current('signin')}>${i18n.t('nav.signIn')}</a></li>
              <li><a href=${back('/signup')} aria-current=${current('signup')}>${i18n.t('nav.signUp')}</a></li>`}
            ${user && html`<li><button type="button" class="link-button" onClick=${signOut}>${i18n.t('nav.signOut')}</button></li>`}
          </ul>
        </nav>
        <div class="lang">
          <label for="lang-select">${i18n.t('nav.language')}</label>
          <select id="lang-select" value=${i18n.locale} onChange=${(e) => language.choose(e.currentTarget.value)}>
            <option value="en" lang="en">English</option>
            <option value="zh-TW" lang="zh-TW">繁體中文</option>
          </select>
        </div>
      </div>
      ${user && html`<p class="account">${i18n.t('nav.signedInAs', { email: user.email })}</p>`}
    </header>
  `;
}
