//! The box office's event settings: the show time, the refund window and the cap per
//! account are stored, published and validated.

use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{spawn_app, Backend};

both_backends!(box_office_settings_are_stored_and_published);
async fn box_office_settings_are_stored_and_published(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let show_at = time::OffsetDateTime::now_utc() + time::Duration::days(3);
    let show_text = show_at
        .replace_millisecond(0)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let with = app
        .create_event_with(
            60_000,
            json!({"rate_per_minute": 60, "max_active": 10}),
            json!({
                "show_at": show_text,
                "refund_window_secs": 48 * 3600,
                "max_seats_per_account": 6,
            }),
        )
        .await;
    let without = app
        .create_event(60_000, json!({"rate_per_minute": 60, "max_active": 10}))
        .await;
    let published = |event: &Value| {
        (
            event["show_at"]
                .as_str()
                .map(|s| crate::helpers::ms(&json!(s))),
            event["refund_window_secs"].clone(),
            event["max_seats_per_account"].clone(),
        )
    };
    let expected = (
        Some(crate::helpers::ms(&json!(show_text))),
        json!(48 * 3600),
        json!(6),
    );
    let (_, event) = app.get(&format!("/api/v1/events/{with}"), None).await;
    assert_eq!(published(&event), expected, "{event}");
    let (_, listed) = app.get("/api/v1/events", None).await;
    let listed = listed.as_array().unwrap();
    let find = |id: &str| listed.iter().find(|e| e["id"] == id).unwrap().clone();
    assert_eq!(published(&find(&with)), expected);
    assert_eq!(
        published(&find(&without)),
        (None, Value::Null, Value::Null),
        "an event without them publishes nulls"
    );
    app.stop().await;
}
