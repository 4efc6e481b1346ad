//! An admin's live stats socket: the event's `Stats` once a second (a `StatsError`
//! frame for a tick that fails), until the client closes, the session is revoked
//! (1008), the socket is too slow (1013) or the server shuts down (1012).

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use waiting_room::EventId;

use super::slow_socket::{close_too_slow, send_within, too_slow_frame, SendError};
use super::SocketLimits;
use crate::error::ApiError;
use crate::state::AppState;
use crate::stats::{FrameType, StatsError};

/// Frames a client sends are ignored, and may be 4096 bytes at most.
pub const LIMITS: SocketLimits = SocketLimits {
    read_buffer: None,
    max_frame: None,
    max_message: 4096,
    max_queued: super::slow_socket::MAX_QUEUED_BYTES,
};

/// Streams the stats of event `id` to `socket`.
pub async fn run(
    state: AppState,
    id: EventId,
    mut socket: WebSocket,
    session: crate::revocations::SocketWatch,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => break,
            () = session.ended() => {
                let _ = socket.send(Message::Close(Some(super::session_ended_frame()))).await;
                break;
            }
            _ = tick.tick() => {
                let text = match state.stats.stats(id).await {
                    Ok(stats) => serde_json::to_string(&stats),
                    Err(e) => {
                        let e = ApiError::from(e);
                        serde_json::to_string(&StatsError {
                            r#type: FrameType::Error,
                            code: e.code(),
                            message: e.to_string(),
                        })
                    }
                }
                .expect("the stats serialize");
                match send_within(&mut socket, Message::Text(text.into()), state.slow_socket()).await {
                    Ok(()) => {}
                    Err(SendError::TooSlow) => {
                        close_too_slow(&mut socket, Message::Close(Some(too_slow_frame()))).await;
                        return;
                    }
                    Err(SendError::Closed) => return,
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
    let _ = socket
        .send(Message::Close(Some(super::restart_frame())))
        .await;
}
