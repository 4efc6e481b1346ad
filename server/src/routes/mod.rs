//! The HTTP API: each resource module owns its router; this module only merges them
//! according to the replica's role.

mod admin;
pub mod auth;
mod events;
mod ops;
mod queue;

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::Router;

pub use queue::restart_frame;

use crate::config::Role;
use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    let mut api = Router::new()
        .merge(auth::router())
        .merge(events::router())
        .merge(admin::router());
    if state.config.role != Role::Checkout {
        api = api.merge(queue::router());
    }
    Router::new()
        .nest("/api/v1", api)
        .merge(ops::router())
        .fallback(crate::error::not_found)
        .with_state(state)
}

/// The client's address (loopback when unknown, e.g. in unit tests).
pub(crate) fn client_ip(parts: &Parts) -> std::net::IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(std::net::Ipv4Addr::LOCALHOST.into(), |ci| ci.0.ip())
}
