//! One fan's queue socket. Generic over `Sink`/`Stream` so it can be driven by
//! channels in tests. One task per socket: it forwards the fan's latest view (a
//! `watch`, so a slow socket only ever skips to the newest state) and answers the
//! fan's frames. Bad frames get an `error` message; the socket and the place stay.

use std::time::{Duration, Instant};

use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use waiting_room::fan::{tell, FanPhase, FanView};
use waiting_room::room::Room;
use waiting_room::store::{PlaceCap, StoreError};
use waiting_room::wire::{ClientMessage, ServerMessage};
use waiting_room::UserId;

use crate::metrics::Metrics;
use crate::state::AppState;
use crate::ws::slow_socket::{close_too_slow, send_within, too_slow_frame, SendError};

/// Largest frame a fan may send; bigger ones are answered with `frame_too_large`.
pub const MAX_FRAME_BYTES: usize = 1024;
/// Beyond this a frame is abuse, not a mistake: the socket is closed with 1009
/// (message too big) and a reason; the place is kept for the grace period.
pub const CLOSE_FRAME_BYTES: usize = MAX_FRAME_BYTES * 16;
/// What the WebSocket layer itself reads at most, a little above
/// [`CLOSE_FRAME_BYTES`]: frames up to it arrive whole and are answered here with a
/// close frame. Larger ones make tungstenite fail the read; those are answered with
/// the same close frame (see [`too_big`]).
pub const WS_LIMIT_BYTES: usize = CLOSE_FRAME_BYTES * 4;
/// The socket's limits: a small read buffer, frames and messages up to
/// [`WS_LIMIT_BYTES`].
pub const LIMITS: super::SocketLimits = super::SocketLimits {
    read_buffer: Some(super::READ_BUFFER_BYTES),
    max_frame: Some(WS_LIMIT_BYTES),
    max_message: WS_LIMIT_BYTES,
    max_queued: super::slow_socket::MAX_QUEUED_BYTES,
};
/// Frames per second a socket may send before being told `rate_limited`.
const MAX_FRAMES_PER_SEC: u32 = 20;
/// What a fan is told when the queue store fails (the socket and the place stay).
const UNAVAILABLE: &str = "the queue is unavailable; retry in 2 s";
/// A ping this often detects half-open connections.
const PING_EVERY: Duration = Duration::from_secs(20);

/// Who is on the socket: the account, the cap on places its address holds, the
/// watch that ends the socket when its session is revoked, the proof of work its
/// handshake brought (`None`: the event asks none) and whether the handshake asked to
/// join (`?join=1`).
pub struct Fan {
    pub user: UserId,
    /// The session is an admin's: admins are staff of every event (staff bypass).
    pub admin: bool,
    pub cap: Option<PlaceCap>,
    pub session: crate::revocations::SocketWatch,
    pub proof: Option<crate::proof_of_work::JoinProof>,
    /// The handshake said `?join=1`: the socket joins as it opens, as if its first
    /// frame were `{"type":"join"}`, with no wait for a frame and no resume first.
    pub join: bool,
}

pub async fn run(state: AppState, room: std::sync::Arc<Room>, fan: Fan, socket: WebSocket) {
    let (sink, stream) = socket.split();
    serve(state, room, fan, sink, stream).await;
}

/// How long a fan's first socket here waits for its first frame before reading the
/// store for a ticket to resume: a `join` within that time answers the same question
/// in one store call instead of two (on Redis, half the work of a rush of joins). A
/// handshake with `?join=1` does not wait: it says what the frame would.
const FIRST_FRAME_WAIT: Duration = Duration::from_millis(250);

/// What a socket does after a frame.
enum Flow {
    Continue,
    Stop,
}

