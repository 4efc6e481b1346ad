//! After a purchase and after sell-out: a fan who bought is told `purchased` (with the
//! order, no purchase token) on the socket and by `queue/me`; the fans still in line
//! after sell-out are the waitlist, offered the seats that come back in queue order,
//! an offer not taken passing to the next fan.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{buyer, spawn_app, Backend, Bound, Fan, TestApp};

crate::both_backends!(
    a_buyer_is_told_purchased_with_no_token,
    the_waitlist_gets_returned_seats_in_queue_order,
    a_refund_in_a_sold_out_sale_admits_the_next_fans_on_the_waitlist,
);

const WAIT: Duration = Duration::from_secs(10);

/// An open event with `seats` seats in one row, admission paused (so fans line up in
/// join order first), sessions of `session_ttl_secs`.
async fn event(app: &TestApp, seats: u32, session_ttl_secs: u32) -> String {
    let starts_at = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    let body = json!({
        "name": "Waitlist sale",
        "starts_at": starts_at.format(&time::format_description::well_known::Rfc3339).unwrap(),
        "sections": [{"name": "A", "rows": 1, "seats_per_row": seats, "price_cents": 2500}],
        "max_seats_per_order": 4,
        "hold_ttl_secs": 300,
        "admission": {"rate_per_minute": 60_000, "max_active": 1_000, "session_ttl_secs": session_ttl_secs, "paused": true},
    });
    let (status, event) = app
        .post("/api/v1/admin/events", Some(&app.admin_token), &body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    let id = event["id"].as_str().unwrap().to_owned();
    app.wait_until("sale opens", WAIT, || async {
        app.stats(&id).await["opened"] == json!(true)
    })
    .await;
    id
}

async fn queue_me(app: &TestApp, event: &str, session: &str) -> Value {
    let (status, body) = app
        .get(&format!("/api/v1/events/{event}/queue/me"), Some(session))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

async fn a_buyer_is_told_purchased_with_no_token(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = event(&app, 10, 600).await;
    app.patch_admission(&event, json!({"paused": false})).await;
    let session = app.fan().await;
    let mut fan = app.connect(&event, &session).await;
    fan.join().await;
    let admitted = fan.expect("admitted", WAIT).await;
    let token = admitted["purchase_token"].as_str().unwrap().to_owned();
    let (status, held) = app.hold(&event, &token, json!({"quantity": 2})).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let (status, order) = app.confirm(held["hold_id"].as_str().unwrap(), &token).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    let order_id = order["order_id"].clone();

    // The open socket hears it, with the order and no token.
    let told = fan.expect("purchased", WAIT).await;
    assert_eq!(told, json!({"type": "purchased", "orders": [order_id]}));
    // So does the HTTP fallback, and a fresh socket (a reload).
    assert_eq!(queue_me(&app, &event, &session).await, told);
    fan.close().await;
    let mut again = app.connect(&event, &session).await;
    let first = again.next_within(WAIT).await.expect("the state on connect");
    assert_eq!(first, told);
    // The old token still holds nothing.
    let (status, body) = app.hold(&event, &token, json!({"quantity": 1})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("session_ended"))
    );
    // Joining again is a new ticket at the back of the line (the admission of which
    // is a new session with a new token).
    let rejoined = again.join().await;
    let fresh = match rejoined["type"].as_str() {
        Some("admitted") => rejoined,
        Some("queued") => again.expect("admitted", WAIT).await,
        _ => panic!("{rejoined}"),
    };
    assert_ne!(fresh["purchase_token"], json!(token));
    app.stop().await;
}

async fn the_waitlist_gets_returned_seats_in_queue_order(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // 5 seats, all held by two buyers: sold out. Sessions of 10 s (the shortest).
    let event = event(&app, 5, 10).await;
    let (_, holder) = buyer(&app, &event, 4, 600_000).await;
    let (status, three) = app
        .hold(
            &event,
            &holder,
            json!({"seats": ["A-1-1", "A-1-2", "A-1-3"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{three}");
    let (_, other) = buyer(&app, &event, 4, 600_000).await;
    let (status, _) = app
        .hold(&event, &other, json!({"seats": ["A-1-4", "A-1-5"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // 20 fans line up, in this order.
    let sessions = app.fans(20).await;
    let mut fans: Vec<Fan> = Vec::new();
    for s in &sessions {
        let mut fan = app.connect(&event, s).await;
        let placed = fan.join().await;
        assert_eq!(placed["type"], "queued", "{placed}");
        fans.push(fan);
    }
    app.patch_admission(&event, json!({"paused": false})).await;
    for fan in &mut fans {
        fan.expect("waitlist", WAIT).await;
    }
    let me = queue_me(&app, &event, &sessions[19]).await;
    assert_eq!(
        (&me["type"], &me["ahead"], &me["sold_out"], &me["waitlist"]),
        (&json!("queued"), &json!(19), &json!(true), &json!(true)),
        "{me}"
    );
    assert_eq!(app.stats(&event).await["admitted_total"], json!(0));

    // 3 seats come back: exactly the first 3 fans in line are offered them.
    let hold = three["hold_id"].as_str().unwrap();
    let resp = app
        .http
        .delete(app.url(&format!("/api/v1/holds/{hold}")))
        .bound(&app, &holder)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let mut tokens = Vec::new();
    for fan in &mut fans[..3] {
        let m = fan.expect("admitted", WAIT).await;
        tokens.push(m["purchase_token"].as_str().unwrap().to_owned());
    }
    // The fourth hears that seats came back, still on the waitlist, and is not admitted.
    let seen = until(&mut fans[3], |m| {
        m["type"] == "availability" && m["available"] == 3
    })
    .await;
    assert!(seen.iter().all(|m| m["type"] != "admitted"), "{seen:?}");
    let me = queue_me(&app, &event, &sessions[3]).await;
    assert_eq!(
        (&me["ahead"], &me["waitlist"]),
        (&json!(0), &json!(true)),
        "{me}"
    );
    assert_eq!(app.stats(&event).await["admitted_total"], json!(3));

    // The first buys one seat; the other two let their offers lapse: the two seats
    // left pass to the next two fans, in order, and to nobody else.
    let (status, held) = app.hold(&event, &tokens[0], json!({"quantity": 1})).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let (status, _) = app
        .confirm(held["hold_id"].as_str().unwrap(), &tokens[0])
        .await;
    assert_eq!(status, StatusCode::OK);
    for fan in &mut fans[1..3] {
        fan.expect("expired", Duration::from_secs(15)).await;
    }
    for fan in &mut fans[3..5] {
        fan.expect("admitted", WAIT).await;
    }
    app.wait_until("two more admitted", WAIT, || async {
        app.stats(&event).await["admitted_total"] == json!(5)
    })
    .await;
    let me = queue_me(&app, &event, &sessions[5]).await;
    assert_eq!(
        (&me["type"], &me["ahead"]),
        (&json!("queued"), &json!(0)),
        "{me}"
    );
    assert_eq!(
        app.stats(&event).await["admitted_total"],
        json!(5),
        "nobody else"
    );
    app.stop().await;
}

async fn a_refund_in_a_sold_out_sale_admits_the_next_fans_on_the_waitlist(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // 2 seats, both bought: sold out.
    let event = event(&app, 2, 600).await;
    let (_, token) = buyer(&app, &event, 4, 600_000).await;
    let (status, held) = app.hold(&event, &token, json!({"quantity": 2})).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let (status, order) = app.confirm(held["hold_id"].as_str().unwrap(), &token).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    // 3 fans wait: the waitlist.
    let sessions = app.fans(3).await;
    let mut fans: Vec<Fan> = Vec::new();
    for s in &sessions {
        let mut fan = app.connect(&event, s).await;
        assert_eq!(fan.join().await["type"], "queued");
        fans.push(fan);
    }
    app.patch_admission(&event, json!({"paused": false})).await;
    for fan in &mut fans {
        fan.expect("waitlist", WAIT).await;
    }
    assert_eq!(app.stats(&event).await["admitted_total"], json!(0));

    // An admin refunds the order: its 2 seats go to the first 2 fans in line, in order.
    let order_id = order["order_id"].as_str().unwrap();
    let (status, refunded) = app
        .post(
            &format!("/api/v1/orders/{order_id}/refund"),
            Some(&app.admin_token),
            &json!({"reason": "the buyer cannot come"}),
        )
        .await;
    assert_eq!(
        (status, &refunded["status"]),
        (StatusCode::OK, &json!("refunded")),
        "{refunded}"
    );
    for fan in &mut fans[..2] {
        fan.expect("admitted", WAIT).await;
    }
    let seen = until(&mut fans[2], |m| {
        m["type"] == "availability" && m["available"] == 2
    })
    .await;
    assert!(seen.iter().all(|m| m["type"] != "admitted"), "{seen:?}");
    let me = queue_me(&app, &event, &sessions[2]).await;
    assert_eq!(
        (&me["type"], &me["ahead"], &me["waitlist"]),
        (&json!("queued"), &json!(0), &json!(true)),
        "{me}"
    );
    assert_eq!(app.stats(&event).await["admitted_total"], json!(2));
    app.stop().await;
}

/// Messages up to and including the first that `stop` accepts.
async fn until(fan: &mut Fan, stop: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        let m = fan.next_within(WAIT).await.expect("a message");
        let done = stop(&m);
        seen.push(m);
        if done {
            return seen;
        }
    }
}
