//! The router's middleware: header and body size limits, the request timeout,
//! errors in the contract's shape, compression, security headers, the request id and
//! a tracing span per request.

use std::time::Duration;

use axum::Router;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnFailure, TraceLayer};

use crate::state::AppState;
use crate::{checkout, contract_errors, limits, routes, security_headers};

/// The router with its middleware: header and body size limits, request timeout,
/// every error in the contract's JSON shape, compression (for clients that ask for
/// it), the security headers on every response, and outermost a request id
/// (`x-request-id`: the client's, else a new UUID; echoed on the response) and a
/// tracing span per request (see [`request_span`]).
pub fn app(state: AppState) -> Router {
    use axum::http::{header, HeaderName, HeaderValue};
    use tower_http::set_header::SetResponseHeaderLayer;
    let secure = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    let timeout = Duration::from_secs(state.config.request_timeout_secs);
    routes::router(state.clone())
        .layer(axum::middleware::from_fn(limits::header_limit))
        .layer(RequestBodyLimitLayer::new(64 * 1024))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(axum::middleware::map_response(
            contract_errors::contract_errors,
        ))
        .layer(CompressionLayer::new().compress_when(DefaultPredicate::new().and(compressible)))
        .layer(secure(
            header::CONTENT_SECURITY_POLICY,
            routes::CONTENT_SECURITY_POLICY,
        ))
        .layer(secure(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(secure(header::REFERRER_POLICY, "same-origin"))
        .layer(secure(header::X_FRAME_OPTIONS, "DENY"))
        .layer(secure(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ))
        .layer(secure(
            HeaderName::from_static("permissions-policy"),
            security_headers::PERMISSIONS_POLICY,
        ))
        .layer(security_headers::RequestHeadersLayer {
            secure_cookies: state.config.secure_cookies,
            trusted_proxy_hops: state.config.trusted_proxy_hops,
        })
        .layer(
            tower::ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG)),
                )
                .layer(PropagateRequestIdLayer::x_request_id()),
        )
}

/// Whether the compression layer may compress a response: not one marked
/// [`checkout::seat_map::Uncompressed`] (already gzipped, or too big to compress per
/// request).
fn compressible(
    _: axum::http::StatusCode,
    _: axum::http::Version,
    _: &axum::http::HeaderMap,
    extensions: &axum::http::Extensions,
) -> bool {
    extensions
        .get::<checkout::seat_map::Uncompressed>()
        .is_none()
}

/// The span of one request: method, path and request id, so what a handler logs can
/// be told apart and matched with the client's `x-request-id`. Only the path: the
/// query may carry a token (`?access_token=` on WebSockets), and no header is
/// recorded (Authorization, Cookie). The span is at INFO so warnings inside carry it;
/// the layer's own events (request started, finished, failed) stay at DEBUG: a
/// server error is logged with its cause where it happens, and a rush's 429s and
/// 503s would flood the log.
fn request_span<B>(request: &axum::http::Request<B>) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|id| id.len() <= 128)
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id,
    )
}
