//! What the admin console reads: the audit log of admin changes, the richer stats
//! (server time, revenue, sockets on this replica, time to clear the queue) over HTTP
//! and the stats socket, and the stats history sampled every five seconds.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{buyer, ms, spawn_app, Backend, TestApp, ADMIN_EMAIL};

crate::both_backends!(
    the_audit_log_records_creation_and_admission_changes_newest_first,
    the_audit_log_refuses_bad_input_and_records_no_refused_change,
    concurrent_admission_changes_leave_an_unbroken_chain,
    stats_carry_server_time_revenue_sockets_and_eta,
    the_stats_socket_sends_the_richer_object,
    the_stats_history_fills_every_five_seconds,
    the_new_admin_endpoints_refuse_strangers,
);

const ADMISSION: &str = r#"{"rate_per_minute": 60, "max_active": 10, "session_ttl_secs": 600}"#;

impl TestApp {
    /// `GET …/audit` with an optional raw `limit`, as the admin.
    async fn audit(&self, event: &str, limit: Option<&str>) -> (StatusCode, Value) {
        let query = limit.map_or(String::new(), |l| format!("?limit={l}"));
        self.get(
            &format!("/api/v1/admin/events/{event}/audit{query}"),
            Some(&self.admin_token),
        )
        .await
    }

    async fn stats_history(&self, event: &str) -> (StatusCode, Value) {
        self.get(
            &format!("/api/v1/admin/events/{event}/stats/history"),
            Some(&self.admin_token),
        )
        .await
    }

    async fn admin_id(&self) -> String {
        let admin = self.state.db.user_by_email(ADMIN_EMAIL).await.unwrap();
        admin.expect("the bootstrap admin exists").id.to_string()
    }
}

fn admission() -> Value {
    serde_json::from_str(ADMISSION).unwrap()
}

fn now_ms() -> i64 {
    waiting_room::clock::now_ms()
}

async fn the_audit_log_records_creation_and_admission_changes_newest_first(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let before_create = now_ms();
    let event = app.create_event(60_000, admission()).await;
    app.patch_admission(&event, json!({"rate_per_minute": 120}))
        .await;
    app.patch_admission(&event, json!({"paused": true, "max_active": 20}))
        .await;
    // Pausing a paused sale changes nothing, and records nothing.
    app.patch_admission(&event, json!({"paused": true})).await;

    let (status, log) = app.audit(&event, None).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    let log = log.as_array().expect("a JSON array").clone();
    let actions: Vec<&str> = log.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        ["admission_changed", "admission_changed", "event_created"]
    );
    let admin = json!({"id": app.admin_id().await, "email": ADMIN_EMAIL});
    for entry in &log {
        assert_eq!(entry["actor"], admin, "{entry}");
        let at = ms(&entry["at"]);
        assert!(
            at >= before_create - 1_000 && at <= now_ms() + 1_000,
            "{entry}"
        );
        assert!(entry["at"].as_str().unwrap().ends_with('Z'), "UTC: {entry}");
    }
    let ids: Vec<i64> = log.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");

    let settings = |rate: u32, max_active: u32, paused: bool| json!({"rate_per_minute": rate, "max_active": max_active, "session_ttl_secs": 600, "paused": paused, "mode": "queue", "message": null, "safety_net": null});
    assert_eq!(log[0]["before"], settings(120, 10, false));
    assert_eq!(log[0]["after"], settings(120, 20, true));
    assert_eq!(log[1]["before"], settings(60, 10, false));
    assert_eq!(log[1]["after"], settings(120, 10, false));
    assert_eq!(log[2]["before"], Value::Null);
    let created = &log[2]["after"];
    assert_eq!(created["name"], "Test sale");
    assert_eq!(created["capacity"], 100);
    assert_eq!(created["admission"], settings(60, 10, false));
    let starts = ms(&created["starts_at"]);
    assert!(
        (starts - (before_create + 60_000)).abs() < 5_000,
        "{created}"
    );

    // The limit keeps the newest.
    let (status, newest) = app.audit(&event, Some("1")).await;
    assert_eq!(status, StatusCode::OK, "{newest}");
    assert_eq!(newest, json!([log[0]]));
    let (_, all) = app.audit(&event, Some("500")).await;
    assert_eq!(all.as_array().unwrap().len(), 3);

    // Another event's log is its own.
    let other = app.create_event(60_000, admission()).await;
    let (_, other_log) = app.audit(&other, None).await;
    assert_eq!(other_log.as_array().unwrap().len(), 1);
    app.stop().await;
}

