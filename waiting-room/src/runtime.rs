//! One registry of per-event loops: a replica runs one loop per open event for its
//! queue rooms ([`crate::hub::Hub`]) and one for its seat rooms (the server's
//! checkout). This keeps them the same way: keyed by [`EventId`], each loop stopped by
//! its own [`CancellationToken`] (a child of the registry's, so [`Runtime::shutdown`]
//! stops them all), and an event whose room fails to start retried at the next
//! [`Runtime::sync`] without keeping the others from running.
//!
//! A loop is stopped at whatever `.await` it is in: the registry runs it under
//! [`CancellationToken::run_until_cancelled`], so a loop stuck in a slow store call
//! does not outlive its event. The token is also handed to the loop, which may watch it
//! itself.

use std::collections::{HashMap, HashSet};
use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio_util::sync::CancellationToken;

use crate::EventId;

type Loop = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;
type StartLoop<R> = Box<dyn Fn(Arc<R>, CancellationToken) -> Loop + Send + Sync>;

/// The running loops of one kind of per-event room `R`.
pub struct Runtime<R> {
    /// What the rooms are called in logs ("room", "seat room").
    name: &'static str,
    start: StartLoop<R>,
    /// A `std` mutex: held only to look up, insert or remove, never across `.await`.
    rooms: Mutex<HashMap<EventId, Running<R>>>,
    stop: CancellationToken,
}

struct Running<R> {
    room: Arc<R>,
    stop: CancellationToken,
}

impl<R: Send + Sync + 'static> Runtime<R> {
    /// A registry whose rooms each run `run(room, stop)` on a task of their own.
    pub fn new<F, Fut>(name: &'static str, run: F) -> Self
    where
        F: Fn(Arc<R>, CancellationToken) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Self {
            name,
            start: Box::new(move |room, stop| Box::pin(run(room, stop))),
            rooms: Mutex::default(),
            stop: CancellationToken::new(),
        }
    }

    /// The running room of `event`, if any.
    pub fn get(&self, event: EventId) -> Option<Arc<R>> {
        self.lock().get(&event).map(|r| Arc::clone(&r.room))
    }

    /// The events with a running room.
    pub fn events(&self) -> HashSet<EventId> {
        self.lock().keys().copied().collect()
    }

    /// The room of `event`, started with `load` if none runs. `load` runs with no
    /// lock held; if another caller started the room meanwhile, theirs is kept and
    /// returned. A failed load starts nothing (a later call tries again).
    pub async fn ensure<E, L, Fut>(&self, event: EventId, load: L) -> Result<Arc<R>, E>
    where
        L: FnOnce() -> Fut,
        Fut: Future<Output = Result<Arc<R>, E>>,
    {
        if let Some(room) = self.get(event) {
            return Ok(room);
        }
        let room = load().await?;
        let mut rooms = self.lock();
        if let Some(running) = rooms.get(&event) {
            return Ok(Arc::clone(&running.room));
        }
        // A child of the registry's token: already cancelled after a shutdown, so a
        // room started late stops at once.
        let stop = self.stop.child_token();
        let run = (self.start)(Arc::clone(&room), stop.clone());
        let guard = stop.clone();
        tokio::spawn(async move {
            guard.run_until_cancelled(run).await;
        });
        rooms.insert(
            event,
            Running {
                room: Arc::clone(&room),
                stop,
            },
        );
        Ok(room)
    }

    /// How many rooms run (one per event).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no room runs.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stops and forgets the room of `event`, returning it (if one ran).
    pub fn stop(&self, event: EventId) -> Option<Arc<R>> {
        let running = self.lock().remove(&event)?;
        running.stop.cancel();
        Some(running.room)
    }

    /// Stops the rooms of events not in `keep`, forgets them, and returns them (their
    /// owners may tell whoever still holds them, e.g. sockets, that they stopped).
    pub fn retain(&self, keep: &HashSet<EventId>) -> Vec<Arc<R>> {
        self.stop_where(|event| !keep.contains(event))
    }

    fn stop_where(&self, stop: impl Fn(&EventId) -> bool) -> Vec<Arc<R>> {
        let mut stopped = Vec::new();
        self.lock().retain(|event, running| {
            if !stop(event) {
                return true;
            }
            running.stop.cancel();
            stopped.push(Arc::clone(&running.room));
            false
        });
        stopped
    }

    /// Brings the rooms in line with `wanted`: each listed event's future (usually a
    /// call that ends in [`Self::ensure`]) is awaited in turn, and the rooms of events
    /// in `known` but not listed are stopped. `known` is the caller's
    /// [`Self::events`] taken *before* it read its list: a room started since (an event
    /// created after the list was read) is not in the list but is not stale either, and
    /// is left running. One event failing to start is logged and does not keep the
    /// others from running; the next sync tries it again. Returns the rooms stopped.
    pub async fn sync<E, Fut>(
        &self,
        wanted: impl IntoIterator<Item = (EventId, Fut)>,
        known: &HashSet<EventId>,
    ) -> Vec<Arc<R>>
    where
        E: Display,
        Fut: Future<Output = Result<Arc<R>, E>>,
    {
        let mut keep = HashSet::new();
        for (event, start) in wanted {
            keep.insert(event);
            if let Err(error) = start.await {
                tracing::warn!(%error, %event, "{} did not start; retrying next refresh", self.name);
            }
        }
        self.stop_where(|event| known.contains(event) && !keep.contains(event))
    }

    /// Stops every room's loop (the rooms stay readable).
    pub fn shutdown(&self) {
        self.stop.cancel();
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<EventId, Running<R>>> {
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<R> Drop for Runtime<R> {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

#[cfg(test)]
mod tests;
