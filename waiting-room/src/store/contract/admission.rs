//! The contract on the admission step: the rate and FIFO order, the active-shopper
//! cap and its release, session expiry, a step's limit, and pausing.

use super::{join, settings, Harness};
use crate::store::TicketState;
use crate::UserId;

pub(crate) async fn admission_follows_the_rate_and_fifo(h: Harness) {
    // 600/min: 10 per second, burst 10.
    let event = h.open_event(settings(600, 1_000)).await;
    let users: Vec<UserId> = (0..100).map(|_| UserId::new()).collect();
    for u in &users {
        join(&h, event, *u).await;
    }
    let started = h.store.now_ms().await.unwrap();
    let mut order = Vec::new();
    for _ in 0..8 {
        h.advance(250).await;
        let out = h.store.admit(event, None).await.unwrap();
        order.extend(out.admitted.iter().map(|(seq, _)| *seq));
        for (seq, user) in &out.admitted {
            assert_eq!(users[*seq as usize - 1], *user);
        }
    }
    let elapsed = h.store.now_ms().await.unwrap() - started;
    let bound = 10 + (elapsed as u64 * 10).div_ceil(1000);
    assert!(order.len() as u64 <= bound, "{} > {bound}", order.len());
    assert!(
        order.len() >= 15,
        "only {} admitted in {elapsed} ms",
        order.len()
    );
    assert_eq!(order, (1..=order.len() as u64).collect::<Vec<_>>(), "FIFO");
    let stats = h.store.stats(event).await.unwrap();
    assert_eq!(stats.admitted_total, order.len() as u64);
    assert_eq!(stats.admitted_last_minute, order.len() as u64);
    assert_eq!(stats.waiting, 100 - order.len() as u64);
}

pub(crate) async fn active_cap_and_release(h: Harness) {
    let event = h.open_event(settings(60_000, 3)).await;
    let users: Vec<UserId> = (0..6).map(|_| UserId::new()).collect();
    for u in &users {
        join(&h, event, *u).await;
    }
    h.advance(200).await;
    let out = h.store.admit(event, None).await.unwrap();
    assert_eq!(out.admitted.len(), 3);
    assert_eq!(out.active, 3);
    h.advance(200).await;
    assert!(h
        .store
        .admit(event, None)
        .await
        .unwrap()
        .admitted
        .is_empty());
    assert!(h.store.release(event, users[0]).await.unwrap());
    assert!(
        !h.store.release(event, users[0]).await.unwrap(),
        "released once"
    );
    assert!(
        !h.store.release(event, users[5]).await.unwrap(),
        "not admitted"
    );
    let out = h.store.admit(event, None).await.unwrap();
    assert_eq!(out.admitted, vec![(4, users[3])]);
    assert_eq!(h.store.stats(event).await.unwrap().active, 3);
    let status = h.store.status(event, users[3]).await.unwrap().unwrap();
    let TicketState::Admitted {
        admitted_at_ms,
        expires_at_ms,
        ..
    } = status.state
    else {
        panic!("{status:?}")
    };
    assert_eq!(expires_at_ms - admitted_at_ms, 600_000);
}

pub(crate) async fn sessions_expire_and_free_slots(h: Harness) {
    let mut s = settings(60_000, 1);
    s.session_ttl_secs = 1;
    let event = h.open_event(s).await;
    let (a, b) = (UserId::new(), UserId::new());
    join(&h, event, a).await;
    join(&h, event, b).await;
    h.advance(100).await;
    assert_eq!(
        h.store.admit(event, None).await.unwrap().admitted,
        vec![(1, a)]
    );
    assert!(h
        .store
        .admit(event, None)
        .await
        .unwrap()
        .admitted
        .is_empty());
    h.advance(1_050).await;
    assert_eq!(
        h.store.admit(event, None).await.unwrap().admitted,
        vec![(2, b)]
    );
}

pub(crate) async fn admission_limit_caps_a_step(h: Harness) {
    let event = h.open_event(settings(60_000, 100)).await;
    for _ in 0..5 {
        join(&h, event, UserId::new()).await;
    }
    h.advance(200).await;
    assert!(h
        .store
        .admit(event, Some(0))
        .await
        .unwrap()
        .admitted
        .is_empty());
    assert_eq!(
        h.store.admit(event, Some(2)).await.unwrap().admitted.len(),
        2
    );
    assert_eq!(h.store.admit(event, None).await.unwrap().admitted.len(), 3);
}

pub(crate) async fn pause_stops_admission(h: Harness) {
    let mut s = settings(60_000, 100);
    s.paused = true;
    let event = h.open_event(s.clone()).await;
    for _ in 0..5 {
        join(&h, event, UserId::new()).await;
    }
    h.advance(200).await;
    assert!(h
        .store
        .admit(event, None)
        .await
        .unwrap()
        .admitted
        .is_empty());
    s.paused = false;
    h.store.update_admission(event, &s).await.unwrap();
    assert_eq!(h.store.config(event).await.unwrap().unwrap().admission, s);
    h.advance(200).await;
    assert_eq!(h.store.admit(event, None).await.unwrap().admitted.len(), 5);
}
