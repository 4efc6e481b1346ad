//! A replica's waiting-room runtime: one [`Room`] per event, each with its own loop.
//! The server tells the hub which events exist ([`Hub::sync_events`]); the hub makes
//! sure each has a configured queue in the store and a running room.

use std::collections::HashSet;
use std::sync::Arc;

use crate::clock::Clock;
use crate::room::driver::Driven;
use crate::room::{Cadence, Room, RoomInfo, StepHook};
use crate::runtime::Runtime;
use crate::seats::SeatStore;
use crate::store::{QueueStore, ReplicaId, StoreError};
use crate::token::SigningKeys;
use crate::{EventId, QueueConfig};

/// The rooms of this replica.
pub struct Hub {
    store: Arc<dyn QueueStore>,
    seats: Option<Arc<dyn SeatStore>>,
    keys: SigningKeys,
    clock: Arc<dyn Clock>,
    rooms: Runtime<Room>,
    cadence: Cadence,
    /// This process in the store's presence bookkeeping, shared by its rooms.
    replica: ReplicaId,
}

impl Hub {
    pub fn new(
        store: Arc<dyn QueueStore>,
        seats: Option<Arc<dyn SeatStore>>,
        keys: SigningKeys,
        clock: Arc<dyn Clock>,
        cadence: Cadence,
    ) -> Self {
        Self {
            store,
            seats,
            keys,
            clock,
            rooms: Runtime::new("room", move |room: Arc<Room>, stop| room.run(cadence, stop)),
            cadence,
            replica: ReplicaId::random(),
        }
    }

    /// This process's replica id (random per start) in the store's presence
    /// bookkeeping.
    pub fn replica(&self) -> &ReplicaId {
        &self.replica
    }

    /// Every room started from now on tells `hook` how long its admission steps take.
    /// Call it before any room runs (a builder step).
    pub fn with_step_hook(mut self, hook: StepHook) -> Self {
        let cadence = self.cadence;
        self.rooms = Runtime::new("room", move |room: Arc<Room>, stop| {
            room.run_with(cadence, Some(hook.clone()), stop)
        });
        self
    }

    pub fn store(&self) -> &Arc<dyn QueueStore> {
        &self.store
    }

    pub fn keys(&self) -> &SigningKeys {
        &self.keys
    }

    /// The clock rooms read (server time for stats and samples).
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The running room of `event`, if any.
    pub fn room(&self, event: EventId) -> Option<Arc<Room>> {
        self.rooms.get(event)
    }

    /// Makes sure `event` has a queue in the store (seeding `config` only where the
    /// store has none, e.g. after a Redis flush or an embedded restart) and a running
    /// room on this replica.
    pub async fn ensure(
        &self,
        info: RoomInfo,
        config: &QueueConfig,
    ) -> Result<Arc<Room>, StoreError> {
        // A running room re-seeds its event itself if the store loses it (with its
        // view of the queue and its fans' places, `Room::restore`); re-seeding it
        // here from the bare configuration could open an empty queue first.
        let room = self
            .rooms
            .ensure(info.event, || async {
                self.store.configure(info.event, config, true).await?;
                Ok::<_, StoreError>(Arc::new(
                    Room::new(
                        info,
                        Some(config.clone()),
                        Arc::clone(&self.store),
                        self.seats.clone(),
                        self.keys.clone(),
                        Arc::clone(&self.clock),
                    )
                    .with_replica(self.replica.clone()),
                ))
            })
            .await?;
        room.set_max_seats(info.max_seats);
        Ok(room)
    }

    /// Ensures a room for each listed event and stops the rooms of events no longer
    /// listed (closed or deleted) among `known` (the rooms running before the caller
    /// read its list: a room started since, for an event created meanwhile, is kept),
    /// closing them ([`Room::close`]): their sockets tell their fans `closed` and end,
    /// and the room's memory goes with the last of them. One event failing does not
    /// keep the others from running.
    pub async fn sync_events(
        &self,
        events: &[(RoomInfo, QueueConfig)],
        known: &HashSet<EventId>,
    ) -> Result<(), StoreError> {
        // Collected first: a lazy iterator's closure in the future trips the
        // compiler's `Send` check for spawned callers.
        let wanted: Vec<_> = events
            .iter()
            .map(|(info, config)| (info.event, self.ensure(*info, config)))
            .collect();
        for room in self.rooms.sync(wanted, known).await {
            room.close();
        }
        Ok(())
    }

    /// Stops and closes the room of `event` now, if one runs here (a sale closed on
    /// this replica; the others follow at their next [`Self::sync_events`]).
    pub fn close(&self, event: EventId) {
        if let Some(room) = self.rooms.stop(event) {
            room.close();
        }
    }

    /// The events whose rooms run on this replica.
    pub fn running_events(&self) -> Vec<EventId> {
        self.rooms.events().into_iter().collect()
    }

