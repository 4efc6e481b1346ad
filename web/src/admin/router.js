// Client-side routes under /admin with history.pushState. The server answers
// admin.html for every path below /admin, so a reload lands on the same view.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';

const NAVIGATE = 'floodgate:navigate';

/** The view a path shows: `{name: 'events'|'create'|'edit'|'dashboard'|'report'|'orders'|'not_found', id?}`. */
export function parseRoute(pathname) {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/admin') return { name: 'events' };
  if (path === '/admin/events/new') return { name: 'create' };
  const edit = path.match(/^\/admin\/events\/([^/]+)\/edit$/);
  if (edit) return { name: 'edit', id: decodeURIComponent(edit[1]) };
  const m = path.match(/^\/admin\/events\/([^/]+)$/);
  if (m) return { name: 'dashboard', id: decodeURIComponent(m[1]) };
  const sub = path.match(/^\/admin\/events\/([^/]+)\/(report|orders)$/);
  if (sub) return { name: sub[2], id: decodeURIComponent(sub[1]) };
  return { name: 'not_found' };
}

export function navigate(to, { replace = false } = {}) {
  if (to === location.pathname) return;
  history[replace ? 'replaceState' : 'pushState'](null, '', to);
  window.dispatchEvent(new Event(NAVIGATE));
}

/** The current path; re-renders on pushState navigation and back/forward. */
export function usePath() {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATE, update);
    };
  }, []);
  return path;
}

/** An ordinary link that navigates without a reload (modified clicks open tabs). */
export function Link({ href, children, ...rest }) {
  const onClick = (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return html`<a href=${href} onClick=${onClick} ...${rest}>${children}</a>`;
}
