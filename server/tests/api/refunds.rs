//! Refunds and caps per account: a refunded seat sells again and both orders are
//! kept; refunds racing purchases never sell a seat twice; refunds are idempotent,
//! only the owner's (or an admin's, with a reason, audited), only inside the window;
//! an account cannot buy past `max_seats_per_account` across orders, and a refund
//! gives seats back.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};

use std::sync::Arc;

use crate::faulty::Faults;
use crate::helpers::{
    purchase_token, spawn_app, spawn_with, start, Backend, Options, Shared, TestApp,
};

crate::both_backends!(
    a_refunded_seat_sells_again_and_both_orders_are_kept,
    refunds_follow_the_rules_and_refusals_change_nothing,
    concurrent_refunds_and_purchases_sell_no_seat_twice,
    an_account_cannot_buy_past_its_cap_until_a_refund,
    a_seat_store_that_fails_the_unsell_frees_the_seats_later,
    a_closed_events_orders_are_not_refunded,
    orders_written_together_stop_at_the_accounts_cap,
);

crate::on_cluster!(concurrent_refunds_and_purchases_sell_no_seat_twice);

/// A signed-in fan: their session token and account id.
struct Fan {
    session: String,
    user: waiting_room::UserId,
}

impl TestApp {
    async fn signed_in_fan(&self) -> Fan {
        let session = self.fan().await;
        let (status, me) = self.get("/api/v1/auth/session", Some(&session)).await;
        assert_eq!(status, StatusCode::OK, "{me}");
        let user = me["user_id"].as_str().unwrap().parse().unwrap();
        Fan { session, user }
    }

    /// Buys `seats` for `fan` with a fresh purchase token: the confirm's answer.
    async fn buy(&self, event: &str, fan: &Fan, seats: &[&str]) -> (StatusCode, Value) {
        let token = purchase_token(self, event, fan.user, 4, 600_000);
        let (status, hold) = self.hold(event, &token, json!({ "seats": seats })).await;
        if status != StatusCode::CREATED {
            return (status, hold);
        }
        self.confirm(hold["hold_id"].as_str().unwrap(), &token)
            .await
    }

    async fn refund(&self, order: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.post(
            &format!("/api/v1/orders/{order}/refund"),
            Some(token),
            &body,
        )
        .await
    }