/// Drives one socket until either side closes or the server shuts down.
pub async fn serve<S, R>(
    state: AppState,
    room: std::sync::Arc<Room>,
    fan: Fan,
    mut sink: S,
    mut stream: R,
) where
    S: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    let slow = state.slow_socket();
    let user = fan.user;
    let (handle, first) = room.attach(user);
    let mut views = handle.views();
    let mut sent = FanView::default();
    let mut budget = FrameBudget::default();
    // A handshake that asked to join joins at once (the join answers for the resume);
    // otherwise the first socket either joins straight away or resumes what the store
    // holds.
    let mut opening = None;
    if fan.join {
        budget.take();
        opening = Some(
            match carry_out(&state, &room, &fan, ClientMessage::Join).await {
                Ok(()) => None,
                Err(refusal) => Some(reply(&state, &mut sink, refusal).await),
            },
        );
    } else if first {
        let early = tokio::time::timeout(FIRST_FRAME_WAIT, stream.next())
            .await
            .ok();
        let joins = matches!(
            &early,
            Some(Some(Ok(Message::Text(text)))) if parse(text.as_str()) == Ok(ClientMessage::Join)
        );
        if !joins {
            if let Err(error) = resume(&state, &room, &fan).await {
                tracing::warn!(%error, event_id = %room.event(), "queue connect failed");
                let _ = send(
                    &mut sink,
                    slow,
                    &ServerMessage::error("unavailable", UNAVAILABLE),
                )
                .await;
                return;
            }
        }
        if let Some(frame) = early {
            opening = Some(on_frame(&state, &room, &fan, &mut sink, &mut budget, frame).await);
        }
    }
    views.mark_changed();
    match opening {
        Some(Some(Flow::Stop)) => return,
        Some(Some(Flow::Continue)) | None => {}
        Some(None) => {
            // Answer the request with the fan's current state (see below).
            sent.phase = Default::default();
            views.mark_changed();
        }
    }
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => {
                let _ = sink.send(Message::Close(Some(crate::ws::restart_frame()))).await;
                break;
            }
            () = fan.session.ended() => {
                let _ = sink.send(Message::Close(Some(crate::ws::session_ended_frame()))).await;
                break;
            }
            () = room.closed() => {
                // The sale closed: say so, then close normally (the fan has nothing
                // to reconnect to).
                if send(&mut sink, slow, &ServerMessage::Closed).await.is_ok() {
                    let _ = sink.send(Message::Close(Some(crate::ws::sale_closed_frame()))).await;
                }
                break;
            }
            changed = views.changed() => {
                if changed.is_err() {
                    break;
                }
                let next = views.borrow_and_update().clone();
                let out = tell(&mut sent, next);
                let position = out.iter().any(|m| matches!(m, ServerMessage::Position { .. }));
                if !out.is_empty() {
                    Metrics::inc(&state.metrics.queue_writes);
                    state.metrics.queue_messages_out.increment(out.len() as u64);
                }
                match send_all(&mut sink, slow, &out).await {
                    Ok(()) => {}
                    Err(SendError::TooSlow) => return too_slow(&mut sink).await,
                    Err(SendError::Closed) => return,
                }
                if let Some(took) = room.since_push().filter(|_| position) {
                    state.metrics.position_fanout.observe(took);
                }
            }
            incoming = stream.next() => {
                match on_frame(&state, &room, &fan, &mut sink, &mut budget, incoming).await {
                    Some(Flow::Stop) => break,
                    Some(Flow::Continue) => {}
                    None => {
                        // Answer every request with the fan's current state, even when
                        // it did not change (a repeated join).
                        sent.phase = Default::default();
                        views.mark_changed();
                    }
                }
            }
            _ = ping.tick() => {
                match send_within(&mut sink, Message::Ping(Default::default()), slow).await {
                    Ok(()) => {}
                    Err(SendError::TooSlow) => return too_slow(&mut sink).await,
                    Err(SendError::Closed) => break,
                }
            }
        }
    }
    drop(handle);
}

/// Handles one incoming frame (or the stream's end). `None`: a request was carried
/// out, and the fan's state is to be sent again.
async fn on_frame<S: Sink<Message> + Unpin>(
    state: &AppState,
    room: &Room,
    fan: &Fan,
    sink: &mut S,
    budget: &mut FrameBudget,
    incoming: Option<Result<Message, axum::Error>>,
) -> Option<Flow> {
    let refusal = match incoming {
        Some(Ok(Message::Text(text))) if text.len() > CLOSE_FRAME_BYTES => {
            return Some(close_too_big(state, sink).await);
        }
        Some(Ok(Message::Binary(data))) if data.len() > CLOSE_FRAME_BYTES => {
            return Some(close_too_big(state, sink).await);
        }
        Some(Err(error)) if too_big(&error) => return Some(close_too_big(state, sink).await),
        Some(Ok(Message::Text(text))) => {
            Metrics::inc(&state.metrics.queue_messages_in);
            if !budget.take() {
                Some(ServerMessage::error(
                    "rate_limited",
                    format!(
                        "too many messages (at most {MAX_FRAMES_PER_SEC} a second); retry in 1 s"
                    ),
                ))
            } else {
                match handle_text(state, room, fan, text.as_str()).await {
                    Ok(()) => return None,
                    Err(reply) => Some(reply),
                }
            }
        }
        Some(Ok(Message::Binary(_))) => Some(ServerMessage::error(
            "invalid_message",
            "send JSON text frames",
        )),
        Some(Ok(Message::Ping(_) | Message::Pong(_))) => None,
        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return Some(Flow::Stop),
    };
    match refusal {
        Some(refusal) => Some(reply(state, sink, refusal).await),
        None => Some(Flow::Continue),
    }
}

