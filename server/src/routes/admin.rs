//! Admin API: create events, tune admission live, watch the counters.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use waiting_room::clock::now_ms;
use waiting_room::EventId;

use super::queue::parse_event_id;
use crate::error::ApiError;
use crate::event::{AdmissionPatch, NewEvent};
use crate::extract::{Admin, AppJson};
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/events", post(create_event))
        .route("/admin/events/{id}/admission", patch(patch_admission))
        .route("/admin/events/{id}/stats", get(stats))
        .route("/admin/events/{id}/stats/ws", get(stats_ws))
}

async fn create_event(
    State(state): State<AppState>,
    _admin: Admin,
    AppJson(body): AppJson<NewEvent>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let event = state.create_event(body).await?;
    let counts = state.seat_counts(event.id).await?;
    let body = serde_json::to_value(event.public(now_ms(), counts))
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok((StatusCode::CREATED, Json(body)))
}

async fn patch_admission(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<String>,
    AppJson(patch): AppJson<AdmissionPatch>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_event_id(&id)?;
    let mut event = state
        .db
        .event(id)
        .await?
        .ok_or(ApiError::NotFound("event"))?;
    let settings = patch.apply(event.admission)?;
    // The database first (the record), then the store (what admission reads).
    state.db.update_admission(id, &settings).await?;
    state
        .hub
        .store()
        .configure(id, &event.queue_config(), true)
        .await?;
    state.hub.store().update_admission(id, &settings).await?;
    event.admission = settings;
    state.cache_event(event);
    tracing::info!(event_id = %id, ?settings, "admission settings changed");
    Ok(Json(
        serde_json::to_value(settings).map_err(|e| ApiError::Internal(e.into()))?,
    ))
}

async fn stats(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_event_id(&id)?;
    Ok(Json(stats_value(&state, id).await?))
}

async fn stats_value(state: &AppState, id: EventId) -> Result<Value, ApiError> {
    let event = state.event(id).await?;
    let s = match state.hub.store().stats(id).await {
        Err(waiting_room::store::StoreError::UnknownEvent) => Default::default(),
        other => other?,
    };
    let seats = state.seat_counts(id).await?;
    let settings = state
        .hub
        .store()
        .config(id)
        .await?
        .map_or(event.admission, |c| c.admission);
    Ok(json!({
        "waiting": s.waiting,
        "prequeue": s.prequeue,
        "admitted_total": s.admitted_total,
        "active": s.active,
        "held": seats.map_or(0, |c| c.held),
        "sold": seats.map_or(0, |c| c.sold),
        "capacity": event.capacity(),
        "rate_per_minute": settings.rate_per_minute,
        "max_active": settings.max_active,
        "admitted_last_minute": s.admitted_last_minute,
        "paused": settings.paused,
        "opened": s.opened,
    }))
}

async fn stats_ws(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<String>,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let id = parse_event_id(&id)?;
    state.event(id).await?;
    let tracker = state.sessions.clone();
    Ok(ws
        .max_message_size(4096)
        .on_upgrade(move |socket| tracker.track_future(stream_stats(state, id, socket))))
}

async fn stream_stats(state: AppState, id: EventId, mut socket: WebSocket) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => break,
            _ = tick.tick() => {
                let text = match stats_value(&state, id).await {
                    Ok(v) => v.to_string(),
                    Err(e) => json!({"type": "error", "code": e.code(), "message": e.to_string()}).to_string(),
                };
                if socket.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
    let _ = socket
        .send(Message::Close(Some(super::queue::restart_frame())))
        .await;
}
