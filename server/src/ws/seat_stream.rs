//! One seat-stream socket: the snapshot, then every delta the room broadcasts (at
//! most every 100 ms). Bounded however slowly the client reads:
//! - snapshots and deltas are the room's shared buffers, and a message longer than
//!   [`FRAME_BYTES`] goes out as several frames sliced from that buffer, each sent
//!   only once the last one was taken, so a socket has at most one frame queued (a
//!   whole snapshot of a million-seat venue is 1 to 18 MB; a frame is 16 KiB);
//! - every frame must be taken within the slow-socket time, and of the pings sent
//!   every slow-socket time at most two may go unanswered (the client sent nothing
//!   since); otherwise the socket is closed with 1013 and its client resyncs from a
//!   fresh snapshot on reconnect;
//! - a subscriber that lags behind the broadcast gets a fresh (shared) snapshot.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Sink, Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;
use ws_protocol::tungstenite::protocol::frame::coding::{Data, OpCode};
use ws_protocol::tungstenite::protocol::frame::{CloseFrame, Frame};
use ws_protocol::tungstenite::{Message, Utf8Bytes};

use crate::checkout::{SeatEvent, SeatRoom};
use crate::state::AppState;
use crate::ws::slow_socket::{
    close_and_drain, close_too_slow, send_within, SendError, TOO_SLOW, TOO_SLOW_REASON,
};

/// Largest frame the stream sends; longer messages are fragmented.
pub const FRAME_BYTES: usize = 16 * 1024;
/// Cap on the socket's write buffer: one frame and a few control frames. Past it a
/// send fails instead of growing the buffer.
pub const MAX_QUEUED_BYTES: usize = 4 * FRAME_BYTES;
/// The socket's limits: a small read buffer, client frames of 4096 bytes at most,
/// one frame of ours (and a few control frames) queued.
pub const LIMITS: super::SocketLimits = super::SocketLimits {
    read_buffer: Some(super::READ_BUFFER_BYTES),
    max_frame: Some(4096),
    max_message: 4096,
    max_queued: MAX_QUEUED_BYTES,
};
/// The stream's last message when its sale closes (the queue's `ClosedMessage`).
pub const CLOSED_MESSAGE: &str = r#"{"type":"closed"}"#;
/// Pings (one every slow-socket time) a client may leave unanswered before it is
/// closed as too slow.
const UNANSWERED_PINGS: u32 = 2;

/// Streams `room`'s seats to `socket` until either side closes, the socket is too
/// slow, or the server shuts down.
pub async fn run<S, E>(state: AppState, mut room: Arc<SeatRoom>, compact: bool, socket: S)
where
    S: Sink<Message, Error = E> + Stream<Item = Result<Message, E>> + Unpin,
{
    let slow = state.slow_socket();
    let (mut sink, mut stream) = socket.split();
    let mut deltas = room.subscribe();
    if room.is_closed() {
        // Closed after the upgrade was granted: no snapshot, only the end.
        return end_closed(&mut sink, &mut stream, slow).await;
    }
    let first = room.snapshot_message(compact).await;
    if let Err(e) = send_text(&mut sink, first, slow).await {
        return end(&mut sink, &mut stream, e).await;
    }
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + slow, slow);
    // After a long send, tick once, not once per missed period.
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Pings sent since the client last sent anything.
    let mut unanswered = 0u32;
    loop {
        tokio::select! {
            _ = state.shutdown.cancelled() => {
                let restart = crate::ws::restart_frame();
                let frame = CloseFrame { code: restart.code.into(), reason: restart.reason.as_str().into() };
                close_too_slow(&mut sink, Message::Close(Some(frame))).await;
                return;
            }
            () = room.closed() => return end_closed(&mut sink, &mut stream, slow).await,
            delta = deltas.recv() => {
                let sent = match delta {
                    Ok(SeatEvent::Delta(text)) => send_text(&mut sink, text, slow).await,
                    Ok(SeatEvent::Reset) | Err(RecvError::Lagged(_)) => {
                        send_text(&mut sink, room.snapshot_message(compact).await, slow).await
                    }
                    Ok(SeatEvent::Replaced) => match state.checkout.running(room.event()) {
                        Some(next) => {
                            room = next;
                            deltas = room.subscribe();
                            send_text(&mut sink, room.snapshot_message(compact).await, slow).await
                        }
                        // No room for the event here now: the client reconnects.
                        None => {
                            let restart = crate::ws::restart_frame();
                            let frame = CloseFrame { code: restart.code.into(), reason: restart.reason.as_str().into() };
                            close_too_slow(&mut sink, Message::Close(Some(frame))).await;
                            return;
                        }
                    },
                    Err(RecvError::Closed) => return,
                };
                if let Err(e) = sent {
                    return end(&mut sink, &mut stream, e).await;
                }
            }
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                // Any frame (a pong, or anything else) shows the client reads.
                Some(Ok(_)) => unanswered = 0,
            },
            _ = ping.tick() => {
                // A pong may queue behind what the client has still to read: it has
                // two periods to answer.
                if unanswered >= UNANSWERED_PINGS {
                    return end(&mut sink, &mut stream, SendError::TooSlow).await;
                }
                unanswered += 1;
                if let Err(e) = send_within(&mut sink, Message::Ping(Bytes::new()), slow).await {
                    return end(&mut sink, &mut stream, e).await;
                }
            }
        }
    }
}

