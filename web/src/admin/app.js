// The console's frame: session (cookie) state, the banner with language and sign-out,
// the skip link, and the view for the current route.
import { html } from 'htm/preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { LOCALES } from '../shared/i18n.js';
import { I18nContext, useI18n } from '../shared/language.js';
import { useHeadingFocus } from '../shared/router.js';
import { checkSession, notAdmin, setAccount, signOut as endSession, useSession } from '../shared/session.js';
import { useStore } from '../shared/store.js';
import { language } from './language.js';
import { useRoute } from './router.js';
import { SignIn, Refused } from './signin.js';
import { EventsList } from './events.js';
import { CreateEvent, EditEvent } from './create.js';
import { Dashboard } from './dashboard.js';
import { Report } from './report.js';
import { Orders } from './orders.js';
import { Webhooks } from './webhooks.js';
import { Presale } from './presale.js';

const LANGUAGE_NAMES = { en: 'English', 'zh-TW': '繁體中文' };

export function App() {
  const { i18n } = useStore(language.store);
  // account: undefined while asking the server; null: signed out; else the account.
  const { account, error: loadError } = useSession();
  const [notice, setNotice] = useState(null);
  const route = useRoute();
  const id = route.params.id;
  const path = route.name + JSON.stringify(route.params);
  const t = (k, p) => i18n.t(k, p);

  /** Views call this with an ApiError: 401 signs out, 403 refuses. Answers whether it handled it. */
  const onAuthError = useCallback((e) => {
    if (e?.status === 401) {
      setNotice('signin.expired');
      setAccount(null);
      return true;
    }
    if (e?.status === 403 && e.code === 'forbidden') {
      notAdmin();
      return true;
    }
    return false;
  }, []);

  const signOut = async () => {
    setNotice('signin.signed_out');
    await endSession();
  };

  const changeLanguage = (e) => language.choose(e.currentTarget.value);

  const state = account === undefined ? 'loading' : account === null ? 'signed_out' : account.admin ? 'admin' : 'refused';

  // After a client-side navigation, focus the new view's heading.
  useHeadingFocus(path, { nextFrame: true });

  // Signing in or out replaces the whole view: start again at its heading.
  const lastState = useRef(state);
  useEffect(() => {
    const before = lastState.current;
    lastState.current = state;
    if (before !== state && before !== 'loading') requestAnimationFrame(() => document.querySelector('main h1')?.focus());
  }, [state]);

  let view;
  if (loadError) {
    view = html`<h1 tabindex="-1">${t('app.name')}</h1>
      <p class="error-text" role="alert">${t('app.load_failed', { message: loadError.message })}</p>
      <button type="button" class="button" onClick=${checkSession}>${t('app.retry')}</button>`;
  } else if (state === 'loading') {
    view = html`<h1 tabindex="-1">${t('app.name')}</h1><p role="status">${t('app.loading')}</p>`;
  } else if (state === 'signed_out') {
    view = html`<${SignIn} notice=${notice} onSignedIn=${(a) => { setNotice(null); setAccount(a); }} />`;
  } else if (state === 'refused') {
    view = html`<${Refused} account=${account} onSignOut=${signOut} />`;
  } else if (route.name === 'events') {
    view = html`<${EventsList} onAuthError=${onAuthError} />`;
  } else if (route.name === 'create') {
    view = html`<${CreateEvent} onAuthError=${onAuthError} />`;
  } else if (route.name === 'edit') {
    view = html`<${EditEvent} key=${id} id=${id} onAuthError=${onAuthError} />`;
  } else if (route.name === 'dashboard') {
    view = html`<${Dashboard} key=${id} id=${id} onAuthError=${onAuthError} />`;
  } else if (route.name === 'report') {
    view = html`<${Report} key=${id} id=${id} onAuthError=${onAuthError} />`;
  } else if (route.name === 'orders') {
    view = html`<${Orders} key=${id} id=${id} onAuthError=${onAuthError} />`;
  } else if (route.name === 'presale') {
    view = html`<${Presale} key=${id} id=${id} onAuthError=${onAuthError} />`;
  } else if (route.name === 'webhooks') {
    view = html`<${Webhooks} onAuthError=${onAuthError} />`;
  } else {
    view = html`<${NotFound} />`;
  }

  const options = useMemo(() => LOCALES.map((l) => html`<option value=${l} lang=${l}>${LANGUAGE_NAMES[l]}</option>`), []);

  return html`<${I18nContext.Provider} value=${i18n}>
    <a class="skip-link" href="#main">${t('app.skip')}</a>
    <header class="banner">
      <div class="banner-inner">
        <p class="brand">
          ${state === 'admin'
            ? html`<a href="/admin">${t('app.name')}</a>`
            : t('app.name')}
        </p>
        ${state === 'admin' &&
        html`<nav aria-label=${t('nav.label')}>
          <ul class="nav-list">
            <li><a href="/admin" aria-current=${route.name === 'events' ? 'page' : undefined}>${t('nav.events')}</a></li>
            <li><a href="/admin/events/new" aria-current=${route.name === 'create' ? 'page' : undefined}>${t('nav.new_event')}</a></li>
            <li><a href="/admin/webhooks" aria-current=${route.name === 'webhooks' ? 'page' : undefined}>${t('nav.webhooks')}</a></li>
          </ul>
        </nav>`}
        <div class="banner-tools">
          <label class="language">
            <span>${t('app.language')}</span>
            <select value=${i18n.locale} onChange=${changeLanguage}>${options}</select>
          </label>
          ${account &&
          html`<span class="who">${t('app.signed_in_as', { email: account.email })}</span>
            <button type="button" class="button secondary" onClick=${signOut}>${t('app.sign_out')}</button>`}
        </div>
      </div>
    </header>
    <main id="main" tabindex="-1">${view}</main>
  </${I18nContext.Provider}>`;
}

function NotFound() {
  const i18n = useI18n();
  useEffect(() => {
    document.title = `${i18n.t('not_found.title')} — ${i18n.t('app.name')}`;
  }, [i18n]);
  return html`<h1 tabindex="-1">${i18n.t('not_found.title')}</h1>
    <p><a href="/admin">${i18n.t('not_found.back')}</a></p>`;
}
