//! Operations endpoints through a real server: the generated OpenAPI document against
//! the routes it describes, and `/metrics` read by a strict text-format parser.

use prom_text_format_parser::{Scrape, Type, ValueType};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend};

crate::both_backends!(
    every_documented_operation_is_served,
    metrics_text_parses_and_each_app_counts_its_own,
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
        let (http, url) = (app.http.clone(), app.url("/metrics"));
        async move {
            let resp = http.get(url).send().await.unwrap();
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
