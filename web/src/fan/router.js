// Client-side routes: the server answers index.html for each of these paths, and
// links inside the page move with history.pushState.
import { store } from './store.js';

/** The route for a path: `{name, params}`; `notFound` for anything else. */
export function match(pathname) {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return { name: 'events', params: {} };
  if (path === '/orders') return { name: 'orders', params: {} };
  if (path === '/signin') return { name: 'signin', params: {} };
  if (path === '/signup') return { name: 'signup', params: {} };
  const m = path.match(/^\/events\/([0-9a-fA-F-]{1,64})$/);
  if (m) return { name: 'event', params: { id: m[1].toLowerCase() } };
  return { name: 'notFound', params: {} };
}

function current() {
  const route = match(location.pathname);
  route.query = new URLSearchParams(location.search);
  return route;
}

/** Goes to `href` (same origin) without reloading the page. */
export function navigate(href, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  store.set({ route: current() });
  if (!replace) window.scrollTo(0, 0);
}

/** Starts routing: reads the location and follows back/forward and link clicks. */
export function startRouter() {
  store.set({ route: current() });
  addEventListener('popstate', () => store.set({ route: current() }));
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = e.target.closest && e.target.closest('a[href]');
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin) return;
    if (match(url.pathname).name === 'notFound' && !url.pathname.startsWith('/events/')) return;
    if (url.pathname + url.search === location.pathname + location.search) {
      // Same page: an in-page link (the skip link) works as usual; a plain one does nothing.
      if (!url.hash) e.preventDefault();
      return;
    }
    e.preventDefault();
    navigate(url.pathname + url.search + url.hash);
  });
}

/** `/signin?next=…` keeping the fan's place in the site. */
export function withNext(path) {
  return `${path}?next=${encodeURIComponent(location.pathname)}`;
}

/** The `next` query parameter if it is a page of this site, else `/`. */
export function nextPath(route) {
  return safeNext(route.query && route.query.get('next'), location.origin);
}

/**
 * `next` as a path of this site's fan page (`/events/…?x#y`), or `/` for anything
 * else: another site (`//evil`, `/\evil`, which URLs read as `//evil`, `https:…`,
 * tabs and newlines that URL parsing drops), a path no fan page has, or the sign-in
 * forms themselves. Backslashes are read as the URL parser reads them, as slashes.
 */
export function safeNext(next, origin) {
  if (!next) return '/';
  const path = next.replace(/\\/g, '/');
  if (!path.startsWith('/') || path.startsWith('//')) return '/';
  let url;
  try {
    url = new URL(path, origin);
  } catch {
    return '/';
  }
  if (url.origin !== origin) return '/';
  const name = match(url.pathname).name;
  if (name === 'notFound' || name === 'signin' || name === 'signup') return '/';
  return url.pathname + url.search + url.hash;
}
