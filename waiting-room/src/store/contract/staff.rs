//! The contract on staff bypass (docs/ARCHITECTURE.md, "Staff bypass"): a staff
//! account's new ticket is admitted at once once the sale is open, whatever the mode,
//! the pause, the rate, the cap and the line, counted like any admission, and nobody
//! else's place or people-ahead changes.

use super::{join, settings, Harness};
use crate::store::{Change, StoreError, TicketState};
use crate::{AdmissionMode, EventId, TicketId, UserId};

async fn staff_join(h: &Harness, event: EventId, user: UserId) -> TicketState {
    let ticket = TicketId(format!("staff-{user}"));
    h.store
        .join_staff(event, user, &ticket)
        .await
        .unwrap()
        .state
}

pub(crate) async fn staff_skip_the_line_and_nobody_else_moves(h: Harness) {
    // Before the opening a staff join waits for the draw like everyone's.
    let early = h.event(300, settings(60, 10)).await;
    assert_eq!(
        staff_join(&h, early, UserId::new()).await,
        TicketState::Prequeue { slot: 0 }
    );

    // An open sale, stopped every way it can be: paused, queue_all, a rate of 1/min
    // and one shopper at most.
    let mut stopped = settings(1, 1);
    stopped.paused = true;
    stopped.mode = AdmissionMode::QueueAll;
    let event = h.open_event(stopped.clone()).await;
    let fans: Vec<UserId> = (0..4).map(|_| UserId::new()).collect();
    for (i, u) in fans.iter().enumerate() {
        assert_eq!(
            join(&h, event, *u).await.state,
            TicketState::Queued {
                seq: i as u64 + 1,
                ahead: i as u64
            }
        );
    }
    let places = || async {
        let statuses = h.store.statuses(event, &fans).await.unwrap();
        statuses
            .into_iter()
            .map(|s| s.unwrap().state)
            .collect::<Vec<_>>()
    };
    let before = places().await;

    let (staff, other) = (UserId::new(), UserId::new());
    let first = staff_join(&h, event, staff).await;
    assert!(
        matches!(first, TicketState::Admitted { seq: 5, .. }),
        "admitted at once, behind everyone's seq: {first:?}"
    );
    assert_eq!(
        staff_join(&h, event, staff).await,
        first,
        "a second join gives the same ticket back"
    );
    // Past the cap of one shopper too (staff are a handful, and test the shop).
    assert!(matches!(
        staff_join(&h, event, other).await,
        TicketState::Admitted { seq: 6, .. }
    ));
    assert_eq!(places().await, before, "nobody else moved");

    // reject: a fan is refused, a staff account still gets through.
    let mut rejecting = stopped.clone();
    rejecting.mode = AdmissionMode::Reject;
    h.store.update_admission(event, &rejecting).await.unwrap();
    assert!(matches!(
        h.store
            .join(event, UserId::new(), &TicketId("t-fan".into()), None)
            .await,
        Err(StoreError::Rejecting)
    ));
    let third = UserId::new();
    assert!(matches!(
        staff_join(&h, event, third).await,
        TicketState::Admitted { seq: 7, .. }
    ));
    assert_eq!(places().await, before, "nobody else moved");

    // Counted like any admission, and said in the log as a J then an A.
    let stats = h.store.stats(event).await.unwrap();
    assert_eq!(stats.admitted_total, 3);
    assert_eq!(stats.admitted_last_minute, 3);
    assert_eq!(stats.active, 3);
    assert_eq!(stats.waiting, 4);
    let batch = h
        .store
        .changes(event, &Default::default(), 100)
        .await
        .unwrap();
    let admitted: Vec<u64> = batch
        .changes
        .iter()
        .flat_map(|c| match c {
            Change::Admitted { seqs, .. } => seqs.clone(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(admitted, vec![5, 6, 7]);
}
