// The fan page's paths (the server answers index.html for each of them) and where a
// sign-in form may send the fan back to. Pure, so the table is unit-tested.
import { compileRoutes } from '../shared/routes.js';

/** The route for a path: `{name, params}`; `notFound` for anything else. */
export const match = compileRoutes([
  { name: 'events', path: '/' },
  { name: 'orders', path: '/orders' },
  { name: 'signin', path: '/signin' },
  { name: 'signup', path: '/signup' },
  { name: 'event', path: '/events/:id', params: { id: '[0-9a-fA-F-]{1,64}' }, parse: ({ id }) => ({ id: id.toLowerCase() }) },
]);

/** The paths the page shows itself: its routes, and any event (unknown ones say so). */
export const owns = (pathname) => match(pathname).name !== 'notFound' || pathname.startsWith('/events/');

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
