//! A room with presale groups (issue 20; docs/ARCHITECTURE.md "Presales"): each
//! pre-queued fan is shown its own line's opening, the room steps every line's opening
//! in time order, and a group's opening re-reads only that group's fans.

#[allow(dead_code)] // the clock only
mod support;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use waiting_room::clock::Clock;
use waiting_room::fan::FanPhase;
use waiting_room::intercept::{Intercepted, Interceptor, Op};
use waiting_room::room::{FanHandle, Room, RoomInfo};
use waiting_room::shuffle::ShuffleSeed;
use waiting_room::store::memory::MemoryStore;
use waiting_room::store::{QueueOp, QueueStore, StoreError};
use waiting_room::token::SigningKeys;
use waiting_room::{AdmissionSettings, EventId, PresaleOpening, QueueConfig, UserId};

/// Counts the store's ticket reads (`status`, `statuses`).
#[derive(Clone, Default)]
struct Reads(Arc<AtomicUsize>);

impl Interceptor for Reads {
    fn before(
        &self,
        op: Op,
        _event: Option<EventId>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        if matches!(op, Op::Queue(QueueOp::Status | QueueOp::Statuses)) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
        std::future::ready(Ok(()))
    }
}

fn phase(fan: &FanHandle) -> FanPhase {
    fan.views().borrow().phase.clone()
}

fn ahead(fan: &FanHandle) -> u64 {
    match phase(fan) {
        FanPhase::Queued { ahead, .. } => ahead,
        other => panic!("not queued: {other:?}"),
    }
}

/// Steps and syncs the room.
async fn step(room: &Room) {
    room.step().await.unwrap();
    room.sync().await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn each_line_opens_in_turn_and_its_fans_see_their_own_opening() {
    let clock = Arc::new(support::TokioClock::new());
    let store = Arc::new(MemoryStore::new(clock.clone()));
    let reads = Reads::default();
    let counted = Arc::new(Intercepted::new(store, reads.clone()));
    let event = EventId::new();
    let now = clock.now_ms();
    let (g1, g2, public) = (now + 1_000, now + 2_000, now + 3_000);
    let config = QueueConfig {
        presales: vec![
            PresaleOpening {
                slot: 1,
                opens_at_ms: g1,
            },
            PresaleOpening {
                slot: 2,
                opens_at_ms: g2,
            },
        ],
        starts_at_ms: public,
        grace_ms: 600_000,
        // Nobody admitted: only the openings move the line.
        admission: AdmissionSettings {
            rate_per_minute: 60,
            max_active: 0,
            session_ttl_secs: 600,
            paused: false,
            mode: Default::default(),
            message: None,
            safety_net: None,
        },
    };
    counted.configure(event, &config, false).await.unwrap();
    let (keys, _) = SigningKeys::generate();
    let room = Arc::new(Room::new(
        RoomInfo {
            event,
            max_seats: 4,
            shuffle_seed: Some(ShuffleSeed::from_bytes([3; 32])),
        },
        Some(config),
        counted,
        None,
        keys,
        clock,
    ));
    room.sync().await.unwrap(); // as the room's loop does first
    let mut fans: Vec<(u8, FanHandle)> = Vec::new();
    for slot in [1, 0, 2, 1, 0, 2] {
        let fan = room.connect(UserId::new()).await.unwrap();
        let phase = if slot == 0 {
            room.join(fan.user(), None).await.unwrap();
            phase(&fan)
        } else {
            room.join_presale(fan.user(), None, None, slot)
                .await
                .unwrap()
        };
        let opening = [public, g1, g2][usize::from(slot)];
        assert!(
            matches!(phase, FanPhase::Prequeue { starts_at_ms, slot: s, .. }
                if starts_at_ms == opening && s == slot),
            "a fan of line {slot} counts down to its own opening: {phase:?}"
        );
        assert_eq!(phase, self::phase(&fan));
        fans.push((slot, fan));
    }
    let of = |slot: u8| fans.iter().filter(move |f| f.0 == slot).map(|f| &f.1);

    // Group 1's opening: its fans queue, the others still count down.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    step(&room).await;
    assert!(room.opened(), "admission runs from the first opening");
    assert!(room.line_opened(1) && !room.line_opened(2) && !room.line_opened(0));
    let first: Vec<u64> = of(1).map(ahead).collect();
    let mut sorted = first.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, [0, 1]);
    for fan in of(0).chain(of(2)) {
        assert!(matches!(phase(fan), FanPhase::Prequeue { .. }));
    }
    // A public fan joining now waits for the public opening, and nothing more is
    // read: no re-reading of the fans whose line has not opened.
    let late = room.connect(UserId::new()).await.unwrap();
    room.join(late.user(), None).await.unwrap();
    assert!(matches!(
        phase(&late),
        FanPhase::Prequeue { starts_at_ms, slot: 0, .. } if starts_at_ms == public
    ));
    let before = reads.0.load(Ordering::Relaxed);
    for _ in 0..3 {
        step(&room).await;
        room.push_positions();
    }
    assert_eq!(
        reads.0.load(Ordering::Relaxed),
        before,
        "no re-reads while other lines wait"
    );

    // Group 2 then the public line, each behind everyone: nobody's place rises.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    step(&room).await;
    room.push_positions();
    assert_eq!(of(1).map(ahead).collect::<Vec<_>>(), first);
    let mut second: Vec<u64> = of(2).map(ahead).collect();
    second.sort_unstable();
    assert_eq!(second, [2, 3]);
    assert!(matches!(
        phase(of(0).next().unwrap()),
        FanPhase::Prequeue { starts_at_ms, slot: 0, .. } if starts_at_ms == public
    ));
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    step(&room).await;
    room.push_positions();
    assert_eq!(of(1).map(ahead).collect::<Vec<_>>(), first);
    let mut last: Vec<u64> = of(0).map(ahead).chain([ahead(&late)]).collect();
    last.sort_unstable();
    assert_eq!(last, [4, 5, 6]);
    assert!(
        room.line_opened(0),
        "the public draw done: its seed may be published"
    );
}
