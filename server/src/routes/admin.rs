//! Admin API: create events, tune admission live, watch the counters and their
//! recent history, read the audit log of changes. A thin HTTP layer: the counters
//! are `crate::stats`, the audit log `crate::db::audit`.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waiting_room::wire::datetime_ms;
use waiting_room::{EventId, UserId};

use super::client;
use super::error_docs::*;
use crate::db::{settings_json, AuditEntry};
use crate::error::ApiError;
use crate::event::{AdmissionPatch, NewEvent};
use crate::extract::{parse_event_id, Admin, AppJson, AppPath, AppQuery};
use crate::state::AppState;
use crate::stats::{Stats, StatsHistory};
use crate::ws::{self, stats_stream, WsUpgrade};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_event))
        .routes(routes!(patch_admission))
        .routes(routes!(audit))
        .routes(routes!(audit_by_query))
        .routes(routes!(stats))
        .routes(routes!(stats_history))
        .routes(routes!(stats_ws))
}

/// Audit entries answered when `?limit=` is not given, and the most it may ask for.
const AUDIT_DEFAULT_LIMIT: u32 = 100;
const AUDIT_MAX_LIMIT: u32 = 500;

#[utoipa::path(
    post,
    path = "/admin/events",
    operation_id = "createEvent",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    request_body(content = ref("#/components/schemas/NewEvent"), content_type = "application/json"),
    responses(
        (status = 201, body = ref("#/components/schemas/Event"), content_type = "application/json"),
        E400, E401, E403, E413, E503, E500,
    )
)]
async fn create_event(
    State(state): State<AppState>,
    Admin(session): Admin,
    AppJson(body): AppJson<NewEvent>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let actor = state.db.actor(session.user).await?;
    let event = state.events.create(body, Some(&actor)).await?;
    let counts = state.checkout.seat_counts(event.id).await?;
    let body = serde_json::to_value(event.public(state.clock().now_ms(), counts))
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok((StatusCode::CREATED, Json(body)))
}

#[utoipa::path(
    patch,
    path = "/admin/events/{id}/admission",
    operation_id = "patchAdmission",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    request_body(content = AdmissionPatch, content_type = "application/json"),
    responses(
        (status = 200, body = ref("#/components/schemas/AdmissionSettings"), content_type = "application/json"),
        E400, E401, E403, E404, E413, E500,
    )
)]
async fn patch_admission(
    State(state): State<AppState>,
    Admin(session): Admin,
    AppPath(id): AppPath<String>,
    AppJson(patch): AppJson<AdmissionPatch>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_event_id(&id)?;
    let actor = state.db.actor(session.user).await?;
    let settings = state.events.change_admission(id, &actor, &patch).await?;
    Ok(Json(settings_json(&settings)))
}

#[utoipa::path(
    get,
    path = "/admin/events/{id}/audit",
    operation_id = "eventAudit",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid"), ("limit" = Option<u32>, Query)),
    responses(
        (status = 200, content_type = "application/json"),
        E400, E401, E403, E404, E500,
    )
)]
async fn audit(
    State(state): State<AppState>,
    _admin: Admin,
    AppPath(id): AppPath<String>,
    AppQuery(query): AppQuery<HashMap<String, String>>,
) -> Result<Json<Vec<AuditView>>, ApiError> {
    let id = parse_event_id(&id)?;
    audit_entries(&state, id, &query).await
}

#[utoipa::path(
    get,
    path = "/admin/audit",
    operation_id = "auditLog",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("event_id" = String, Query, format = "uuid"), ("limit" = Option<u32>, Query)),
    responses(
        (status = 200, content_type = "application/json"),
        E400, E401, E403, E404, E500,
    )
)]
async fn audit_by_query(
    State(state): State<AppState>,
    _admin: Admin,
    AppQuery(query): AppQuery<HashMap<String, String>>,
) -> Result<Json<Vec<AuditView>>, ApiError> {
    // A query names the event on purpose: a malformed id is a bad request (400), not
    // an unknown path (the per-event route's 404).
    let id = match query.get("event_id") {
        None => Err(ApiError::bad_request(
            "invalid_field",
            "event_id is required",
        )),
        Some(raw) => raw.trim().parse::<EventId>().map_err(|_| {
            ApiError::bad_request("invalid_field", "event_id must be an event id (a UUID)")
        }),
    }?;
    audit_entries(&state, id, &query).await
}

/// The entries of `id` (404 for an unknown event), `?limit=` of `query` at most.
async fn audit_entries(
    state: &AppState,
    id: EventId,
    query: &HashMap<String, String>,
) -> Result<Json<Vec<AuditView>>, ApiError> {
    let limit = match query.get("limit") {
        None => AUDIT_DEFAULT_LIMIT,
        Some(raw) => raw
            .parse()
            .ok()
            .filter(|n| (1..=AUDIT_MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_field",
                    format!("limit must be a whole number from 1 to {AUDIT_MAX_LIMIT}"),
                )
            })?,
    };
    state.events.get(id).await?;
    let entries = state.db.audit_log(id, limit).await?;
    Ok(Json(entries.into_iter().map(AuditView::from).collect()))
}

/// An audit entry as the API answers it.
#[derive(Serialize)]
struct AuditView {
    id: i64,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    actor: ActorView,
    action: String,
    before: Option<Value>,
    after: Option<Value>,
}

#[derive(Serialize)]
struct ActorView {
    id: UserId,
    email: Option<String>,
}

impl From<AuditEntry> for AuditView {
    fn from(e: AuditEntry) -> Self {
        Self {
            id: e.id,
            at: datetime_ms(e.at_ms),
            actor: ActorView {
                id: e.actor.id,
                email: e.actor.email,
            },
            action: e.action,
            before: e.before,
            after: e.after,
        }
    }
}

#[utoipa::path(
    get,
    path = "/admin/events/{id}/stats",
    operation_id = "eventStats",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses(
        (status = 200, body = Stats, content_type = "application/json"),
        E401, E403, E404, E500,
    )
)]
async fn stats(
    State(state): State<AppState>,
    _admin: Admin,
    AppPath(id): AppPath<String>,
) -> Result<Json<Stats>, ApiError> {
    let id = parse_event_id(&id)?;
    Ok(Json(state.stats.stats(id).await?))
}

#[utoipa::path(
    get,
    path = "/admin/events/{id}/stats/history",
    operation_id = "eventStatsHistory",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses(
        (status = 200, body = StatsHistory, content_type = "application/json"),
        E401, E403, E404, E500,
    )
)]
async fn stats_history(
    State(state): State<AppState>,
    _admin: Admin,
    AppPath(id): AppPath<String>,
) -> Result<Json<StatsHistory>, ApiError> {
    let id = parse_event_id(&id)?;
    Ok(Json(state.stats.history(id).await?))
}

#[utoipa::path(
    get,
    path = "/admin/events/{id}/stats/ws",
    operation_id = "eventStatsSocket",
    tag = "admin",
    security(("bearer" = []), ("accessToken" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses(
        (status = 101),
        E400, E401, E403, E404, E429, E503, E500,
    )
)]
async fn stats_ws(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppPath(id): AppPath<String>,
    parts: Parts,
    ws: WsUpgrade,
) -> Result<Response, ApiError> {
    let id = parse_event_id(&id)?;
    state.events.get(id).await?;
    let slot = client::socket_slot(&state, &parts)?;
    let session = state.revocations.watch(admin.key);
    Ok(ws::open(
        ws,
        state,
        slot,
        stats_stream::LIMITS,
        move |state, socket| stats_stream::run(state, id, socket, session),
    ))
}
