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
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waiting_room::wire::datetime_ms;
use waiting_room::{AdmissionSettings, EventId, UserId};

use super::client;
use super::error_docs::*;
use crate::db::{AdmissionNote, AuditEntry};
use crate::error::ApiError;
use crate::event::{AdmissionPatch, NewEvent, PublicEvent};
use crate::extract::{Admin, AppJson, AppQuery, EventPath};
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
    request_body(content = NewEvent, content_type = "application/json"),
    responses(
        (status = 201, body = PublicEvent, content_type = "application/json"),
        E400, E401, E403, E413, E503, E500,
    )
)]
async fn create_event(
    State(state): State<AppState>,
    Admin(session): Admin,
    AppJson(body): AppJson<NewEvent>,
) -> Result<(StatusCode, Json<PublicEvent>), ApiError> {
    let actor = state.db.actor(session.user).await?;
    let event = state.events.create(body, Some(&actor)).await?;
    let counts = state.checkout.seat_counts(event.id).await?;
    let public = event.public(state.clock().now_ms(), counts);
    Ok((StatusCode::CREATED, Json(public)))
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
        (status = 200, body = AdmissionSettings, content_type = "application/json"),
        E400, E401, E403, E404, E413, E500,
    )
)]
async fn patch_admission(
    State(state): State<AppState>,
    Admin(session): Admin,
    EventPath(id): EventPath,
    AppJson(patch): AppJson<AdmissionPatch>,
) -> Result<Json<AdmissionSettings>, ApiError> {
    let actor = state.db.actor(session.user).await?;
    let change = state
        .events
        .change_admission_noted(id, &actor, &patch, &AdmissionNote::Manual)
        .await?;
    Ok(Json(change.after))
}

#[utoipa::path(
    get,
    path = "/admin/events/{id}/audit",
    operation_id = "eventAudit",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid"), ("limit" = Option<u32>, Query, minimum = 1, maximum = 500)),
    responses(
        (status = 200, body = Vec<AuditView>, content_type = "application/json"),
        E400, E401, E403, E404, E500,
    )
)]
async fn audit(
    State(state): State<AppState>,
    _admin: Admin,
    EventPath(id): EventPath,
    AppQuery(query): AppQuery<HashMap<String, String>>,
) -> Result<Json<Vec<AuditView>>, ApiError> {
    audit_entries(&state, id, &query).await
}

#[utoipa::path(
    get,
    path = "/admin/audit",
    operation_id = "auditLog",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("event_id" = String, Query, format = "uuid"), ("limit" = Option<u32>, Query, minimum = 1, maximum = 500)),
    responses(
        (status = 200, body = Vec<AuditView>, content_type = "application/json"),
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

/// An audit entry as the API answers it: one admin change to an event. What
/// `before` and `after` hold follows the action (see `openapi::audit_payloads`).
#[derive(Serialize, ToSchema)]
#[schema(as = AuditEntry)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditView {
    id: i64,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    #[schema(inline)]
    actor: ActorView,
    action: String,
    #[schema(required = true)]
    before: Option<Value>,
    #[schema(required = true)]
    after: Option<Value>,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ActorView {
    id: UserId,
    #[schema(required = true)]
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
    EventPath(id): EventPath,
) -> Result<Json<Stats>, ApiError> {
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
    EventPath(id): EventPath,
) -> Result<Json<StatsHistory>, ApiError> {
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
    EventPath(id): EventPath,
    parts: Parts,
    ws: WsUpgrade,
) -> Result<Response, ApiError> {
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
