//! The security headers of every response, set by one layer ([`SecurityHeadersLayer`]):
//! the fixed ones (Content-Security-Policy, X-Content-Type-Options, Referrer-Policy,
//! X-Frame-Options, Cross-Origin-Opener-Policy, Permissions-Policy; each only where
//! the handler set none), HSTS when the site is served over HTTPS (as
//! [`crate::cookie::site_is_https`] tells), and `Cache-Control: no-store` on answers
//! that carry an account's data (sessions, orders, the admin API), so no shared or
//! browser cache keeps them.
//!
//! Cost per response: every value is a static [`HeaderValue`] (cloning one copies a
//! pointer, no allocation, no formatting) and the response's header map is grown once
//! for all of them; one plain tower layer, no boxed future. Seven
//! `SetResponseHeaderLayer`s and an `axum::middleware::from_fn` layer did the same
//! before, each with its own future (the `from_fn` one boxed and cloned the services
//! beneath it on every request).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue};
use axum::response::Response;
use tower::{Layer, Service};

use crate::routes::CONTENT_SECURITY_POLICY;

/// `Strict-Transport-Security` over HTTPS: a year, this host only (sibling hosts
/// of the operator's domain are theirs to decide).
pub const HSTS: &str = "max-age=31536000";
/// Features no page of ours uses, refused to them and to anything they embed.
pub const PERMISSIONS_POLICY: &str = "accelerometer=(), autoplay=(), camera=(), \
    display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), \
    midi=(), payment=(), publickey-credentials-get=(), usb=()";
/// Paths whose answers are an account's own.
const PRIVATE_PREFIXES: [&str; 3] = ["/api/v1/auth/", "/api/v1/orders", "/api/v1/admin/"];

/// The headers every response carries (unless its handler set its own value).
pub static FIXED: [(HeaderName, HeaderValue); 6] = [
    (
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    ),
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
    (
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    ),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    ),
    (
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(PERMISSIONS_POLICY),
    ),
];
static STRICT_TRANSPORT: HeaderValue = HeaderValue::from_static(HSTS);
static NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

/// Adds the [`FIXED`] headers, HSTS (over HTTPS) and `no-store` (on private answers)
/// to every response.
#[derive(Clone, Copy)]
pub struct SecurityHeadersLayer {
    pub secure_cookies: bool,
    pub trusted_proxy_hops: usize,
}

impl<S> Layer<S> for SecurityHeadersLayer {
    type Service = SecurityHeaders<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SecurityHeaders {
            inner,
            config: *self,
        }
    }
}

/// The service of [`SecurityHeadersLayer`].
#[derive(Clone)]
pub struct SecurityHeaders<S> {
    inner: S,
    config: SecurityHeadersLayer,
}

impl<S> Service<Request> for SecurityHeaders<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = WithHeaders<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let (parts, body) = request.into_parts();
        let https = crate::cookie::site_is_https(
            &parts,
            self.config.secure_cookies,
            self.config.trusted_proxy_hops,
        );
        let private = is_private(parts.uri.path());
        WithHeaders {
            inner: self.inner.call(Request::from_parts(parts, body)),
            https,
            private,
        }
    }
}

pin_project_lite::pin_project! {
    /// The inner service's answer, with the headers added.
    pub struct WithHeaders<F> {
        #[pin]
        inner: F,
        https: bool,
        private: bool,
    }
}

impl<F, E> Future for WithHeaders<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = std::task::ready!(this.inner.poll(cx))?;
        add_headers(response.headers_mut(), *this.https, *this.private);
        Poll::Ready(Ok(response))
    }
}

/// Adds the headers to one response's `headers`.
fn add_headers(headers: &mut axum::http::HeaderMap, https: bool, private: bool) {
    headers.reserve(FIXED.len() + 2);
    for (name, value) in &FIXED {
        headers.entry(name.clone()).or_insert_with(|| value.clone());
    }
    if https {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, STRICT_TRANSPORT.clone());
    }
    if private {
        headers.insert(header::CACHE_CONTROL, NO_STORE.clone());
    }
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

    #[test]
    fn a_handlers_own_value_is_kept() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        );
        add_headers(&mut headers, true, true);
        assert_eq!(headers[header::X_FRAME_OPTIONS], "SAMEORIGIN");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[header::STRICT_TRANSPORT_SECURITY], HSTS);
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert_eq!(headers.len(), FIXED.len() + 2);
    }
}
