//! The opening's draw: the order follows the seed alone (docs/FAIRNESS.md), and the
//! record of it (join order and draw order) is kept for publication.

use super::{harness, seq_of, settings, Harness};
use crate::shuffle::{pseudonym, shuffled, ShuffleSeed};
use crate::store::{Opening, TicketState};
use crate::{EventId, TicketId, UserId};

pub(crate) async fn the_opening_draws_in_seed_order_and_keeps_the_record(h: Harness) {
    let event = h.event(300, settings(60, 10)).await;
    let seed = ShuffleSeed::from_bytes([0x5a; 32]);
    let fans: Vec<(UserId, TicketId)> = (0..30)
        .map(|i| (UserId::new(), TicketId(format!("ticket-{i}"))))
        .collect();
    for (user, ticket) in &fans {
        h.store.join(event, *user, ticket, None).await.unwrap();
    }
    assert_eq!(
        h.store.draw(event, 0, 100).await.unwrap(),
        None,
        "nothing before the opening"
    );
    h.advance(400).await;
    assert!(h.store.open(event, &seed).await.unwrap());

    let joined: Vec<String> = fans.iter().map(|(_, t)| pseudonym(t)).collect();
    let expected: Vec<(String, UserId)> = shuffled(
        &seed,
        fans.iter().map(|(u, t)| (pseudonym(t), *u)).collect(),
    );
    let users: Vec<UserId> = expected.iter().map(|e| e.1).collect();
    let statuses = h.store.statuses(event, &users).await.unwrap();
    let seqs: Vec<u64> = statuses
        .iter()
        .map(|s| seq_of(&s.as_ref().unwrap().state))
        .collect();
    assert_eq!(seqs, (1..=30).collect::<Vec<_>>(), "places in draw order");

    let all = h
        .store
        .draw(event, 0, 1000)
        .await
        .unwrap()
        .expect("a record");
    assert_eq!(all.total, 30);
    assert_eq!(all.joined, joined, "the pre-queue's join order");
    let order: Vec<String> = expected.iter().map(|e| e.0.clone()).collect();
    assert_eq!(all.order, order);
    let page = h.store.draw(event, 10, 5).await.unwrap().expect("a record");
    assert_eq!(
        (page.total, &page.joined[..], &page.order[..]),
        (30, &joined[10..15], &order[10..15])
    );
    let past = h.store.draw(event, 40, 5).await.unwrap().expect("a record");
    assert!(past.joined.is_empty() && past.order.is_empty());
}

pub(crate) async fn an_empty_prequeue_opens_with_an_empty_record(h: Harness) {
    let event = h.event(100, settings(60, 10)).await;
    h.advance(200).await;
    assert!(h.store.open(event, &ShuffleSeed::random()).await.unwrap());
    let page = h.store.draw(event, 0, 10).await.unwrap().expect("a record");
    assert_eq!((page.total, page.joined.len()), (0, 0));
}

// Issue 19: the opening's draw in batches (`open_step`), the same steps on every store.

/// The waiting set as a reader of the whole change log has it.
async fn replayed(h: &Harness, event: EventId) -> Vec<u64> {
    use crate::store::paged::SetOp;
    let mut waiting = std::collections::BTreeSet::new();
    let mut cursor = crate::store::Cursor::default();
    loop {
        let batch = h.store.changes(event, &cursor, 1000).await.unwrap();
        assert!(!batch.lagged);
        if batch.changes.is_empty() {
            return waiting.into_iter().collect();
        }
        cursor = batch.cursor;
        for change in &batch.changes {
            match change.set_op() {
                SetOp::Add(seqs) => waiting.extend(seqs),
                SetOp::AddRange { first, count } => waiting.extend(first..first + count),
                SetOp::Remove(seqs) => seqs.iter().for_each(|s| {
                    waiting.remove(s);
                }),
                SetOp::None => {}
            }
        }
    }
}

/// What the store's own snapshot and a reader of its log agree is waiting.
async fn waiting(h: &Harness, event: EventId) -> Vec<u64> {
    let snap = crate::store::read_queue(&*h.store, event, 7).await.unwrap();
    assert_eq!(
        snap.seqs,
        replayed(h, event).await,
        "the log and the pages agree"
    );
    snap.seqs
}

