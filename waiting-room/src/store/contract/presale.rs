//! Presale groups' lines (issue 20; docs/ARCHITECTURE.md "Presales"): each line is
//! FIFO before its opening and drawn with its own seed at it, the lines open in time
//! order, each appended behind everyone already in line, so nobody's people-ahead
//! rises; joins after a group opened, the move out of the public pre-queue, a leave
//! during a group's draw, and each line's draw record.

use std::collections::HashMap;

use super::{seq_of, settings, Harness};
use crate::shuffle::{pseudonym, shuffled, ShuffleSeed};
use crate::store::{Opening, StoreError, TicketState};
use crate::{EventId, PresaleOpening, QueueConfig, TicketId, UserId};

/// The event's seed in these tests.
fn seed() -> ShuffleSeed {
    ShuffleSeed::from_bytes([0x42; 32])
}

/// An event whose group 1 opens in `g1` ms, group 2 in `g2` ms and the public line in
/// `public` ms (groups listed out of order: the store orders them by time).
async fn presale_event(h: &Harness, g1: i64, g2: i64, public: i64) -> EventId {
    let event = EventId::new();
    let now = h.store.now_ms().await.unwrap();
    let config = QueueConfig {
        presales: vec![
            PresaleOpening {
                slot: 2,
                opens_at_ms: now + g2,
            },
            PresaleOpening {
                slot: 1,
                opens_at_ms: now + g1,
            },
        ],
        starts_at_ms: now + public,
        grace_ms: 60_000,
        admission: settings(60, 10),
    };
    h.store.configure(event, &config, false).await.unwrap();
    event
}

/// `n` fans joining line `slot` (0: a plain join) with their tickets, in join order.
async fn joined(h: &Harness, event: EventId, slot: u8, n: usize) -> Vec<(UserId, TicketId)> {
    let mut fans = Vec::new();
    for _ in 0..n {
        let (user, ticket) = (UserId::new(), TicketId::new());
        let status = if slot == 0 {
            h.store.join(event, user, &ticket, None).await
        } else {
            h.store
                .join_presale(event, user, &ticket, None, None, slot)
                .await
        };
        assert_eq!(
            status.unwrap().state,
            TicketState::Prequeue { slot },
            "before its opening a fan waits in its own line"
        );
        fans.push((user, ticket));
    }
    fans
}

/// People ahead of every queued fan among `users`.
async fn aheads(h: &Harness, event: EventId, users: &[UserId]) -> HashMap<UserId, u64> {
    let statuses = h.store.statuses(event, users).await.unwrap();
    users
        .iter()
        .zip(statuses)
        .filter_map(|(u, s)| match s?.state {
            TicketState::Queued { ahead, .. } => Some((*u, ahead)),
            _ => None,
        })
        .collect()
}

/// Nobody queued before is further back now, and nobody left the line.
fn never_rose(before: &HashMap<UserId, u64>, after: &HashMap<UserId, u64>, when: &str) {
    for (user, was) in before {
        let now = after
            .get(user)
            .unwrap_or_else(|| panic!("{when}: a fan left"));
        assert!(now <= was, "{when}: people-ahead rose from {was} to {now}");
    }
}

/// The line's fans hold `first..` in the draw order of `seed`, and its record lists
/// them in join order and in that order.
async fn drawn(
    h: &Harness,
    event: EventId,
    slot: u8,
    seed: &ShuffleSeed,
    fans: &[(UserId, TicketId)],
    first: u64,
) {
    let expected = shuffled(seed, fans.iter().map(|(u, t)| (pseudonym(t), *u)).collect());
    let users: Vec<UserId> = expected.iter().map(|e| e.1).collect();
    let seqs: Vec<u64> = h
        .store
        .statuses(event, &users)
        .await
        .unwrap()
        .iter()
        .map(|s| seq_of(&s.as_ref().unwrap().state))
        .collect();
    let n = fans.len() as u64;
    assert_eq!(
        seqs,
        (first..first + n).collect::<Vec<_>>(),
        "line {slot}: behind everyone, in its seed's order"
    );
    let record = h
        .store
        .presale_draw(event, slot, 0, 1000)
        .await
        .unwrap()
        .expect("a record once the line opened");
    let joined: Vec<String> = fans.iter().map(|(_, t)| pseudonym(t)).collect();
    assert_eq!(record.total, n);
    assert_eq!(
        record.joined, joined,
        "line {slot}: FIFO before its opening"
    );
    let order: Vec<String> = expected.iter().map(|e| e.0.clone()).collect();
    assert_eq!(record.order, order, "line {slot}: its own seed's draw");
}