/// Sends `message` (an answer to a request, usually a refusal) and says whether the
/// socket goes on.
async fn reply<S: Sink<Message> + Unpin>(
    state: &AppState,
    sink: &mut S,
    message: ServerMessage,
) -> Flow {
    if matches!(message, ServerMessage::Error { .. }) {
        Metrics::inc(&state.metrics.queue_bad_messages);
    }
    match send(sink, state.slow_socket(), &message).await {
        Ok(()) => Flow::Continue,
        Err(SendError::TooSlow) => {
            too_slow(sink).await;
            Flow::Stop
        }
        Err(SendError::Closed) => Flow::Stop,
    }
}

/// Says why the socket closes (1009, message too big) and stops it. The WebSocket
/// layer can still send after it refused to read a frame.
async fn close_too_big<S: Sink<Message> + Unpin>(state: &AppState, sink: &mut S) -> Flow {
    Metrics::inc(&state.metrics.queue_bad_messages);
    let frame = CloseFrame {
        code: close_code::SIZE,
        reason: format!(
            "frames are at most {CLOSE_FRAME_BYTES} bytes; reconnect to keep your place"
        )
        .into(),
    };
    let _ = sink.send(Message::Close(Some(frame))).await;
    Flow::Stop
}

/// Whether tungstenite refused to read a frame or message over its size limit.
fn too_big(error: &axum::Error) -> bool {
    std::error::Error::source(error)
        .and_then(|e| e.downcast_ref::<tungstenite::Error>())
        .is_some_and(|e| {
            matches!(
                e,
                tungstenite::Error::Capacity(
                    tungstenite::error::CapacityError::MessageTooLong { .. }
                )
            )
        })
}

/// Handles one text frame; an error is the message to send back.
async fn handle_text(
    state: &AppState,
    room: &Room,
    fan: &Fan,
    text: &str,
) -> Result<(), ServerMessage> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(ServerMessage::error(
            "frame_too_large",
            format!("messages are at most {MAX_FRAME_BYTES} bytes"),
        ));
    }
    carry_out(state, room, fan, parse(text)?).await
}

/// Picks up the ticket the fan may hold as its first socket opens (`Room::resume`);
/// a fan bound to a presale group (a database failure there counts as none) and
/// still pre-queued joins its group's line instead, which moves it out of the public
/// pre-queue if it waited there.
async fn resume(state: &AppState, room: &Room, fan: &Fan) -> Result<(), StoreError> {
    let now = state.clock().now_ms();
    let slot = match state.events.presale_slot(room.event(), fan.user, now).await {
        Ok(slot) => slot,
        Err(error) => {
            tracing::warn!(%error, event_id = %room.event(), "presale lookup failed; resuming as a public fan");
            None
        }
    };
    if let Some(slot) = slot {
        if let FanPhase::Prequeue { .. } = room.describe(fan.user).await? {
            return room
                .join_presale(fan.user, fan.cap.as_ref(), None, slot)
                .await
                .map(drop);
        }
    }
    room.resume(fan.user, fan.cap.as_ref()).await
}

