//! The hold path as a service, without HTTP: all or nothing, the token's seat budget,
//! and expiry, on the embedded store + SQLite and (with the test services) on Redis +
//! PostgreSQL. A [`ManualClock`] drives the service; the embedded seat store reads
//! it too, while Redis keeps its own time (so there the short waits are real).

mod fixture;

use std::time::Duration;

use waiting_room::clock::Clock;

use self::fixture::Fixture;
use super::{HoldBody, HoldError};

fn seats(ids: &[&str]) -> HoldBody {
    HoldBody {
        seats: Some(ids.iter().map(|s| (*s).to_owned()).collect()),
        quantity: None,
        section: None,
    }
}

/// Runs `$test` on each backend: embedded always, scaled when the services are there.
macro_rules! on_both_backends {
    ($($test:ident),* $(,)?) => {
        mod embedded {
            $(#[tokio::test]
            async fn $test() {
                super::$test(super::Fixture::embedded().await).await;
            })*
        }
        mod scaled {
            $(#[tokio::test]
            async fn $test() {
                if let Some(fx) = super::Fixture::scaled().await {
                    super::$test(fx).await;
                }
            })*
        }
    };
}

on_both_backends!(
    a_hold_is_all_or_nothing,
    a_tokens_seat_budget_is_spent_for_good,
    an_expired_token_holds_nothing,
    an_expired_hold_is_not_confirmable,
    a_confirm_ends_the_shopping_session,
);

async fn a_hold_is_all_or_nothing(fx: Fixture) {
    let holds = fx.service();
    let (first, second, third) = (fx.claims(4).await, fx.claims(4).await, fx.claims(4).await);
    holds
        .place_hold(&fx.event, &first, seats(&["A-1-2"]))
        .await
        .expect("a free seat is held");
    let refused = holds
        .place_hold(&fx.event, &second, seats(&["A-1-1", "A-1-2", "A-1-3"]))
        .await
        .expect_err("one of the seats is taken");
    match refused {
        HoldError::SeatsUnavailable { seats } => assert_eq!(seats, ["A-1-2"]),
        other => panic!("{other:?}"),
    }
    assert_eq!(fx.counts().await.held, 1, "the refused hold held none");
    // The free seats of the refused request are still free, and the refused token
    // spent none of its budget: it may hold 4 seats yet.
    let held = holds
        .place_hold(&fx.event, &third, seats(&["A-1-1", "A-1-3"]))
        .await
        .expect("the others are free");
    assert_eq!(held.seats, ["A-1-1", "A-1-3"]);
    let held = holds
        .place_hold(
            &fx.event,
            &second,
            seats(&["A-1-4", "A-1-5", "A-1-6", "A-1-7"]),
        )
        .await
        .expect("the refused token's budget is whole");
    assert_eq!(held.seats.len(), 4);
    assert_eq!(fx.counts().await.held, 7);
}

async fn a_tokens_seat_budget_is_spent_for_good(fx: Fixture) {
    let holds = fx.service();
    let token = fx.claims(2).await;
    let first = holds
        .place_hold(&fx.event, &token, seats(&["A-1-1"]))
        .await
        .unwrap();
    holds
        .place_hold(&fx.event, &token, seats(&["A-1-2"]))
        .await
        .unwrap();
    // A release frees the seats but does not give the budget back.
    holds.release(&token, &first.hold_id).await.unwrap();
    assert_eq!(fx.counts().await.held, 1);
    match holds.place_hold(&fx.event, &token, seats(&["A-1-3"])).await {
        Err(HoldError::TokenExhausted { used: 2, max: 2 }) => {}
        other => panic!("a spent budget must refuse: {other:?}"),
    }
    assert_eq!(fx.counts().await.held, 1, "the refused hold held nothing");
    // Another token is not affected.
    holds
        .place_hold(&fx.event, &fx.claims(2).await, seats(&["A-1-3"]))
        .await
        .unwrap();
}

async fn an_expired_token_holds_nothing(fx: Fixture) {
    let holds = fx.service();
    let token = fx.claims(4).await;
    // A hold lasts the event's hold time, but never past the token's expiry.
    fx.clock.set(token.exp * 1000 - 10_000);
    let held = holds
        .place_hold(&fx.event, &token, seats(&["A-1-1"]))
        .await
        .unwrap();
    let expires_ms = (held.expires_at.unix_timestamp_nanos() / 1_000_000) as i64;
    if !fx.real_time {
        assert_eq!(expires_ms, token.exp * 1000, "capped at the token's expiry");
    }
    fx.clock.set(token.exp * 1000);
    match holds.place_hold(&fx.event, &token, seats(&["A-1-2"])).await {
        Err(HoldError::TokenExpired) => {}
        other => panic!("an expired token must be refused: {other:?}"),
    }
    assert_eq!(fx.counts().await.held, 1, "nothing more was held");
}

