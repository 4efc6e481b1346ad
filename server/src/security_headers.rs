//! The security headers that depend on the request: HSTS when the site is served
//! over HTTPS (as [`crate::cookie::site_is_https`] tells), and `Cache-Control:
//! no-store` on answers that carry an account's data (sessions, orders, the admin
//! API), so no shared or browser cache keeps them. The fixed ones (CSP, COOP,
//! Permissions-Policy and friends) are set in [`crate::app`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use tower::{Layer, Service};

/// `Strict-Transport-Security` over HTTPS: a year, this host only (sibling hosts
/// of the operator's domain are theirs to decide).
pub const HSTS: &str = "max-age=31536000";
/// Features no page of ours uses, refused to them and to anything they embed.
pub const PERMISSIONS_POLICY: &str = "accelerometer=(), autoplay=(), camera=(), \
    display-capture=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), \
    midi=(), payment=(), publickey-credentials-get=(), usb=()";
/// Paths whose answers are an account's own.
const PRIVATE_PREFIXES: [&str; 3] = ["/api/v1/auth/", "/api/v1/orders", "/api/v1/admin/"];

/// Adds HSTS (over HTTPS) and `no-store` (on private answers) to every response. A
/// plain tower layer rather than `axum::middleware::from_fn`, which boxes and clones
/// the services beneath it on every request: this runs on every request, and the
/// bare `/healthz` lost a quarter of its throughput to the `from_fn` version.
#[derive(Clone, Copy)]
pub struct RequestHeadersLayer {
    pub secure_cookies: bool,
    pub trusted_proxy_hops: usize,
}

impl<S> Layer<S> for RequestHeadersLayer {
    type Service = RequestHeaders<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestHeaders {
            inner,
            config: *self,
        }
    }
}

/// The service of [`RequestHeadersLayer`].
#[derive(Clone)]
pub struct RequestHeaders<S> {
    inner: S,
    config: RequestHeadersLayer,
}

impl<S> Service<Request> for RequestHeaders<S>
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
        let h = response.headers_mut();
        if *this.https {
            h.insert(
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static(HSTS),
            );
        }
        if *this.private {
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        Poll::Ready(Ok(response))
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
}
