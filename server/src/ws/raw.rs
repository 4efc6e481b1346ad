//! A WebSocket upgrade that hands over the `tokio-tungstenite` stream itself, not
//! axum's message wrapper, so a socket can send one message as several frames
//! (RFC 6455 fragmentation). The seat stream uses it to send a snapshot of a
//! million-seat venue in small frames sliced from one shared buffer: what a socket
//! has queued is one frame, however big the snapshot, and however slowly it reads.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::TokioIo;
use ws_protocol::tungstenite::handshake::derive_accept_key;
use ws_protocol::tungstenite::protocol::{Role, WebSocketConfig};
use ws_protocol::WebSocketStream;

use crate::error::ApiError;

/// The upgraded connection.
pub type RawSocket = WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>;

/// A request to open a WebSocket (HTTP/1.1 `Upgrade: websocket`).
pub struct RawUpgrade {
    accept: HeaderValue,
    on_upgrade: hyper::upgrade::OnUpgrade,
}

impl<S: Send + Sync> FromRequestParts<S> for RawUpgrade {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let not_ws = || {
            ApiError::bad_request(
                "websocket_required",
                "this endpoint speaks WebSocket only: open it with a WebSocket handshake",
            )
        };
        let has = |name: header::HeaderName, token: &str| {
            parts.headers.get_all(name).iter().any(|v| {
                v.to_str()
                    .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
            })
        };
        if parts.method != Method::GET
            || !has(header::CONNECTION, "upgrade")
            || !has(header::UPGRADE, "websocket")
            || parts
                .headers
                .get(header::SEC_WEBSOCKET_VERSION)
                .map(|v| v.as_bytes())
                != Some(b"13")
        {
            return Err(not_ws());
        }
        let key = parts
            .headers
            .get(header::SEC_WEBSOCKET_KEY)
            .ok_or_else(not_ws)?;
        let accept =
            HeaderValue::from_str(&derive_accept_key(key.as_bytes())).map_err(|_| not_ws())?;
        let on_upgrade = parts
            .extensions
            .remove::<hyper::upgrade::OnUpgrade>()
            .ok_or_else(not_ws)?;
        Ok(Self { accept, on_upgrade })
    }
}

impl RawUpgrade {
    /// Answers 101 and runs `session` on the socket once the upgrade completes.
    pub fn on_upgrade<F, Fut>(self, config: WebSocketConfig, session: F) -> Response
    where
        F: FnOnce(RawSocket) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let upgrade = self.on_upgrade;
        tokio::spawn(async move {
            match upgrade.await {
                Ok(io) => {
                    let socket = WebSocketStream::from_raw_socket(
                        TokioIo::new(io),
                        Role::Server,
                        Some(config),
                    )
                    .await;
                    session(socket).await;
                }
                Err(error) => tracing::debug!(%error, "websocket upgrade failed"),
            }
        });
        (
            StatusCode::SWITCHING_PROTOCOLS,
            [
                (header::CONNECTION, HeaderValue::from_static("upgrade")),
                (header::UPGRADE, HeaderValue::from_static("websocket")),
                (header::SEC_WEBSOCKET_ACCEPT, self.accept),
            ],
        )
            .into_response()
    }
}
