//! Operations: health, readiness, metrics and the JWKS (the OpenAPI document is served
//! by [`super::openapi`]).

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use futures_util::StreamExt;
use subtle::ConstantTimeEq;
use waiting_room::token::Jwks;
use waiting_room::EventId;

use super::error_docs::{E401, E403};
use crate::error::ApiError;
use crate::state::AppState;
use crate::stats::{Snapshot, METRIC_SERIES};

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
        (status = 200, body = Readiness, content_type = "application/json"),
        (status = 503, body = ReadyzAnswer, content_type = "application/json"),
    )
)]
async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    if state.draining.is_cancelled() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(ReadyzAnswer::ShuttingDown(ShuttingDown {
                status: Draining::ShuttingDown,
            })),
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
    let ready = db.is_ok() && store.is_ok();
    let body = Readiness {
        database: db.err().unwrap_or_else(|| "ok".into()),
        store: store.err().unwrap_or_else(|| "ok".into()),
    };
    if ready {
        (StatusCode::OK, Json(ReadyzAnswer::Checked(body)))
    } else {
        tracing::warn!(database = %body.database, store = %body.store, "not ready");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(ReadyzAnswer::Checked(body)),
        )
    }
}

/// What the readiness check found of each dependency.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Readiness {
    /// `ok` or the error text.
    database: String,
    /// `ok` or the error text.
    store: String,
}

/// What `/readyz` answers: the checks (200 when both pass, else 503), or 503
/// `shutting_down` while the replica drains.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
enum ReadyzAnswer {
    Checked(Readiness),
    ShuttingDown(ShuttingDown),
}

/// The replica is shutting down.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ShuttingDown {
    status: Draining,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum Draining {
    ShuttingDown,
}

#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "ops",
    security(("metricsToken" = [])),
    responses(
        (status = 200, body = String, content_type = "text/plain; version=0.0.4"),
        E401, E403,
    )
)]
async fn metrics(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    metrics_reader(&state, &headers)?;
    let events = event_figures(&state).await;
    let text = state.metrics.render_with_events(
        &[
            (
                "floodgate_queue_sockets",
                "Sockets (queue, seat stream and stats) open on this process.",
                state.sockets.open() as f64,
            ),
            (
                "floodgate_queue_rooms",
                "Queue rooms running on this process (one per open event).",
                state.hub.running_rooms() as f64,
            ),
            (
                "floodgate_seat_rooms",
                "Seat rooms running on this process (one per open event with seats in use).",
                state.checkout.running_rooms() as f64,
            ),
        ],
        &METRIC_SERIES,
        &events,
    );
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text))
}

/// Only the scraper reads `/metrics` (every open sale's figures, which the stats API
/// refuses to fans): it presents `FLOODGATE_METRICS_TOKEN` as a bearer token,
/// compared in constant time. Without a token configured nobody does (403).
fn metrics_reader(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = state.config.metrics_token.as_deref() else {
        return Err(ApiError::Refused {
            code: "forbidden",
            message:
                "metrics are off: set FLOODGATE_METRICS_TOKEN and present it as a bearer token"
                    .into(),
        });
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::InvalidToken(
            "reading metrics needs the metrics token (Authorization: Bearer …)".into(),
        ))
    }
}

/// How long a scrape waits for one event's figures before leaving its series out.
const EVENT_FIGURES_TIMEOUT_MS: u64 = 2_000;
/// Events whose figures are read at once during a scrape.
const EVENT_FIGURES_CONCURRENCY: usize = 8;

/// Every event not closed, read at scrape time through
/// [`crate::stats::StatsService::snapshot`], the snapshot behind the admin stats API (a few store reads per event, no database, and
/// nothing on the fans' path). An event whose read fails or times out is left out of
/// this scrape (logged), rather than failing the whole page.
async fn event_figures(state: &AppState) -> Vec<(EventId, Snapshot)> {
    let open: Vec<EventId> = state.events.open_ids();
    let bound = std::time::Duration::from_millis(EVENT_FIGURES_TIMEOUT_MS);
    let mut figures: Vec<(EventId, Snapshot)> = futures_util::stream::iter(open)
        .map(|id| async move {
            match tokio::time::timeout(bound, state.stats.snapshot(id)).await {
                Ok(Ok(s)) => Some((id, s)),
                Ok(Err(error)) => {
                    tracing::warn!(%error, event_id = %id, "metrics: event figures failed");
                    None
                }
                Err(_) => {
                    tracing::warn!(event_id = %id, "metrics: event figures timed out");
                    None
                }
            }
        })
        .buffer_unordered(EVENT_FIGURES_CONCURRENCY)
        .filter_map(std::future::ready)
        .collect()
        .await;
    figures.sort_by_key(|(id, _)| id.to_string());
    figures
}

#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    operation_id = "jwks",
    tag = "ops",
    responses(
        (status = 200, body = Jwks, content_type = "application/json"),
    )
)]
async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        Json(state.keys.jwk_set()),
    )
}