async fn an_expired_hold_is_not_confirmable(fx: Fixture) {
    let holds = fx.service();
    let token = fx.claims(4).await;
    // 300 ms left on the token: the hold lasts that long (the store's clock decides).
    fx.clock.set(token.exp * 1000 - 300);
    let held = holds
        .place_hold(&fx.event, &token, seats(&["A-1-1", "A-1-2"]))
        .await
        .unwrap();
    fx.pass(Duration::from_millis(600)).await;
    match holds.confirm(&fx.event, &token, &held.hold_id).await {
        Err(HoldError::HoldExpired) => {}
        other => panic!("an expired hold must not be confirmed: {other:?}"),
    }
    assert!(fx
        .db
        .order_by_hold(&held.hold_id.0)
        .await
        .unwrap()
        .is_none());
    // Its seats are free again for anyone.
    let other = holds
        .place_hold(&fx.event, &fx.claims(4).await, seats(&["A-1-1", "A-1-2"]))
        .await
        .expect("the lapsed hold's seats are free");
    assert_eq!(other.seats, ["A-1-1", "A-1-2"]);
}

async fn a_confirm_ends_the_shopping_session(fx: Fixture) {
    let holds = fx.service();
    let token = fx.claims(4).await;
    let held = holds
        .place_hold(&fx.event, &token, seats(&["A-1-1", "A-1-2"]))
        .await
        .unwrap();
    let now = fx.clock.now_ms();
    let order = holds
        .confirm(&fx.event, &token, &held.hold_id)
        .await
        .unwrap();
    assert_eq!(order.seats, ["A-1-1", "A-1-2"]);
    assert_eq!(order.total_cents, 2 * fixture::PRICE_CENTS);
    assert_eq!(
        (order.created_at.unix_timestamp_nanos() / 1_000_000) as i64,
        now,
        "stamped by the service's clock"
    );
    let again = holds
        .confirm(&fx.event, &token, &held.hold_id)
        .await
        .unwrap();
    assert_eq!(
        again.order_id, order.order_id,
        "a retried confirm answers the order"
    );
    match holds.place_hold(&fx.event, &token, seats(&["A-1-3"])).await {
        Err(HoldError::SessionEnded) => {}
        other => panic!("{other:?}"),
    }
    match holds
        .confirm(&fx.event, &fx.claims(4).await, &held.hold_id)
        .await
    {
        Err(HoldError::NotYourHold) => {}
        other => panic!("{other:?}"),
    }
    let counts = fx.counts().await;
    assert_eq!((counts.held, counts.sold), (0, 2));
}

/// Embedded only: the seat store reads the manual clock, so the event's full hold
/// time passes at once.
#[tokio::test]
async fn a_hold_lasts_the_events_hold_time() {
    let fx = Fixture::embedded().await;
    let holds = fx.service();
    let token = fx.claims(4).await;
    let start = fx.clock.now_ms();
    let held = holds
        .place_hold(&fx.event, &token, seats(&["A-1-1"]))
        .await
        .unwrap();
    let ttl_ms = i64::from(fx.event.hold_ttl_secs) * 1000;
    let expires_ms = (held.expires_at.unix_timestamp_nanos() / 1_000_000) as i64;
    assert_eq!(expires_ms, start + ttl_ms);
    fx.clock.advance(ttl_ms - 1);
    match holds
        .place_hold(&fx.event, &fx.claims(4).await, seats(&["A-1-1"]))
        .await
    {
        Err(HoldError::SeatsUnavailable { .. }) => {}
        other => panic!("the hold still runs: {other:?}"),
    }
    fx.clock.advance(1);
    match holds.confirm(&fx.event, &token, &held.hold_id).await {
        Err(HoldError::HoldExpired) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_token_for_another_event_or_a_bad_body_is_refused() {
    let fx = Fixture::embedded().await;
    let holds = fx.service();
    let mut token = fx.claims(2).await;
    match holds
        .place_hold(&fx.event, &token, seats(&["A-1-1", "A-1-2", "A-1-3"]))
        .await
    {
        Err(HoldError::BadRequest(super::BadHoldRequest::TooManySeats {
            requested: 3,
            max: 2,
        })) => {}
        other => panic!("{other:?}"),
    }
    token.evt = waiting_room::EventId::new();
    match holds.place_hold(&fx.event, &token, seats(&["A-1-1"])).await {
        Err(HoldError::WrongEvent) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(fx.counts().await.held, 0);
}
