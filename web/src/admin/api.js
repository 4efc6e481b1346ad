// The admin endpoints, on top of the shared client (errors arrive as ApiError).
import { request, socketUrl } from '../shared/api.js';

const base = (id) => `/api/v1/admin/events/${encodeURIComponent(id)}`;

export const adminApi = {
  /** Creates a sale; answers the event (201). */
  createEvent: (body) => request('/api/v1/admin/events', { method: 'POST', body }),
  /** Changes a sale's settings (any subset; before the opening); answers the event. */
  editEvent: (id, patch) => request(base(id), { method: 'PATCH', body: patch }),
  /** Closes a sale for good; answers `{id, state, closed_at, closed_by}`. */
  closeEvent: (id) => request(`${base(id)}/close`, { method: 'POST', body: {} }),
  /** Changes any of rate_per_minute, max_active, session_ttl_secs, paused; answers the settings. */
  patchAdmission: (id, patch) => request(`${base(id)}/admission`, { method: 'PATCH', body: patch }),
  stats: (id, signal) => request(`${base(id)}/stats`, { signal }),
  /** `{interval_secs, samples:[…]}`, oldest first (404 on servers without it). */
  history: (id, signal) => request(`${base(id)}/stats/history`, { signal }),
  /** Newest-first audit entries (404 on servers without it). */
  audit: (id, limit, signal) => request(`${base(id)}/audit?limit=${limit}`, { signal }),
  /** Autotune: `{settings, rate_per_minute, figures, changes}`. */
  autotune: (id, signal) => request(`${base(id)}/autotune`, { signal }),
  /** Replaces the autotune setting; answers as `autotune`. */
  putAutotune: (id, body) => request(`${base(id)}/autotune`, { method: 'PUT', body }),
  /** The event's staff accounts (staff bypass): `{staff:[{user_id, email}]}`. */
  staff: (id, signal) => request(`${base(id)}/staff`, { signal }),
  /** Replaces the event's staff list (`{emails}`); answers as `staff`. */
  putStaff: (id, body) => request(`${base(id)}/staff`, { method: 'PUT', body }),
  /** Presale groups: `{groups:[{id, slot, name, opens_at, codes, codes_used, fans}]}`. */
  presale: (id, signal) => request(`${base(id)}/presale`, { signal }),
  /** Adds a group (`{name, opens_at}`); answers it (201). */
  createPresaleGroup: (id, body) => request(`${base(id)}/presale/groups`, { method: 'POST', body }),
  /** Changes a group's name and/or opening; answers it. */
  editPresaleGroup: (id, group, patch) => request(`${base(id)}/presale/groups/${encodeURIComponent(group)}`, { method: 'PATCH', body: patch }),
  deletePresaleGroup: (id, group) => request(`${base(id)}/presale/groups/${encodeURIComponent(group)}`, { method: 'DELETE' }),
  /** Generates `{count, max_uses}` codes for a group; answers `{codes:[…]}`. */
  generateCodes: (id, group, body) => request(`${base(id)}/presale/groups/${encodeURIComponent(group)}/codes`, { method: 'POST', body }),
  /** Adds the codes of a CSV text (`code[,max_uses]` a line); answers `{added, duplicates}`. */
  uploadCodes: (id, group, csv) =>
    request(`${base(id)}/presale/groups/${encodeURIComponent(group)}/codes/upload`, { method: 'POST', body: csv, contentType: 'text/csv' }),
  /** One page of a group's codes: `{codes:[{code, group, max_uses, uses, revoked, first_email, first_used_at}], next_after}`. */
  presaleCodes: (id, { group, after = null, limit = 50 }, signal) => {
    const q = new URLSearchParams({ group, limit: String(limit) });
    if (after) q.set('after', after);
    return request(`${base(id)}/presale/codes?${q}`, { signal });
  },
  /** Revokes a code (204): it can no longer be redeemed. */
  revokeCode: (id, code) => request(`${base(id)}/presale/codes/${encodeURIComponent(code)}`, { method: 'DELETE' }),
  statsSocketUrl: (id) => socketUrl(`${base(id)}/stats/ws`),
  /** The sale's report: sections, takings, sales per minute, funnel, times. */
  report: (id, signal) => request(`${base(id)}/report`, { signal }),
  /** One page of the order search: `{matched_by, orders, next_offset}`. */
  searchOrders: (id, { q = '', limit = 50, offset = 0 } = {}, signal) =>
    request(`${base(id)}/orders?${new URLSearchParams({ q, limit: String(limit), offset: String(offset) })}`, { signal }),
  /** Where the CSV of every order downloads from (a plain link: the cookie goes along). */
  ordersCsvUrl: (id) => `${base(id)}/orders.csv`,
  /** Refunds an order with a reason (admin); answers the order. */
  refund: (orderId, reason) => request(`/api/v1/orders/${encodeURIComponent(orderId)}/refund`, { method: 'POST', body: { reason } }),
  /** The admins' compact seat map (`b` = held back). */
  seats: (id, signal) => request(`${base(id)}/seats`, { signal }),
  /** Holds seats back from sale (all or none); answers `{changed, counts}`. */
  holdBack: (id, seats) => request(`${base(id)}/seats/hold-back`, { method: 'POST', body: { seats } }),
  /** Puts held-back seats back on sale; answers `{changed, counts}`. */
  releaseHeldBack: (id, seats) => request(`${base(id)}/seats/release`, { method: 'POST', body: { seats } }),
  /** `{endpoints:[…], event_types:[…]}`. */
  webhooks: (signal) => request('/api/v1/admin/webhooks', { signal }),
  /** Registers an endpoint; answers it with its signing secret (shown once). */
  createWebhook: (body) => request('/api/v1/admin/webhooks', { method: 'POST', body }),
  deleteWebhook: (id) => request(`/api/v1/admin/webhooks/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  /** `{deliveries:[…]}`, newest first, each with its attempts. */
  webhookDeliveries: (id, signal) => request(`/api/v1/admin/webhooks/${encodeURIComponent(id)}/deliveries`, { signal }),
  /** Makes a delivery due again ("send again"). */
  retryDelivery: (id, delivery) =>
    request(`/api/v1/admin/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(delivery)}/retry`, { method: 'POST', body: {} }),
};
