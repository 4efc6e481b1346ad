//! The HTTP API: each resource module owns its router; this module only merges them
//! according to the replica's role.

mod admin;
pub mod auth;
mod checkout;
mod events;
mod loadtest;
mod openapi;
mod ops;
mod queue;
mod web;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use utoipa_axum::router::OpenApiRouter;

pub use queue::restart_frame;
pub use web::CONTENT_SECURITY_POLICY;

use crate::config::Role;
use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    let (api, _) = api(Some(state.config.role)).split_for_parts();
    let metrics = state.metrics.clone();
    Router::new()
        .merge(api)
        .merge(web::router())
        .route_layer(axum::middleware::from_fn_with_state(
            metrics,
            crate::observe::observe,
        ))
        .fallback(not_found)
        .with_state(state)
}

/// The API and operations routes a replica of `role` serves (every role's with `None`),
/// each registered together with its OpenAPI operation by `routes!`, so the served
/// routes and the documented ones cannot differ. The fan pages (`web`) are not API.
fn api(role: Option<Role>) -> OpenApiRouter<AppState> {
    let serves = |other: Role| role != Some(other);
    let mut api = OpenApiRouter::new()
        .merge(auth::router())
        .merge(events::router())
        .merge(admin::router())
        .merge(loadtest::router());
    if serves(Role::Checkout) {
        api = api.merge(queue::router());
    }
    if serves(Role::Queue) {
        api = api.merge(checkout::router());
    }
    OpenApiRouter::new()
        .nest("/api/v1", api)
        .merge(ops::router())
}

/// A path no route knows: the fan page's "not found" for a browser, else the JSON error.
async fn not_found(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    web::not_found_page(&state, &headers, uri.path())
        .unwrap_or_else(|| crate::error::ApiError::NotFound("route").into_response())
}

/// Takes one request from the client's budget in `limiter` (counting refusals).
pub(crate) fn rate_limit(
    state: &AppState,
    limiter: &crate::limits::IpLimiter,
    parts: &Parts,
) -> Result<(), crate::error::ApiError> {
    limiter
        .check(client_ip(parts, state.config.trusted_proxy_hops))
        .inspect_err(|_| crate::metrics::Metrics::inc(&state.metrics.rate_limited))
        .map_err(Into::into)
}

/// A slot for one more socket from this client (503 `overloaded` at the process's
/// cap, 429 `rate_limited` at the client address's).
pub(crate) fn socket_slot(
    state: &AppState,
    parts: &Parts,
) -> Result<crate::limits::SocketSlot, crate::error::ApiError> {
    state
        .sockets
        .acquire(client_ip(parts, state.config.trusted_proxy_hops))
        .inspect_err(|e| {
            if matches!(e, crate::limits::Limited::RateLimited { .. }) {
                crate::metrics::Metrics::inc(&state.metrics.rate_limited);
            }
        })
        .map_err(Into::into)
}

/// The client's address for rate limiting: with `hops` trusted proxies in front, the
/// X-Forwarded-For entry that many places from the right (the address the outermost
/// trusted proxy saw); otherwise, or when the header is short or malformed, the peer.
pub(crate) fn client_ip(parts: &Parts, hops: usize) -> IpAddr {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(Ipv4Addr::LOCALHOST.into(), |ci| ci.0.ip());
    if hops == 0 {
        return peer;
    }
    let forwarded: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let joined = forwarded.join(",");
    joined
        .rsplit(',')
        .nth(hops - 1)
        .and_then(|entry| entry.trim().parse().ok())
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn parts(xff: &[&str]) -> Parts {
        let mut req = Request::builder().uri("/");
        for v in xff {
            req = req.header("x-forwarded-for", *v);
        }
        let (mut parts, _) = req.body(()).unwrap().into_parts();
        parts
            .extensions
            .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 9], 5000))));
        parts
    }

    #[test]
    fn client_ip_trusts_only_the_configured_hops() {
        let peer: IpAddr = [10, 0, 0, 9].into();
        let spoofed = parts(&["6.6.6.6, 203.0.113.7"]);
        assert_eq!(client_ip(&spoofed, 0), peer);
        assert_eq!(client_ip(&spoofed, 1), IpAddr::from([203, 0, 113, 7]));
        assert_eq!(
            client_ip(&parts(&["6.6.6.6", "203.0.113.7"]), 1),
            IpAddr::from([203, 0, 113, 7])
        );
        assert_eq!(
            client_ip(&parts(&["203.0.113.7"]), 2),
            peer,
            "fewer entries than hops"
        );
        assert_eq!(client_ip(&parts(&["garbage"]), 1), peer);
        assert_eq!(client_ip(&parts(&[]), 1), peer);
    }
}
