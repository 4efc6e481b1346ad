//! `GET …/seats` as an HTTP answer: the room's shared snapshot (the seat stream's, one
//! encoding per change, and for a big map not more than a fifth of the time: see
//! [`SeatRoom::snapshot`]), never copied per request:
//! - the body is two slices of the snapshot's buffer (see [`render::http_body`]), or
//!   its gzipped copy, made once per snapshot, for clients that accept gzip; the
//!   compression layer leaves both alone ([`Uncompressed`]);
//! - a weak `ETag` from the room's nonce and the view generation: `If-None-Match`
//!   answers 304 with no body;
//! - `Cache-Control: public, max-age=1`: the map is public, and at most a second
//!   stale ([`super::MAX_STALE`]).

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{render, SeatRoom, Snapshot};

const CACHE_CONTROL: &str = "public, max-age=1";

/// Marks a response the compression layer must pass through as it is (the seat map:
/// compressing megabytes on every request is the cost this module exists to avoid).
#[derive(Clone, Copy, Debug)]
pub struct Uncompressed;

/// The seat map of `room` in the given format, for a request with `headers`.
pub async fn answer(room: &SeatRoom, compact: bool, headers: &HeaderMap) -> Response {
    let snapshot = room.snapshot(compact, true).await;
    let etag = HeaderValue::from_str(&room.etag(&snapshot))
        .expect("an ETag of hex digits and a number is a valid header");
    let mut response = if matches(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if accepts_gzip(headers) {
        let body = gzipped(&snapshot).await;
        let mut response = body_response(vec![body]);
        response
            .headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        response
    } else {
        let bytes = bytes::Bytes::from(snapshot.message.clone());
        body_response(render::http_body(&bytes).to_vec())
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, etag);
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response.extensions_mut().insert(Uncompressed);
    response
}

/// The HTTP body of `snapshot`, gzipped (once per snapshot, on the blocking pool).
async fn gzipped(snapshot: &Snapshot) -> bytes::Bytes {
    let message = bytes::Bytes::from(snapshot.message.clone());
    snapshot
        .derived(|| async move {
            tokio::task::spawn_blocking(move || render::gzip(&render::http_body(&message)))
                .await
                .expect("the blocking pool runs while the server does")
        })
        .await
}

/// A 200 whose body is `chunks` as they are, with its length.
fn body_response(chunks: Vec<bytes::Bytes>) -> Response {
    let length: usize = chunks.iter().map(bytes::Bytes::len).sum();
    let stream = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>));
    let mut response = Body::from_stream(stream).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    response
}

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for it), or
/// is `*`.
fn matches(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let ours = opaque(etag.to_str().unwrap_or_default());
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || opaque(tag) == ours)
}

fn opaque(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

/// Whether `Accept-Encoding` allows gzip (named, or `*`, with a non-zero weight).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|entry| {
            let mut parts = entry.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            !refused
                && (coding.eq_ignore_ascii_case("gzip")
                    || coding.eq_ignore_ascii_case("x-gzip")
                    || coding == "*")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: header::HeaderName, values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(name.clone(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn if_none_match_compares_weakly_and_takes_lists_and_stars() {
        let etag = HeaderValue::from_static("W/\"00ab-7\"");
        let yes = [
            &["W/\"00ab-7\""][..],
            &["\"00ab-7\""],
            &["\"x\", W/\"00ab-7\""],
            &["\"x\"", "W/\"00ab-7\""],
            &["*"],
        ];
        for values in yes {
            assert!(
                matches(&headers(header::IF_NONE_MATCH, values), &etag),
                "{values:?}"
            );
        }
        for values in [&[][..], &["W/\"00ab-8\""], &["00ab-7"], &["\"00ab-7"]] {
            assert!(
                !matches(&headers(header::IF_NONE_MATCH, values), &etag),
                "{values:?}"
            );
        }
    }

    #[test]
    fn gzip_when_named_or_starred_and_not_refused() {
        for v in [
            "gzip",
            "br, gzip",
            "gzip;q=0.5",
            "GZIP",
            "*",
            "deflate, x-gzip",
        ] {
            assert!(accepts_gzip(&headers(header::ACCEPT_ENCODING, &[v])), "{v}");
        }
        for v in ["", "br", "identity", "gzip;q=0", "gzip; q=0.0", "br, zstd"] {
            assert!(
                !accepts_gzip(&headers(header::ACCEPT_ENCODING, &[v])),
                "{v}"
            );
        }
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
