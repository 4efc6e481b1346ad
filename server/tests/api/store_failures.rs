//! A store that fails (a Redis Cluster answering MOVED) never leaves half an event
//! behind, and one event whose seat counts fail does not break the list.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::faulty::Faults;
use crate::helpers::{spawn_with, Backend, Options};

crate::both_backends!(
    a_failed_event_creation_leaves_nothing_behind,
    one_broken_event_does_not_break_the_list,
    seats_a_confirm_could_not_mark_sold_show_sold_soon_after
);

fn event_body() -> Value {
    json!({
        "name": "Doomed sale",
        "starts_at": "2030-01-01T00:00:00Z",
        "sections": [{"name": "A", "rows": 2, "seats_per_row": 5, "price_cents": 100}],
        "admission": {"rate_per_minute": 60, "max_active": 10}
    })
}

async fn a_failed_event_creation_leaves_nothing_behind(backend: Backend) {
    let faults = Arc::new(Faults::default());
    let options = Options {
        wrap_stores: Some(faults.wrap()),
        ..Options::default()
    };
    let Some(app) = spawn_with(backend, options).await else {
        return;
    };
    let admin = Some(app.admin_token.as_str());
    app.create_event(60_000, json!({"rate_per_minute": 60, "max_active": 10}))
        .await;
    let (status, before) = app.get("/api/v1/events", None).await;
    assert_eq!(status, StatusCode::OK, "{before}");

    faults.fail_configure.store(true, Ordering::SeqCst);
    let (status, body) = app.post("/api/v1/admin/events", admin, &event_body()).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(body["error"]["code"], "internal", "{body}");
    faults.fail_configure.store(false, Ordering::SeqCst);
    // The failure is counted, under the call and its kind.
    let metrics = app.metrics().send().await.unwrap();
    let text = metrics.text().await.unwrap();
    prom_text_format_parser::Scrape::parse(&text).unwrap_or_else(|e| panic!("{e:?} in {text}"));
    assert!(
        text.contains(
            "floodgate_store_errors_total{store=\"queue\",op=\"configure\",kind=\"backend\"} 1\n"
        ),
        "{text}"
    );

    // Nothing of it is left: not in the list, not in the database.
    let (status, after) = app.get("/api/v1/events", None).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after, before);
    let stored = app.state.db.events().await.unwrap();
    assert_eq!(stored.len(), before.as_array().unwrap().len());
    assert!(stored.iter().all(|e| e.name != "Doomed sale"));
    // And creation works again once the store does.
    let (status, body) = app.post("/api/v1/admin/events", admin, &event_body()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.stop().await;
}

async fn one_broken_event_does_not_break_the_list(backend: Backend) {
    let faults = Arc::new(Faults::default());
    let options = Options {
        wrap_stores: Some(faults.wrap()),
        ..Options::default()
    };
    let Some(app) = spawn_with(backend, options).await else {
        return;
    };
    let admission = json!({"rate_per_minute": 60, "max_active": 10});
    let healthy = app.create_event(60_000, admission.clone()).await;
    let broken = app.create_event(60_000, admission).await;
    faults.break_counts(broken.parse().unwrap());

    let (status, list) = app.get("/api/v1/events", None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let find = |id: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} missing from {list}"))
    };
    assert_eq!(find(&healthy)["available"], 100);
    let listed = find(&broken);
    assert_eq!(listed["available"], Value::Null, "{listed}");
    assert_eq!(listed["capacity"], 100);
    app.stop().await;
}

/// A confirm whose order committed but whose seats the store would not mark sold (a
/// store too busy to answer) still shows them sold within seconds, not only once the
/// sweeper finds the confirm's 30 s lease lapsed: the marking is retried.
async fn seats_a_confirm_could_not_mark_sold_show_sold_soon_after(backend: Backend) {
    let faults = Arc::new(Faults::default());
    let options = Options {
        wrap_stores: Some(faults.wrap()),
        ..Options::default()
    };
    let Some(app) = spawn_with(backend, options).await else {
        return;
    };
    let sections = json!([{"name": "A", "rows": 1, "seats_per_row": 4, "price_cents": 100}]);
    let event = app.seated_event(sections, 120, 4).await;
    let (_, token) = crate::helpers::buyer(&app, &event, 4, 600_000).await;
    let (status, hold) = app.hold(&event, &token, json!({"seats": ["A-1-2"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{hold}");
    faults.fail_mark_sold.store(3, Ordering::SeqCst);
    let (status, order) = app.confirm(hold["hold_id"].as_str().unwrap(), &token).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    // Well within the 30 s lease after which the sweeper would repair it.
    let mut shown = Value::Null;
    for _ in 0..100 {
        shown = app.seat_map(&event).await["A-1-2"].clone();
        if shown == "sold" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        shown, "sold",
        "a confirmed seat still shows {shown} after 10 s"
    );
    assert_eq!(
        faults.fail_mark_sold.load(Ordering::SeqCst),
        0,
        "every planned failure happened"
    );
}
