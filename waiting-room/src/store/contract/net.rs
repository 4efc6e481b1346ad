//! The contract on the safety net (docs/ARCHITECTURE.md, "The safety net"): in mode
//! `queue`, a join is admitted at once while nobody waits ahead, fewer than
//! `max_shoppers` shop and fewer than `max_arrivals_per_minute` joined in the last
//! minute; past either level fans queue in FIFO order; once the line has drained and
//! both are back under, joins are admitted at once again.

use super::{join, settings, Harness};
use crate::store::TicketState;
use crate::{SafetyNet, UserId};

fn admitted(s: &TicketState) -> bool {
    matches!(s, TicketState::Admitted { .. })
}

pub(crate) async fn the_safety_net_admits_at_once_then_queues_then_admits_again(h: Harness) {
    // Rate 1/min: the admission step admits nobody the test does not ask it to.
    let mut netted = settings(1, 100);
    netted.safety_net = Some(SafetyNet {
        max_shoppers: 2,
        max_arrivals_per_minute: 4,
    });
    let early = h.event(300, netted.clone()).await;
    assert_eq!(
        join(&h, early, UserId::new()).await.state,
        TicketState::Prequeue { slot: 0 },
        "before the opening a join waits for the draw"
    );
    let event = h.open_event(netted.clone()).await;
    let kept = h.store.config(event).await.unwrap().unwrap().admission;
    assert_eq!(kept, netted, "the net is kept with the settings");
    let u: Vec<UserId> = (0..10).map(|_| UserId::new()).collect();

    // Under both levels: admitted at once.
    for user in &u[..2] {
        let s = join(&h, event, *user).await;
        assert!(admitted(&s.state), "admitted at once: {s:?}");
    }
    // Two shopping: the shoppers' level is reached, the next fan queues.
    assert_eq!(
        join(&h, event, u[2]).await.state,
        TicketState::Queued { seq: 3, ahead: 0 }
    );
    // A shopper leaves, but a fan waits: a joiner queues behind, FIFO.
    assert!(h.store.release(event, u[0]).await.unwrap());
    assert_eq!(
        join(&h, event, u[3]).await.state,
        TicketState::Queued { seq: 4, ahead: 1 }
    );
    // The line drains (they leave); one shopper: under the shoppers' level, but four
    // arrived this minute: a burst past the arrival level queues, FIFO.
    assert!(h.store.leave(event, u[2]).await.unwrap());
    assert!(h.store.leave(event, u[3]).await.unwrap());
    for (i, user) in u[4..7].iter().enumerate() {
        assert_eq!(
            join(&h, event, *user).await.state,
            TicketState::Queued {
                seq: 5 + i as u64,
                ahead: i as u64
            }
        );
    }
    let stats = h.store.stats(event).await.unwrap();
    assert_eq!(
        (stats.admitted_total, stats.active, stats.waiting),
        (2, 1, 3)
    );
    for user in &u[4..7] {
        assert!(h.store.leave(event, *user).await.unwrap());
    }
    if h.manual_clock() {
        // A minute later the arrivals are back under: at once again.
        h.advance(61_000).await;
        let s = join(&h, event, u[7]).await;
        assert!(admitted(&s.state), "admitted at once again: {s:?}");
    } else {
        // (Redis keeps its own clock: a raised arrival level stands in for the
        // minute passing.) Still over: queued; the level raised: at once again.
        assert_eq!(
            join(&h, event, u[7]).await.state,
            TicketState::Queued { seq: 8, ahead: 0 }
        );
        assert!(h.store.leave(event, u[7]).await.unwrap());
        let mut raised = netted.clone();
        raised.safety_net = Some(SafetyNet {
            max_shoppers: 2,
            max_arrivals_per_minute: 100,
        });
        h.store.update_admission(event, &raised).await.unwrap();
        let s = join(&h, event, u[8]).await;
        assert!(admitted(&s.state), "admitted at once again: {s:?}");
    }
    // The net is mode `queue`'s only: in queue_all nobody is let through.
    let mut all = netted.clone();
    all.safety_net = Some(SafetyNet {
        max_shoppers: 100,
        max_arrivals_per_minute: 1000,
    });
    all.mode = crate::AdmissionMode::QueueAll;
    h.store.update_admission(event, &all).await.unwrap();
    assert!(matches!(
        join(&h, event, u[9]).await.state,
        TicketState::Queued { .. }
    ));
    assert_eq!(h.store.stats(event).await.unwrap().admitted_total, 3);
}
