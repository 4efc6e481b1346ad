//! Operations: health, readiness, metrics and the JWKS (the OpenAPI document is served
//! by [`super::openapi`]).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(ready))
        .routes(routes!(metrics))
        .routes(routes!(jwks))
}

#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "ops",
    responses(
        (status = 200, body = String, content_type = "text/plain; charset=utf-8"),
    )
)]
async fn healthz() -> &'static str {
    "ok"
}

/// How long `/readyz` waits for the database and the store.
const READY_TIMEOUT_MS: u64 = 800;

#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "ops",
    responses(
        (status = 200, body = ref("#/components/schemas/Readiness"), content_type = "application/json"),
        (status = 503, content_type = "application/json"),
    )
)]
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

#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "ops",
    responses(
        (status = 200, body = String, content_type = "text/plain; version=0.0.4"),
    )
)]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let text = state.metrics.render(&[(
        "floodgate_queue_sockets",
        "Sockets (queue, seat stream and stats) open on this process.",
        state.sockets.open() as f64,
    )]);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    operation_id = "jwks",
    tag = "ops",
    responses(
        (status = 200, body = ref("#/components/schemas/Jwks"), content_type = "application/json"),
    )
)]
async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(state.keys.jwks()),
    )
}
