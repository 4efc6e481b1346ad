//! The HTTP API: each resource module owns its router; this module only merges them
//! according to the replica's role.

mod admin;
mod auth;
mod checkout;
mod client;
mod events;
mod loadtest;
mod ops;
mod queue;
mod web;

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;

pub use web::CONTENT_SECURITY_POLICY;

use crate::config::Role;
use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    let mut api = Router::new()
        .merge(auth::router())
        .merge(events::router())
        .merge(admin::router())
        .merge(loadtest::router());
    if state.config.role != Role::Checkout {
        api = api.merge(queue::router());
    }
    if state.config.role != Role::Queue {
        api = api.merge(checkout::router());
    }
    let metrics = state.metrics.clone();
    Router::new()
        .nest("/api/v1", api)
        .merge(ops::router())
        .merge(web::router())
        .route_layer(axum::middleware::from_fn_with_state(
            metrics,
            crate::observe::observe,
        ))
        .fallback(not_found)
        .with_state(state)
}

/// A path no route knows: the fan page's "not found" for a browser, else the JSON error.
async fn not_found(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    web::not_found_page(&state, &headers, uri.path())
        .unwrap_or_else(|| crate::error::ApiError::NotFound("route").into_response())
}
