//! The one WebSocket upgrade every socket route goes through ([`open`]): the socket's
//! limits (read buffer, largest frame and message, a write buffer of at most
//! `max_queued` bytes and no batching), the session tracked for the drain (axum does
//! not wait for upgraded WebSockets, tokio-rs/axum#3003) and the socket's slot under
//! the connection caps held until the session ends. Two handshakes lead to it: axum's
//! ([`WsUpgrade`], for sessions over axum's `WebSocket`) and the raw one
//! ([`super::raw::RawUpgrade`], for the seat stream's fragmented frames).

use std::future::Future;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::extract::FromRequestParts;
use axum::response::Response;
use ws_protocol::tungstenite::protocol::WebSocketConfig;

use super::raw::{RawSocket, RawUpgrade};
use crate::error::ApiError;
use crate::limits::SocketSlot;
use crate::state::AppState;

/// `WebSocketUpgrade` whose rejections are contract errors: a request that is not a
/// WebSocket handshake (a plain GET, say) gets 400 `websocket_required`.
#[derive(FromRequestParts)]
#[from_request(rejection(ApiError))]
pub struct WsUpgrade(pub WebSocketUpgrade);

impl From<WebSocketUpgradeRejection> for ApiError {
    fn from(rejection: WebSocketUpgradeRejection) -> Self {
        ApiError::bad_request(
            "websocket_required",
            format!(
                "this endpoint speaks WebSocket only: {}",
                rejection.body_text()
            ),
        )
    }
}

/// What one kind of socket may take in and keep queued.
#[derive(Clone, Copy, Debug)]
pub struct SocketLimits {
    /// The read buffer kept for the socket's life (`None`: tungstenite's default).
    pub read_buffer: Option<usize>,
    /// Largest frame a client may send (`None`: tungstenite's default).
    pub max_frame: Option<usize>,
    /// Largest message a client may send.
    pub max_message: usize,
    /// Cap on the write buffer: past it a send fails instead of growing the buffer.
    pub max_queued: usize,
}

/// A handshake that can be answered with a socket of its kind.
pub trait Upgrade {
    type Socket: Send + 'static;

    /// Answers 101 and runs `session` on the socket once the upgrade completes.
    fn accept<F, Fut>(self, limits: SocketLimits, session: F) -> Response
    where
        F: FnOnce(Self::Socket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static;
}

impl Upgrade for WsUpgrade {
    type Socket = WebSocket;

    fn accept<F, Fut>(self, limits: SocketLimits, session: F) -> Response
    where
        F: FnOnce(WebSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let mut ws = self
            .0
            .write_buffer_size(0)
            .max_write_buffer_size(limits.max_queued)
            .max_message_size(limits.max_message);
        if let Some(bytes) = limits.read_buffer {
            ws = ws.read_buffer_size(bytes);
        }
        if let Some(bytes) = limits.max_frame {
            ws = ws.max_frame_size(bytes);
        }
        ws.on_upgrade(session)
    }
}

impl Upgrade for RawUpgrade {
    type Socket = RawSocket;

    fn accept<F, Fut>(self, limits: SocketLimits, session: F) -> Response
    where
        F: FnOnce(RawSocket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let mut config = WebSocketConfig::default()
            .write_buffer_size(0)
            .max_write_buffer_size(limits.max_queued)
            .max_message_size(Some(limits.max_message));
        if let Some(bytes) = limits.read_buffer {
            config = config.read_buffer_size(bytes);
        }
        if let Some(bytes) = limits.max_frame {
            config = config.max_frame_size(Some(bytes));
        }
        self.on_upgrade(config, session)
    }
}

/// Answers 101 and runs `session` with the state on the socket, within `limits`,
/// tracked by the server's session tracker (the drain waits for it), holding `slot`
/// until it ends.
pub fn open<U, F, Fut>(
    upgrade: U,
    state: AppState,
    slot: SocketSlot,
    limits: SocketLimits,
    session: F,
) -> Response
where
    U: Upgrade,
    F: FnOnce(AppState, U::Socket) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let tracker = state.sessions.clone();
    upgrade.accept(limits, move |socket| {
        tracker.track_future(async move {
            let _slot = slot;
            session(state, socket).await;
        })
    })
}
