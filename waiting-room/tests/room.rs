//! A room on the memory store, driven tick by tick: store calls per tick do not grow
//! with the number of local fans, positions are right and never rise, admissions
//! reach the right fans with verifiable tokens.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use waiting_room::clock::{Clock, ManualClock};
use waiting_room::fan::FanPhase;
use waiting_room::intercept::{Intercepted, Interceptor, Op};
use waiting_room::room::{Cadence, FanHandle, Room, RoomInfo};
use waiting_room::store::memory::MemoryStore;
use waiting_room::store::*;
use waiting_room::token::SigningKeys;
use waiting_room::{AdmissionSettings, EventId, QueueConfig, UserId};

/// Counts every call to the store but the clock's and readiness'.
#[derive(Default)]
struct Counting {
    calls: AtomicUsize,
}

impl Interceptor for Counting {
    async fn before(&self, op: Op, _event: Option<EventId>) -> Result<(), StoreError> {
        if !matches!(op, Op::Queue(QueueOp::NowMs | QueueOp::Ping)) {
            self.calls.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

struct Setup {
    clock: ManualClock,
    store: Arc<Intercepted<MemoryStore, Counting>>,
    room: Arc<Room>,
    keys: SigningKeys,
    event: EventId,
}

async fn setup(rate_per_minute: u32, max_active: u32) -> Setup {
    let clock = ManualClock::new(waiting_room::clock::now_ms());
    let store = Arc::new(Intercepted::new(
        Arc::new(MemoryStore::new(Arc::new(clock.clone()))),
        Counting::default(),
    ));
    let event = EventId::new();
    let config = QueueConfig {
        presales: Vec::new(),
        starts_at_ms: clock.now_ms() - 1,
        grace_ms: 60_000,
        admission: AdmissionSettings {
            rate_per_minute,
            max_active,
            session_ttl_secs: 600,
            paused: false,
            mode: Default::default(),
            message: None,
            safety_net: None,
        },
    };
    store.configure(event, &config, false).await.unwrap();
    let (keys, _) = SigningKeys::generate();
    let room = Arc::new(Room::new(
        RoomInfo {
            event,
            max_seats: 4,
            shuffle_seed: None,
        },
        Some(config),
        store.clone(),
        None,
        keys.clone(),
        Arc::new(clock.clone()),
    ));
    room.sync().await.unwrap();
    room.step().await.unwrap(); // opens the sale
    room.sync().await.unwrap();
    Setup {
        clock,
        store,
        room,
        keys,
        event,
    }
}

async fn join_fans(s: &Setup, n: usize) -> Vec<FanHandle> {
    let mut fans = Vec::new();
    for _ in 0..n {
        let fan = s.room.connect(UserId::new()).await.unwrap();
        s.room.join(fan.user(), None).await.unwrap();
        fans.push(fan);
    }
    fans
}

/// One tick of a room's loop; returns the store calls it made.
async fn tick(s: &Setup) -> usize {
    let before = s.store.interceptor().calls.load(Ordering::SeqCst);
    s.room.sync().await.unwrap();
    s.room.step().await.unwrap();
    s.room.sync().await.unwrap();
    s.room.push_positions();
    s.room.heartbeat().await.unwrap();
    s.store.interceptor().calls.load(Ordering::SeqCst) - before
}

fn ahead(fan: &FanHandle) -> Option<u64> {
    match &fan.views().borrow().phase {
        FanPhase::Queued { ahead, .. } => Some(*ahead),
        _ => None,
    }
}

#[tokio::test]
async fn store_calls_per_tick_do_not_grow_with_local_fans() {
    let mut per_tick = Vec::new();
    for n in [10, 2_000] {
        // 60/min: fans remain waiting in both cases, so every part of the tick runs.
        let s = setup(60, 1_000_000).await;
        let _fans = join_fans(&s, n).await;
        tick(&s).await; // settle the joins into the view
        s.clock.advance(1_000);
        per_tick.push(tick(&s).await);
    }
    assert_eq!(
        per_tick[0], per_tick[1],
        "store calls per tick grew with fans: {per_tick:?}"
    );
    assert!(per_tick[0] <= 6, "{per_tick:?}");
}

#[tokio::test]
async fn positions_fall_and_admissions_reach_their_fans() {
    // 60/s, burst 60.
    let s = setup(3_600, 1_000_000).await;
    let fans = join_fans(&s, 200).await;
    tick(&s).await;
    let first: Vec<u64> = fans.iter().map(|f| ahead(f).unwrap_or(0)).collect();
    assert_eq!(first, (0..200).collect::<Vec<_>>());
    let mut last = first;
    for _ in 0..4 {
        s.clock.advance(1_000);
        tick(&s).await;
        let admitted: Vec<bool> = fans
            .iter()
            .map(|f| matches!(f.views().borrow().phase, FanPhase::Admitted { .. }))
            .collect();
        let k = admitted.iter().filter(|a| **a).count();
        // FIFO: exactly the first k fans are admitted.
        assert!(admitted[..k].iter().all(|a| *a) && admitted[k..].iter().all(|a| !*a));
        for (i, fan) in fans.iter().enumerate().skip(k) {
            let now = ahead(fan).unwrap();
            assert_eq!(now, (i - k) as u64);
            assert!(now <= last[i], "ahead rose");
            last[i] = now;
        }
    }
    let FanPhase::Admitted { purchase_token, .. } = fans[0].views().borrow().phase.clone() else {
        panic!("fan 0 admitted");
    };
    let claims = s.keys.verify_purchase(&purchase_token, s.event).unwrap();
    assert_eq!(claims.sub, fans[0].user());
    assert_eq!(claims.max_seats, 4);
}

#[tokio::test]
async fn a_second_socket_shares_the_ticket_and_the_last_one_out_starts_the_grace() {
    let s = setup(60, 10).await;
    let user = UserId::new();
    let tab1 = s.room.connect(user).await.unwrap();
    s.room.join(user, None).await.unwrap();
    let tab2 = s.room.connect(user).await.unwrap();
    assert_eq!(*tab1.views().borrow(), *tab2.views().borrow());
    assert_eq!((s.room.local_fans(), s.room.local_sockets()), (1, 2));
    drop(tab1);
    assert_eq!(
        (s.room.local_fans(), s.room.local_sockets()),
        (1, 1),
        "one tab still open"
    );
    drop(tab2);
    assert_eq!((s.room.local_fans(), s.room.local_sockets()), (0, 0));
}

#[tokio::test]
async fn a_first_socket_that_joins_at_once_costs_one_store_call() {
    let s = setup(60, 10).await;
    let user = UserId::new();
    let calls = || s.store.interceptor().calls.load(Ordering::SeqCst);
    let before = calls();
    let (fan, first) = s.room.attach(user);
    assert!(first);
    assert_eq!(calls(), before, "attaching reads nothing");
    s.room.join(user, None).await.unwrap();
    assert_eq!(calls(), before + 1, "the join is the only store call");
    let ticket = match &fan.views().borrow().phase {
        FanPhase::Queued { ticket, .. } => ticket.clone(),
        other => panic!("{other:?}"),
    };
    // Reconnecting and joining again: the same ticket, still one call.
    drop(fan);
    let (again, first) = s.room.attach(user);
    assert!(first);
    let before = calls();
    s.room.join(user, None).await.unwrap();
    assert_eq!(calls(), before + 1);
    assert!(matches!(
        &again.views().borrow().phase,
        FanPhase::Queued { ticket: t, .. } if *t == ticket
    ));
    // Without a join, resuming reads the status and refreshes the ticket's grace.
    drop(again);
    let (back, _) = s.room.attach(user);
    s.room.resume(user, None).await.unwrap();
    assert!(matches!(
        &back.views().borrow().phase,
        FanPhase::Queued { ticket: t, .. } if *t == ticket
    ));
}

#[tokio::test(start_paused = true)]
async fn a_running_room_pushes_positions_once_a_second_at_the_admission_pace() {
    let (room, fans) = support::room_with_fans(600, -1, 400).await; // ten a second
    let cancel = CancellationToken::new();
    let task = tokio::spawn(Arc::clone(&room).run(Cadence::default(), cancel.clone()));

    // The last fan's screen for 20 s of virtual time.
    let start = Instant::now();
    let end = start + Duration::from_secs(20);
    let mut rx = fans.last().unwrap().views();
    let mut seen: Vec<(Duration, u64, u64)> = Vec::new();
    loop {
        tokio::select! {
            changed = rx.changed() => changed.unwrap(),
            _ = tokio::time::sleep_until(end) => break,
        }
        if let FanPhase::Queued {
            ahead, eta_secs, ..
        } = rx.borrow_and_update().phase
        {
            seen.push((start.elapsed(), ahead, eta_secs));
        }
    }
    cancel.cancel();
    task.await.unwrap();

    // A new position once a second, not more.
    assert!(seen.len() >= 19, "{seen:?}");
    for w in seen.windows(2) {
        assert!(w[1].0 - w[0].0 >= Duration::from_secs(1), "{seen:?}");
        assert!(w[1].1 < w[0].1, "ahead fell every second: {seen:?}");
    }
    // Ten admitted a second, and the estimated wait says so.
    let (first, last) = (seen[0], seen[seen.len() - 1]);
    let per_sec = (first.1 - last.1) as f64 / (last.0 - first.0).as_secs_f64();
    assert!(
        (9.0..=11.0).contains(&per_sec),
        "{per_sec} a second: {seen:?}"
    );
    // Shown in the page's steps (5 s under a minute and a half).
    let expected = last.1 as f64 / 10.0;
    let step = waiting_room::shown::wait_step(last.2) as f64;
    assert!(
        (last.2 as f64 - expected).abs() <= expected * 0.1 + step,
        "eta {} s for {} ahead",
        last.2,
        last.1
    );
}

/// Issue 17: a fan who joined the pre-queue of a room that ran for minutes before the
/// opening was told a wait three to five times too long for the first minute (the pace
/// was averaged over time before the first admission). Twenty seconds after the
/// opening every fan in line is told `ahead / rate`, with a range around it.
#[tokio::test(start_paused = true)]
async fn the_opening_estimate_follows_the_configured_rate_with_a_range() {
    use waiting_room::estimate::EtaBasis;
    // Fifteen a second, opening in five minutes.
    let (room, fans) = support::room_with_fans(900, 300_000, 1_000).await;
    let cancel = CancellationToken::new();
    let task = tokio::spawn(Arc::clone(&room).run(Cadence::default(), cancel.clone()));
    tokio::time::sleep(Duration::from_secs(320)).await;
    cancel.cancel();
    task.await.unwrap();

    let mut queued = 0;
    for fan in &fans {
        if let FanPhase::Queued {
            ahead,
            eta_secs,
            range,
            ..
        } = fan.views().borrow().phase
        {
            queued += 1;
            // Shown in the page's steps (5 s under a minute and a half): within a step
            // of the truth, the range rounded outwards by at most a step more.
            let truth = (ahead + 1) as f64 / 15.0;
            let step = waiting_room::shown::wait_step(eta_secs) as f64;
            assert!(
                (eta_secs as f64 - truth).abs() <= step,
                "{ahead} ahead at 15 a second: told {eta_secs} s"
            );
            assert_eq!(range.eta_basis, Some(EtaBasis::Rate));
            let (low, high) = (range.eta_low_secs.unwrap(), range.eta_high_secs.unwrap());
            let wide = truth * 1.1 + 2.0 + 2.0 * step;
            assert!(
                low <= eta_secs && eta_secs <= high && high as f64 <= wide,
                "{range:?}"
            );
        }
    }
    assert!(
        (600..800).contains(&queued),
        "{queued} still in line after 20 s"
    );
}

/// The state of `user`'s ticket in the store.
async fn state(s: &Setup, user: UserId) -> TicketState {
    s.store.status(s.event, user).await.unwrap().unwrap().state
}

#[tokio::test]
async fn connected_fans_keep_their_places_on_the_lease_and_a_closed_one_has_its_grace() {
    // Nobody is admitted (no active slot): only presence decides who stays.
    let s = setup(60, 0).await;
    let mut fans = join_fans(&s, 2).await;
    s.room.heartbeat().await.unwrap(); // covers both
    let closed = fans.pop().unwrap().user();
    s.room.heartbeat().await.unwrap(); // its last socket closed: grace from now
                                       // 70 s (the grace is 60 s), renewing the lease every 10 s.
    for _ in 0..7 {
        s.clock.advance(10_000);
        s.room.heartbeat().await.unwrap();
    }
    s.room.step().await.unwrap();
    assert!(matches!(
        state(&s, fans[0].user()).await,
        TicketState::Queued { .. }
    ));
    assert_eq!(state(&s, closed).await, TicketState::Left);
}

#[tokio::test]
async fn a_room_whose_lease_lapsed_covers_its_fans_again() {
    let s = setup(60, 0).await;
    let fans = join_fans(&s, 3).await;
    s.room.heartbeat().await.unwrap();
    // The replica stalls for 40 s: its lease (30 s) runs out and the next step
    // expires it (its fans' places now end at 30 + 60 s).
    s.clock.advance(40_000);
    s.room.step().await.unwrap();
    // The heartbeat learns the lease had lapsed and covers every fan again.
    s.room.heartbeat().await.unwrap();
    for _ in 0..8 {
        s.clock.advance(10_000);
        s.room.heartbeat().await.unwrap();
    }
    s.room.step().await.unwrap(); // 120 s
    for fan in &fans {
        assert!(matches!(
            state(&s, fan.user()).await,
            TicketState::Queued { .. }
        ));
    }
}
