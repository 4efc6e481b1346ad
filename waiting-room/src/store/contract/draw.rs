//! The opening's draw: the order follows the seed alone (docs/FAIRNESS.md), and the
//! record of it (join order and draw order) is kept for publication.

use super::{seq_of, settings, Harness};
use crate::shuffle::{pseudonym, shuffled, ShuffleSeed};
use crate::{TicketId, UserId};

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
