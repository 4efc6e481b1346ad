//! One queue socket of a fan: opening it (retrying refusals the way a browser would,
//! counting each by code), reading protocol messages, and keeping the worker's
//! connected-sockets gauge right (the gauge drops when the socket is dropped).

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use waiting_room::wire::{ClientMessage, ServerMessage};

use crate::ctx::Ctx;
use crate::net::{connect_ws, ConnectError, Ws};

/// What came off a socket.
#[derive(Debug)]
pub enum Incoming {
    Message(ServerMessage),
    /// A frame that is not a protocol message.
    Garbage(String),
    /// Closed (by the server, with its close code if any) or broken.
    Closed(Option<u16>),
}

pub struct Sock {
    ws: Ws,
    ctx: Arc<Ctx>,
    /// Unix µs when the attempt that opened the socket began (its handshake left after
    /// this): a `?join=1` handshake's join happened between this and the 101.
    pub attempt_us: i64,
}

impl Drop for Sock {
    fn drop(&mut self) {
        self.ctx.tally.socket_closed();
    }
}

/// What a socket's handshake asks for besides the socket.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ask<'a> {
    /// A proof-of-work solution for a join that takes a new place.
    pub pow: Option<&'a str>,
    /// Join as the socket opens (`?join=1`), instead of a `join` frame.
    pub join: bool,
}

/// Opens fan `token`'s queue socket on target `url`, with what the handshake asks
/// (`ask`); `None` after giving up (each failure is counted by code; 429 waits
/// `Retry-After`).
pub async fn open(ctx: &Arc<Ctx>, url: usize, token: &str, ask: Ask<'_>) -> Option<Sock> {
    let path = queue_path(&ctx.event, token, ask);
    let mut failures = 0;
    loop {
        if ctx.stop.is_cancelled() {
            return None;
        }
        let attempt_us = crate::tally::now_us();
        let wait = match connect_ws(&ctx.targets[url], ctx.sources.next(), &path).await {
            Ok(ws) => {
                ctx.tally.socket_opened();
                return Some(Sock {
                    ws,
                    ctx: ctx.clone(),
                    attempt_us,
                });
            }
            Err(ConnectError::Refused {
                status,
                code,
                retry_after,
            }) => {
                // A 429 is the server pacing us: expected, and always retried.
                ctx.tally.http_error(status, &code, status == 429);
                if status != 429 {
                    failures += 1;
                }
                Duration::from_secs(retry_after.unwrap_or(1).max(1))
            }
            Err(ConnectError::Transport(_)) => {
                ctx.tally.error("connect_transport", false);
                failures += 1;
                Duration::from_millis(500 * failures)
            }
            Err(ConnectError::Timeout) => {
                ctx.tally.error("connect_timeout", false);
                failures += 1;
                Duration::from_millis(500 * failures)
            }
        };
        if failures >= 5 {
            return None;
        }
        tokio::select! {
            _ = ctx.stop.cancelled() => return None,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// The queue socket's path and query for fan `token` of `event`.
fn queue_path(event: &str, token: &str, ask: Ask<'_>) -> String {
    let mut path = format!("/api/v1/events/{event}/queue/ws?access_token={token}");
    if let Some(pow) = ask.pow {
        path = format!("{path}&pow={pow}");
    }
    if ask.join {
        path.push_str("&join=1");
    }
    path
}

/// A JSON object whose `type` is none of the protocol's (a message a newer server added).
fn unknown_type(text: &str) -> bool {
    const KNOWN: [&str; 10] = [
        "prequeue", "queued", "position", "admitted", "expired", "left", "paused", "resumed",
        "sold_out", "error",
    ];
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("type")?.as_str().map(|t| !KNOWN.contains(&t)))
        .unwrap_or(false)
}

impl Sock {
    pub async fn send(&mut self, message: &ClientMessage) -> bool {
        let text = serde_json::to_string(message).expect("client messages serialise");
        self.send_raw(text).await
    }

    pub async fn send_raw(&mut self, text: String) -> bool {
        self.ws.send(Message::Text(text.into())).await.is_ok()
    }

    /// The next protocol message (pings are answered by tungstenite on the next read).
    pub async fn next(&mut self) -> Incoming {
        loop {
            match self.ws.next().await {
                Some(Ok(Message::Text(text))) => {
                    match serde_json::from_str(text.as_str()) {
                        Ok(m) => return Incoming::Message(m),
                        // A newer server's message type: skipped (the protocol grows).
                        Err(_) if unknown_type(text.as_str()) => continue,
                        Err(_) => return Incoming::Garbage(text.as_str().to_owned()),
                    }
                }
                Some(Ok(Message::Close(frame))) => {
                    return Incoming::Closed(frame.map(|f| u16::from(f.code)))
                }
                Some(Ok(Message::Binary(_))) => return Incoming::Garbage("binary".into()),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Incoming::Closed(None),
            }
        }
    }

    /// Closes politely (bounded: a peer that does not answer is dropped).
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.ws.close(None)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::Ask;

    #[test]
    fn the_handshake_says_join_only_when_asked() {
        let plain = super::queue_path("e", "t", Ask::default());
        assert_eq!(plain, "/api/v1/events/e/queue/ws?access_token=t");
        let ask = Ask {
            pow: Some("c:1"),
            join: true,
        };
        assert_eq!(
            super::queue_path("e", "t", ask),
            "/api/v1/events/e/queue/ws?access_token=t&pow=c:1&join=1"
        );
    }

    #[test]
    fn newer_message_types_are_skipped_but_broken_known_ones_are_not() {
        assert!(super::unknown_type(
            r#"{"type":"availability","available":3}"#
        ));
        assert!(!super::unknown_type(r#"{"type":"queued","ahead":"x"}"#));
        assert!(!super::unknown_type("[1]"));
        assert!(!super::unknown_type("{nope"));
    }
}