    async fn orders(&self, token: &str) -> Vec<Value> {
        let (status, orders) = self.get("/api/v1/orders", Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{orders}");
        orders.as_array().unwrap().clone()
    }

    /// An open event whose show is a week out; fans may cancel until an hour before.
    async fn refundable_event(&self, extra: Value) -> String {
        let show_at = time::OffsetDateTime::now_utc() + time::Duration::days(7);
        let mut fields = json!({
            "show_at": show_at.format(&time::format_description::well_known::Rfc3339).unwrap(),
            "refund_window_secs": 3600,
        });
        for (k, v) in extra.as_object().unwrap() {
            fields[k] = v.clone();
        }
        self.create_event_with(-1_000, open_admission(), fields)
            .await
    }
}

fn open_admission() -> Value {
    json!({"rate_per_minute": 60_000, "max_active": 100_000, "session_ttl_secs": 600})
}

fn order_id(order: &Value) -> String {
    order["order_id"].as_str().unwrap().to_owned()
}

async fn a_refunded_seat_sells_again_and_both_orders_are_kept(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app.refundable_event(json!({})).await;
    let (first, second) = (app.signed_in_fan().await, app.signed_in_fan().await);
    let (status, bought) = app.buy(&event, &first, &["A-1-1", "A-1-2"]).await;
    assert_eq!(status, StatusCode::OK, "{bought}");
    assert_eq!(bought["status"], "confirmed");
    assert_eq!(bought["refundable"], true);
    let id = order_id(&bought);

    let (status, refunded) = app.refund(&id, &first.session, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{refunded}");
    assert_eq!(refunded["status"], "refunded");
    assert_eq!(
        refunded["seats"],
        json!(["A-1-1", "A-1-2"]),
        "the seats are kept"
    );
    assert_eq!(refunded["amount_cents"], 10_000);
    assert_eq!(refunded["refunded_cents"], 10_000);
    assert_eq!(refunded["refundable"], false);
    assert!(refunded["refunded_at"].is_string());
    // Idempotent: the same answer again.
    let (status, again) = app.refund(&id, &first.session, json!({})).await;
    assert_eq!((status, &again), (StatusCode::OK, &refunded));

    // The seat map shows them free (the seat log reached this replica's view).
    app.wait_until("refunded seats free", Duration::from_secs(5), || async {
        let map = app.seat_map(&event).await;
        map["A-1-1"] == "free" && map["A-1-2"] == "free"
    })
    .await;
    let (status, rebought) = app.buy(&event, &second, &["A-1-2", "A-1-3"]).await;
    assert_eq!(status, StatusCode::OK, "{rebought}");

    let mine = app.orders(&first.session).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(
        (mine[0]["status"].clone(), mine[0]["seats"].clone()),
        (json!("refunded"), json!(["A-1-1", "A-1-2"]))
    );
    let theirs = app.orders(&second.session).await;
    assert_eq!(theirs[0]["status"], "confirmed");
    assert_eq!(
        theirs[0]["lines"],
        json!([{"seat": "A-1-2", "price_cents": 5000}, {"seat": "A-1-3", "price_cents": 5000}])
    );
    // The database sells A-1-2 once (to the second order) and keeps both orders.
    let db = &app.state.db;
    assert_eq!(
        db.sold_seats(event.parse().unwrap()).await.unwrap(),
        vec![1, 2]
    );
    let old = db.order_by_id(&id).await.unwrap().unwrap();
    assert_eq!(
        (old.seats.clone(), old.refund.as_ref().map(|r| r.by)),
        (vec![0, 1], Some(first.user))
    );
    // Revenue is net of the refund.
    assert_eq!(
        db.revenue_cents(event.parse().unwrap()).await.unwrap(),
        10_000
    );
    app.stop().await;
}

async fn refunds_follow_the_rules_and_refusals_change_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app.refundable_event(json!({})).await;
    let (owner, other) = (app.signed_in_fan().await, app.signed_in_fan().await);
    let (_, bought) = app.buy(&event, &owner, &["A-2-1"]).await;
    let id = order_id(&bought);

    // Another fan's order is no order to them; unknown and malformed ids likewise.
    let (status, body) = app.refund(&id, &other.session, json!({})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found")),
        "{body}"
    );
    let unknown = uuid::Uuid::now_v7().to_string();
    for bad in [unknown.as_str(), "nope", "1234", "0190f5e1-3b7a-7c2d-8e4f"] {
        let (status, body) = app.refund(bad, &owner.session, json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "not_found");
    }
    // Bad bodies and no session.
    for body in [json!({"reason": 5}), json!({"why": "x"}), json!([])] {
        let (status, answer) = app.refund(&id, &owner.session, body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert!(answer["error"]["code"].is_string());
    }
    let (status, _) = app.refund(&id, "not-a-token", json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // An admin must give a reason, of at most 500 characters.
    let admin = app.admin_token.clone();
    for (body, code) in [
        (json!({}), "reason_required"),
        (json!({"reason": "   "}), "reason_required"),
        (json!({"reason": "x".repeat(501)}), "reason_too_long"),
        // PostgreSQL's text cannot hold NUL; no reason needs a control character.
        (json!({"reason": "broken\u{0}seat"}), "invalid_reason"),
        (json!({"reason": "bell\u{7}"}), "invalid_reason"),
    ] {
        let (status, answer) = app.refund(&id, &admin, body).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{answer}"
        );
    }
    assert_unchanged(&app, &id).await;

    // Outside the window (the show is in an hour, fans may cancel until 2 h before).
    let show_at = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let late = app
        .create_event_with(
            -1_000,
            open_admission(),
            json!({
                "show_at": show_at.format(&time::format_description::well_known::Rfc3339).unwrap(),
                "refund_window_secs": 7200,
            }),
        )
        .await;
    let (_, late_order) = app.buy(&late, &owner, &["A-1-1"]).await;
    let (status, body) = app
        .refund(&order_id(&late_order), &owner.session, json!({}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("refund_window_closed")),
        "{body}"
    );
    assert_eq!(
        app.orders(&owner.session)
            .await
            .iter()
            .find(|o| o["order_id"] == late_order["order_id"])
            .unwrap()["refundable"],
        false
    );
    // No self-service refunds at all.
    let none = app.create_event(-1_000, open_admission()).await;
    let (_, none_order) = app.buy(&none, &owner, &["A-1-1"]).await;
    let (status, body) = app
        .refund(&order_id(&none_order), &owner.session, json!({}))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("refunds_not_offered")),
        "{body}"
    );
    assert_eq!(none_order["refundable_until"], Value::Null);

