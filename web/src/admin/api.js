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
  statsSocketUrl: (id) => socketUrl(`${base(id)}/stats/ws`),
};