pub(crate) async fn presale_lines_open_in_time_order_each_behind_the_line(h: Harness) {
    let event = presale_event(&h, 300, 600, 900).await;
    let group1 = joined(&h, event, 1, 6).await;
    let public = joined(&h, event, 0, 5).await;
    let group2 = joined(&h, event, 2, 4).await;
    let everyone: Vec<UserId> = group1
        .iter()
        .chain(&public)
        .chain(&group2)
        .map(|f| f.0)
        .collect();
    let stats = h.store.stats(event).await.unwrap();
    assert_eq!(
        (stats.prequeue, stats.opened),
        (15, false),
        "every line counts"
    );
    let mut kept = h.store.config(event).await.unwrap().unwrap().presales;
    kept.sort_by_key(|p| p.slot);
    assert_eq!(
        kept.iter().map(|p| p.slot).collect::<Vec<_>>(),
        [1, 2],
        "the store keeps the groups' openings"
    );
    assert!(!h.store.open(event, &seed()).await.unwrap(), "none due yet");
    assert_eq!(h.store.presale_draw(event, 1, 0, 10).await.unwrap(), None);

    // Group 1 opens alone: its fans take 1..=6 in its seed's order; admission runs.
    h.advance(400).await;
    assert!(h.store.open(event, &seed()).await.unwrap());
    drawn(&h, event, 1, &seed().for_presale(1), &group1, 1).await;
    let stats = h.store.stats(event).await.unwrap();
    assert_eq!((stats.waiting, stats.prequeue, stats.opened), (6, 9, true));
    assert_eq!(h.store.presale_draw(event, 2, 0, 10).await.unwrap(), None);
    assert_eq!(h.store.draw(event, 0, 10).await.unwrap(), None);
    assert_eq!(
        h.store.open_step(event, &seed(), 10).await.unwrap(),
        Opening::NotDue,
        "group 2's time has not come"
    );

    // After group 1's opening: its late fan queues at once, at the back; a public
    // fan and a group 2 fan still wait in their own lines.
    let late = (UserId::new(), TicketId::new());
    let status = h
        .store
        .join_presale(event, late.0, &late.1, None, None, 1)
        .await
        .unwrap();
    assert_eq!(status.state, TicketState::Queued { seq: 7, ahead: 6 });
    let mut public = public;
    public.extend(joined(&h, event, 0, 1).await);
    let mut group2 = group2;
    group2.extend(joined(&h, event, 2, 1).await);
    let mut everyone = everyone;
    everyone.extend([late.0, public[5].0, group2[4].0]);
    let before = aheads(&h, event, &everyone).await;
    assert_eq!(before.len(), 7);

    // Group 2 opens behind everyone in line: nobody's people-ahead rises.
    h.advance(300).await;
    assert!(h.store.open(event, &seed()).await.unwrap());
    drawn(&h, event, 2, &seed().for_presale(2), &group2, 8).await;
    let after = aheads(&h, event, &everyone).await;
    never_rose(&before, &after, "group 2's opening");
    assert_eq!(after.len(), 12);
    assert_eq!(h.store.stats(event).await.unwrap().prequeue, 6);

    // The public line last, with the event's seed, behind both groups.
    h.advance(300).await;
    assert!(h.store.open(event, &seed()).await.unwrap());
    drawn(&h, event, 0, &seed(), &public, 13).await;
    let page = h
        .store
        .draw(event, 0, 1000)
        .await
        .unwrap()
        .expect("a record");
    assert_eq!(
        page,
        h.store
            .presale_draw(event, 0, 0, 1000)
            .await
            .unwrap()
            .unwrap()
    );
    let last = aheads(&h, event, &everyone).await;
    never_rose(&after, &last, "the public opening");
    assert_eq!(last.len(), 18);
    assert_eq!(h.store.stats(event).await.unwrap().prequeue, 0);
    assert_eq!(
        h.store.open_step(event, &seed(), 10).await.unwrap(),
        Opening::Open,
        "every line opened"
    );
    // Joins now queue at the back, through either door.
    let status = h
        .store
        .join_presale(event, UserId::new(), &TicketId::new(), None, None, 2)
        .await
        .unwrap();
    assert_eq!(seq_of(&status.state), 19);
}

