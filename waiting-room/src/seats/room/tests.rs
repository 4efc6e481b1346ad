//! Best-available's memory of seats taken, against a seat log read caught mid-way: a
//! seat held here stays skipped until a read that started after the hold has been
//! applied, never in between.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::{Notify, Semaphore};

use super::contract::Text;
use super::*;
use crate::intercept::{Intercepted, Interceptor, Op};
use crate::seats::layout::SectionLayout;
use crate::seats::memory::MemorySeatStore;
use crate::seats::store::{HoldId, HoldOutcome, HoldRequest, SeatOp};
use crate::seats::MemoryLedger;
use crate::UserId;

/// Over the embedded seat store: a log read waits for a permit once the gate is shut
/// (and says when it started waiting); log reads are counted.
struct Gate {
    reads: std::sync::atomic::AtomicUsize,
    shut: std::sync::atomic::AtomicBool,
    permits: Semaphore,
    waiting: Notify,
}

impl Interceptor for Gate {
    async fn before(&self, op: Op, _event: Option<EventId>) -> Result<(), StoreError> {
        if op == Op::Seats(SeatOp::SeatChanges) {
            self.reads.fetch_add(1, Ordering::SeqCst);
        }
        if op == Op::Seats(SeatOp::SeatChanges) && self.shut.load(Ordering::SeqCst) {
            self.waiting.notify_one();
            self.permits.acquire().await.unwrap().forget();
        }
        Ok(())
    }
}

type GatedStore = Intercepted<MemorySeatStore, Gate>;

struct Setup {
    room: Arc<SeatRoom<Text>>,
    store: Arc<GatedStore>,
    event: EventId,
}

/// One row of five seats, all free, in a loaded room.
async fn setup() -> Setup {
    let event = EventId::new();
    let layout = SeatLayout::new(vec![SectionLayout {
        name: "A".into(),
        rows: 1,
        seats_per_row: 5,
        price_cents: 100,
    }]);
    let store = Arc::new(Intercepted::new(
        Arc::new(MemorySeatStore::default()),
        Gate {
            reads: 0.into(),
            shut: false.into(),
            permits: Semaphore::new(0),
            waiting: Notify::new(),
        },
    ));
    let room = SeatRoom::load(
        event,
        layout,
        Arc::clone(&store) as Arc<dyn SeatStore>,
        Arc::new(MemoryLedger::default()),
    )
    .await
    .unwrap();
    Setup { room, store, event }
}

impl Setup {
    /// Claims the best seat, holds it in the store, and notes it as the hold path does.
    async fn hold_best(&self) -> u32 {
        let block = self
            .room
            .claim(1, None, &HashSet::new(), 1)
            .expect("a free seat");
        let request = HoldRequest {
            hold: HoldId::new(),
            user: UserId::new(),
            jti: uuid::Uuid::new_v4().to_string(),
            max_seats: 4,
            seats: block.clone(),
            ttl_ms: 60_000,
        };
        let outcome = self.store.hold(self.event, &request).await.unwrap();
        assert!(matches!(outcome, HoldOutcome::Held { .. }), "{outcome:?}");
        self.room.note_taken(&block);
        self.room.unclaim(&block);
        block[0]
    }

    /// Starts a sync whose log read waits until [`Self::open`].
    async fn start_gated_sync(&self) -> tokio::task::JoinHandle<Result<(), StoreError>> {
        self.store.interceptor().shut.store(true, Ordering::SeqCst);
        let room = Arc::clone(&self.room);
        let sync = tokio::spawn(async move { room.sync().await });
        self.store.interceptor().waiting.notified().await;
        sync
    }

    fn open(&self) {
        self.store.interceptor().shut.store(false, Ordering::SeqCst);
        self.store.interceptor().permits.add_permits(1);
    }

    /// Log reads so far.
    fn reads(&self) -> usize {
        self.store.interceptor().reads.load(Ordering::SeqCst)
    }

    fn best(&self) -> Option<u32> {
        let block = self.room.claim(1, None, &HashSet::new(), 1)?;
        self.room.unclaim(&block);
        Some(block[0])
    }
}