/// `n` fans in the pre-queue of an event opening in 300 ms, the opening then due.
async fn prequeued(h: &Harness, n: usize) -> (EventId, Vec<(UserId, TicketId)>) {
    // 100 a second: tokens for a step as soon as the sale opens.
    let event = h.event(300, settings(6000, 100)).await;
    let fans: Vec<(UserId, TicketId)> = (0..n).map(|_| (UserId::new(), TicketId::new())).collect();
    for (user, ticket) in &fans {
        h.store.join(event, *user, ticket, None).await.unwrap();
    }
    h.advance(400).await;
    (event, fans)
}

/// The record verifies as `scripts/lib/verify_draw.py` checks it: the draw order is
/// the join order sorted by the seed's keys.
fn verifies(seed: &ShuffleSeed, page: &crate::store::DrawPage) -> bool {
    let mut sorted = page.joined.clone();
    sorted.sort_by(|a, b| {
        (crate::shuffle::draw_key(seed, a), a).cmp(&(crate::shuffle::draw_key(seed, b), b))
    });
    sorted == page.order
}

pub(crate) async fn a_batched_draw_keeps_every_place_through_joins_and_leaves(h: Harness) {
    let (event, fans) = prequeued(&h, 30).await;
    let seed = ShuffleSeed::from_bytes([0x33; 32]);
    let drawn: Vec<UserId> = shuffled(
        &seed,
        fans.iter().map(|(u, t)| (pseudonym(t), *u)).collect(),
    )
    .into_iter()
    .map(|e| e.1)
    .collect();

    let first = h.store.open_step(event, &seed, 4).await.unwrap();
    assert_eq!(
        first,
        Opening::Drawing {
            moved: 4,
            total: 30
        }
    );
    assert_eq!(
        h.store.draw(event, 0, 100).await.unwrap(),
        None,
        "unpublished"
    );
    let admitted = h.store.admit(event, None).await.unwrap().admitted;
    assert!(admitted.is_empty(), "admission waits for the draw");
    assert_eq!(waiting(&h, event).await, (1..=30).collect::<Vec<_>>());

    // During the draw: a fan joins behind all 30 places, one not moved yet leaves,
    // another leaves and joins again (behind the first joiner).
    let late = UserId::new();
    let joined = h
        .store
        .join(event, late, &TicketId::new(), None)
        .await
        .unwrap();
    assert_eq!(joined.state, TicketState::Queued { seq: 31, ahead: 30 });
    let (gone, back) = (drawn[10], drawn[20]);
    assert!(h.store.leave(event, gone).await.unwrap());
    assert!(h.store.leave(event, back).await.unwrap());
    let again = h
        .store
        .join(event, back, &TicketId::new(), None)
        .await
        .unwrap();
    assert_eq!(again.state, TicketState::Queued { seq: 32, ahead: 31 });
    assert_eq!(
        h.store
            .status(event, drawn[2])
            .await
            .unwrap()
            .unwrap()
            .state,
        TicketState::Queued { seq: 3, ahead: 2 }
    );
    assert_eq!(
        h.state(event, drawn[5]).await,
        TicketState::Prequeue { slot: 0 },
        "not moved yet"
    );
    let stats = h.store.stats(event).await.unwrap();
    assert_eq!((stats.opened, stats.prequeue), (false, 26));

    let mut moved = 4;
    let mut ahead = 30;
    loop {
        let step = h.store.open_step(event, &seed, 4).await.unwrap();
        let now_ahead = match h.state(event, late).await {
            TicketState::Queued { ahead, .. } => ahead,
            other => panic!("{other:?}"),
        };
        assert!(
            now_ahead <= ahead,
            "a position never rises: {ahead} then {now_ahead}"
        );
        ahead = now_ahead;
        match step {
            Opening::Drawing {
                moved: m,
                total: 30,
            } => {
                assert_eq!(m, moved + 4, "one batch a step");
                moved = m;
                assert_eq!(h.store.draw(event, 0, 1).await.unwrap(), None);
            }
            Opening::Opened => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(moved, 28, "the last batch holds the last two");
    assert_eq!(ahead, 28, "the two who left are no longer ahead");
    assert_eq!(
        h.store.open_step(event, &seed, 4).await.unwrap(),
        Opening::Open
    );
    assert!(h.store.stats(event).await.unwrap().opened);

    let statuses = h.store.statuses(event, &drawn).await.unwrap();
    for (i, (user, status)) in drawn.iter().zip(&statuses).enumerate() {
        let state = &status.as_ref().unwrap().state;
        if *user == gone {
            assert_eq!(*state, TicketState::Left);
        } else if *user == back {
            assert_eq!(seq_of(state), 32, "the new ticket keeps its place");
        } else {
            assert_eq!(seq_of(state), i as u64 + 1, "draw order");
        }
    }
    let expected: Vec<u64> = (1..=32).filter(|&s| s != 11 && s != 21).collect();
    assert_eq!(waiting(&h, event).await, expected, "gaps where fans left");

    let record = h
        .store
        .draw(event, 0, 1000)
        .await
        .unwrap()
        .expect("published");
    let joined: Vec<String> = fans.iter().map(|(_, t)| pseudonym(t)).collect();
    assert_eq!(
        (record.total, &record.joined),
        (30, &joined),
        "the frozen tickets"
    );
    assert!(verifies(&seed, &record));
    let admitted = h.store.admit(event, None).await.unwrap().admitted;
    assert_eq!(
        admitted.first().map(|a| a.1),
        Some(drawn[0]),
        "the draw's head first"
    );
}

pub(crate) async fn an_interrupted_draw_resumes_on_another_replica(h: Harness) {
    let (event, fans) = prequeued(&h, 25).await;
    let seed = ShuffleSeed::from_bytes([0x44; 32]);
    for moved in [4, 8] {
        assert_eq!(
            h.store.open_step(event, &seed, 4).await.unwrap(),
            Opening::Drawing { moved, total: 25 }
        );
    }
    // This replica stops (dies); another, with a seed of its own, takes over once the
    // first's lease lapsed: the draw keeps the first seed and continues at 8.
    h.advance(harness::TEST_DRAW_LEASE_MS as i64 + 200).await;
    let other = h.other_replica().await;
    let mut steps = 0;
    while other
        .open_step(event, &ShuffleSeed::random(), 5)
        .await
        .unwrap()
        != Opening::Opened
    {
        steps += 1;
        assert!(steps < 10, "the draw ends");
    }
    assert_eq!(
        steps, 3,
        "17 left in batches of 5: 13, 18, 23, then the end"
    );
    let record = other.draw(event, 0, 100).await.unwrap().expect("published");
    assert_eq!(record.total, 25);
    assert!(verifies(&seed, &record), "the first caller's seed");
    let users: Vec<UserId> = fans.iter().map(|f| f.0).collect();
    let mut seqs: Vec<u64> = h
        .store
        .statuses(event, &users)
        .await
        .unwrap()
        .iter()
        .map(|s| seq_of(&s.as_ref().unwrap().state))
        .collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=25).collect::<Vec<_>>(), "no fan lost or twice");
    let expected: Vec<UserId> = shuffled(
        &seed,
        fans.iter().map(|(u, t)| (pseudonym(t), *u)).collect(),
    )
    .into_iter()
    .map(|e| e.1)
    .collect();
    let head = h.store.statuses(event, &expected[..3]).await.unwrap();
    let head: Vec<u64> = head
        .iter()
        .map(|s| seq_of(&s.as_ref().unwrap().state))
        .collect();
    assert_eq!(head, vec![1, 2, 3]);
    assert_eq!(waiting(&h, event).await, (1..=25).collect::<Vec<_>>());
}

pub(crate) async fn a_draw_step_of_no_fans_moves_one(h: Harness) {
    let (event, _) = prequeued(&h, 3).await;
    let seed = ShuffleSeed::random();
    assert_eq!(
        h.store.open_step(event, &seed, 0).await.unwrap(),
        Opening::Drawing { moved: 1, total: 3 }
    );
    assert!(h.store.open(event, &seed).await.unwrap());
    assert_eq!(waiting(&h, event).await, vec![1, 2, 3]);
}
