//! Creating a big event while a sale runs: the sale must not stall or fail behind the
//! seat rows being written (issue 9), and events have size limits.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{buyer, spawn_app, spawn_with, Backend, Options};

/// Sections of 1,000 rows × 100 seats: 200,000 seats, several seconds in a debug
/// build (one transaction of them made a confirm wait for all of it; 400,000 made it
/// fail with 500).
const BIG_SECTIONS: usize = 2;

fn big_event() -> Value {
    let sections: Vec<Value> = (0..BIG_SECTIONS)
        .map(|i| json!({"name": format!("S{i}"), "rows": 1000, "seats_per_row": 100, "price_cents": 100}))
        .collect();
    event_body(json!(sections))
}

fn event_body(sections: Value) -> Value {
    let starts_at = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    json!({
        "name": "Big sale",
        "starts_at": starts_at.format(&time::format_description::well_known::Rfc3339).unwrap(),
        "sections": sections,
        "max_seats_per_order": 4,
        "hold_ttl_secs": 300,
        "admission": {"rate_per_minute": 600, "max_active": 100},
    })
}

/// On SQLite, one writer at a time: a creation writing every seat row in one
/// transaction made confirms wait for all of it, then fail with 500 after 10 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn confirms_during_a_big_event_creation_answer_promptly_and_never_500() {
    // A loaded CI machine can take past the default 30 s to write 200,000 seats in a
    // debug build; what is tested is the confirms meanwhile, not the creation's time.
    let options = Options {
        request_timeout_secs: 300,
        ..Options::default()
    };
    let app = spawn_with(Backend::Embedded, options)
        .await
        .expect("embedded app");
    let sale = app
        .seated_event(
            json!([{"name": "A", "rows": 10, "seats_per_row": 10, "price_cents": 100}]),
            300,
            4,
        )
        .await;
    let mut holds = Vec::new();
    for i in 0..40 {
        let (_, token) = buyer(&app, &sale, 1, 600_000).await;
        let seat = format!("A-{}-{}", i / 10 + 1, i % 10 + 1);
        let (status, held) = app.hold(&sale, &token, json!({"seats": [seat]})).await;
        assert_eq!(status, StatusCode::CREATED, "{held}");
        holds.push((held["hold_id"].as_str().unwrap().to_owned(), token));
    }
    let creating = {
        let (http, url, admin) = (
            app.http.clone(),
            app.url("/api/v1/admin/events"),
            app.admin_token.clone(),
        );
        tokio::spawn(async move {
            let started = Instant::now();
            let resp = http
                .post(url)
                .bearer_auth(admin)
                .timeout(Duration::from_secs(600))
                .json(&big_event())
                .send()
                .await
                .unwrap();
            (resp.status(), started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    // While its seats are written the event is invisible.
    let (_, listed) = app.get("/api/v1/events", None).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let mut during = 0;
    let mut answers = Vec::new();
    for (hold, token) in &holds {
        if creating.is_finished() {
            break;
        }
        let started = Instant::now();
        let (status, body) = app.confirm(hold, token).await;
        let took = started.elapsed();
        assert!(
            status == StatusCode::OK || status == StatusCode::SERVICE_UNAVAILABLE,
            "a confirm during the creation answered {status}: {body}"
        );
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(body["error"]["code"], "unavailable", "{body}");
        }
        answers.push((status, took));
        during += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, took) = creating.await.unwrap();
    assert_eq!(status, StatusCode::CREATED);
    let (_, listed) = app.get("/api/v1/events", None).await;
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    eprintln!("creation took {took:?}; confirms during it: {answers:?}");
    assert!(
        during >= 2,
        "the creation was too quick to overlap confirms ({took:?})"
    );
    // Relative to the creation, not a fixed time: a loaded machine stretches both, and
    // what must not come back is a confirm that waits for the whole creation.
    let slowest = answers.iter().map(|(_, t)| *t).max().unwrap();
    assert!(
        slowest < took / 2,
        "a confirm waited {slowest:?} behind the creation ({took:?}): {answers:?}"
    );
    assert!(
        answers.iter().any(|(s, _)| *s == StatusCode::OK),
        "no confirm got through during the creation: {answers:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn oversized_events_are_refused_with_a_clear_message() {
    let app = spawn_app(Backend::Embedded).await.expect("embedded app");
    let section = |name: String, rows: u32, seats: u32| json!({"name": name, "rows": rows, "seats_per_row": seats, "price_cents": 1});
    let many: Vec<Value> = (0..101).map(|i| section(format!("S{i}"), 1, 1)).collect();
    let total: Vec<Value> = (0..2)
        .map(|i| section(format!("S{i}"), 1000, 1000))
        .collect();
    let cases = [
        (json!(many), "100 sections"),
        (json!([section("A".into(), 1001, 1)]), "rows"),
        (json!([section("A".into(), 1, 1001)]), "seats_per_row"),
        (json!(total), "1000000 seats"),
    ];
    for (sections, says) in cases {
        let (status, body) = app
            .post(
                "/api/v1/admin/events",
                Some(&app.admin_token),
                &event_body(sections),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_field")),
            "{body}"
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(says),
            "{message:?} should mention {says:?}"
        );
    }
    let (_, listed) = app.get("/api/v1/events", None).await;
    assert_eq!(listed.as_array().unwrap().len(), 0, "nothing was stored");
    app.stop().await;
}