    // An admin refunds any order, any time, with a reason: audited.
    let reason = "duplicate purchase,\nconfirmed by phone";
    let (status, refunded) = app
        .refund(&order_id(&late_order), &admin, json!({"reason": reason}))
        .await;
    assert_eq!(status, StatusCode::OK, "{refunded}");
    assert_eq!(refunded["status"], "refunded");
    let (status, log) = app
        .get(&format!("/api/v1/admin/events/{late}/audit"), Some(&admin))
        .await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let entry = log
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "order_refunded")
        .expect("audited")
        .clone();
    assert_eq!(entry["actor"]["email"], crate::helpers::ADMIN_EMAIL);
    assert_eq!(entry["before"]["status"], "confirmed");
    assert_eq!(entry["after"]["status"], "refunded");
    assert_eq!(entry["after"]["refund_reason"], reason);
    assert_eq!(entry["after"]["order_id"], late_order["order_id"]);
    // A fan's own refund is not an admin action: not in the audit log.
    let (status, _) = app.refund(&id, &owner.session, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, log) = app
        .get(&format!("/api/v1/admin/events/{event}/audit"), Some(&admin))
        .await;
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .all(|e| e["action"] != "order_refunded"),
        "{log}"
    );
    // Refunded: any repeat, even by an admin without a reason, answers the order.
    let (status, again) = app.refund(&id, &admin, json!({})).await;
    assert_eq!(
        (status, again["status"].as_str()),
        (StatusCode::OK, Some("refunded")),
        "{again}"
    );
    app.stop().await;
}

/// The order is still confirmed and its seat still sold.
async fn assert_unchanged(app: &TestApp, id: &str) {
    let order = app.state.db.order_by_id(id).await.unwrap().unwrap();
    assert!(order.refund.is_none(), "{order:?}");
    let sold = app.state.db.sold_seats(order.event).await.unwrap();
    assert_eq!(sold, vec![10]);
}

