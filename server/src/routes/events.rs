//! `GET /events`, `GET /events/{id}`, `GET /time`. The list answers even when the
//! seat store fails for some events: those are listed with `available: null`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use waiting_room::clock::now_ms;

use crate::error::ApiError;
use crate::extract::{parse_event_id, AppPath};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/time", get(time))
        .route("/events", get(list))
        .route("/events/{id}", get(one))
}

async fn time() -> Json<Value> {
    Json(json!({ "now_ms": now_ms() }))
}

async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let now = now_ms();
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

async fn one(
    State(state): State<AppState>,
    AppPath(id): AppPath<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_event_id(&id)?;
    let event = state.event(id).await?;
    let counts = state.seat_counts(id).await?;
    let public = event.public(now_ms(), counts);
    Ok(Json(
        serde_json::to_value(public).map_err(|e| ApiError::Internal(e.into()))?,
    ))
}