async fn the_audit_log_refuses_bad_input_and_records_no_refused_change(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app.create_event(60_000, admission()).await;
    for limit in ["0", "501", "-1", "ten", "", "1.5"] {
        let (status, body) = app.audit(&event, Some(limit)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "limit={limit}: {body}");
        assert_eq!(
            body["error"]["code"], "invalid_field",
            "limit={limit}: {body}"
        );
        assert!(body["error"]["message"].is_string());
    }
    let unknown = uuid::Uuid::now_v7().to_string();
    for id in [unknown.as_str(), "not-a-uuid", "1"] {
        let (status, body) = app.audit(id, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{id}: {body}");
        assert_eq!(body["error"]["code"], "not_found", "{id}: {body}");
    }

    // Refused changes leave no entry: out of range, unknown field, unknown event.
    let path = format!("/api/v1/admin/events/{event}/admission");
    let (status, body) = app
        .patch(
            &path,
            Some(&app.admin_token),
            &json!({"rate_per_minute": 0}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_field"))
    );
    let (status, _) = app
        .patch(&path, Some(&app.admin_token), &json!({"rate": 5}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = app
        .patch(
            &format!("/api/v1/admin/events/{unknown}/admission"),
            Some(&app.admin_token),
            &json!({"rate_per_minute": 5}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    // A fan may not change anything either.
    let fan = app.fan().await;
    let (status, _) = app
        .patch(&path, Some(&fan), &json!({"rate_per_minute": 5}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (_, log) = app.audit(&event, None).await;
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["event_created"]);
    assert_eq!(app.stats(&event).await["rate_per_minute"], 60);
    app.stop().await;
}

/// Changes made at once apply one after the other: each entry's `before` is the
/// previous entry's `after`, and the last `after` is what is in force.
async fn concurrent_admission_changes_leave_an_unbroken_chain(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app.create_event(60_000, admission()).await;
    let patches = (1..=12u32)
        .map(|i| app.patch_admission(&event, json!({"rate_per_minute": 100 + i, "max_active": i})));
    futures_util::future::join_all(patches).await;
    let (_, log) = app.audit(&event, None).await;
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 13, "12 changes and the creation");
    for pair in log[..12].windows(2) {
        assert_eq!(pair[0]["before"], pair[1]["after"], "{pair:?}");
    }
    assert_eq!(log[11]["before"], log[12]["after"]["admission"]);
    let stats = app.stats(&event).await;
    assert_eq!(log[0]["after"]["rate_per_minute"], stats["rate_per_minute"]);
    assert_eq!(log[0]["after"]["max_active"], stats["max_active"]);
    app.stop().await;
}

async fn stats_carry_server_time_revenue_sockets_and_eta(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // One shopper at a time, one admission a second: the first fan is admitted, the
    // other two wait on the active-shopper cap.
    let event = app
        .open_event(json!({"rate_per_minute": 60, "max_active": 1, "session_ttl_secs": 600}))
        .await;
    let stats = app.stats(&event).await;
    let at = stats["at_ms"].as_i64().expect("at_ms");
    assert!((at - now_ms()).abs() < 2_000, "{stats}");
    assert_eq!(stats["revenue_cents"], 0);
    assert_eq!(stats["connected"], 0);
    assert_eq!(stats["eta_clear_secs"], 0, "nobody waits: {stats}");

    let tokens = app.fans(3).await;
    let mut fans = Vec::new();
    for token in &tokens {
        let mut fan = app.connect(&event, token).await;
        fan.join().await;
        fans.push(fan);
    }
    // A second tab of the first fan is one more socket.
    let tab = app.connect(&event, &tokens[0]).await;
    app.wait_until(
        "two wait behind one shopper",
        Duration::from_secs(10),
        || async {
            let s = app.stats(&event).await;
            s["waiting"] == 2 && s["active"] == 1 && s["admitted_last_minute"] == 1
        },
    )
    .await;
    let stats = app.stats(&event).await;
    assert_eq!(stats["connected"], 4, "{stats}");
    // Two waiting at one admission in the last minute: two minutes.
    assert_eq!(stats["eta_clear_secs"], 120, "{stats}");
    for key in [
        "waiting",
        "prequeue",
        "admitted_total",
        "active",
        "held",
        "sold",
        "capacity",
        "rate_per_minute",
        "max_active",
        "admitted_last_minute",
        "paused",
        "opened",
    ] {
        assert!(stats.get(key).is_some(), "{key} kept: {stats}");
    }

    app.patch_admission(&event, json!({"paused": true})).await;
    let stats = app.stats(&event).await;
    assert_eq!(stats["eta_clear_secs"], Value::Null, "paused: {stats}");

    tab.close().await;
    fans.pop().unwrap().close().await;
    app.wait_until(
        "closed sockets are not counted",
        Duration::from_secs(10),
        || async { app.stats(&event).await["connected"] == 2 },
    )
    .await;

    // Revenue: the sum of confirmed orders (5,000 a seat), not of holds.
    let (_, token) = buyer(&app, &event, 4, 600_000).await;
    let (status, held) = app
        .hold(&event, &token, json!({"seats": ["A-1-1", "A-1-2"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    assert_eq!(
        app.stats(&event).await["revenue_cents"],
        0,
        "a hold is not revenue"
    );
    let (status, order) = app.confirm(held["hold_id"].as_str().unwrap(), &token).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    let (_, token) = buyer(&app, &event, 4, 600_000).await;
    let (_, held) = app.hold(&event, &token, json!({"seats": ["A-2-1"]})).await;
    let (status, _) = app.confirm(held["hold_id"].as_str().unwrap(), &token).await;
    assert_eq!(status, StatusCode::OK);
    let stats = app.stats(&event).await;
    assert_eq!(stats["revenue_cents"], 15_000, "{stats}");
    assert_eq!(stats["sold"], 3, "{stats}");
    // Another event's orders are not this one's revenue.
    let other = app.create_event(-1_000, admission()).await;
    assert_eq!(app.stats(&other).await["revenue_cents"], 0);
    app.stop().await;
}

async fn the_stats_socket_sends_the_richer_object(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app.open_event(admission()).await;
    let url = format!(
        "ws://127.0.0.1:{}/api/v1/admin/events/{event}/stats/ws?access_token={}",
        app.port, app.admin_token
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("stats socket opens");
    let mut frames = Vec::new();
    while frames.len() < 2 {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a frame every second")
            .expect("socket open")
            .unwrap();
        if let Message::Text(t) = msg {
            frames.push(serde_json::from_str::<Value>(t.as_str()).unwrap());
        }
    }
    for f in &frames {
        for key in [
            "at_ms",
            "revenue_cents",
            "connected",
            "eta_clear_secs",
            "waiting",
            "opened",
        ] {
            assert!(f.get(key).is_some(), "{key}: {f}");
        }
    }
    // Each frame is a fresh sample (ticks may bunch up on a loaded machine).
    assert!(frames[1]["at_ms"].as_i64() > frames[0]["at_ms"].as_i64());
    app.stop().await;
}

async fn the_stats_history_fills_every_five_seconds(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app.open_event(admission()).await;
    let (status, history) = app.stats_history(&event).await;
    assert_eq!(status, StatusCode::OK, "{history}");
    assert_eq!(history["interval_secs"], 5);
    assert!(history["samples"].is_array());

    let tokens = app.fans(2).await;
    for token in &tokens {
        app.connect(&event, token).await.join().await;
    }
    app.wait_until("two samples", Duration::from_secs(20), || async {
        app.stats_history(&event).await.1["samples"]
            .as_array()
            .is_some_and(|s| s.len() >= 2)
    })
    .await;
    let (_, history) = app.stats_history(&event).await;
    let samples = history["samples"].as_array().unwrap();
    let mut keys: Vec<&str> = samples[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "active",
            "admitted_last_minute",
            "at_ms",
            "held",
            "max_active",
            "mode",
            "paused",
            "prequeue",
            "rate_per_minute",
            "sold",
            "waiting"
        ]
    );
    let times: Vec<i64> = samples
        .iter()
        .map(|s| s["at_ms"].as_i64().unwrap())
        .collect();
    // Oldest first, a sampling interval apart (more if a tick was skipped under load).
    for pair in times.windows(2) {
        assert!(pair[1] - pair[0] >= 4_000, "{times:?}");
    }
    let last = samples.last().unwrap();
    assert_eq!(last["rate_per_minute"], 60);
    assert_eq!(last["max_active"], 10);
    assert_eq!(last["paused"], false);
    app.stop().await;
}

async fn the_new_admin_endpoints_refuse_strangers(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app.create_event(60_000, admission()).await;
    let fan = app.fan().await;
    let unknown = uuid::Uuid::now_v7().to_string();
    for path in ["audit", "audit?limit=5", "stats", "stats/history"] {
        let url = format!("/api/v1/admin/events/{event}/{path}");
        let (status, body) = app.get(&url, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
        assert_eq!(body["error"]["code"], "unauthorized", "{path}");
        let (status, body) = app.get(&url, Some("not-a-token")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
        let (status, body) = app.get(&url, Some(&fan)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_eq!(body["error"]["code"], "forbidden", "{path}");
        for id in [unknown.as_str(), "not-a-uuid"] {
            let (status, body) = app
                .get(
                    &format!("/api/v1/admin/events/{id}/{path}"),
                    Some(&app.admin_token),
                )
                .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path} {id}: {body}");
            assert_eq!(body["error"]["code"], "not_found", "{path} {id}");
        }
    }
    // A fan's "non-admin" check comes before the limit is read.
    let (status, _) = app
        .get(
            &format!("/api/v1/admin/events/{event}/audit?limit=zero"),
            Some(&fan),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.stop().await;
}