/// 50 seats sold, then at once: each order refunded twice (200 refunds) while 200
/// new buyers try to buy one seat each. No seat ends in two confirmed orders, the
/// database and the seat store agree seat by seat, and each seat is sold once or free.
async fn concurrent_refunds_and_purchases_sell_no_seat_twice(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app
        .refundable_event(json!({"sections": [{"name": "A", "rows": 5, "seats_per_row": 10, "price_cents": 5000}]}))
        .await;
    let fans: Vec<Fan> = futures_util::stream::iter(0..50)
        .map(|_| app.signed_in_fan())
        .buffered(16)
        .collect()
        .await;
    let mut orders = Vec::new();
    for (i, fan) in fans.iter().enumerate() {
        let seat = format!("A-{}-{}", i / 10 + 1, i % 10 + 1);
        let (status, order) = app.buy(&event, fan, &[seat.as_str()]).await;
        assert_eq!(status, StatusCode::OK, "{order}");
        orders.push((order_id(&order), fan.session.clone()));
    }
    let buyers: Vec<(waiting_room::UserId, String)> = {
        let mut out = Vec::new();
        for _ in 0..200 {
            out.push(crate::helpers::buyer(&app, &event, 1, 600_000).await);
        }
        out
    };
    let refunds = orders.iter().chain(orders.iter()).map(|(id, session)| {
        let app = &app;
        async move {
            let (status, body) = app.refund(id, session, json!({})).await;
            assert_eq!(
                (status, body["status"].as_str()),
                (StatusCode::OK, Some("refunded")),
                "{body}"
            );
        }
    });
    let purchases = buyers.iter().map(|(_, token)| {
        let (app, event) = (&app, &event);
        async move {
            // Best-available, a few tries: seats come back while the buyers shop.
            for _ in 0..20 {
                let (status, hold) = app.hold(event, token, json!({"quantity": 1})).await;
                if status == StatusCode::CREATED {
                    let (status, body) =
                        app.confirm(hold["hold_id"].as_str().unwrap(), token).await;
                    assert_eq!(status, StatusCode::OK, "{body}");
                    return 1;
                }
                assert!(
                    matches!(status, StatusCode::CONFLICT | StatusCode::GONE),
                    "{status}: {hold}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            0
        }
    });
    let refunding = futures_util::future::join_all(refunds);
    let buying = futures_util::future::join_all(purchases);
    let (_, bought) = tokio::join!(refunding, buying);
    let bought: u32 = bought.iter().sum();
    assert!(bought > 0, "refunded seats sold again");

    let db = &app.state.db;
    let id: waiting_room::EventId = event.parse().unwrap();
    // Every confirmed order's seats, over order_lines: no seat in two of them.
    let mut owner: HashMap<u32, String> = HashMap::new();
    let mut confirmed = 0;
    for order in all_orders(&app, id).await {
        if order.refund.is_none() {
            confirmed += 1;
            for seat in &order.seats {
                let before = owner.insert(*seat, order.id.clone());
                assert!(before.is_none(), "seat {seat} in two confirmed orders");
            }
        }
    }
    assert_eq!(
        confirmed as u32, bought,
        "every confirmed purchase has its order"
    );
    let sold: HashSet<u32> = db.sold_seats(id).await.unwrap().into_iter().collect();
    assert_eq!(sold, owner.keys().copied().collect::<HashSet<_>>());
    // The seat store agrees with the database, seat by seat (no hold is left).
    let snapshot = app.state.checkout.seats().seat_snapshot(id).await.unwrap();
    for (seat, state) in snapshot.states.iter().enumerate() {
        let in_db = sold.contains(&(seat as u32));
        assert_eq!(
            *state == 2,
            in_db,
            "seat {seat}: store {state}, database sold {in_db}"
        );
    }
    app.stop().await;
}

/// Every order of the event (refunded too), read through the accounts' orders.
async fn all_orders(app: &TestApp, event: waiting_room::EventId) -> Vec<server::db::Order> {
    use sqlx::Row;
    let rows = sqlx::query("SELECT id FROM orders WHERE event_id = $1")
        .bind(event.to_string())
        .fetch_all(app.state.db.pool())
        .await
        .unwrap();
    let mut out = Vec::new();
    for r in rows {
        let id: String = r.try_get("id").unwrap();
        out.push(app.state.db.order_by_id(&id).await.unwrap().unwrap());
    }
    out
}

async fn an_account_cannot_buy_past_its_cap_until_a_refund(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app
        .refundable_event(json!({"max_seats_per_account": 3}))
        .await;
    let fan = app.signed_in_fan().await;
    let (status, first) = app.buy(&event, &fan, &["A-1-1", "A-1-2"]).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    // Queued again (a new purchase token): two more would pass the cap; told early.
    let (status, body) = app.buy(&event, &fan, &["A-1-3", "A-1-4"]).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("account_limit_reached")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1 left"),
        "{body}"
    );
    let token = purchase_token(&app, &event, fan.user, 4, 600_000);
    let (status, _) = app.hold(&event, &token, json!({"quantity": 2})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // Two tokens each hold the last seat's worth before either confirms: the
    // confirm's transaction lets exactly one through.
    let (a, b) = (
        purchase_token(&app, &event, fan.user, 4, 600_000),
        purchase_token(&app, &event, fan.user, 4, 600_000),
    );
    let (sa, ha) = app.hold(&event, &a, json!({"seats": ["A-1-5"]})).await;
    let (sb, hb) = app.hold(&event, &b, json!({"seats": ["A-1-6"]})).await;
    assert_eq!(
        (sa, sb),
        (StatusCode::CREATED, StatusCode::CREATED),
        "{ha} {hb}"
    );
    let (ca, cb) = tokio::join!(
        app.confirm(ha["hold_id"].as_str().unwrap(), &a),
        app.confirm(hb["hold_id"].as_str().unwrap(), &b),
    );
    let mut statuses = [ca.0, cb.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{} {}",
        ca.1,
        cb.1
    );
    let refused = if ca.0 == StatusCode::CONFLICT {
        &ca.1
    } else {
        &cb.1
    };
    assert_eq!(refused["error"]["code"], "account_limit_reached");
    let id: waiting_room::EventId = event.parse().unwrap();
    assert_eq!(app.state.db.account_seats(id, fan.user).await.unwrap(), 3);
    // The refused hold's seat went back on sale.
    app.wait_until("refused hold released", Duration::from_secs(5), || async {
        let map = app.seat_map(&event).await;
        map["A-1-5"] == "free" || map["A-1-6"] == "free"
    })
    .await;
    let (status, body) = app.buy(&event, &fan, &["A-2-1"]).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("account_limit_reached")),
        "{body}"
    );

    // A refund gives the seats back: two more can be bought, not three.
    let (status, _) = app.refund(&order_id(&first), &fan.session, json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.state.db.account_seats(id, fan.user).await.unwrap(), 1);
    let (status, body) = app.buy(&event, &fan, &["A-2-1", "A-2-2", "A-2-3"]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = app.buy(&event, &fan, &["A-2-1", "A-2-2"]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.state.db.account_seats(id, fan.user).await.unwrap(), 3);
    app.stop().await;
}

/// The refund commits, the seat store fails to free the seats: the answer is 200
/// (the refund is durable), the seats show sold meanwhile, and the background retry
/// frees them once the store answers.
async fn a_seat_store_that_fails_the_unsell_frees_the_seats_later(backend: Backend) {
    let faults = Arc::new(Faults::default());
    let options = Options {
        wrap_stores: Some(faults.wrap()),
        ..Options::default()
    };
    let Some(app) = spawn_with(backend, options).await else {
        return;
    };
    let event = app.refundable_event(json!({})).await;
    let fan = app.signed_in_fan().await;
    let (status, order) = app.buy(&event, &fan, &["A-1-1"]).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    app.wait_until("the sale on the map", Duration::from_secs(5), || async {
        app.seat_map(&event).await["A-1-1"] == "sold"
    })
    .await;
    faults
        .fail_unsell
        .store(3, std::sync::atomic::Ordering::SeqCst);
    let (status, refunded) = app.refund(&order_id(&order), &fan.session, json!({})).await;
    assert_eq!(
        (status, refunded["status"].as_str()),
        (StatusCode::OK, Some("refunded")),
        "{refunded}"
    );
    app.wait_until("the retried unsell", Duration::from_secs(10), || async {
        app.seat_map(&event).await["A-1-1"] == "free"
    })
    .await;
    assert_eq!(
        faults.fail_unsell.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "retried"
    );
    app.stop().await;
}

/// A refund whose process died between its commit and the seat store's unsell left
/// the seat sold in the store: the next replica to load the event frees it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seat_left_sold_by_a_crashed_refund_is_freed_when_a_room_loads() {
    let Some(shared) = Shared::fresh().await else {
        return;
    };
    let options = Options {
        shared: Some(shared),
        ..Options::default()
    };
    let one = start(options.clone()).await;
    let event = one.refundable_event(json!({})).await;
    let fan = one.signed_in_fan().await;
    let (status, order) = one.buy(&event, &fan, &["A-1-1", "A-1-2"]).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    one.wait_until("the sale on the map", Duration::from_secs(5), || async {
        one.seat_map(&event).await["A-1-2"] == "sold"
    })
    .await;
    // The database half of a refund only (as if the process died before the unsell).
    let request = server::db::RefundRequest {
        at_ms: waiting_room::clock::now_ms(),
        by: fan.user,
        reason: None,
        audit: None,
        outbox: &[],
    };
    let done = one
        .state
        .db
        .refund_order(&order_id(&order), &request)
        .await
        .unwrap();
    assert!(matches!(done, server::db::Refunded::Now(_)), "{done:?}");
    tokio::time::sleep(Duration::from_millis(300)).await; // a few seat-log ticks
    assert_eq!(
        one.seat_map(&event).await["A-1-1"],
        "sold",
        "the store was not told"
    );
    // Another replica loads the event's seat room: the stray seats are freed, and the
    // seat log carries it to the first replica too.
    let two = start(options).await;
    assert_eq!(two.seat_map(&event).await["A-1-2"], "free");
    one.wait_until(
        "the first replica sees it",
        Duration::from_secs(5),
        || async {
            let map = one.seat_map(&event).await;
            map["A-1-1"] == "free" && map["A-1-2"] == "free"
        },
    )
    .await;
    two.stop().await;
    one.stop().await;
}

