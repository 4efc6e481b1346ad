//! One contract suite for every [`QueueStore`](super::QueueStore) adapter. Each test
//! gets a fresh event (and, for Redis, a fresh key prefix) from the harness
//! (`harness.rs`). Time moves through [`Harness::advance`]: the memory store's manual
//! clock jumps; against Redis (whose clock we cannot move) the test sleeps, so
//! Redis-side durations are kept short.

mod admission;
mod draw;
mod harness;
mod modes;
mod net;
mod pages;
mod places;
mod pow;
mod presale;
mod presence;
mod purchase;
mod removal;
mod staff;

use super::{Change, Cursor, ReplicaId, StoreError, TicketState};
use crate::position::PositionView;
use crate::{EventId, QueueConfig, TicketId, UserId};
pub(crate) use admission::{
    active_cap_and_release, admission_follows_the_rate_and_fifo, admission_limit_caps_a_step,
    pause_stops_admission, sessions_expire_and_free_slots,
};
pub(crate) use draw::{
    a_batched_draw_keeps_every_place_through_joins_and_leaves, a_draw_step_of_no_fans_moves_one,
    an_empty_prequeue_opens_with_an_empty_record, an_interrupted_draw_resumes_on_another_replica,
    the_opening_draws_in_seed_order_and_keeps_the_record,
};
use harness::join;
pub(crate) use harness::{
    seq_of, settings, test_prefix, test_redis_cluster_url, test_redis_url, Harness,
};
pub(crate) use modes::{
    every_place_is_kept_through_every_mode, passthrough_admits_a_joiner_only_with_nobody_ahead,
};
pub(crate) use net::the_safety_net_admits_at_once_then_queues_then_admits_again;
pub(crate) use pages::{
    a_paged_reload_is_exact_while_the_line_moves, snapshot_pages_are_bounded_and_ascending,
};
pub(crate) use places::{
    one_address_holds_at_most_its_cap, places_come_back_when_dropped_or_sessions_end,
};
pub(crate) use pow::{
    a_join_refused_at_its_cap_keeps_its_solution, a_new_ticket_spends_one_unspent_solution,
};
pub(crate) use presale::{
    a_leave_during_a_groups_draw_leaves_a_gap_and_admission_waits,
    a_public_fan_moves_to_its_group_until_the_lines_open,
    presale_joins_keep_the_caps_proof_of_work_and_modes,
    presale_lines_open_in_time_order_each_behind_the_line,
};
pub(crate) use presence::{
    a_covered_fan_outlives_grace_while_its_lease_is_renewed,
    a_covered_prequeued_fan_keeps_its_place_before_the_opening,
    a_dead_replicas_fans_lose_their_places_after_its_lease_and_grace,
    a_fan_moving_to_another_replica_keeps_its_place, a_lapsed_lease_asks_for_the_fans_again,
    the_last_socket_closing_starts_the_grace,
};
pub(crate) use purchase::{
    a_purchase_ends_the_session_for_good, the_waitlist_gets_only_the_seats_that_came_back,
};
pub(crate) use removal::a_removed_line_keeps_only_the_settings_counters_and_draw;
pub(crate) use staff::staff_skip_the_line_and_nobody_else_moves;

pub(crate) async fn join_is_idempotent_and_fifo(h: Harness) {
    let event = h.open_event(settings(60, 10)).await;
    let (a, b) = (UserId::new(), UserId::new());
    let first = join(&h, event, a).await;
    let again = join(&h, event, a).await;
    assert_eq!(
        first.ticket, again.ticket,
        "a second tab gets the same ticket"
    );
    assert_eq!(first.state, TicketState::Queued { seq: 1, ahead: 0 });
    let second = join(&h, event, b).await;
    assert_eq!(second.state, TicketState::Queued { seq: 2, ahead: 1 });
    assert_eq!(h.store.status(event, b).await.unwrap(), Some(second));
    assert_eq!(h.store.status(event, UserId::new()).await.unwrap(), None);
}

