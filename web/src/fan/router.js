// The fan page's router: the shell's router over the fan's routes, and the way back
// from the sign-in forms.
import { createRouter } from '../shared/router.js';
import { match, owns, safeNext } from './routes.js';

export const router = createRouter({ match, owns });
export const { navigate, useRoute } = router;

/** `/signin?next=…` keeping the fan's place in the site. */
export function withNext(path) {
  return `${path}?next=${encodeURIComponent(location.pathname)}`;
}

/** The `next` query parameter if it is a page of this site, else `/`. */
export function nextPath(route) {
  return safeNext(route.query && route.query.get('next'), location.origin);
}
