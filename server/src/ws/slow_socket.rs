//! Bounds on what a socket may have queued: every send must complete within the
//! configured time (`FLOODGATE_SLOW_SOCKET_SECS`), and the write buffer has a hard
//! cap. A socket too slow to take what it is sent is closed with 1013 ("try again
//! later"): its client reconnects and starts from a fresh snapshot or state, and the
//! server never buffers for it without bound. 1013 rather than 1008 (policy
//! violation) because a slow network is no offence and reconnecting is the cure.

use std::time::Duration;

use futures_util::{Sink, SinkExt};

/// The close code for a socket that did not keep up.
pub const TOO_SLOW: u16 = 1013;
/// Its reason.
pub const TOO_SLOW_REASON: &str = "too slow to keep up; reconnect for a fresh snapshot";
/// Cap on a queue or stats socket's write buffer (their messages are under 2 KiB):
/// past it a send fails instead of growing the buffer.
pub const MAX_QUEUED_BYTES: usize = 64 * 1024;
/// How long the close frame of a too-slow socket may take before the connection is
/// simply dropped.
pub const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Why a send did not complete.
#[derive(Debug, PartialEq, Eq)]
pub enum SendError {
    /// The connection failed or closed.
    Closed,
    /// The client did not take the message in time.
    TooSlow,
}

/// Sends `message`, waiting at most `limit` for the socket to take it.
pub async fn send_within<S, M>(sink: &mut S, message: M, limit: Duration) -> Result<(), SendError>
where
    S: Sink<M> + Unpin,
{
    match tokio::time::timeout(limit, sink.send(message)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(SendError::Closed),
        Err(_) => Err(SendError::TooSlow),
    }
}

/// Tries to tell a too-slow client why it is being closed (it may be reading again),
/// for at most a short grace; the caller then drops the connection.
pub async fn close_too_slow<S, M>(sink: &mut S, close: M)
where
    S: Sink<M> + Unpin,
{
    let _ = tokio::time::timeout(CLOSE_GRACE, sink.send(close)).await;
}

/// Sends `close`, then reads (and drops) what the client still sends until its own
/// close frame, the end, or the grace runs out: dropping the connection straight away
/// would answer a late pong with a TCP reset, which discards the close frame unread
/// at the client.
pub async fn close_and_drain<S, R, M, T, E>(
    sink: &mut S,
    stream: &mut R,
    close: M,
    is_close: fn(&T) -> bool,
) where
    S: Sink<M> + Unpin,
    R: futures_util::Stream<Item = Result<T, E>> + Unpin,
{
    use futures_util::StreamExt;
    let deadline = tokio::time::Instant::now() + CLOSE_GRACE;
    if tokio::time::timeout_at(deadline, sink.send(close))
        .await
        .is_err()
    {
        return;
    }
    let _ = tokio::time::timeout_at(deadline, async {
        while let Some(Ok(m)) = stream.next().await {
            if is_close(&m) {
                break;
            }
        }
    })
    .await;
}

/// axum's close frame for a too-slow socket.
pub fn too_slow_frame() -> axum::extract::ws::CloseFrame {
    axum::extract::ws::CloseFrame {
        code: TOO_SLOW,
        reason: TOO_SLOW_REASON.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::sink;

    #[tokio::test]
    async fn a_send_that_never_completes_is_too_slow() {
        let (mut tx, _rx) = futures_channel_stub();
        tx.send(1).await.unwrap(); // fills the one-slot buffer; nobody reads
        let out = send_within(&mut tx, 2, Duration::from_millis(100)).await;
        assert_eq!(out, Err(SendError::TooSlow));
        let mut drain = sink::drain();
        assert_eq!(
            send_within(&mut drain, 3, Duration::from_secs(5)).await,
            Ok(())
        );
    }

    /// A bounded channel whose sink blocks once full.
    fn futures_channel_stub() -> (
        tokio_util::sync::PollSender<i32>,
        tokio::sync::mpsc::Receiver<i32>,
    ) {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        (tokio_util::sync::PollSender::new(tx), rx)
    }
}