    /// How many rooms run on this replica.
    pub fn running_rooms(&self) -> usize {
        self.rooms.len()
    }

    /// Writes every room's presence changes now, before the rooms stop (the drain:
    /// the sockets it just closed start their grace from now, not from the end of
    /// this replica's lease). A room that fails is logged and skipped.
    pub async fn flush_presence(&self) {
        for event in self.running_events() {
            let Some(room) = self.rooms.get(event) else {
                continue;
            };
            let beat = room.heartbeat_cap().map_or(self.cadence.heartbeat, |cap| {
                self.cadence.heartbeat.min(cap)
            });
            if let Err(error) = room.write_presence(false, beat).await {
                tracing::warn!(%error, %event, "presence write at the stop failed");
            }
        }
    }

    /// Stops every room loop.
    pub fn shutdown(&self) {
        self.rooms.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::store::memory::MemoryStore;
    use crate::AdmissionSettings;

    fn event() -> (RoomInfo, QueueConfig) {
        let info = RoomInfo {
            event: EventId::new(),
            max_seats: 4,
            shuffle_seed: None,
        };
        let config = QueueConfig {
            presales: Vec::new(),
            starts_at_ms: 0,
            grace_ms: 60_000,
            admission: AdmissionSettings {
                rate_per_minute: 60,
                max_active: 10,
                session_ttl_secs: 600,
                paused: false,
                mode: Default::default(),
                message: None,
                safety_net: None,
            },
        };
        (info, config)
    }

    #[tokio::test(start_paused = true)]
    async fn listed_events_get_a_configured_room_and_unlisted_ones_lose_theirs() {
        let store: Arc<dyn QueueStore> = Arc::new(MemoryStore::default());
        let (keys, _) = SigningKeys::generate();
        let hub = Hub::new(
            Arc::clone(&store),
            None,
            keys,
            Arc::new(SystemClock),
            Cadence::default(),
        );
        let (a, b) = (event(), event());
        hub.sync_events(&[a.clone(), b.clone()], &HashSet::new())
            .await
            .unwrap();
        for (info, config) in [a.clone(), b.clone()] {
            assert_eq!(store.config(info.event).await.unwrap(), Some(config));
            assert_eq!(hub.room(info.event).unwrap().event(), info.event);
        }
        let room = hub.room(a.0.event).unwrap();
        assert!(Arc::ptr_eq(&room, &hub.ensure(a.0, &a.1).await.unwrap()));

        assert_eq!(hub.running_rooms(), 2);
        assert!(!room.is_closed());
        let known: HashSet<EventId> = hub.running_events().into_iter().collect();
        hub.sync_events(std::slice::from_ref(&b), &known)
            .await
            .unwrap();
        assert!(room.is_closed(), "a stopped room tells its sockets");
        assert_eq!(hub.running_rooms(), 1);
        assert!(hub.room(a.0.event).is_none());
        assert!(hub.room(b.0.event).is_some());
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        assert_eq!(Arc::strong_count(&room), 1, "its loop stopped");
    }

    #[tokio::test]
    async fn the_stop_writes_the_sockets_just_closed_so_their_grace_runs_from_now() {
        let clock = crate::clock::ManualClock::new(crate::clock::now_ms());
        let store: Arc<dyn QueueStore> = Arc::new(MemoryStore::new(Arc::new(clock.clone())));
        let (keys, _) = SigningKeys::generate();
        // Loops that tick once at the start and then not for an hour.
        let hour = std::time::Duration::from_secs(3_600);
        let cadence = Cadence {
            poll: hour,
            admit: hour,
            position: hour,
            heartbeat: hour,
        };
        let hub = Hub::new(
            Arc::clone(&store),
            None,
            keys,
            Arc::new(clock.clone()),
            cadence,
        );
        let (info, mut config) = event();
        config.starts_at_ms = clock.now_ms() - 1;
        config.admission.max_active = 0; // nobody admitted: presence alone decides
        let room = hub.ensure(info, &config).await.unwrap();
        room.sync().await.unwrap();
        room.step().await.unwrap(); // opens the sale
        let fan = room.connect(crate::UserId::new()).await.unwrap();
        let user = fan.user();
        room.join(user, None).await.unwrap();
        room.heartbeat().await.unwrap(); // covered; the lease lasts 30 s
        drop(fan); // the drain closes its socket
        hub.flush_presence().await;
        hub.shutdown();
        // 61 s: past the grace from the close (without the write, the grace would run
        // from the lease's end, 90 s).
        clock.advance(61_000);
        let out = store.admit(info.event, Some(0)).await.unwrap();
        assert_eq!(out.dropped, 1);
        let state = store.status(info.event, user).await.unwrap().unwrap().state;
        assert_eq!(state, crate::store::TicketState::Left);
    }
}
