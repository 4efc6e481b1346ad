//! Editing an event: before its opening every setting may change and a new opening
//! reaches the queue; after it only some may; bad input and closed sales are refused,
//! each with nothing changed; every edit is audited.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{ms, spawn_app, Backend, TestApp};

both_backends!(
    an_edit_before_the_opening_moves_the_queue_and_is_audited,
    edits_after_the_opening_or_of_closed_sales_or_bad_ones_change_nothing,
);

fn rfc3339(offset: time::Duration) -> String {
    (time::OffsetDateTime::now_utc() + offset)
        .replace_millisecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

impl TestApp {
    async fn edit(&self, event: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.patch(&format!("/api/v1/admin/events/{event}"), Some(token), &body)
            .await
    }

    async fn edits(&self, event: &str) -> Vec<Value> {
        let mut entries = self.audit_entries(event).await;
        entries.retain(|e| e["action"] == "event_edited");
        entries
    }
}

async fn an_edit_before_the_opening_moves_the_queue_and_is_audited(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // Opens in ten minutes: without the edit the fan stays pre-queued all test long.
    let event = app
        .create_event(600_000, json!({"rate_per_minute": 600, "max_active": 100}))
        .await;
    let token = app.fan().await;
    let mut fan = app.connect(&event, &token).await;
    let first = fan.join().await;
    assert_eq!(first["type"], "prequeue");

    let opening = rfc3339(time::Duration::seconds(2));
    let show = rfc3339(time::Duration::days(2));
    let (status, edited) = app
        .edit(
            &event,
            &app.admin_token,
            json!({
                "name": "Moved sale",
                "starts_at": opening,
                "show_at": show,
                "refund_window_secs": 3600,
                "max_seats_per_account": 6,
                "hold_ttl_secs": 120,
                "admission": {"rate_per_minute": 1200},
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    let (_, public) = app.get(&format!("/api/v1/events/{event}"), None).await;
    assert_eq!(public["name"], "Moved sale");
    assert_eq!(ms(&public["starts_at"]), ms(&json!(opening)));
    assert_eq!(ms(&public["show_at"]), ms(&json!(show)));
    assert_eq!(
        (
            &public["refund_window_secs"],
            &public["max_seats_per_account"],
            &public["hold_ttl_secs"],
            &public["admission"]["rate_per_minute"],
        ),
        (&json!(3600), &json!(6), &json!(120), &json!(1200)),
        "{public}"
    );
    // The pre-queued fan hears the new opening, then the queue opens at it.
    let moved = fan.expect("prequeue", Duration::from_secs(5)).await;
    assert_eq!(ms(&moved["starts_at"]), ms(&json!(opening)));
    loop {
        let m = fan
            .next_within(Duration::from_secs(15))
            .await
            .expect("the queue opens at the new time");
        if m["type"] == "queued" || m["type"] == "admitted" {
            break;
        }
    }

    let edits = app.edits(&event).await;
    assert_eq!(edits.len(), 1, "{edits:?}");
    assert_eq!(edits[0]["before"]["name"], "Test sale");
    assert_eq!(edits[0]["after"]["name"], "Moved sale");
    assert_eq!(edits[0]["before"]["hold_ttl_secs"], 300);
    assert_eq!(edits[0]["after"]["admission"]["rate_per_minute"], 1200);
    assert!(
        edits[0]["after"].get("max_seats_per_order").is_none(),
        "only what changed"
    );
    app.stop().await;
}

async fn edits_after_the_opening_or_of_closed_sales_or_bad_ones_change_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admission = json!({"rate_per_minute": 60, "max_active": 10});
    let later = app.create_event(600_000, admission.clone()).await;
    let open = app.create_event(-1_000, admission.clone()).await;
    let code = |body: &Value| {
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let view = |id: String| {
        let app = &app;
        async move { app.get(&format!("/api/v1/events/{id}"), None).await.1 }
    };

    let before = view(later.clone()).await;
    let bad: Vec<(Value, StatusCode, &str)> = vec![
        (
            json!({"refund_window_secs": -1}),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            json!({"max_seats_per_account": -3}),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            json!({"max_seats_per_account": 0}),
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
        (
            json!({"sections": []}),
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
        (
            json!({"nickname": "x"}),
            StatusCode::BAD_REQUEST,
            "invalid_body",
        ),
        (
            json!({"name": "  "}),
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
        // Schemathesis' find: a NUL byte in the name answered 503 on PostgreSQL.
        (
            json!({"name": "Night\u{0}1", "sections": [{"name": "B", "rows": 1, "seats_per_row": 3, "price_cents": 1}]}),
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
        (
            json!({"hold_ttl_secs": 0}),
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
        (
            json!({"show_at": rfc3339(time::Duration::seconds(1))}),
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
        (
            json!({"refund_window_secs": 60, "show_at": null}),
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
        (
            json!({"admission": {"max_active": 0}}),
            StatusCode::BAD_REQUEST,
            "invalid_field",
        ),
    ];
    for (body, status, expected) in bad {
        let (got, answer) = app.edit(&later, &app.admin_token, body.clone()).await;
        assert_eq!(
            (got, code(&answer)),
            (status, expected.to_owned()),
            "{body}: {answer}"
        );
    }
    let fan = app.fan().await;
    let (status, _) = app.edit(&later, &fan, json!({"name": "Mine"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let unknown = waiting_room::EventId::new().to_string();
    let (status, answer) = app
        .edit(&unknown, &app.admin_token, json!({"name": "x"}))
        .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::NOT_FOUND, "not_found".into())
    );
    assert_eq!(view(later.clone()).await, before, "nothing changed");
    assert!(
        app.edits(&later).await.is_empty(),
        "no entry for refused edits"
    );

    // After the opening: the schedule and the purchase terms are frozen.
    for frozen in [
        json!({"starts_at": rfc3339(time::Duration::hours(1))}),
        json!({"max_seats_per_order": 2}),
        json!({"hold_ttl_secs": 60, "name": "Also renamed"}),
        // It opened without a cap: its confirms were not counted per account.
        json!({"max_seats_per_account": 2}),
    ] {
        let (status, answer) = app.edit(&open, &app.admin_token, frozen.clone()).await;
        assert_eq!(
            (status, code(&answer)),
            (StatusCode::CONFLICT, "sale_opened".into()),
            "{frozen}"
        );
    }
    assert_eq!(view(open.clone()).await["name"], "Test sale");
    let show = rfc3339(time::Duration::days(1));
    let (status, answer) = app
        .edit(
            &open,
            &app.admin_token,
            json!({"name": "Renamed", "show_at": show, "refund_window_secs": 600}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["name"], "Renamed");
    assert_eq!(answer["max_seats_per_account"], Value::Null);

    // A sale that opened with a cap may raise or lower it, but not drop it.
    let capped = app
        .create_event_with(
            -1_000,
            admission.clone(),
            json!({"max_seats_per_account": 4}),
        )
        .await;
    let (status, answer) = app
        .edit(
            &capped,
            &app.admin_token,
            json!({"max_seats_per_account": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["max_seats_per_account"], 2);
    let (status, answer) = app
        .edit(
            &capped,
            &app.admin_token,
            json!({"max_seats_per_account": null}),
        )
        .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::CONFLICT, "sale_opened".into()),
        "{answer}"
    );
    assert_eq!(view(capped.clone()).await["max_seats_per_account"], 2);

    // A closed sale changes no more.
    let (status, _) = app
        .post(
            &format!("/api/v1/admin/events/{later}/close"),
            Some(&app.admin_token),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, answer) = app
        .edit(&later, &app.admin_token, json!({"name": "Reopened?"}))
        .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::CONFLICT, "event_closed".into())
    );
    assert_eq!(view(later.clone()).await["name"], "Test sale");
    app.stop().await;
}
