//! The room's messages: a [`SeatEncoder`] (the server's JSON) turns seat states into
//! the snapshot and delta messages, each encoded once and shared; a [`Snapshot`] is
//! one such encoding of every seat, reused while fresh enough.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::seats::store::SeatState;
use crate::seats::SeatLayout;

/// An HTTP snapshot is reused, though the view moved on, while younger than this many
/// times its build time...
pub const REUSE_FACTOR: u32 = 4;
/// ...and at most this long (the seat map's `Cache-Control: max-age`).
pub const MAX_STALE: Duration = Duration::from_secs(1);

/// How a room's states become messages. Each message is encoded once and cloned to
/// every subscriber, so [`Self::Message`] should be a cheap clone of one buffer.
pub trait SeatEncoder: Send + Sync + 'static {
    type Message: Clone + std::fmt::Debug + Send + Sync + 'static;

    /// A snapshot of every seat (`states`, one [`SeatState`] byte per seat), in the
    /// full or the compact format. Runs on the blocking pool.
    fn snapshot(layout: &SeatLayout, states: &[u8], compact: bool) -> Self::Message;

    /// The seats whose states changed, with their new states.
    fn delta(layout: &SeatLayout, changes: &[(u32, SeatState)]) -> Self::Message;
}

/// One encoded snapshot of the seats.
pub struct Snapshot<M> {
    /// The view generation it shows.
    pub generation: u64,
    built: Instant,
    /// How long it took to build.
    took: Duration,
    /// The seat stream's snapshot message.
    pub message: M,
    /// Another encoding of it made at most once, at its first use (the server's
    /// gzipped HTTP body).
    derived: tokio::sync::OnceCell<bytes::Bytes>,
}

impl<M> Snapshot<M> {
    /// `message`, showing view generation `generation`, built from `started` on.
    pub(super) fn new(generation: u64, message: M, started: Instant) -> Self {
        Self {
            generation,
            built: Instant::now(),
            took: started.elapsed(),
            message,
            derived: tokio::sync::OnceCell::new(),
        }
    }

    /// Whether it may be answered when the view is at generation `current`: if it
    /// shows that generation, or (with `stale_ok`) while it is younger than
    /// [`REUSE_FACTOR`] times what it took to build, and at most [`MAX_STALE`].
    pub(super) fn reusable(&self, current: u64, stale_ok: bool) -> bool {
        let young = self.built.elapsed() < (self.took * REUSE_FACTOR).min(MAX_STALE);
        self.generation == current || (stale_ok && young)
    }

    /// The derived encoding: made by `make` the first time, shared after.
    pub async fn derived<F, Fut>(&self, make: F) -> bytes::Bytes
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = bytes::Bytes>,
    {
        self.derived.get_or_init(make).await.clone()
    }
}
