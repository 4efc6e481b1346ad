//! The client behind a request: its address (through trusted proxies) and the
//! budgets kept per address (request rate limits, socket slots, places in line).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use waiting_room::store::PlaceCap;

use crate::state::AppState;

/// Takes one request from the client's budget in `limiter` (counting refusals).
pub(crate) fn rate_limit(
    state: &AppState,
    limiter: &crate::limits::IpLimiter,
    parts: &Parts,
) -> Result<(), crate::error::ApiError> {
    limiter
        .check(address_block(client_ip(
            parts,
            state.config.trusted_proxy_hops,
        )))
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
            if matches!(e, crate::limits::Limited::TooManySockets { .. }) {
                crate::metrics::Metrics::inc(&state.metrics.rate_limited);
            }
        })
        .map_err(Into::into)
}

/// Takes one `queue/me` or `queue/leave` from the client address's budget (an IPv6
/// address's /64) and, once signed in, the account's (429 `rate_limited`).
pub(crate) fn poll_limit(
    state: &AppState,
    parts: &Parts,
    user: Option<waiting_room::UserId>,
) -> Result<(), crate::error::ApiError> {
    let block = address_block(client_ip(parts, state.config.trusted_proxy_hops));
    state
        .poll_limit
        .check(block)
        .and_then(|()| user.map_or(Ok(()), |u| state.poll_account_limit.check(u)))
        .inspect_err(|_| crate::metrics::Metrics::inc(&state.metrics.rate_limited))
        .map_err(Into::into)
}

/// The cap on places this client's address holds in one event (`None`: no cap),
/// counted under [`address_block`].
pub(crate) fn place_cap(state: &AppState, parts: &Parts) -> Option<PlaceCap> {
    let max = state.config.max_places_per_ip;
    (max > 0).then(|| {
        let block = address_block(client_ip(parts, state.config.trusted_proxy_hops));
        PlaceCap {
            holder: match block {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("{v6}/64"),
            },
            max,
        }
    })
}

/// What one client is counted as: an IPv4 address, or an IPv6 address's /64 (one
/// subscriber's usual allocation, so rotating through it gains nothing). An
/// IPv4-mapped IPv6 address is its IPv4 address.
pub(crate) fn address_block(ip: IpAddr) -> IpAddr {
    crate::limits::client_key(ip)
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

    #[test]
    fn an_ipv6_address_counts_by_its_64() {
        let block = |s: &str| address_block(s.parse().unwrap()).to_string();
        assert_eq!(block("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::");
        assert_eq!(block("2001:db8:1:2::1"), "2001:db8:1:2::");
        assert_ne!(block("2001:db8:1:3::1"), "2001:db8:1:2::");
        assert_eq!(block("203.0.113.7"), "203.0.113.7");
        assert_eq!(block("::ffff:203.0.113.7"), "203.0.113.7");
    }
}
