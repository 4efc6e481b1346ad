//! The client behind a request: its address (through trusted proxies) and the
//! budgets kept per address (request rate limits, socket slots).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;

use crate::state::AppState;

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

/// Back-pressure: 503 `overloaded` with `Retry-After` while the store answers new
/// fans slowly (`crate::backpressure`), counted in `floodgate_queue_shed_total`.
pub(crate) fn admit_new_fan(state: &AppState) -> Result<(), crate::error::ApiError> {
    state
        .store_load
        .admit_new_fan()
        .inspect_err(|_| crate::metrics::Metrics::inc(&state.metrics.queue_shed))
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
