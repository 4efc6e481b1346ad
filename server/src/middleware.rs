//! The router's middleware: header and body size limits, the request timeout,
//! errors in the contract's shape, compression, security headers, the request id and
//! a tracing span per request.
//!
//! Every layer here is a plain tower layer whose future is not boxed (no
//! `axum::middleware::from_fn` or `map_response`, which box futures and clone the
//! services beneath them on every request): a bare `/healthz` pays for the layers
//! themselves only.

use std::time::Duration;

use axum::http::HeaderValue;
use axum::Router;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnFailure, TraceLayer};
use tower_http::validate_request::ValidateRequestHeaderLayer;

use crate::state::AppState;
use crate::{checkout, contract_errors, limits, routes, security_headers};

/// The smallest body the compression layer compresses: below about a kilobyte, gzip
/// or brotli save a few hundred bytes at most (less than a packet) and cost more CPU
/// than the answer itself (API answers such as a hold are a few hundred bytes).
pub const COMPRESS_MIN_BYTES: u16 = 1024;

/// The router with its middleware: header and body size limits, request timeout,
/// every error in the contract's JSON shape, compression (for clients that ask for
/// it, of bodies from [`COMPRESS_MIN_BYTES`] up), the security headers on every
/// response, and outermost a request id (`x-request-id`: the client's, else a new
/// UUID; echoed on the response) and a tracing span per request (see
/// [`request_span`]).
pub fn app(state: AppState) -> Router {
    let timeout = Duration::from_secs(state.config.request_timeout_secs);
    routes::router(state.clone())
        .layer(ValidateRequestHeaderLayer::custom(limits::header_limit))
        .layer(axum::middleware::from_fn(body_limit))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(tower::util::MapResponseLayer::new(
            contract_errors::contract_errors,
        ))
        .layer(
            CompressionLayer::new().compress_when(
                SizeAbove::new(COMPRESS_MIN_BYTES)
                    .and(NotForContentType::GRPC)
                    .and(NotForContentType::IMAGES)
                    .and(NotForContentType::SSE)
                    .and(compressible),
            ),
        )
        .layer(security_headers::SecurityHeadersLayer {
            secure_cookies: state.config.secure_cookies,
            trusted_proxy_hops: state.config.trusted_proxy_hops,
        })
        .layer(
            tower::ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(NewRequestId))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG)),
                )
                .layer(PropagateRequestIdLayer::x_request_id()),
        )
}

/// The most a request body may hold: 64 KiB, but for a presale codes upload (a CSV of
/// up to [`crate::presale::MAX_UPLOAD_BYTES`]). Beyond, 413 `payload_too_large`.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

async fn body_limit(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let path = request.uri().path();
    let limit =
        if path.starts_with("/api/v1/admin/") && path.ends_with(crate::presale::UPLOAD_PATH_END) {
            crate::presale::MAX_UPLOAD_BYTES
        } else {
            MAX_BODY_BYTES
        };
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return crate::error::ApiError::PayloadTooLarge.into_response();
    }
    // A body with no length (chunked) is cut at the limit as it is read; the
    // extractors answer 413 then.
    let request =
        request.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, limit)));
    next.run(request).await
}

/// Whether the compression layer may compress a response: not one marked
/// [`checkout::seat_map::Uncompressed`] (already gzipped, or too big to compress per
/// request). Beside it, tower-http's default predicate with a higher size floor
/// ([`COMPRESS_MIN_BYTES`]): no images, event streams or gRPC.
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

/// Makes a request id: a random (v4) UUID, written into a buffer on the stack and
/// copied once into the header value.
#[derive(Clone, Copy)]
struct NewRequestId;

impl MakeRequestId for NewRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let mut buffer = uuid::Uuid::encode_buffer();
        let id = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buffer);
        HeaderValue::from_str(id).ok().map(RequestId::new)
    }
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
