//! The contract on admission modes (docs/ARCHITECTURE.md, "Admission modes"): the
//! mode and its message are kept with the settings; `queue_all` and `reject` admit
//! nobody, `reject` refuses new places only, `passthrough` admits without the rate but
//! under the cap, and a line left from before first; every place is kept throughout.

use super::{join, settings, Harness};
use crate::store::{StoreError, TicketState};
use crate::{AdmissionMode, AdmissionSettings, TicketId, UserId};

fn with_mode(mut s: AdmissionSettings, mode: AdmissionMode, message: &str) -> AdmissionSettings {
    s.mode = mode;
    s.message = (!message.is_empty()).then(|| message.to_owned());
    s
}

pub(crate) async fn every_place_is_kept_through_every_mode(h: Harness) {
    // A slow rate (1/min) so nothing is admitted in queue mode within the test.
    let base = settings(1, 100);
    let event = h.open_event(base.clone()).await;
    let users: Vec<UserId> = (0..6).map(|_| UserId::new()).collect();
    let mut tickets = Vec::new();
    for u in &users {
        tickets.push(join(&h, event, *u).await.ticket);
    }
    // The bucket's first token goes now: one admitted in queue mode.
    h.advance(200).await;
    let first = h.store.admit(event, None).await.unwrap().admitted;
    let in_line = &users[first.len()..];
    let places = |h: &Harness| {
        let users = in_line.to_vec();
        let store = h.store.clone();
        async move {
            let statuses = store.statuses(event, &users).await.unwrap();
            statuses
                .into_iter()
                .map(|s| match s.unwrap().state {
                    TicketState::Queued { seq, ahead } => (seq, ahead),
                    other => panic!("not in line: {other:?}"),
                })
                .collect::<Vec<_>>()
        }
    };
    let before = places(&h).await;

    // queue_all: nobody admitted, joins still queue behind, places kept.
    let all = with_mode(
        base.clone(),
        AdmissionMode::QueueAll,
        "Hold on: the shop is busy.",
    );
    h.store.update_admission(event, &all).await.unwrap();
    assert_eq!(h.store.config(event).await.unwrap().unwrap().admission, all);
    h.advance(1_500).await;
    assert!(h
        .store
        .admit(event, None)
        .await
        .unwrap()
        .admitted
        .is_empty());
    let late = UserId::new();
    let TicketState::Queued { ahead, .. } = join(&h, event, late).await.state else {
        panic!("a join in queue_all queues");
    };
    assert_eq!(ahead, in_line.len() as u64);
    assert_eq!(places(&h).await, before, "queue_all keeps every place");

    // reject: a new place is refused and nothing changes; a fan in line keeps its
    // ticket (a reconnect's join gives it back); nobody is admitted.
    let reject = with_mode(base.clone(), AdmissionMode::Reject, "Down for maintenance.");
    h.store.update_admission(event, &reject).await.unwrap();
    let waiting = h.store.stats(event).await.unwrap().waiting;
    let stranger = UserId::new();
    let refused = h
        .store
        .join(event, stranger, &TicketId::new(), None)
        .await
        .unwrap_err();
    assert!(matches!(refused, StoreError::Rejecting), "{refused:?}");
    assert_eq!(h.store.status(event, stranger).await.unwrap(), None);
    assert_eq!(h.store.stats(event).await.unwrap().waiting, waiting);
    let again = join(&h, event, in_line[0]).await;
    assert_eq!(again.ticket, tickets[first.len()], "the same ticket");
    h.advance(1_500).await;
    assert!(h
        .store
        .admit(event, None)
        .await
        .unwrap()
        .admitted
        .is_empty());
    assert_eq!(places(&h).await, before, "reject keeps every place");

    // passthrough: the rate (1/min) no longer holds the line: everyone waiting is
    // admitted in order, under the cap.
    let pass = with_mode(base.clone(), AdmissionMode::Passthrough, "");
    h.store.update_admission(event, &pass).await.unwrap();
    let out = h.store.admit(event, None).await.unwrap();
    let seqs: Vec<u64> = out.admitted.iter().map(|(s, _)| *s).collect();
    let mut expected: Vec<u64> = before.iter().map(|(s, _)| *s).collect();
    expected.push(seq_of_user(&h, event, late).await);
    assert_eq!(seqs, expected, "the line drains in FIFO order");
    // Back to queue: the settings are what they were.
    h.store.update_admission(event, &base).await.unwrap();
    assert_eq!(
        h.store.config(event).await.unwrap().unwrap().admission,
        base
    );
}

async fn seq_of_user(h: &Harness, event: crate::EventId, user: UserId) -> u64 {
    super::seq_of(&h.state(event, user).await)
}

pub(crate) async fn passthrough_admits_a_joiner_only_with_nobody_ahead(h: Harness) {
    // Rate 1/min (its one token spent below), at most 2 shoppers.
    let pass = with_mode(settings(1, 2), AdmissionMode::Passthrough, "");
    let early = h.event(300, pass.clone()).await;
    assert_eq!(
        join(&h, early, UserId::new()).await.state,
        TicketState::Prequeue { slot: 0 },
        "before the opening a join waits for the draw"
    );
    let event = h.open_event(pass).await;
    let users: Vec<UserId> = (0..5).map(|_| UserId::new()).collect();
    for u in &users[..2] {
        let s = join(&h, event, *u).await;
        assert!(
            matches!(s.state, TicketState::Admitted { .. }),
            "admitted at once: {s:?}"
        );
    }
    // The cap is reached: the next fans queue, FIFO.
    assert_eq!(
        join(&h, event, users[2]).await.state,
        TicketState::Queued { seq: 3, ahead: 0 }
    );
    assert_eq!(
        join(&h, event, users[3]).await.state,
        TicketState::Queued { seq: 4, ahead: 1 }
    );
    // A slot frees, but fans wait ahead: a new joiner queues behind them.
    assert!(h.store.release(event, users[0]).await.unwrap());
    assert_eq!(
        join(&h, event, users[4]).await.state,
        TicketState::Queued { seq: 5, ahead: 2 }
    );
    let out = h.store.admit(event, None).await.unwrap();
    assert_eq!(out.admitted, vec![(3, users[2])], "the head, under the cap");
    let stats = h.store.stats(event).await.unwrap();
    assert_eq!(
        stats.admitted_total, 3,
        "joins admitted at once are counted"
    );
    assert_eq!(stats.admitted_last_minute, 3);
    assert_eq!(stats.active, 2);
    // The log says it as an admission step would: the replay admits seq 1 and 2.
    let batch = h
        .store
        .changes(event, &Default::default(), 100)
        .await
        .unwrap();
    let admitted: Vec<u64> = batch
        .changes
        .iter()
        .flat_map(|c| match c {
            crate::store::Change::Admitted { seqs, .. } => seqs.clone(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(admitted, vec![1, 2, 3]);
}
