//! The contract on proof of work ([`PowGate`]): a join that would create a ticket
//! needs a solution whose challenge was not spent, and spends it in the same atomic
//! step; a join that finds the fan's ticket needs nothing; a refusal changes nothing.

use super::{settings, Harness};
use crate::clock::now_ms;
use crate::pow::Solved;
use crate::store::{PlaceCap, PowGate, StoreError, TicketState};
use crate::{TicketId, UserId};

fn solved(id: &str) -> PowGate {
    PowGate::Solved(Solved {
        id: id.into(),
        expires_at_ms: now_ms() + 60_000,
    })
}

pub(crate) async fn a_new_ticket_spends_one_unspent_solution(h: Harness) {
    let event = h.open_event(settings(60, 10)).await;
    let (a, b) = (UserId::new(), UserId::new());
    let join = |user, pow: PowGate| {
        let store = h.store.clone();
        async move {
            store
                .join_gated(event, user, &TicketId::new(), None, &pow)
                .await
        }
    };
    // No solution: refused, nothing changed.
    assert!(matches!(
        join(a, PowGate::Missing).await,
        Err(StoreError::PowRequired { used: false })
    ));
    assert_eq!(h.store.status(event, a).await.unwrap(), None);
    // A solution makes the ticket; the fan's next joins need none.
    let first = join(a, solved("c1")).await.unwrap();
    assert_eq!(first.state, TicketState::Queued { seq: 1, ahead: 0 });
    let again = join(a, PowGate::Missing).await.unwrap();
    assert_eq!(again.ticket, first.ticket, "a reconnect keeps the ticket");
    // The spent challenge buys no second ticket, for anyone.
    assert!(matches!(
        join(b, solved("c1")).await,
        Err(StoreError::PowRequired { used: true })
    ));
    assert!(h.store.leave(event, a).await.unwrap());
    assert!(matches!(
        join(a, solved("c1")).await,
        Err(StoreError::PowRequired { used: true })
    ));
    let back = join(a, solved("c2")).await.unwrap();
    assert_eq!(back.state, TicketState::Queued { seq: 2, ahead: 0 });
}

pub(crate) async fn a_join_refused_at_its_cap_keeps_its_solution(h: Harness) {
    let event = h.open_event(settings(60, 10)).await;
    let here = PlaceCap {
        holder: "198.51.100.1".into(),
        max: 1,
    };
    let (a, b) = (UserId::new(), UserId::new());
    h.store
        .join_gated(event, a, &TicketId::new(), Some(&here), &solved("x1"))
        .await
        .unwrap();
    let full = h
        .store
        .join_gated(event, b, &TicketId::new(), Some(&here), &solved("x2"))
        .await;
    assert!(
        matches!(full, Err(StoreError::TooManyPlaces { .. })),
        "{full:?}"
    );
    h.store
        .join_gated(event, b, &TicketId::new(), None, &solved("x2"))
        .await
        .expect("the refused join did not spend x2");
}