/// Once the event is closed neither the fan nor an admin refunds its orders.
async fn a_closed_events_orders_are_not_refunded(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app.refundable_event(json!({})).await;
    let fan = app.signed_in_fan().await;
    let (_, order) = app.buy(&event, &fan, &["A-1-1"]).await;
    // Closed as the box office's close does it: the row, then this replica's cache.
    let id: waiting_room::EventId = event.parse().unwrap();
    sqlx::query("UPDATE events SET closed = 1 WHERE id = $1")
        .bind(&event)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let mut closed = app.state.events.get(id).await.unwrap();
    closed.closed = true;
    app.state.events.cache(closed);
    let admin = app.admin_token.clone();
    for (token, body) in [
        (&fan.session, json!({})),
        (&admin, json!({"reason": "too late"})),
    ] {
        let (status, answer) = app.refund(&order_id(&order), token, body).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("event_closed")),
            "{answer}"
        );
    }
    assert_eq!(app.orders(&fan.session).await[0]["status"], "confirmed");
    app.stop().await;
}

/// Twelve one-seat orders of one account written at once (on PostgreSQL they share
/// group-commit batches, refused as a whole past the cap and then written one by
/// one): exactly the cap's worth are created, the others refused, none lost.
async fn orders_written_together_stop_at_the_accounts_cap(backend: Backend) {
    use server::db::Written;
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app
        .refundable_event(json!({"max_seats_per_account": 5}))
        .await;
    let (user, _) = crate::helpers::buyer(&app, &event, 4, 600_000).await;
    let orders: Vec<server::db::Order> = (0..12)
        .map(|i| server::db::Order {
            id: uuid::Uuid::now_v7().to_string(),
            event: event.parse().unwrap(),
            user,
            hold_id: format!("cap-{i}"),
            total_cents: 5000,
            seats: vec![i],
            created_at_ms: 0,
            joined_at_ms: None,
            admitted_at_ms: None,
            refund: None,
        })
        .collect();
    let db = &app.state.db;
    let results = futures_util::future::join_all(orders.iter().map(|o| db.write_order(o))).await;
    let (mut created, mut refused) = (0, 0);
    for result in results {
        match result.unwrap() {
            Written::Created(_) => created += 1,
            Written::OverAccountCap { bought } => {
                assert_eq!(bought, 5);
                refused += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((created, refused), (5, 7));
    let id: waiting_room::EventId = event.parse().unwrap();
    assert_eq!(db.account_seats(id, user).await.unwrap(), 5);
    assert_eq!(db.sold_seats(id).await.unwrap().len(), 5);
    app.stop().await;
}
