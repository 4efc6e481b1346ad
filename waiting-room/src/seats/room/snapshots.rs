//! The room's shared snapshots: the latest one per format, encoded once on the
//! blocking pool and shared by every socket and HTTP answer, with the validator
//! (`ETag`) that names it.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use super::encode::{SeatEncoder, Snapshot};
use super::SeatRoom;

impl<E: SeatEncoder> SeatRoom<E> {
    /// The snapshot message in the given format, as of now: the shared copy if the
    /// view has not changed since it was built.
    pub async fn snapshot_message(&self, compact: bool) -> E::Message {
        self.snapshot(compact, false).await.message.clone()
    }

    /// The shared snapshot in the given format: the cached one if the view has not
    /// changed since it was built, else a new one. With `stale_ok` (HTTP, where the
    /// answer says how old it may be; a socket needs the latest, as its deltas follow),
    /// also the cached one while it is younger than
    /// [`REUSE_FACTOR`](super::REUSE_FACTOR) times what it took to build, and at most
    /// [`MAX_STALE`](super::MAX_STALE): on a busy sale a big map is then rebuilt for
    /// HTTP at most a fifth of the time, while a small one (built in a millisecond)
    /// stays as fresh as the view.
    pub async fn snapshot(&self, compact: bool, stale_ok: bool) -> Arc<Snapshot<E::Message>> {
        let mut cached = self.snapshots[usize::from(compact)].lock().await;
        let current = self.generation.load(Ordering::Acquire);
        if let Some(snapshot) = cached.as_ref().filter(|s| s.reusable(current, stale_ok)) {
            return Arc::clone(snapshot);
        }
        let started = Instant::now();
        let (generation, states) = {
            let v = self.read();
            (self.generation.load(Ordering::Acquire), v.states().to_vec())
        };
        let layout = self.layout.clone();
        let message = tokio::task::spawn_blocking(move || E::snapshot(&layout, &states, compact))
            .await
            .expect("the blocking pool runs while the runtime does");
        self.encodings.fetch_add(1, Ordering::Relaxed);
        let snapshot = Arc::new(Snapshot::new(generation, message, started));
        *cached = Some(Arc::clone(&snapshot));
        snapshot
    }

    /// A validator for `snapshot`, unique to this room: its random nonce and the generation.
    pub fn etag(&self, snapshot: &Snapshot<E::Message>) -> String {
        format!("W/\"{:016x}-{}\"", self.nonce, snapshot.generation)
    }

    /// Snapshots encoded so far, both formats (a test's and a profiler's figure).
    pub fn encodings(&self) -> u64 {
        self.encodings.load(Ordering::Relaxed)
    }
}
