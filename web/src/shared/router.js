// The client-side router both apps share: the server answers the app's HTML for each
// of its paths, and links inside the page move with history.pushState. The current
// route lives in a store (`{route}`), read with `useRoute`; a click on a link to one
// of the app's own paths is handled here, so views use plain <a href> elements.
import { useEffect, useRef } from 'preact/hooks';
import { createStore, useStore } from './store.js';

/**
 * @param {{match: (pathname: string) => {name: string, params: object}, owns: (pathname: string) => boolean}} o
 *   `match` names the route of a path (see routes.js); `owns` tells the paths this app
 *   shows itself (any other link loads its page).
 */
export function createRouter({ match, owns }) {
  const read = () => {
    const route = match(location.pathname);
    route.query = new URLSearchParams(location.search);
    return route;
  };
  const store = createStore({ route: read() });
  const update = () => store.set({ route: read() });

  /** Goes to `href` (same origin) without reloading the page. */
  function navigate(href, { replace = false } = {}) {
    if (replace) history.replaceState(null, '', href);
    else history.pushState(null, '', href);
    update();
    if (!replace) window.scrollTo(0, 0);
  }

  /** Follows back/forward and clicks on the app's own links. */
  function start() {
    update();
    addEventListener('popstate', update);
    document.addEventListener('click', (e) => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      const a = e.target.closest && e.target.closest('a[href]');
      if (!a || a.target || a.hasAttribute('download')) return;
      const url = new URL(a.href, location.href);
      if (url.origin !== location.origin || !owns(url.pathname)) return;
      if (url.pathname + url.search === location.pathname + location.search) {
        // Same page: an in-page link (the skip link) works as usual; a plain one does nothing.
        if (!url.hash) e.preventDefault();
        return;
      }
      e.preventDefault();
      navigate(url.pathname + url.search + url.hash);
    });
  }

  return { store, navigate, start, current: () => store.get().route, useRoute: () => useStore(store).route };
}

/**
 * After a client-side navigation (`key` changed, not on the first render), focus the
 * new view's main heading, so screen readers announce it and keyboard users start at
 * the top of the new content. `nextFrame` waits for the view's first paint.
 */
export function useHeadingFocus(key, { nextFrame = false } = {}) {
  const first = useRef(key);
  useEffect(() => {
    if (key === first.current) return;
    first.current = null;
    const focus = () => document.querySelector('main h1')?.focus();
    if (nextFrame) requestAnimationFrame(focus);
    else focus();
  }, [key]);
}