pub(crate) async fn unknown_event_is_an_error(h: Harness) {
    let err = h
        .store
        .join(EventId::new(), UserId::new(), &TicketId::new(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::UnknownEvent), "{err:?}");
    assert!(h.store.config(EventId::new()).await.unwrap().is_none());
}

pub(crate) async fn prequeue_is_shuffled_exactly_once_at_the_opening(h: Harness) {
    let event = h.event(300, settings(60, 10)).await;
    let users: Vec<UserId> = (0..40).map(|_| UserId::new()).collect();
    for u in &users {
        assert_eq!(
            join(&h, event, *u).await.state,
            TicketState::Prequeue { slot: 0 }
        );
    }
    assert!(
        !h.store
            .open(event, &crate::shuffle::ShuffleSeed::from_bytes([1; 32]))
            .await
            .unwrap(),
        "too early to open"
    );
    assert_eq!(h.store.stats(event).await.unwrap().prequeue, 40);
    h.advance(400).await;
    assert!(h
        .store
        .open(event, &crate::shuffle::ShuffleSeed::from_bytes([99; 32]))
        .await
        .unwrap());
    assert!(
        !h.store
            .open(event, &crate::shuffle::ShuffleSeed::from_bytes([5; 32]))
            .await
            .unwrap(),
        "opens exactly once"
    );

    let statuses = h.store.statuses(event, &users).await.unwrap();
    let seqs: Vec<u64> = statuses
        .iter()
        .map(|s| seq_of(&s.as_ref().unwrap().state))
        .collect();
    let mut sorted = seqs.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=40).collect::<Vec<_>>(), "each gets one place");
    assert_ne!(seqs, sorted, "the pre-queue was shuffled");

    let late = join(&h, event, UserId::new()).await;
    assert_eq!(late.state, TicketState::Queued { seq: 41, ahead: 40 });
    let stats = h.store.stats(event).await.unwrap();
    assert_eq!((stats.waiting, stats.prequeue, stats.opened), (41, 0, true));
    assert_eq!(stats.joined, 41, "every account that took a ticket");
    h.store.leave(event, users[0]).await.unwrap();
    join(&h, event, users[0]).await;
    assert_eq!(
        h.store.stats(event).await.unwrap().joined,
        41,
        "one who left and came back is one account"
    );
}

pub(crate) async fn leave_and_rejoin_at_the_back(h: Harness) {
    let event = h.open_event(settings(60, 10)).await;
    let users: Vec<UserId> = (0..3).map(|_| UserId::new()).collect();
    let mut tickets = Vec::new();
    for u in &users {
        tickets.push(join(&h, event, *u).await.ticket);
    }
    assert!(h.store.leave(event, users[0]).await.unwrap());
    assert!(!h.store.leave(event, users[0]).await.unwrap());
    let s = h.store.status(event, users[2]).await.unwrap().unwrap();
    assert_eq!(s.state, TicketState::Queued { seq: 3, ahead: 1 });
    let gone = h.store.status(event, users[0]).await.unwrap().unwrap();
    assert_eq!(gone.state, TicketState::Left);
    let back = join(&h, event, users[0]).await;
    assert_ne!(back.ticket, tickets[0], "a new ticket");
    assert_eq!(back.state, TicketState::Queued { seq: 4, ahead: 2 });
}

pub(crate) async fn absent_fans_are_skipped_without_wasting_a_slot(h: Harness) {
    let event = h.open_event_with_grace(settings(60_000, 1), 400).await;
    let (gone, stays) = (UserId::new(), UserId::new());
    join(&h, event, gone).await;
    join(&h, event, stays).await;
    // `stays` keeps a socket open (its replica's lease covers it); `gone` does not.
    let replica = ReplicaId::random();
    h.presence(event, &replica, &[stays], &[], 60_000).await;
    h.advance(600).await;
    let out = h.store.admit(event, None).await.unwrap();
    assert_eq!(out.dropped, 1);
    assert_eq!(
        out.admitted,
        vec![(2, stays)],
        "the slot went to the next fan"
    );
    let s = h.store.status(event, gone).await.unwrap().unwrap();
    assert_eq!(s.state, TicketState::Left);
}

