//! Autotune's API: an event's setting (read, replaced by an admin, audit-logged), the
//! checkout figures it judges by, and its recent changes with their reasons (read
//! from the audit log). The rule and the loop are `crate::autotune`.

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waiting_room::wire::datetime_ms;

use super::error_docs::*;
use crate::autotune::{controller, AutotuneSettings, Judgement, MIN_REQUESTS};
use crate::db::{AuditAction, AuditEntry};
use crate::error::ApiError;
use crate::extract::{Admin, AppJson, EventPath};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_autotune, put_autotune))
}

/// The audit entries read for the recent changes (autotune's and the switches).
const HISTORY_ENTRIES: u32 = 200;
/// The recent changes answered, newest first, at most.
const CHANGES_SHOWN: usize = 30;

/// An event's autotune: the setting, the rate now, the figures judged by, and the
/// recent changes.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutotuneView {
    pub settings: AutotuneSettings,
    /// The event's admission rate now, fans per minute.
    pub rate_per_minute: u32,
    pub figures: CheckoutFigures,
    /// Newest first: autotune's rate changes, and autotune switched on or off.
    pub changes: Vec<AutotuneChange>,
}

/// The checkout's figures over the recent window, every replica's summed (what the
/// controller judges by).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutFigures {
    /// Holds and confirms answered (or not answered) in the window.
    pub requests: u64,
    /// The 99th percentile of their time to answer (the bound of its histogram
    /// bucket), ms; null without requests.
    #[schema(required = true)]
    pub p99_ms: Option<u64>,
    /// The fraction answered 5xx or not answered.
    pub error_rate: f64,
    /// Replicas whose figures are summed.
    pub replicas: usize,
    /// The window, ms.
    pub window_ms: u64,
    /// The fewest requests autotune judges by; below, it leaves the rate.
    pub min_requests: u64,
}

/// One entry of autotune's history.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutotuneChange {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// `rate`: autotune changed the rate; `setting`: an admin changed the setting;
    /// `switched_off`: an admin set the rate by hand, which switched autotune off.
    #[schema(pattern = "^(rate|setting|switched_off)$")]
    pub kind: String,
    /// Who: the autotune account, or the admin.
    #[schema(required = true)]
    pub actor_email: Option<String>,
    /// The rate before and after (`rate`).
    #[schema(required = true)]
    pub from_rate: Option<u32>,
    #[schema(required = true)]
    pub to_rate: Option<u32>,
    /// The reason as autotune wrote it ("p99 840 ms > 500 ms target: 1200 → 840/min").
    #[schema(required = true)]
    pub reason: Option<String>,
    /// What autotune's change rests on (`rate`).
    #[schema(required = true)]
    pub detail: Option<Judgement>,
    /// The setting an admin saved (`setting`).
    #[schema(required = true)]
    pub setting: Option<AutotuneSettings>,
}

#[utoipa::path(
    get,
    path = "/admin/events/{id}/autotune",
    operation_id = "getAutotune",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    responses(
        (status = 200, body = AutotuneView, content_type = "application/json"),
        E401, E403, E404, E500,
    )
)]
async fn get_autotune(
    State(state): State<AppState>,
    _admin: Admin,
    EventPath(id): EventPath,
) -> Result<Json<AutotuneView>, ApiError> {
    view(&state, id).await.map(Json)
}

#[utoipa::path(
    put,
    path = "/admin/events/{id}/autotune",
    operation_id = "putAutotune",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    params(("id" = String, Path, format = "uuid")),
    request_body(content = AutotuneSettings, content_type = "application/json"),
    responses(
        (status = 200, body = AutotuneView, content_type = "application/json"),
        E400, E401, E403, E404, E413, E500,
    )
)]
async fn put_autotune(
    State(state): State<AppState>,
    Admin(session): Admin,
    EventPath(id): EventPath,
    AppJson(body): AppJson<AutotuneSettings>,
) -> Result<Json<AutotuneView>, ApiError> {
    let row = body
        .validate()
        .map_err(|e| ApiError::bad_request("invalid_field", e.0))?;
    let actor = state.db.actor(session.user).await?;
    state
        .db
        .put_autotune(id, &actor, state.clock().now_ms(), row)
        .await?
        .ok_or(ApiError::NotFound("event"))?;
    tracing::info!(event_id = %id, setting = ?row, "autotune setting changed");
    view(&state, id).await.map(Json)
}

async fn view(state: &AppState, id: waiting_room::EventId) -> Result<AutotuneView, ApiError> {
    let event = state.events.get(id).await?;
    let settings = match state.db.autotune(id).await? {
        Some(row) => row.into(),
        None => AutotuneSettings::default_for(&event.admission),
    };
    let interval = std::time::Duration::from_millis(state.config.autotune_interval_ms);
    let (judged, replicas) =
        controller::merged(&state.db, state.clock().now_ms(), interval).await?;
    let entries = state.db.audit_log(id, HISTORY_ENTRIES).await?;
    let changes = entries
        .into_iter()
        .filter_map(change)
        .take(CHANGES_SHOWN)
        .collect();
    Ok(AutotuneView {
        settings,
        rate_per_minute: event.admission.rate_per_minute,
        figures: CheckoutFigures {
            requests: judged.requests,
            p99_ms: judged.p99_ms,
            error_rate: judged.error_rate,
            replicas,
            window_ms: state.config.autotune_window_ms,
            min_requests: MIN_REQUESTS,
        },
        changes,
    })
}

/// The audit entry as autotune's history shows it, if it belongs there.
fn change(e: AuditEntry) -> Option<AutotuneChange> {
    let after = e.after.unwrap_or(Value::Null);
    let rate = |v: &Value| {
        v.get("rate_per_minute")
            .and_then(Value::as_u64)
            .and_then(|r| u32::try_from(r).ok())
    };
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    let base = |kind: &str| AutotuneChange {
        at: datetime_ms(e.at_ms),
        kind: kind.to_owned(),
        actor_email: e.actor.email.clone(),
        from_rate: None,
        to_rate: None,
        reason: None,
        detail: None,
        setting: None,
    };
    if e.action == AuditAction::AutotuneAdjusted.as_str() {
        return Some(AutotuneChange {
            from_rate: e.before.as_ref().and_then(rate),
            to_rate: rate(&after),
            reason: text(&after, "reason"),
            detail: after
                .get("autotune")
                .and_then(|d| serde_json::from_value(d.clone()).ok()),
            ..base("rate")
        });
    }
    if e.action != AuditAction::AutotuneChanged.as_str() {
        return None;
    }
    if text(&after, "reason").as_deref() == Some("manual_rate_change") {
        return Some(base("switched_off"));
    }
    Some(AutotuneChange {
        setting: serde_json::from_value(after).ok(),
        ..base("setting")
    })
}
