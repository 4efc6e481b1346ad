// The fan page: boots the shell (the language, the router, the session) and the
// server clock, then renders the view for the current route.
import './fan.css';
import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { serverOffset } from '../shared/api.js';
import { I18nContext } from '../shared/language.js';
import { useHeadingFocus } from '../shared/router.js';
import { checkSession } from '../shared/session.js';
import { useStore } from '../shared/store.js';
import { language } from './language.js';
import { router, useRoute } from './router.js';
import { store } from './store.js';
import { SignIn, SignUp } from './views/account.js';
import { EventPage } from './views/event.js';
import { EventsList } from './views/events.js';
import { Header } from './views/header.js';
import { NotFound } from './views/notfound.js';
import { Orders } from './views/orders.js';

const VIEWS = { events: EventsList, event: EventPage, orders: Orders, signin: SignIn, signup: SignUp, notFound: NotFound };

function App() {
  const { i18n } = useStore(language.store);
  const route = useRoute();
  const path = route.name + JSON.stringify(route.params);
  // After navigating, focus goes to the new page's heading (not on the first load).
  useHeadingFocus(path);
  useEffect(() => {
    // The event page names itself once its event has loaded.
    if (route.name !== 'event') document.title = i18n.t(`title.${route.name}`);
  }, [path, i18n]);
  const View = VIEWS[route.name] || NotFound;
  return html`
    <${I18nContext.Provider} value=${i18n}>
      <${Header} />
      <main id="main" tabindex="-1">
        <${View} key=${path} />
      </main>
      <footer class="site-footer"><p>${i18n.t('footer.text')}</p></footer>
    </${I18nContext.Provider}>
  `;
}

async function boot() {
  const root = document.getElementById('app');
  await language.start();
  router.start();
  root.textContent = '';
  render(html`<${App} />`, root);
  checkSession();
  const sync = () => serverOffset().then((offset) => store.set({ offset }), () => {});
  sync();
  // Re-measure when the tab comes back: a sleeping laptop's clock may have drifted.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') sync();
  });
}

boot();
