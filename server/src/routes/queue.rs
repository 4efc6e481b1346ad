//! The queue socket (`GET /events/{id}/queue/ws`) and its polling fallback
//! (`GET /events/{id}/queue/me`).

use axum::extract::ws::{CloseFrame, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;
use waiting_room::fan::{messages, FanPhase, FanView};
use waiting_room::EventId;

use crate::error::ApiError;
use crate::extract::Session;
use crate::queue_session::{self, MAX_FRAME_BYTES};
use crate::state::AppState;

/// Read buffer of each queue (and seat stream) socket.
pub const READ_BUFFER_BYTES: usize = 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{id}/queue/ws", get(queue_ws))
        .route("/events/{id}/queue/me", get(queue_me))
}

pub fn parse_event_id(raw: &str) -> Result<EventId, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound("event"))
}

/// Close frame sent to every socket when the server shuts down (1012: restarting).
pub fn restart_frame() -> CloseFrame {
    CloseFrame {
        code: 1012,
        reason: "server restarting; reconnect to keep your place".into(),
    }
}

async fn queue_ws(
    State(state): State<AppState>,
    Path(id): Path<String>,
    parts: Parts,
    session: Result<Session, ApiError>,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    super::rate_limit(&state, &state.join_limit, &parts)?;
    let session = session?;
    let event = state.event(parse_event_id(&id)?).await?;
    if event.closed {
        return Err(ApiError::Conflict {
            code: "event_closed",
            message: "this sale is closed".into(),
        });
    }
    let slot = super::socket_slot(&state, &parts)?;
    let room = state.room(&event).await?;
    let tracker = state.sessions.clone();
    // Fans send a few tiny frames; tungstenite keeps its read buffer for the socket's
    // life (and zeroes it on every read), so 1 KiB instead of 128 KiB (its default) or
    // 4 KiB is most of what a waiting socket costs. Longer frames still arrive whole.
    Ok(ws
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .max_write_buffer_size(crate::slow_socket::MAX_QUEUED_BYTES)
        .max_frame_size(MAX_FRAME_BYTES * 16)
        .max_message_size(MAX_FRAME_BYTES * 16)
        .on_upgrade(move |socket| {
            tracker.track_future(async move {
                let _slot = slot;
                queue_session::run(state, room, session.user, socket).await;
            })
        }))
}

async fn queue_me(
    State(state): State<AppState>,
    Path(id): Path<String>,
    session: Session,
) -> Result<Json<Value>, ApiError> {
    let event = state.event(parse_event_id(&id)?).await?;
    let room = state.room(&event).await?;
    let phase = room.describe(session.user).await?;
    if matches!(phase, FanPhase::Prequeue { .. } | FanPhase::Queued { .. }) {
        // Polling counts as presence: a fan without a socket keeps the place.
        state.hub.store().touch(event.id, &[session.user]).await?;
    }
    let paused = room.config().is_some_and(|c| c.admission.paused);
    let view = FanView {
        phase,
        paused,
        sold_out: room.sold_out(),
        available: None,
    };
    let message = messages(&FanView::default(), &view).into_iter().next();
    let message = message.unwrap_or_else(|| {
        waiting_room::wire::ServerMessage::error("not_in_queue", "join the queue first")
    });
    Ok(Json(
        serde_json::to_value(message).map_err(|e| ApiError::Internal(e.into()))?,
    ))
}
