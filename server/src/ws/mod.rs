//! The server's WebSocket sessions, and what they share: the one upgrade
//! ([`upgrade::open`]), the slow-socket rules, the read buffer each socket keeps and
//! the close frames (shutdown, revoked session, closed sale).
//!
//! - [`queue_session`]: one fan's place in line (axum's `WebSocket`);
//! - [`seat_stream`]: an event's seats, snapshot then deltas (raw frames, [`raw`]);
//! - [`stats_stream`]: an admin's live stats, once a second.

pub mod queue_session;
pub mod raw;
pub mod seat_stream;
pub mod slow_socket;
pub mod stats_stream;
pub mod upgrade;

pub use upgrade::{open, SocketLimits, WsUpgrade};

use axum::extract::ws::CloseFrame;

/// Read buffer of each queue (and seat stream) socket. Fans send a few tiny frames;
/// tungstenite keeps its read buffer for the socket's life (and zeroes it on every
/// read), so 1 KiB instead of 128 KiB (its default) or 4 KiB is most of what a
/// waiting socket costs. Longer frames still arrive whole.
pub const READ_BUFFER_BYTES: usize = 1024;

/// Close frame sent to every socket when the server shuts down (1012: restarting).
/// Closes a socket whose session was revoked (signed out, password changed, signed
/// out everywhere): 1008 (policy violation), as the session no longer allows it.
pub fn session_ended_frame() -> CloseFrame {
    CloseFrame {
        code: 1008,
        reason: "session ended; sign in again".into(),
    }
}

pub fn restart_frame() -> CloseFrame {
    CloseFrame {
        code: 1012,
        reason: "server restarting; reconnect to keep your place".into(),
    }
}

/// Closes a queue socket whose sale closed, after its `closed` message: 1000 (normal),
/// as there is nothing to reconnect to.
pub fn sale_closed_frame() -> CloseFrame {
    CloseFrame {
        code: 1000,
        reason: "this sale is closed".into(),
    }
}
