//! A closed sale's line leaves the queue store (issue 19): a minute after the close
//! the queue's figures go to the database, then the line (tickets, queue, presence,
//! log) is removed from the store; the report still shows who joined and who was
//! admitted, and an open sale's line is never touched.

use std::time::Duration;

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, Backend, TestApp};

both_backends!(a_closed_sales_line_leaves_the_store_after_its_figures_are_saved);

async fn funnel(app: &TestApp, event: &str) -> Vec<(String, u64)> {
    let (_, body): (_, Value) = app
        .get(
            &format!("/api/v1/admin/events/{event}/report"),
            Some(&app.admin_token),
        )
        .await;
    body["funnel"]["steps"]
        .as_array()
        .unwrap_or_else(|| panic!("a funnel: {body}"))
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap().to_owned(),
                s["fans"].as_u64().unwrap(),
            )
        })
        .take(2)
        .collect()
}

async fn a_closed_sales_line_leaves_the_store_after_its_figures_are_saved(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // Two fans admitted at once, the third waits (the cap).
    let event = app
        .open_event(json!({"rate_per_minute": 6_000, "max_active": 2}))
        .await;
    let other = app
        .open_event(json!({"rate_per_minute": 60, "max_active": 2, "paused": true}))
        .await;
    let fans = app.fans(4).await;
    let mut sockets = Vec::new();
    for fan in &fans[..3] {
        let mut socket = app.connect(&event, fan).await;
        socket.join().await;
        sockets.push(socket);
    }
    for socket in &mut sockets[..2] {
        socket.expect("admitted", Duration::from_secs(10)).await;
    }
    let mut elsewhere = app.connect(&other, &fans[3]).await;
    assert_eq!(elsewhere.join().await["type"], "queued");
    let id = event.parse().unwrap();
    let before = funnel(&app, &event).await;
    assert_eq!(
        before,
        vec![("joined".into(), 3), ("admitted".into(), 2)],
        "{before:?}"
    );

    // An open sale's line stays, however old.
    assert_eq!(app.state.events.remove_closed_lines(0).await.unwrap(), 0);
    let (status, body) = app
        .post(
            &format!("/api/v1/admin/events/{event}/close"),
            Some(&app.admin_token),
            &json!({}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    // Kept a minute after the close.
    let minute = server::events::LINE_KEPT_AFTER_CLOSE_MS;
    assert_eq!(
        app.state.events.remove_closed_lines(minute).await.unwrap(),
        0
    );
    assert_eq!(app.state.hub.store().stats(id).await.unwrap().joined, 3);

    assert_eq!(app.state.events.remove_closed_lines(0).await.unwrap(), 1);
    let store = app.state.hub.store();
    let left = store.stats(id).await.unwrap();
    // `joined` counts the tickets kept: none.
    assert_eq!(
        (left.joined, left.waiting, left.active),
        (0, 0, 0),
        "{left:?}"
    );
    assert_eq!(
        funnel(&app, &event).await,
        before,
        "the report keeps its figures"
    );
    // Once only; the other sale's fan still waits.
    assert_eq!(app.state.events.remove_closed_lines(0).await.unwrap(), 0);
    let other_id = other.parse().unwrap();
    assert_eq!(store.stats(other_id).await.unwrap().waiting, 1);
    app.stop().await;
}