pub(crate) async fn a_public_fan_moves_to_its_group_until_the_lines_open(h: Harness) {
    let event = presale_event(&h, 300, 600, 900).await;
    let public = joined(&h, event, 0, 3).await;
    let group1 = joined(&h, event, 1, 2).await;
    // A public fan redeems a code: same ticket, now in group 1's line, behind its fans.
    let (mover, ticket) = public[1].clone();
    let status = h
        .store
        .join_presale(event, mover, &TicketId::new(), None, None, 1)
        .await
        .unwrap();
    assert_eq!(
        (status.ticket, status.state),
        (ticket, TicketState::Prequeue { slot: 1 })
    );
    assert_eq!(h.store.stats(event).await.unwrap().prequeue, 5);
    // A plain join (a reconnect) gives the group's ticket back, still in its line.
    let again = h
        .store
        .join(event, mover, &TicketId::new(), None)
        .await
        .unwrap();
    assert_eq!(again.state, TicketState::Prequeue { slot: 1 });

    h.advance(400).await;
    assert!(h.store.open(event, &seed()).await.unwrap());
    let mut line = group1.clone();
    line.push(public[1].clone());
    drawn(&h, event, 1, &seed().for_presale(1), &line, 1).await;
    assert_eq!(
        h.state(event, public[0].0).await,
        TicketState::Prequeue { slot: 0 },
        "the others still wait for the public opening"
    );
    // After group 1 opened, a public fan who redeems its code goes to the back at once.
    let status = h
        .store
        .join_presale(event, public[2].0, &TicketId::new(), None, None, 1)
        .await
        .unwrap();
    assert_eq!(
        (status.ticket, status.state),
        (
            public[2].1.clone(),
            TicketState::Queued { seq: 4, ahead: 3 }
        )
    );
    // A queued fan is given back unchanged.
    let queued = h
        .store
        .join_presale(event, public[2].0, &TicketId::new(), None, None, 2)
        .await
        .unwrap();
    assert_eq!(queued.state, TicketState::Queued { seq: 4, ahead: 3 });
    // A line the event does not have is refused, and changes nothing.
    let err = h
        .store
        .join_presale(event, UserId::new(), &TicketId::new(), None, None, 5)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
    assert_eq!(h.store.stats(event).await.unwrap().prequeue, 1);
    // Leaving a group's pre-queue (group 2 has not opened) works like the public one.
    let g2 = joined(&h, event, 2, 1).await;
    assert!(h.store.leave(event, g2[0].0).await.unwrap());
    assert_eq!(h.state(event, g2[0].0).await, TicketState::Left);
    assert_eq!(h.store.stats(event).await.unwrap().prequeue, 1);
    // A closed sale's line goes, every pre-queue with it; the draw records stay.
    joined(&h, event, 2, 2).await;
    h.store.remove_line(event).await.unwrap();
    let stats = h.store.stats(event).await.unwrap();
    assert_eq!((stats.waiting, stats.prequeue), (0, 0));
    assert_eq!(
        h.store
            .presale_draw(event, 1, 0, 10)
            .await
            .unwrap()
            .map(|p| p.total),
        Some(3)
    );
}

