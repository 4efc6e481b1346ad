//! The security headers that depend on the request: HSTS when the site is served
//! over HTTPS (as [`crate::cookie::site_is_https`] tells), and `Cache-Control:
//! no-store` on answers that carry an account's data (sessions, orders, the admin
//! API), so no shared or browser cache keeps them. The fixed ones (CSP, COOP,
//! Permissions-Policy and friends) are set in [`crate::app`].

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::AppState;

/// `Strict-Transport-Security` over HTTPS: a year, this host only (sibling hosts
/// of the operator's domain are theirs to decide).
pub const HSTS: &str = "max-age=31536000";
/// Features no page of ours uses, refused to them and to anything they embed.
pub const PERMISSIONS_POLICY: &str = "accelerometer=(), autoplay=(), camera=(), \
    display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), \
    midi=(), payment=(), publickey-credentials-get=(), usb=()";
/// Paths whose answers are an account's own.
const PRIVATE_PREFIXES: [&str; 3] = ["/api/v1/auth/", "/api/v1/orders", "/api/v1/admin/"];

/// Adds HSTS (over HTTPS) and `no-store` (on private answers) to the response.
pub async fn request_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let https = crate::extract::site_is_https(&state, &parts);
    let private = is_private(parts.uri.path());
    let mut response = next.run(Request::from_parts(parts, body)).await;
    let h = response.headers_mut();
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    if private {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

fn is_private(path: &str) -> bool {
    PRIVATE_PREFIXES.iter().any(|p| {
        path.starts_with(p)
            && (p.ends_with('/') || path.len() == p.len() || path[p.len()..].starts_with('/'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_orders_and_the_admin_api_are_private() {
        for path in [
            "/api/v1/auth/session",
            "/api/v1/auth/password",
            "/api/v1/orders",
            "/api/v1/admin/events",
        ] {
            assert!(is_private(path), "{path}");
        }
        for path in ["/api/v1/events", "/api/v1/ordersx", "/orders", "/"] {
            assert!(!is_private(path), "{path}");
        }
    }
}
