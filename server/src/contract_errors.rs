//! The last word on error responses: whatever produced one (axum's router answering
//! 405, tower-http's body limit answering 413 and timeout answering 408, an
//! extractor we did not wrap), a 4xx or 5xx without a JSON body leaves as the
//! contract's `{"error":{"code","message"}}`, chosen by status. Headers such as
//! `Allow` and `Retry-After` are kept. HTML error pages (the fan page's "not found"
//! for browsers) pass unchanged, as do JSON errors, which our handlers already shaped.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;

use crate::error::ErrorBody;

/// The response mapper (`tower::util::MapResponseLayer`, whose future is not boxed);
/// see the module docs.
pub fn contract_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || shaped(&response) {
        return response;
    }
    let (code, message) = describe(status);
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_ENCODING);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body =
        serde_json::to_string(&ErrorBody::new(code, message)).expect("an error body serializes");
    Response::from_parts(parts, Body::from(body))
}

/// Whether the body is already JSON, or an HTML page meant for a browser.
fn shaped(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json") || t.starts_with("text/html"))
}

/// The contract code and message for an error status nobody described.
pub fn describe(status: StatusCode) -> (&'static str, &'static str) {
    match status {
        StatusCode::BAD_REQUEST => ("bad_request", "the request is malformed"),
        StatusCode::NOT_FOUND => ("not_found", "route not found"),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "this method is not allowed here; the Allow header lists those that are",
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "timeout",
            "the request took too long; what it started may still finish, so check before you send it again",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the request body is too large"),
        StatusCode::URI_TOO_LONG => ("uri_too_long", "the request URI is too long"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "the request body has an unsupported content type",
        ),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            ("headers_too_large", "the request headers are too large")
        }
        StatusCode::TOO_MANY_REQUESTS => ("rate_limited", "too many requests; retry later"),
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT => {
            ("unavailable", "temporarily unavailable; retry shortly")
        }
        s if s.is_server_error() => ("internal", "internal error"),
        _ => ("bad_request", "the request was refused"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn rewrite(response: Response) -> (StatusCode, axum::http::HeaderMap, serde_json::Value) {
        let response = contract_errors(response);
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 4096).await.unwrap();
        (
            parts.status,
            parts.headers,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    #[tokio::test]
    async fn plain_errors_become_contract_json_keeping_headers() {
        let response = Response::builder()
            .status(StatusCode::METHOD_NOT_ALLOWED)
            .header(header::ALLOW, "GET,HEAD")
            .header(header::CONTENT_LENGTH, "0")
            .body(Body::empty())
            .unwrap();
        let (status, headers, body) = rewrite(response).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(headers[header::ALLOW], "GET,HEAD");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        assert!(headers.get(header::CONTENT_LENGTH).is_none());
        assert_eq!(body["error"]["code"], "method_not_allowed");
    }

    #[tokio::test]
    async fn json_html_and_successes_pass_unchanged() {
        for (status, content_type) in [
            (StatusCode::NOT_FOUND, "text/html; charset=utf-8"),
            (StatusCode::CONFLICT, "application/json"),
            (StatusCode::OK, "text/plain"),
        ] {
            let response = Response::builder()
                .status(status)
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from("kept"))
                .unwrap();
            let response = contract_errors(response);
            let bytes = axum::body::to_bytes(response.into_body(), 64)
                .await
                .unwrap();
            assert_eq!(&bytes[..], b"kept", "{status}");
        }
    }
}