pub(crate) async fn a_leave_during_a_groups_draw_leaves_a_gap_and_admission_waits(h: Harness) {
    // 100 a second: a token per step as soon as admission runs.
    let event = EventId::new();
    let now = h.store.now_ms().await.unwrap();
    let config = QueueConfig {
        presales: vec![
            PresaleOpening {
                slot: 1,
                opens_at_ms: now + 300,
            },
            PresaleOpening {
                slot: 2,
                opens_at_ms: now + 600,
            },
        ],
        starts_at_ms: now + 60_000,
        grace_ms: 60_000,
        admission: settings(6000, 100),
    };
    h.store.configure(event, &config, false).await.unwrap();
    let group1 = joined(&h, event, 1, 2).await;
    let group2 = joined(&h, event, 2, 6).await;
    h.advance(400).await;
    assert!(h.store.open(event, &seed()).await.unwrap());
    let everyone: Vec<UserId> = group1.iter().chain(&group2).map(|f| f.0).collect();

    // Group 2's draw, two fans a step: freeze and first batch.
    h.advance(300).await;
    let step = h.store.open_step(event, &seed(), 2).await.unwrap();
    assert_eq!(step, Opening::Drawing { moved: 2, total: 6 });
    let before = aheads(&h, event, &everyone).await;
    // While a draw runs admission waits, though group 1 opened.
    let outcome = h.store.admit(event, None).await.unwrap();
    assert!(outcome.admitted.is_empty(), "{outcome:?}");
    // A group 2 fan still frozen leaves: its place becomes a gap, nobody moves back.
    let expected = shuffled(
        &seed().for_presale(2),
        group2.iter().map(|(u, t)| (pseudonym(t), *u)).collect(),
    );
    let leaver = expected[4].1;
    assert!(h.store.leave(event, leaver).await.unwrap());
    // A group 2 fan joining during its draw queues behind it; a public one waits.
    let late = (UserId::new(), TicketId::new());
    let status = h
        .store
        .join_presale(event, late.0, &late.1, None, None, 2)
        .await
        .unwrap();
    assert_eq!(
        status.state,
        TicketState::Queued { seq: 9, ahead: 8 },
        "behind the draw's places"
    );
    let public = joined(&h, event, 0, 1).await;
    // The leaver joins the public line: not moved into group 2's by the draw.
    let rejoined = h
        .store
        .join(event, leaver, &TicketId::new(), None)
        .await
        .unwrap();
    assert_eq!(rejoined.state, TicketState::Prequeue { slot: 0 });
    while h.store.open_step(event, &seed(), 2).await.unwrap() != Opening::Opened {}
    let after = aheads(&h, event, &everyone).await;
    never_rose(
        &before.into_iter().filter(|(u, _)| *u != leaver).collect(),
        &after,
        "group 2's draw",
    );
    assert_eq!(h.state_seq(event, late.0).await, 9);
    assert_eq!(
        h.state(event, leaver).await,
        TicketState::Prequeue { slot: 0 }
    );
    assert_eq!(
        h.state(event, public[0].0).await,
        TicketState::Prequeue { slot: 0 }
    );
    let stats = h.store.stats(event).await.unwrap();
    assert_eq!((stats.waiting, stats.prequeue), (8, 2));
    let record = h
        .store
        .presale_draw(event, 2, 0, 10)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.total, 6, "the record keeps the fan who left");
    // Once the draw is done admission runs again, from the head of the line.
    let outcome = h.store.admit(event, None).await.unwrap();
    assert_eq!(outcome.admitted.first().map(|a| a.0), Some(1));
}

impl Harness {
    async fn state_seq(&self, event: EventId, user: UserId) -> u64 {
        seq_of(&self.state(event, user).await)
    }
}

pub(crate) async fn presale_joins_keep_the_caps_proof_of_work_and_modes(h: Harness) {
    use crate::store::{PlaceCap, PowGate};
    use crate::AdmissionMode;
    // Group 1 open already, the public line later.
    let event = presale_event(&h, -1_000, 60_000, 120_000).await;
    assert!(h.store.open(event, &seed()).await.unwrap());
    let join = |user: UserId, cap: Option<PlaceCap>, pow: Option<PowGate>| {
        let store = h.store.clone();
        async move {
            store
                .join_presale(event, user, &TicketId::new(), cap.as_ref(), pow.as_ref(), 1)
                .await
        }
    };
    // Passthrough, nobody waiting: a group fan goes straight through, as a plain join.
    let mut admission = settings(60, 10);
    admission.mode = AdmissionMode::Passthrough;
    h.store.update_admission(event, &admission).await.unwrap();
    let through = join(UserId::new(), None, None).await.unwrap();
    assert!(
        matches!(through.state, TicketState::Admitted { seq: 1, .. }),
        "{through:?}"
    );
    // Reject: no new place.
    admission.mode = AdmissionMode::Reject;
    h.store.update_admission(event, &admission).await.unwrap();
    let refused = join(UserId::new(), None, None).await.unwrap_err();
    assert!(matches!(refused, StoreError::Rejecting), "{refused:?}");
    admission.mode = AdmissionMode::Queue;
    h.store.update_admission(event, &admission).await.unwrap();
    // Proof of work asked and not brought.
    let pow = join(UserId::new(), None, Some(PowGate::Missing))
        .await
        .unwrap_err();
    assert!(
        matches!(pow, StoreError::PowRequired { used: false }),
        "{pow:?}"
    );
    // The address's cap counts presale places with the others.
    let cap = PlaceCap {
        holder: "192.0.2.1".into(),
        max: 1,
    };
    let first = join(UserId::new(), Some(cap.clone()), None).await.unwrap();
    assert_eq!(first.state, TicketState::Queued { seq: 2, ahead: 0 });
    let over = h
        .store
        .join(event, UserId::new(), &TicketId::new(), Some(&cap))
        .await
        .unwrap_err();
    assert!(
        matches!(over, StoreError::TooManyPlaces { max: 1 }),
        "{over:?}"
    );
    let over = join(UserId::new(), Some(cap), None).await.unwrap_err();
    assert!(
        matches!(over, StoreError::TooManyPlaces { max: 1 }),
        "{over:?}"
    );
}
