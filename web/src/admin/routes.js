// The console's paths under /admin (the server answers admin.html for every path
// below it, so a reload lands on the same view). Pure, so the table is unit-tested.
import { compileRoutes } from '../shared/routes.js';

/** The view a path shows: `{name: 'events'|'create'|'edit'|'dashboard'|'report'|'orders'|'presale'|'webhooks'|'not_found', params: {id?}}`. */
export const match = compileRoutes(
  [
    { name: 'events', path: '/admin' },
    { name: 'create', path: '/admin/events/new' },
    { name: 'edit', path: '/admin/events/:id/edit' },
    { name: 'dashboard', path: '/admin/events/:id' },
    { name: 'report', path: '/admin/events/:id/report' },
    { name: 'orders', path: '/admin/events/:id/orders' },
    { name: 'presale', path: '/admin/events/:id/presale' },
    { name: 'webhooks', path: '/admin/webhooks' },
  ],
  'not_found',
);

/** The console shows every path under /admin itself. */
export const owns = (pathname) => pathname === '/admin' || pathname.startsWith('/admin/');