pub(crate) async fn reconnect_within_grace_keeps_the_place(h: Harness) {
    let event = h.open_event_with_grace(settings(60, 10), 400).await;
    let (a, b) = (UserId::new(), UserId::new());
    let first = join(&h, event, a).await;
    join(&h, event, b).await;
    h.advance(300).await;
    let again = join(&h, event, a).await; // reconnect re-joins: same ticket, fresh grace
    assert_eq!(again.ticket, first.ticket);
    h.advance(300).await;
    h.store.admit(event, None).await.unwrap();
    let s = h.store.status(event, a).await.unwrap().unwrap();
    assert_eq!(s.state, TicketState::Queued { seq: 1, ahead: 0 });
    let s = h.store.status(event, b).await.unwrap().unwrap();
    assert_eq!(s.state, TicketState::Left, "b's grace ran out");
}

pub(crate) async fn change_log_replays_into_the_same_view(h: Harness) {
    let event = h.event(100, settings(60_000, 2)).await;
    let early: Vec<UserId> = (0..5).map(|_| UserId::new()).collect();
    for u in &early {
        join(&h, event, *u).await;
    }
    h.advance(150).await;
    h.store
        .open(event, &crate::shuffle::ShuffleSeed::from_bytes([3; 32]))
        .await
        .unwrap();
    let late: Vec<UserId> = (0..5).map(|_| UserId::new()).collect();
    for u in &late {
        join(&h, event, *u).await;
    }
    h.store.leave(event, late[1]).await.unwrap();
    h.advance(100).await;
    h.store.admit(event, None).await.unwrap();

    let mut view = PositionView::new();
    let mut cursor = Cursor::default();
    let mut kinds = Vec::new();
    loop {
        let batch = h.store.changes(event, &cursor, 3).await.unwrap();
        assert!(!batch.lagged);
        if batch.changes.is_empty() {
            assert_eq!(batch.cursor, cursor, "an empty read keeps the cursor");
            break;
        }
        cursor = batch.cursor;
        for c in batch.changes {
            match &c {
                Change::Joined { seq } => {
                    view.insert(*seq);
                }
                Change::Opened { first, count, .. } | Change::Frozen { first, count, .. } => {
                    view.insert_range(*first, *count)
                }
                Change::Admitted { seqs, .. } | Change::Left { seqs } => {
                    seqs.iter().for_each(|s| {
                        view.remove(*s);
                    });
                }
                Change::Restored { seqs } => seqs.iter().for_each(|s| {
                    view.insert(*s);
                }),
                Change::Settings | Change::Purchased { .. } => {}
            }
            kinds.push(std::mem::discriminant(&c));
        }
    }
    let snap = h.store.snapshot(event).await.unwrap();
    assert!(snap.opened);
    assert_eq!(snap.cursor, cursor);
    assert_eq!(snap.seqs, vec![3, 4, 5, 6, 8, 9, 10]);
    assert_eq!(view.len(), 7);
    for seq in &snap.seqs {
        assert!(view.contains(*seq));
    }
    assert!(kinds.contains(&std::mem::discriminant(&Change::Settings)));
}

pub(crate) async fn configure_if_missing_keeps_the_queue(h: Harness) {
    let event = h.open_event(settings(60, 10)).await;
    join(&h, event, UserId::new()).await;
    let other = QueueConfig {
        presales: Vec::new(),
        starts_at_ms: 0,
        grace_ms: 1,
        admission: settings(1, 1),
    };
    h.store.configure(event, &other, true).await.unwrap();
    let kept = h.store.config(event).await.unwrap().unwrap();
    assert_eq!(kept.admission, settings(60, 10));
    assert_eq!(h.store.stats(event).await.unwrap().waiting, 1);
}

