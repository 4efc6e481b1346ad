//! The HTTP API: each resource module owns its router; this module only merges them
//! according to the replica's role.

mod admin;
mod api;
mod auth;
mod autotune;
mod checkout;
mod client;
mod error_docs;
mod event_lifecycle;
mod events;
mod gate;
mod held_back;
mod loadtest;
mod openapi;
mod ops;
mod presale;
mod queue;
mod refunds;
mod report;
mod staff;
mod web;
mod webhooks;

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;

/// The OpenAPI document as served (JSON text).
pub use openapi::served as openapi_document;
pub use web::CONTENT_SECURITY_POLICY;

use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    let (api, _) = api::api(Some(state.config.role))
        .merge(openapi::router())
        .split_for_parts();
    let metrics = state.metrics.clone();
    Router::new()
        .merge(api)
        .merge(web::router())
        .route_layer(crate::observe::ObserveLayer(metrics))
        .fallback(not_found)
        .with_state(state)
}

/// A path no route knows: the fan page's "not found" for a browser, else the JSON error.
async fn not_found(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    web::not_found_page(&state, &headers, uri.path())
        .unwrap_or_else(|| crate::error::ApiError::NotFound("route").into_response())
}