/// Sends one text message, in frames of at most [`FRAME_BYTES`] sliced from `text`
/// (no copy), each within `slow`.
pub async fn send_text<S: Sink<Message> + Unpin>(
    sink: &mut S,
    text: Utf8Bytes,
    slow: Duration,
) -> Result<(), SendError> {
    if text.len() <= FRAME_BYTES {
        return send_within(sink, Message::Text(text), slow).await;
    }
    let bytes = Bytes::from(text);
    let mut at = 0;
    while at < bytes.len() {
        let end = bytes.len().min(at + FRAME_BYTES);
        let opcode = if at == 0 { Data::Text } else { Data::Continue };
        let frame = Frame::message(
            bytes.slice(at..end),
            OpCode::Data(opcode),
            end == bytes.len(),
        );
        send_within(sink, Message::Frame(frame), slow).await?;
        at = end;
    }
    Ok(())
}

/// The sale closed: `{"type":"closed"}`, then a normal close (1000, `this sale is
/// closed`), as the queue socket ends; there is nothing to reconnect to.
async fn end_closed<S, R, E>(sink: &mut S, stream: &mut R, slow: Duration)
where
    S: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, E>> + Unpin,
{
    if send_within(sink, Message::Text(CLOSED_MESSAGE.into()), slow)
        .await
        .is_err()
    {
        return;
    }
    let frame = crate::ws::sale_closed_frame();
    let frame = CloseFrame {
        code: frame.code.into(),
        reason: frame.reason.as_str().into(),
    };
    close_and_drain(sink, stream, Message::Close(Some(frame)), |m: &Message| {
        matches!(m, Message::Close(_))
    })
    .await;
}

async fn end<S, R, E>(sink: &mut S, stream: &mut R, why: SendError)
where
    S: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, E>> + Unpin,
{
    if why == SendError::TooSlow {
        let frame = CloseFrame {
            code: TOO_SLOW.into(),
            reason: TOO_SLOW_REASON.into(),
        };
        close_and_drain(sink, stream, Message::Close(Some(frame)), |m: &Message| {
            matches!(m, Message::Close(_))
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::SinkExt;

    #[tokio::test]
    async fn long_messages_go_out_as_frames_that_reassemble() {
        let text: String = (0..FRAME_BYTES * 2 + 10)
            .map(|i| (b'a' + (i % 26) as u8) as char)
            .collect();
        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        let mut sink = tokio_util::sync::PollSender::new(tx).sink_map_err(|_| ());
        send_text(&mut sink, text.clone().into(), Duration::from_secs(1))
            .await
            .unwrap();
        drop(sink);
        let mut frames = Vec::new();
        while let Some(m) = rx.recv().await {
            frames.push(m);
        }
        assert_eq!(frames.len(), 3);
        let mut joined = Vec::new();
        for (i, m) in frames.into_iter().enumerate() {
            let Message::Frame(f) = m else {
                panic!("{m:?}")
            };
            let want = if i == 0 { Data::Text } else { Data::Continue };
            assert_eq!(f.header().opcode, OpCode::Data(want));
            assert_eq!(f.header().is_final, i == 2);
            joined.extend_from_slice(f.payload());
        }
        assert_eq!(joined, text.as_bytes());
        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        let mut sink = tokio_util::sync::PollSender::new(tx).sink_map_err(|_| ());
        send_text(&mut sink, "short".into(), Duration::from_secs(1))
            .await
            .unwrap();
        assert!(matches!(rx.recv().await, Some(Message::Text(t)) if t == "short"));
    }
}
