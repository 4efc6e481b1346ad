// The fan page: boots the language, the router, the session and the server clock,
// then renders the view for the current route.
import './fan.css';
import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { serverOffset, session as sessionApi } from '../shared/api.js';
import { preferredLocale } from '../shared/i18n.js';
import { applyLocale } from './locale.js';
import { startRouter } from './router.js';
import { store, useStore } from './store.js';
import { SignIn, SignUp } from './views/account.js';
import { EventPage } from './views/event.js';
import { EventsList } from './views/events.js';
import { Header } from './views/header.js';
import { NotFound } from './views/notfound.js';
import { Orders } from './views/orders.js';

const VIEWS = { events: EventsList, event: EventPage, orders: Orders, signin: SignIn, signup: SignUp, notFound: NotFound };

function App() {
  const state = useStore();
  const { i18n, route } = state;
  const first = useRef(true);
  const path = route.name + JSON.stringify(route.params);
  // After navigating, focus goes to the new page's heading (not on the first load).
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const h1 = document.querySelector('main h1');
    if (h1) h1.focus({ preventScroll: false });
  }, [path]);
  useEffect(() => {
    // The event page names itself once its event has loaded.
    if (route.name !== 'event') document.title = i18n.t(`title.${route.name}`);
  }, [path, i18n]);
  const View = VIEWS[route.name] || NotFound;
  return html`
    <${Header} state=${state} />
    <main id="main" tabindex="-1">
      <${View} state=${state} key=${path} />
    </main>
    <footer class="site-footer"><p>${i18n.t('footer.text')}</p></footer>
  `;
}

async function boot() {
  const root = document.getElementById('app');
  await applyLocale(preferredLocale());
  startRouter();
  root.textContent = '';
  render(html`<${App} />`, root);
  // Who the cookie says this is, unless the fan signed in or out while the answer
  // was on its way: a slow "no one" arriving after a sign-in must not sign them out.
  const settle = (user) => {
    if (store.get().user === undefined) store.set({ user });
  };
  sessionApi.me().then(settle, () => settle(null));
  const sync = () => serverOffset().then((offset) => store.set({ offset }), () => {});
  sync();
  // Re-measure when the tab comes back: a sleeping laptop's clock may have drifted.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') sync();
  });
}

boot();
