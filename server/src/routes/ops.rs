//! Operations: health, readiness, metrics, the JWKS and the OpenAPI document.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/api/v1/openapi.json", get(openapi))
}

/// How long `/readyz` waits for the database and the store.
const READY_TIMEOUT_MS: u64 = 800;

async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    if state.shutdown.is_cancelled() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "shutting_down"})),
        );
    }
    // Both checks at once, each bounded: a load balancer probing readiness wants an
    // answer well within its own timeout, above all while a dependency is down.
    let bound = std::time::Duration::from_millis(READY_TIMEOUT_MS);
    let (db, store) = tokio::join!(
        tokio::time::timeout(bound, state.db.ping()),
        tokio::time::timeout(bound, state.hub.store().ping()),
    );
    let timed_out = || format!("no answer within {READY_TIMEOUT_MS} ms");
    let db = db
        .map_err(|_| timed_out())
        .and_then(|r| r.map_err(|e| e.to_string()));
    let store = store
        .map_err(|_| timed_out())
        .and_then(|r| r.map_err(|e| e.to_string()));
    let body = json!({
        "database": db.as_ref().err().map_or("ok", |e| e.as_str()),
        "store": store.as_ref().err().map_or("ok", |e| e.as_str()),
    });
    if db.is_ok() && store.is_ok() {
        (StatusCode::OK, Json(body))
    } else {
        tracing::warn!(%body, "not ready");
        (StatusCode::SERVICE_UNAVAILABLE, Json(body))
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let text = state.metrics.render(&[(
        "floodgate_queue_sockets",
        "Sockets (queue, seat stream and stats) open on this process.",
        state.sockets.open() as f64,
    )]);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(state.keys.jwks()),
    )
}

async fn openapi() -> Json<Value> {
    Json(
        serde_json::from_str(include_str!("../../openapi.json"))
            .expect("openapi.json is valid JSON (tested)"),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn openapi_document_parses() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../openapi.json")).unwrap();
        assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."));
        assert!(doc["paths"]["/api/v1/events/{id}/queue/ws"].is_object());
        for path in ["audit", "stats/history"] {
            let path = format!("/api/v1/admin/events/{{id}}/{path}");
            assert!(doc["paths"][&path]["get"].is_object(), "{path}");
        }
        let stats = &doc["components"]["schemas"]["Stats"]["required"];
        for field in ["at_ms", "revenue_cents", "connected", "eta_clear_secs"] {
            assert!(stats.as_array().unwrap().contains(&field.into()), "{field}");
        }
    }

    /// The document says what the code does: session tokens are HS256 (not EdDSA),
    /// and every error code the server can answer is in `Error`'s list.
    #[test]
    fn openapi_document_matches_the_code() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../openapi.json")).unwrap();
        let schemes = &doc["components"]["securitySchemes"];
        let bearer = schemes["bearer"]["description"].as_str().unwrap();
        assert!(
            bearer.contains("HS256") && !bearer.contains("EdDSA"),
            "{bearer}"
        );
        let purchase = schemes["purchaseToken"]["description"].as_str().unwrap();
        assert!(
            !purchase.contains("same key as session tokens"),
            "{purchase}"
        );
        let codes = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
            ["code"]["enum"]
            .as_array()
            .unwrap();
        let listed = |code: &str| codes.iter().any(|c| c == code);
        for status in 400..600 {
            let Ok(status) = axum::http::StatusCode::from_u16(status) else {
                continue;
            };
            let (code, _) = crate::contract_errors::describe(status);
            assert!(
                listed(code),
                "{code} (for {status}) is not in Error's codes"
            );
        }
        for code in [
            "invalid_path",
            "invalid_query",
            "websocket_required",
            "payload_too_large",
            "headers_too_large",
            "method_not_allowed",
            "timeout",
            "bad_origin",
        ] {
            assert!(listed(code), "{code} is not in Error's codes");
        }
    }
}