#[tokio::test]
async fn a_seat_held_here_is_skipped_while_a_log_read_is_under_way() {
    let s = setup().await;
    let centre = s.hold_best().await;
    assert_eq!(centre, 2, "the centre seat first");
    let sync = s.start_gated_sync().await;
    // The read has started but not been applied: the view does not show the hold yet.
    assert_eq!(s.room.counts().held, 0);
    assert_ne!(s.best(), Some(centre), "a seat held here is offered again");
    s.open();
    sync.await.unwrap().unwrap();
    assert_eq!(s.room.counts().held, 1);
    assert_ne!(s.best(), Some(centre));
}

#[tokio::test]
async fn seats_noted_taken_are_forgotten_after_the_next_whole_read() {
    let s = setup().await;
    // The store said seat 2 was taken, but it is free again by the time of the read
    // (as after a release): the first read that started after the note frees it.
    s.room.note_taken(&[2]);
    assert_ne!(s.best(), Some(2));
    let sync = s.start_gated_sync().await;
    // Noted while that read is under way: it may not be in what the read returns, so
    // it outlives this read and is forgotten by the next.
    s.room.note_taken(&[1]);
    s.open();
    sync.await.unwrap().unwrap();
    assert_eq!(
        s.best(),
        Some(2),
        "seat 2 is free in the view and forgotten"
    );
    let held = s.hold_best().await;
    assert_eq!(held, 2);
    let next = s.best();
    assert!(next != Some(1) && next != Some(2), "{next:?}");
    s.room.sync().await.unwrap();
    assert_eq!(s.best(), Some(1), "seat 1 is forgotten after a whole read");
}

/// Holds seat `seat` in the store behind the room's back (as another replica would).
async fn hold_elsewhere(s: &Setup, seat: u32) {
    let request = HoldRequest {
        hold: HoldId::new(),
        user: UserId::new(),
        jti: uuid::Uuid::new_v4().to_string(),
        max_seats: 4,
        seats: vec![seat],
        ttl_ms: 60_000,
    };
    let outcome = s.store.hold(s.event, &request).await.unwrap();
    assert!(matches!(outcome, HoldOutcome::Held { .. }), "{outcome:?}");
}

#[tokio::test]
async fn a_refresh_reads_the_log_unless_a_read_since_its_mark_was_applied() {
    let s = setup().await;
    hold_elsewhere(&s, 2).await;
    assert_eq!(s.best(), Some(2), "the view is behind the store");
    let mark = s.room.read_mark();
    s.room.refresh(mark).await.unwrap();
    assert_eq!(s.room.counts().held, 1, "read after the mark");
    assert_ne!(s.best(), Some(2));
    // A read since the mark was applied: the same mark needs no other.
    hold_elsewhere(&s, 1).await;
    let reads = s.reads();
    s.room.refresh(mark).await.unwrap();
    assert_eq!((s.reads(), s.room.counts().held), (reads, 1));
    s.room.refresh(s.room.read_mark()).await.unwrap();
    assert_eq!(s.room.counts().held, 2);
}

#[tokio::test]
async fn a_refresh_waits_for_a_read_under_way_and_reads_again_if_it_began_before_the_mark() {
    let s = setup().await;
    let sync = s.start_gated_sync().await;
    let mark = s.room.read_mark();
    let room = Arc::clone(&s.room);
    let refresh = tokio::spawn(async move { room.refresh(mark).await });
    // The read under way ends; the refresh's own read (the gate still shut) starts.
    s.store.interceptor().permits.add_permits(1);
    sync.await.unwrap().unwrap();
    s.store.interceptor().waiting.notified().await;
    assert!(!refresh.is_finished());
    s.open();
    refresh.await.unwrap().unwrap();
    // Once that read is applied, the same mark reads nothing more.
    let reads = s.reads();
    s.room.refresh(mark).await.unwrap();
    assert_eq!(s.reads(), reads);
}

#[tokio::test]
async fn a_wider_spread_picks_among_the_best_blocks() {
    let s = setup().await;
    let picks: HashSet<u32> = (0..64)
        .map(|_| {
            let block = s.room.claim(1, None, &HashSet::new(), 3).unwrap();
            s.room.unclaim(&block);
            block[0]
        })
        .collect();
    // The centre seat, then its neighbours: seats 1, 2 and 3 of 0..5.
    assert!(
        picks.len() > 1 && picks.iter().all(|p| (1..=3).contains(p)),
        "{picks:?}"
    );
    assert_eq!(s.best(), Some(2), "a spread of one: the best");
}
