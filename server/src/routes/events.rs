//! `GET /events`, `GET /events/{id}`, `GET /time`. The list answers even when the
//! seat store fails for some events: those are listed with `available: null`.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error_docs::*;
use crate::error::ApiError;
use crate::extract::{parse_event_id, AppPath};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(time))
        .routes(routes!(list))
        .routes(routes!(one))
}

#[utoipa::path(
    get,
    path = "/time",
    operation_id = "serverTime",
    tag = "events",
    responses(
        (status = 200, body = ref("#/components/schemas/Time"), content_type = "application/json"),
    )
)]
async fn time(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "now_ms": state.clock().now_ms() }))
}

#[utoipa::path(
    get,
    path = "/events",
    operation_id = "listEvents",
    tag = "events",
    responses(
        (status = 200, content_type = "application/json"),
        E500,
    )
)]
async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let now = state.clock().now_ms();
    let events = state.db.events().await?;
    let mut public = Vec::with_capacity(events.len());
    for e in &events {
        // One event whose seats cannot be read must not hide every other sale.
        match state.seat_counts(e.id).await {
            Ok(counts) => public.push(e.public(now, counts)),
            Err(error) => {
                tracing::warn!(%error, event_id = %e.id, "seat counts unavailable; listing the event without them");
                public.push(e.public_without_counts(now));
            }
        }
    }
    Ok(Json(
        serde_json::to_value(public).map_err(|e| ApiError::Internal(e.into()))?,
    ))
}

#[utoipa::path(
    get,
    path = "/events/{id}",
    operation_id = "getEvent",
    tag = "events",
    params(("id" = String, Path, format = "uuid")),
    responses(
        (status = 200, body = ref("#/components/schemas/Event"), content_type = "application/json"),
        E404, E500,
    )
)]
async fn one(
    State(state): State<AppState>,
    AppPath(id): AppPath<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_event_id(&id)?;
    let event = state.event(id).await?;
    let counts = state.seat_counts(id).await?;
    let public = event.public(state.clock().now_ms(), counts);
    Ok(Json(
        serde_json::to_value(public).map_err(|e| ApiError::Internal(e.into()))?,
    ))
}