/// Carries out one request of the fan's (a frame's, or the handshake's `?join=1`); an
/// error is the message to send back.
async fn carry_out(
    state: &AppState,
    room: &Room,
    fan: &Fan,
    message: ClientMessage,
) -> Result<(), ServerMessage> {
    let result = match message {
        ClientMessage::Join => {
            Metrics::inc(&state.metrics.queue_joins);
            let now = state.clock().now_ms();
            // Staff bypass: decided from memory (the session, the replica's staff
            // cache), so a fan's join pays nothing more.
            if fan.admin || state.events.is_staff(room.event(), fan.user) {
                let (_, bypassed) = room
                    .join_staff(fan.user)
                    .await
                    .map_err(refused(state, room))?;
                if let Some(seq) = bypassed {
                    state
                        .events
                        .record_bypass(room.event(), fan.user, seq, "socket", now)
                        .await;
                }
                return Ok(());
            }
            let gate = fan.proof.as_ref().map(|p| p.gate(now));
            // Presale: an account bound to a group joins its group's line.
            let slot = state
                .events
                .presale_slot(room.event(), fan.user, now)
                .await
                .map_err(|error| {
                    tracing::warn!(%error, event_id = %room.event(), "presale lookup failed");
                    ServerMessage::error("unavailable", UNAVAILABLE)
                })?;
            let joined = match slot {
                Some(slot) => room
                    .join_presale(fan.user, fan.cap.as_ref(), gate.as_ref(), slot)
                    .await
                    .map(drop),
                None => room
                    .join_gated(fan.user, fan.cap.as_ref(), gate.as_ref())
                    .await
                    .map(drop),
            };
            if let (Err(StoreError::PowRequired { used }), Some(proof)) = (&joined, &fan.proof) {
                let (why, challenge) = state.pow.refusal(&state.keys, proof, fan.user, *used, now);
                return Err(ServerMessage::pow_required(why.to_string(), &challenge));
            }
            joined
        }
        ClientMessage::Leave => room.leave(fan.user).await,
    };
    result.map_err(refused(state, room))
}

/// The error frame for a queue operation the store refused.
fn refused<'a>(state: &'a AppState, room: &'a Room) -> impl Fn(StoreError) -> ServerMessage + 'a {
    move |error| match error {
        StoreError::Rejecting => {
            // Mode `reject`: the admin's message (the store's copy), or ours.
            let message = room.config().and_then(|c| c.admission.message);
            let message = message.unwrap_or_else(|| crate::error::REJECTING_MESSAGE.into());
            ServerMessage::error("event_rejecting", message)
        }
        StoreError::TooManyPlaces { .. } => {
            Metrics::inc(&state.metrics.rate_limited);
            let message = crate::error::ApiError::from(error).to_string();
            ServerMessage::error("too_many_places", message)
        }
        error => {
            tracing::warn!(%error, event_id = %room.event(), "queue operation failed");
            ServerMessage::error("unavailable", UNAVAILABLE)
        }
    }
}

/// Parses a fan's frame, telling malformed JSON from an unknown message type.
#[expect(
    clippy::result_large_err,
    reason = "the error is the reply itself, sent at once; a refusal is rare"
)]
pub fn parse(text: &str) -> Result<ClientMessage, ServerMessage> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ServerMessage::error("invalid_json", format!("malformed JSON: {e}")))?;
    let kind = value
        .get("type")
        .and_then(|t| t.as_str())
        .map(str::to_owned);
    serde_json::from_value(value).map_err(|_| match kind {
        Some(kind) => {
            ServerMessage::error("unknown_type", format!("unknown message type {kind:?}"))
        }
        None => ServerMessage::error("invalid_message", "a message needs a \"type\""),
    })
}

async fn send<S: Sink<Message> + Unpin>(
    sink: &mut S,
    limit: Duration,
    message: &ServerMessage,
) -> Result<(), SendError> {
    let text = serde_json::to_string(message).expect("server messages serialise");
    send_within(sink, Message::Text(text.into()), limit).await
}

/// Sends the messages of one view change as one write (each frame fed, one flush),
/// all within `limit`: a `position` and an `availability` of the same push cost one
/// system call, not two.
async fn send_all<S: Sink<Message> + Unpin>(
    sink: &mut S,
    limit: Duration,
    messages: &[ServerMessage],
) -> Result<(), SendError> {
    if messages.is_empty() {
        return Ok(());
    }
    let write = async {
        for m in messages {
            let text = serde_json::to_string(m).expect("server messages serialise");
            sink.feed(Message::Text(text.into())).await?;
        }
        sink.flush().await
    };
    match tokio::time::timeout(limit, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(SendError::Closed),
        Err(_) => Err(SendError::TooSlow),
    }
}

/// Closes a socket that did not take its messages in time (1013).
async fn too_slow<S: Sink<Message> + Unpin>(sink: &mut S) {
    close_too_slow(sink, Message::Close(Some(too_slow_frame()))).await;
}

/// A fixed one-second window of frames.
struct FrameBudget {
    window: Instant,
    used: u32,
}

impl Default for FrameBudget {
    fn default() -> Self {
        Self {
            window: Instant::now(),
            used: 0,
        }
    }
}

impl FrameBudget {
    fn take(&mut self) -> bool {
        if self.window.elapsed() >= Duration::from_secs(1) {
            self.window = Instant::now();
            self.used = 0;
        }
        self.used += 1;
        self.used <= MAX_FRAMES_PER_SEC
    }
}

#[cfg(test)]
mod tests;
