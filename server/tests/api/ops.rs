//! Operations endpoints through a real server: the generated OpenAPI document against
//! the routes it describes, and `/metrics` read by a strict text-format parser.

use prom_text_format_parser::{Scrape, Type, ValueType};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use crate::helpers::{buyer, spawn_app, Backend, TestApp};

crate::both_backends!(
    every_documented_operation_is_served,
    metrics_text_parses_and_each_app_counts_its_own,
    per_event_metrics_match_the_stats_api,
    a_short_sale_times_the_store_and_the_database,
    a_failed_database_call_is_counted,
    an_http_join_asks_the_queue_store_once,
);

/// Each path and method the document lists reaches a handler: no 405 and no 404 from
/// the router (a handler's own 404, an unknown event, says what it did not find).
async fn every_documented_operation_is_served(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let resp = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let doc: Value = resp.json().await.unwrap();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let Ok(method) = Method::from_bytes(method.to_uppercase().as_bytes()) else {
                continue;
            };
            let concrete = path
                .replace("{id}", "00000000-0000-4000-8000-000000000000")
                .replace("{hold_id}", "0123456789abcdef0123456789abcdef");
            let mut request = app.http.request(method.clone(), app.url(&concrete));
            if method == Method::POST || method == Method::PATCH {
                request = request.json(&json!({}));
            }
            let resp = request.send().await.unwrap();
            let status = resp.status();
            let body = resp.text().await.unwrap_or_default();
            let routeless = status == StatusCode::NOT_FOUND && body.contains("route not found");
            if status == StatusCode::METHOD_NOT_ALLOWED || routeless {
                wrong.push(format!("{method} {path}: {status} {body}"));
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} operations documented");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // And a path the document does not list is the router's 404.
    let (status, body) = app.get("/api/v1/not-documented", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"]["code"], "not_found");
    app.stop().await;
}

/// `/metrics` keeps its content type and parses whole; two apps in one process (as here)
/// count apart, each on its own recorder.
async fn metrics_text_parses_and_each_app_counts_its_own(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let Some(other) = spawn_app(backend).await else {
        return;
    };
    for _ in 0..3 {
        let (status, _) = app.get("/api/v1/time", None).await;
        assert_eq!(status, StatusCode::OK);
    }
    let scrape = |app: &crate::helpers::TestApp| {
        let request = app.metrics();
        async move {
            let resp = request.send().await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            assert_eq!(resp.headers()["content-type"], "text/plain; version=0.0.4");
            let text = resp.text().await.unwrap();
            let parsed = Scrape::parse(&text).unwrap_or_else(|e| panic!("{e:?} in {text}"));
            (text, parsed)
        }
    };
    let (text, parsed) = scrape(&app).await;
    let metric = |name: &str| {
        parsed
            .metrics
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    assert_eq!(metric("floodgate_queue_sockets").kind, Type::Gauge);
    assert_eq!(metric("floodgate_http_5xx_total").kind, Type::Counter);
    let http = metric("floodgate_http_request_seconds");
    assert_eq!(http.kind, Type::Histogram);
    let time_count = http
        .samples
        .iter()
        .find(|s| {
            s.value.value_type == ValueType::Count
                && s.labels
                    .iter()
                    .any(|l| l.key == "route" && l.value == "/api/v1/time")
        })
        .unwrap_or_else(|| panic!("no /api/v1/time series in {text}"));
    assert_eq!(time_count.value.value.as_f64(), 3.0);
    let (other_text, _) = scrape(&other).await;
    assert!(
        !other_text.contains("route=\"/api/v1/time\""),
        "the other app counted this one's requests: {other_text}"
    );
    other.stop().await;
    app.stop().await;
}

/// `/metrics` parsed whole, by a strict parser.
async fn scrape(app: &TestApp) -> (String, Scrape) {
    let resp = app.metrics().send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let text = resp.text().await.unwrap();
    let parsed = Scrape::parse(&text).unwrap_or_else(|e| panic!("{e:?} in {text}"));
    (text, parsed)
}

/// The value of `name`'s series for `event`, if there is one.
fn event_value(scrape: &Scrape, name: &str, event: &str) -> Option<f64> {
    let metric = scrape.metrics.iter().find(|m| m.name == name)?;
    metric
        .samples
        .iter()
        .find(|s| {
            s.labels
                .iter()
                .any(|l| l.key == "event_id" && l.value == event)
        })
        .map(|s| s.value.value.as_f64())
}

/// The per-event series equal the admin stats API's figures, event by event: an open
/// sale with one shopper, fans waiting, a hold and an order; a sale not yet open with
/// fans in its pre-queue. Requests are timed by route template and status code.
async fn per_event_metrics_match_the_stats_api(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let open = app
        .open_event(json!({"rate_per_minute": 60, "max_active": 1, "session_ttl_secs": 600}))
        .await;
    let later = app
        .create_event(
            600_000,
            json!({"rate_per_minute": 60, "max_active": 10, "session_ttl_secs": 600}),
        )
        .await;
    let tokens = app.fans(5).await;
    let mut fans = Vec::new();
    for token in &tokens[..3] {
        let mut fan = app.connect(&open, token).await;
        fan.join().await;
        fans.push(fan);
    }
    for token in &tokens[3..] {
        let mut fan = app.connect(&later, token).await;
        assert_eq!(fan.join().await["type"], "prequeue");
        fans.push(fan);
    }
    // Two seats held, one sold (buyers with purchase tokens, as admitted fans hold).
    let (_, token) = buyer(&app, &open, 4, 600_000).await;
    let (status, held) = app
        .hold(&open, &token, json!({"seats": ["A-1-1", "A-1-2"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let (_, token) = buyer(&app, &open, 4, 600_000).await;
    let (_, held) = app.hold(&open, &token, json!({"seats": ["A-2-1"]})).await;
    let (status, order) = app.confirm(held["hold_id"].as_str().unwrap(), &token).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    app.wait_until(
        "two wait behind one shopper; two in the pre-queue",
        Duration::from_secs(10),
        || async {
            let (o, l) = (app.stats(&open).await, app.stats(&later).await);
            o["waiting"] == 2 && o["active"] == 1 && l["prequeue"] == 2
        },
    )
    .await;

    let (text, parsed) = scrape(&app).await;
    let kind = |name: &str| {
        parsed
            .metrics
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.kind)
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    for event in [&open, &later] {
        let stats = app.stats(event).await;
        for (name, field, ty) in [
            ("floodgate_event_waiting", "waiting", Type::Gauge),
            ("floodgate_event_prequeue", "prequeue", Type::Gauge),
            ("floodgate_event_active", "active", Type::Gauge),
            ("floodgate_event_held", "held", Type::Gauge),
            ("floodgate_event_sold", "sold", Type::Gauge),
            (
                "floodgate_event_admitted_total",
                "admitted_total",
                Type::Counter,
            ),
        ] {
            assert_eq!(kind(name), ty, "{name}");
            let value = event_value(&parsed, name, event)
                .unwrap_or_else(|| panic!("no {name} for {event} in {text}"));
            assert_eq!(
                value,
                stats[field].as_f64().unwrap(),
                "{name} against {field}: {stats}\n{text}"
            );
        }
    }
    // The figures are the ones set up, not zeros on both sides.
    assert_eq!(
        event_value(&parsed, "floodgate_event_held", &open),
        Some(2.0)
    );
    assert_eq!(
        event_value(&parsed, "floodgate_event_sold", &open),
        Some(1.0)
    );
    assert_eq!(
        event_value(&parsed, "floodgate_event_waiting", &open),
        Some(2.0)
    );
    assert_eq!(
        event_value(&parsed, "floodgate_event_prequeue", &later),
        Some(2.0)
    );
    assert_eq!(
        event_value(&parsed, "floodgate_event_admitted_total", &open),
        Some(1.0)
    );

    // The rooms' admission steps are timed (one every 250 ms or so per event).
    assert_eq!(kind("floodgate_admission_step_seconds"), Type::Histogram);
    let steps = parsed
        .metrics
        .iter()
        .find(|m| m.name == "floodgate_admission_step_seconds")
        .and_then(|m| {
            m.samples
                .iter()
                .find(|s| s.value.value_type == ValueType::Count)
        })
        .map(|s| s.value.value.as_f64());
    assert!(steps.is_some_and(|n| n >= 1.0), "{text}");
    assert_eq!(kind("floodgate_admission_step_errors_total"), Type::Counter);

    // Requests are timed by route template and status: the stats reads above (200) and
    // a refused one (401).
    let (status, _) = app
        .get(&format!("/api/v1/admin/events/{open}/stats"), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (text, parsed) = scrape(&app).await;
    let http = parsed
        .metrics
        .iter()
        .find(|m| m.name == "floodgate_http_request_seconds")
        .unwrap();
    let count = |code: &str| {
        http.samples
            .iter()
            .find(|s| {
                s.value.value_type == ValueType::Count
                    && s.labels
                        .iter()
                        .any(|l| l.key == "route" && l.value == "/api/v1/admin/events/{id}/stats")
                    && s.labels
                        .iter()
                        .any(|l| l.key == "status" && l.value == code)
            })
            .map(|s| s.value.value.as_f64())
            .unwrap_or_else(|| panic!("no stats route with status {code} in {text}"))
    };
    assert!(count("200") >= 3.0);
    assert_eq!(count("401"), 1.0);

    for fan in fans {
        fan.close().await;
    }
    app.stop().await;
}

/// The `_count` of histogram `name`'s series whose labels include all of `labels`.
pub fn histogram_count(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let metric = scrape.metrics.iter().find(|m| m.name == name)?;
    metric
        .samples
        .iter()
        .find(|s| {
            s.value.value_type == ValueType::Count
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.iter().any(|l| l.key == *k && l.value == *v))
        })
        .map(|s| s.value.value.as_f64())
}

/// A short sale (a fan joins and is admitted, a buyer holds and confirms, the orders
/// are listed) shows up in the store's and the database's timings, by op, on both
/// backends; nothing failed, so every error counter reads 0.
async fn a_short_sale_times_the_store_and_the_database(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app
        .open_event(json!({"rate_per_minute": 600, "max_active": 10, "session_ttl_secs": 600}))
        .await;
    let token = app.fan().await;
    let mut fan = app.connect(&event, &token).await;
    fan.join().await;
    fan.expect("admitted", Duration::from_secs(10)).await;
    let (_, purchase) = buyer(&app, &event, 4, 600_000).await;
    let (status, held) = app
        .hold(&event, &purchase, json!({"seats": ["A-1-1"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let (status, order) = app
        .confirm(held["hold_id"].as_str().unwrap(), &purchase)
        .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    let (status, _) = app.get("/api/v1/orders", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);

    let (text, parsed) = scrape(&app).await;
    let kind = |name: &str| {
        parsed
            .metrics
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.kind)
    };
    assert_eq!(
        kind("floodgate_store_op_seconds"),
        Some(Type::Histogram),
        "{text}"
    );
    assert_eq!(
        kind("floodgate_db_op_seconds"),
        Some(Type::Histogram),
        "{text}"
    );
    for (store, op) in [
        ("queue", "configure"),
        ("queue", "join"),
        ("queue", "admit"),
        ("queue", "changes"),
        ("seats", "init_seats"),
        ("seats", "hold"),
        ("seats", "begin_confirm"),
        ("seats", "mark_sold"),
        ("seats", "end_token"),
        ("queue", "purchased"),
        ("seats", "seat_changes"),
    ] {
        let n = histogram_count(
            &parsed,
            "floodgate_store_op_seconds",
            &[("store", store), ("op", op)],
        );
        assert!(n.is_some_and(|n| n >= 1.0), "{store} {op}: {n:?} in {text}");
    }
    for op in [
        "write_order",
        "orders_of",
        "insert_event",
        "events",
        "user_by_email",
    ] {
        let n = histogram_count(&parsed, "floodgate_db_op_seconds", &[("op", op)]);
        assert!(n.is_some_and(|n| n >= 1.0), "db {op}: {n:?} in {text}");
    }
    // Group commit is PostgreSQL's: every batch, one order or many, is counted.
    let batches = histogram_count(&parsed, "floodgate_db_batch_size", &[]);
    match backend {
        Backend::Scaled | Backend::Cluster => assert!(batches.is_some_and(|n| n >= 1.0), "{text}"),
        Backend::Embedded => assert_eq!(batches, None, "{text}"),
    }
    // Nothing failed: the error counters are all there (from the start), all 0.
    for name in ["floodgate_store_errors_total", "floodgate_db_errors_total"] {
        assert_eq!(kind(name), Some(Type::Counter), "{text}");
        let prefix = format!("{name}{{");
        let lines: Vec<&str> = text.lines().filter(|l| l.starts_with(&prefix)).collect();
        assert!(!lines.is_empty(), "{text}");
        assert!(lines.iter().all(|l| l.ends_with(" 0")), "{lines:?}");
    }
    // Every series the Grafana dashboard charts is in this scrape, so a renamed metric
    // cannot leave a panel empty.
    let served: HashSet<&str> = parsed.metrics.iter().map(|m| m.name.as_str()).collect();
    for name in dashboard_metric_names() {
        assert!(
            served.contains(name.as_str()),
            "the dashboard charts {name}, not served: {text}"
        );
    }
    fan.close().await;
    app.stop().await;
}

/// The `floodgate_*` metric names in the Grafana dashboard's queries, histogram
/// suffixes (`_bucket`, `_sum`, `_count`) taken off.
fn dashboard_metric_names() -> BTreeSet<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../k8s/base/monitoring/floodgate-dashboard.json"
    );
    let text = std::fs::read_to_string(path).expect("the dashboard is in k8s/base/monitoring");
    let dashboard: Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    let mut exprs = Vec::new();
    collect_exprs(&dashboard, &mut exprs);
    let mut names = BTreeSet::new();
    for expr in exprs {
        let mut rest = expr.as_str();
        while let Some(at) = rest.find("floodgate_") {
            let tail = &rest[at..];
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            let name = &tail[..end];
            let base = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .unwrap_or(name);
            names.insert(base.to_owned());
            rest = &tail[end..];
        }
    }
    assert!(
        names.len() >= 10,
        "too few metric names found in the dashboard: {names:?}"
    );
    names
}

fn collect_exprs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("expr" | "query", Value::String(s)) => out.push(s.clone()),
                    _ => collect_exprs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_exprs(i, out)),
        _ => {}
    }
}

/// A database call that fails (here: the pool closed under the app) is counted under
/// its op.
async fn a_failed_database_call_is_counted(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let token = app.fan().await;
    app.state.db.pool().close().await;
    let (status, body) = app.get("/api/v1/orders", Some(&token)).await;
    assert!(status.is_server_error(), "{status} {body}");
    let (text, parsed) = scrape(&app).await;
    let errors = parsed
        .metrics
        .iter()
        .find(|m| m.name == "floodgate_db_errors_total")
        .unwrap_or_else(|| panic!("no db errors in {text}"));
    assert_eq!(errors.kind, Type::Counter);
    assert!(
        text.contains("floodgate_db_errors_total{op=\"orders_of\"} 1\n"),
        "{text}"
    );
    assert_eq!(
        histogram_count(&parsed, "floodgate_db_op_seconds", &[("op", "orders_of")]),
        Some(1.0),
        "{text}"
    );
    app.stop().await;
}

/// How many times the queue store ran `op`, from `/metrics`' timing histogram.
pub(crate) fn queue_store_calls(scrape: &Scrape, op: &str) -> f64 {
    scrape
        .metrics
        .iter()
        .filter(|m| m.name == "floodgate_store_op_seconds")
        .flat_map(|m| &m.samples)
        .filter(|s| {
            s.value.value_type == ValueType::Count
                && s.labels
                    .iter()
                    .any(|l| l.key == "store" && l.value == "queue")
                && s.labels.iter().any(|l| l.key == "op" && l.value == op)
        })
        .map(|s| s.value.value.as_f64())
        .sum()
}

/// The HTTP join answers from the join's own store answer: one `join` call and no
/// `poll` to describe the place it just got (the opening's rush pays one round trip
/// a fan, not two); the answer is what `queue/me` then says.
async fn an_http_join_asks_the_queue_store_once(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app
        .open_event(json!({"rate_per_minute": 1, "max_active": 1}))
        .await;
    let fans = app.fans(2).await;
    let join = format!("/api/v1/events/{event}/queue/join");
    let (status, first) = app.post(&join, Some(&fans[0]), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (_, before) = scrape(&app).await;
    let (status, second) = app.post(&join, Some(&fans[1]), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let (_, after) = scrape(&app).await;
    assert_eq!(
        queue_store_calls(&after, "join") - queue_store_calls(&before, "join"),
        1.0
    );
    assert_eq!(
        queue_store_calls(&after, "poll"),
        queue_store_calls(&before, "poll"),
        "the join asked the store again to describe the place"
    );
    // Behind the first fan, with one shopper at a time: queued, and still so.
    assert_eq!(second["type"], "queued", "{second}");
    let me = format!("/api/v1/events/{event}/queue/me");
    let (status, polled) = app.get(&me, Some(&fans[1])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (&polled["type"], &polled["ticket"]),
        (&second["type"], &second["ticket"]),
        "{second} then {polled}"
    );
    assert!(polled["ahead"].as_u64() <= second["ahead"].as_u64());
    app.stop().await;
}
