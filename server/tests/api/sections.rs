//! Editing an event's sections before its opening: the new seat map replaces the old
//! in the database, the seat store and every replica's seat room (and the seat
//! stream's sockets follow it); refused after the opening, while a seat is held,
//! held back or ordered, for bad sections, unknown events and fans, nothing changed.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::Row;
use waiting_room::seats::store::{HoldId, HoldOutcome, HoldRequest};

use crate::both_backends;
use crate::helpers::{next_json, spawn_app, start, Backend, Options, Shared, TestApp};

both_backends!(
    sections_are_replaced_before_the_opening,
    section_edits_are_refused_with_nothing_changed,
    a_hold_back_named_on_the_old_map_is_not_recorded,
    a_failed_section_edit_puts_the_store_back,
);

fn admission() -> Value {
    json!({"rate_per_minute": 60, "max_active": 10})
}

/// Floor (2 × 3 at 45.00) and Balcony (1 × 2 at 20.00): 8 seats.
fn new_sections() -> Value {
    json!([
        {"name": "Floor", "rows": 2, "seats_per_row": 3, "price_cents": 4500},
        {"name": "Balcony", "rows": 1, "seats_per_row": 2, "price_cents": 2000},
    ])
}

fn code(body: &Value) -> String {
    body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

impl TestApp {
    async fn edit_sections(
        &self,
        event: &str,
        token: &str,
        sections: Value,
    ) -> (StatusCode, Value) {
        let body = json!({"sections": sections});
        self.patch(&format!("/api/v1/admin/events/{event}"), Some(token), &body)
            .await
    }

    /// The event's seat rows in the database: (label, price) by index.
    async fn seat_rows(&self, event: &str) -> Vec<(String, i64)> {
        sqlx::query("SELECT label, price_cents FROM seats WHERE event_id = $1 ORDER BY seat_index")
            .bind(event)
            .fetch_all(self.state.db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get("label"), r.get("price_cents")))
            .collect()
    }

    /// The labels on the public seat map, sorted.
    async fn seat_labels(&self, event: &str) -> Vec<String> {
        let mut labels: Vec<String> = self.seat_map(event).await.keys().cloned().collect();
        labels.sort();
        labels
    }
}