/// A poll reads the ticket like `status` and, for a waiting fan, keeps the place
/// like a socket's close would (a fresh grace period), in one step.
pub(crate) async fn poll_reads_and_keeps_the_place(h: Harness) {
    let event = h.open_event_with_grace(settings(60, 10), 400).await;
    let (polls, silent) = (UserId::new(), UserId::new());
    let ticket = join(&h, event, polls).await.ticket;
    join(&h, event, silent).await;
    assert_eq!(h.store.poll(event, UserId::new()).await.unwrap(), None);
    for _ in 0..3 {
        h.advance(200).await;
        let seen = h.store.poll(event, polls).await.unwrap().unwrap();
        assert_eq!(seen.ticket, ticket);
        assert_eq!(seen.state, TicketState::Queued { seq: 1, ahead: 0 });
    }
    assert_eq!(h.store.admit(event, Some(0)).await.unwrap().dropped, 1);
    let gone = h.store.poll(event, silent).await.unwrap().unwrap();
    assert_eq!(
        gone.state,
        TicketState::Left,
        "a poll does not revive a lapsed place"
    );
    assert!(matches!(
        h.store.poll(EventId::new(), polls).await,
        Err(StoreError::UnknownEvent)
    ));
}

macro_rules! contract_suite {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;
            contract_suite!(@tests $make;
                join_is_idempotent_and_fifo,
                unknown_event_is_an_error,
                prequeue_is_shuffled_exactly_once_at_the_opening,
                admission_follows_the_rate_and_fifo,
                active_cap_and_release,
                sessions_expire_and_free_slots,
                leave_and_rejoin_at_the_back,
                absent_fans_are_skipped_without_wasting_a_slot,
                reconnect_within_grace_keeps_the_place,
                pause_stops_admission,
                every_place_is_kept_through_every_mode,
                passthrough_admits_a_joiner_only_with_nobody_ahead,
                staff_skip_the_line_and_nobody_else_moves,
                the_safety_net_admits_at_once_then_queues_then_admits_again,
                admission_limit_caps_a_step,
                change_log_replays_into_the_same_view,
                configure_if_missing_keeps_the_queue,
                one_address_holds_at_most_its_cap,
                places_come_back_when_dropped_or_sessions_end,
                poll_reads_and_keeps_the_place,
                a_purchase_ends_the_session_for_good,
                the_waitlist_gets_only_the_seats_that_came_back,
                the_opening_draws_in_seed_order_and_keeps_the_record,
                an_empty_prequeue_opens_with_an_empty_record,
                a_new_ticket_spends_one_unspent_solution,
                a_join_refused_at_its_cap_keeps_its_solution,
                a_covered_fan_outlives_grace_while_its_lease_is_renewed,
                a_dead_replicas_fans_lose_their_places_after_its_lease_and_grace,
                a_fan_moving_to_another_replica_keeps_its_place,
                the_last_socket_closing_starts_the_grace,
                a_lapsed_lease_asks_for_the_fans_again,
                a_covered_prequeued_fan_keeps_its_place_before_the_opening,
                snapshot_pages_are_bounded_and_ascending,
                a_paged_reload_is_exact_while_the_line_moves,
                a_removed_line_keeps_only_the_settings_counters_and_draw,
                a_batched_draw_keeps_every_place_through_joins_and_leaves,
                an_interrupted_draw_resumes_on_another_replica,
                a_draw_step_of_no_fans_moves_one,
                presale_lines_open_in_time_order_each_behind_the_line,
                a_public_fan_moves_to_its_group_until_the_lines_open,
                a_leave_during_a_groups_draw_leaves_a_gap_and_admission_waits,
                presale_joins_keep_the_caps_proof_of_work_and_modes,
            );
        }
    };
    (@tests $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                if let Some(h) = $make.await {
                    super::$name(h).await;
                }
            }
        )*
    };
}

contract_suite!(memory, async { Some(Harness::memory()) });
contract_suite!(redis, Harness::redis());
contract_suite!(redis_cluster, Harness::redis_cluster());