fn labels(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn new_labels() -> Vec<String> {
    labels(&[
        "Floor-1-1",
        "Floor-1-2",
        "Floor-1-3",
        "Floor-2-1",
        "Floor-2-2",
        "Floor-2-3",
        "Balcony-1-1",
        "Balcony-1-2",
    ])
}

async fn sections_are_replaced_before_the_opening(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app.create_event(600_000, admission()).await;
    assert_eq!(app.seat_map(&event).await.len(), 100);
    // A fan page's seat stream, open before the edit.
    let url = format!("ws://127.0.0.1:{}/api/v1/events/{event}/seats/ws", app.port);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let first = next_json(&mut ws).await;
    assert_eq!(first["seats"].as_object().unwrap().len(), 100);

    let (status, edited) = app
        .edit_sections(&event, &app.admin_token, new_sections())
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(
        (&edited["capacity"], &edited["available"]),
        (&json!(8), &json!(8))
    );

    let (_, public) = app.get(&format!("/api/v1/events/{event}"), None).await;
    assert_eq!(public["sections"], new_sections());
    assert_eq!(
        (&public["capacity"], &public["available"]),
        (&json!(8), &json!(8))
    );
    // The seat map at once (this replica restarted its seat room), all free.
    let map = app.seat_map(&event).await;
    assert!(map.values().all(|s| s == "free"), "{map:?}");
    assert_eq!(app.seat_labels(&event).await, new_labels());
    let (_, compact) = app
        .get(
            &format!("/api/v1/events/{event}/seats?format=compact"),
            None,
        )
        .await;
    assert_eq!(compact["states"], "f".repeat(8));
    // The socket moved to the new room: a snapshot of the new layout. The old room may
    // have seen the store's new seats before it was stopped (its tail reloads every
    // 100 ms) and sent its own layout once more, all free: a snapshot too, never a delta.
    let mut moved = next_json(&mut ws).await;
    for _ in 0..2 {
        assert_eq!(moved["type"], "snapshot", "{moved}");
        if moved["seats"].as_object().unwrap().len() != 100 {
            break;
        }
        assert!(
            moved["seats"]
                .as_object()
                .unwrap()
                .values()
                .all(|s| s == "free"),
            "{moved}"
        );
        moved = next_json(&mut ws).await;
    }
    assert_eq!(moved["type"], "snapshot", "{moved}");
    assert_eq!(moved["seats"].as_object().unwrap().len(), 8, "{moved}");
    assert_eq!(moved["seats"]["Balcony-1-2"], "free");

    // The database: sections and seat rows, with their prices.
    let rows = app.seat_rows(&event).await;
    assert_eq!(rows.len(), 8);
    assert_eq!(rows[0], ("Floor-1-1".to_owned(), 4500));
    assert_eq!(rows[7], ("Balcony-1-2".to_owned(), 2000));
    let counts = app.store_counts(&event).await;
    assert_eq!((counts.capacity, counts.free()), (8, 8));

    // The audit entry shows the sections before and after.
    let mut edits = app.audit_entries(&event).await;
    edits.retain(|e| e["action"] == "event_edited");
    assert_eq!(edits.len(), 1, "{edits:?}");
    assert_eq!(edits[0]["before"]["sections"][0]["name"], "A");
    assert_eq!(edits[0]["after"]["sections"], new_sections());

    // The same sections again: nothing changes, no entry.
    let (status, _) = app
        .edit_sections(&event, &app.admin_token, new_sections())
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut edits = app.audit_entries(&event).await;
    edits.retain(|e| e["action"] == "event_edited");
    assert_eq!(edits.len(), 1);

    // The new seats work: held back and released by an admin.
    let path = format!("/api/v1/admin/events/{event}/seats/hold-back");
    let (status, body) = app
        .post(
            &path,
            Some(&app.admin_token),
            &json!({"seats": ["Balcony-1-1"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.stop().await;
}

async fn section_edits_are_refused_with_nothing_changed(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let later = app.create_event(600_000, admission()).await;
    let open = app.create_event(-1_000, admission()).await;
    let old = app.seat_rows(&later).await;
    assert_eq!(old.len(), 100);
    let unchanged = |event: String, why: &'static str| {
        let (old, app) = (old.clone(), &app);
        async move {
            assert_eq!(app.seat_rows(&event).await, old, "{why}: database");
            assert_eq!(app.seat_map(&event).await.len(), 100, "{why}: seat map");
            let (_, public) = app.get(&format!("/api/v1/events/{event}"), None).await;
            assert_eq!(public["capacity"], 100, "{why}: {public}");
            assert_eq!(public["sections"][0]["name"], "A", "{why}: {public}");
        }
    };

    // After the opening.
    let (status, body) = app
        .edit_sections(&open, &app.admin_token, new_sections())
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "sale_opened".into())
    );
    unchanged(open.clone(), "opened").await;

    // Bad sections, as at creation.
    for (bad, status, expected) in [
        (json!([]), StatusCode::BAD_REQUEST, "invalid_field"),
        (
            json!([{"name": "A", "rows": 1, "seats_per_row": 1, "price_cents": 1},
                   {"name": "A", "rows": 1, "seats_per_row": 1, "price_cents": 1}]),
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
        (
            json!([{"name": "A", "rows": 0, "seats_per_row": 1, "price_cents": 1}]),
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
        (
            json!([{"name": "A", "rows": 1, "seats_per_row": 1, "price_cents": -1}]),
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
        (
            json!([{"name": "A", "rows": 1}]),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (json!("A"), StatusCode::BAD_REQUEST, "invalid_body"),
    ] {
        let (got, body) = app
            .edit_sections(&later, &app.admin_token, bad.clone())
            .await;
        assert_eq!(
            (got, code(&body)),
            (status, expected.to_owned()),
            "{bad}: {body}"
        );
    }
    unchanged(later.clone(), "bad sections").await;

    // Fans, and unknown events.
    let fan = app.fan().await;
    let (status, _) = app.edit_sections(&later, &fan, new_sections()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let unknown = waiting_room::EventId::new().to_string();
    let (status, body) = app
        .edit_sections(&unknown, &app.admin_token, new_sections())
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::NOT_FOUND, "not_found".into())
    );

    // A held-back seat: the database refuses (its record), and so would the store.
    let path = format!("/api/v1/admin/events/{later}/seats/hold-back");
    let (status, body) = app
        .post(&path, Some(&app.admin_token), &json!({"seats": ["A-1-1"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.wait_until(
        "the held-back seat on the map",
        Duration::from_secs(5),
        || async { app.seat_map(&later).await["A-1-1"] == "sold" },
    )
    .await;
    let (status, body) = app
        .edit_sections(&later, &app.admin_token, new_sections())
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "seats_in_use".into()),
        "{body}"
    );
    let states = app.store_snapshot(&later).await;
    assert_eq!(states.states.len(), 100, "the store kept its seats");
    assert_eq!(
        app.seat_map(&later).await["A-1-1"],
        "sold",
        "still held back"
    );
    unchanged(later.clone(), "held back").await;
    let path = format!("/api/v1/admin/events/{later}/seats/release");
    let (status, body) = app
        .post(&path, Some(&app.admin_token), &json!({"seats": ["A-1-1"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A seat held in the store (the database knows nothing of it): the store's own
    // check refuses, and the transaction rolls back.
    let id: waiting_room::EventId = later.parse().unwrap();
    let hold = HoldRequest {
        hold: HoldId::new(),
        user: waiting_room::UserId::new(),
        jti: "held-before-the-edit".into(),
        max_seats: 4,
        seats: vec![5],
        ttl_ms: 600_000,
    };
    let held = app.state.checkout.seats().hold(id, &hold).await.unwrap();
    assert!(matches!(held, HoldOutcome::Held { .. }), "{held:?}");
    let (status, body) = app
        .edit_sections(&later, &app.admin_token, new_sections())
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "seats_in_use".into()),
        "{body}"
    );
    unchanged(later.clone(), "held").await;
    let mut edits = app.audit_entries(&later).await;
    edits.retain(|e| e["action"] == "event_edited");
    assert!(edits.is_empty(), "no entry for refused edits: {edits:?}");

    // Once the hold is gone the edit goes through.
    assert!(app
        .state
        .checkout
        .seats()
        .release(id, &hold.hold, None)
        .await
        .unwrap());
    let (status, body) = app
        .edit_sections(&later, &app.admin_token, new_sections())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.stop().await;
}

/// An event that had an order (refunded since) keeps its sections: the order's lines
/// name its seats.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_with_orders_keeps_its_sections() {
    let Some(app) = spawn_app(Backend::Embedded).await else {
        return;
    };
    let event = app.create_event(600_000, admission()).await;
    // An order line, as a confirm writes it (no fan can buy before the opening).
    let user = app
        .state
        .db
        .user_by_email(crate::helpers::ADMIN_EMAIL)
        .await
        .unwrap()
        .map(|u| u.id.to_string());
    let order = waiting_room::EventId::new().to_string();
    sqlx::query(
        "INSERT INTO orders (id, event_id, user_id, hold_id, total_cents, created_at_ms, status) \
         VALUES ($1, $2, $3, $4, 0, 0, 'refunded')",
    )
    .bind(&order)
    .bind(&event)
    .bind(user)
    .bind(&order)
    .execute(app.state.db.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO order_lines (order_id, event_id, seat_index, price_cents) VALUES ($1, $2, 0, 5000)",
    )
    .bind(&order)
    .bind(&event)
    .execute(app.state.db.pool())
    .await
    .unwrap();
    let (status, body) = app
        .edit_sections(&event, &app.admin_token, new_sections())
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "seats_in_use".into()),
        "{body}"
    );
    assert_eq!(app.seat_rows(&event).await.len(), 100);
    app.stop().await;
}

/// Two replicas on one Redis and PostgreSQL: the edit on one reaches the other's seat
/// map at its next event refresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_replica_shows_the_new_sections() {
    let Some(shared) = Shared::fresh().await else {
        return;
    };
    let options = Options {
        shared: Some(shared),
        ..Options::default()
    };
    let (a, b) = (start(options.clone()).await, start(options).await);
    let event = a.create_event(600_000, admission()).await;
    b.wait_until(
        "the event on the second replica",
        Duration::from_secs(10),
        || async {
            b.get(&format!("/api/v1/events/{event}/seats"), None)
                .await
                .0
                == StatusCode::OK
        },
    )
    .await;
    assert_eq!(b.seat_map(&event).await.len(), 100, "the old layout there");

    let (status, body) = a
        .edit_sections(&event, &a.admin_token, new_sections())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    b.wait_until(
        "the new layout on the second replica",
        Duration::from_secs(10),
        || async { b.seat_labels(&event).await == new_labels() },
    )
    .await;
    let (_, public) = b.get(&format!("/api/v1/events/{event}"), None).await;
    assert_eq!(
        (&public["capacity"], &public["sections"]),
        (&json!(8), &new_sections())
    );
    b.stop().await;
    a.stop().await;
}

/// A hold-back that named its seats on the old map and reaches the database after an
/// edit of the sections committed records nothing (the service then puts the seats
/// back on sale in the store and answers 503 to retry).
async fn a_hold_back_named_on_the_old_map_is_not_recorded(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app.create_event(600_000, admission()).await;
    let id: waiting_room::EventId = event.parse().unwrap();
    let old = app.state.db.event(id).await.unwrap().unwrap().sections;
    let (status, body) = app
        .edit_sections(&event, &app.admin_token, new_sections())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let admin = app
        .state
        .db
        .user_by_email(crate::helpers::ADMIN_EMAIL)
        .await
        .unwrap()
        .unwrap();
    let actor = server::db::Actor {
        id: admin.id,
        email: Some(admin.email),
    };
    let at = waiting_room::clock::now_ms();
    let stale = app
        .state
        .db
        .hold_back_seats(id, &[0], (&actor, at), None, &old)
        .await
        .unwrap();
    assert!(!stale, "named on the old map: refused");
    assert!(app.state.db.held_back_seats(id).await.unwrap().is_empty());
    let current = app.state.db.event(id).await.unwrap().unwrap().sections;
    let fresh = app
        .state
        .db
        .hold_back_seats(id, &[0], (&actor, at), None, &current)
        .await
        .unwrap();
    assert!(fresh);
    assert_eq!(app.state.db.held_back_seats(id).await.unwrap(), vec![0]);
    app.stop().await;
}

/// An edit whose last step fails (the queue store's configuration, after the seat store
/// took the new seats and the rows were written) rolls back, and the seat store is put
/// back to the database's layout.
async fn a_failed_section_edit_puts_the_store_back(backend: Backend) {
    let faults = std::sync::Arc::new(crate::faulty::Faults::default());
    let options = Options {
        wrap_stores: Some(faults.wrap()),
        ..Options::default()
    };
    let Some(app) = crate::helpers::spawn_with(backend, options).await else {
        return;
    };
    let event = app.create_event(600_000, admission()).await;
    let id: waiting_room::EventId = event.parse().unwrap();
    faults
        .fail_configure
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let (status, body) = app
        .edit_sections(&event, &app.admin_token, new_sections())
        .await;
    faults
        .fail_configure
        .store(false, std::sync::atomic::Ordering::SeqCst);
    assert!(status.is_server_error(), "{status}: {body}");
    assert_eq!(
        app.seat_rows(&event).await.len(),
        100,
        "the database kept the old"
    );
    let counts = app.state.checkout.seats().seat_counts(id).await.unwrap();
    assert_eq!(counts.capacity, 100, "the store is back to the old seats");
    app.wait_until(
        "the old map after the reload",
        Duration::from_secs(5),
        || async { app.seat_map(&event).await.len() == 100 },
    )
    .await;
    let (status, body) = app
        .edit_sections(&event, &app.admin_token, new_sections())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.seat_labels(&event).await, new_labels());
    app.stop().await;
}
