//! The exact headers of an API answer and of a page: every security header with its
//! value, and nothing else beside the framing, the request id and the caching header a
//! page sets. The layers that set them were rebuilt for cost (issue 19); this pins
//! what they must keep doing.

use reqwest::header::HeaderMap;

use crate::helpers::{spawn_app, Backend};

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const PERMISSIONS: &str = "accelerometer=(), autoplay=(), camera=(), display-capture=(), \
    geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), \
    publickey-credentials-get=(), usb=()";

/// The headers every response carries, with their values.
const SECURITY: [(&str, &str); 6] = [
    ("content-security-policy", CSP),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", PERMISSIONS),
];

/// The names of `headers`, sorted, after checking the security headers' values and
/// the request id.
fn names_after_checks(what: &str, headers: &HeaderMap) -> Vec<String> {
    for (name, value) in SECURITY {
        assert_eq!(
            headers.get_all(name).iter().count(),
            1,
            "{what}: one {name}"
        );
        assert_eq!(headers[name], value, "{what}: {name}");
    }
    let id = headers["x-request-id"].to_str().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{what}: {id}");
    let mut names: Vec<String> = headers.keys().map(|n| n.as_str().to_owned()).collect();
    names.sort();
    names
}

fn expected(extra: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = SECURITY
        .iter()
        .map(|(n, _)| *n)
        .chain(["x-request-id", "content-type", "content-length", "date"])
        .chain(extra.iter().copied())
        .map(str::to_owned)
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn api_answers_and_pages_carry_exactly_the_security_headers() {
    let app = spawn_app(Backend::Embedded).await.unwrap();
    for path in ["/healthz", "/api/v1/events", "/api/v1/no/such/route"] {
        let r = app.http.get(app.url(path)).send().await.unwrap();
        let names = names_after_checks(path, r.headers());
        assert_eq!(names, expected(&[]), "{path}");
    }
    // A private answer adds no-store; a page its caching headers.
    let r = app
        .http
        .get(app.url("/api/v1/orders"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let names = names_after_checks("orders", r.headers());
    assert_eq!(names, expected(&["cache-control"]));
    let r = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let names = names_after_checks("/", r.headers());
    assert_eq!(names, expected(&["cache-control", "etag"]), "/");
    app.stop().await;
}

#[tokio::test]
async fn small_answers_are_not_compressed_and_large_ones_are() {
    let app = spawn_app(Backend::Embedded).await.unwrap();
    // A contract error (58 bytes): compressing it would cost more than it saves.
    let small = app
        .http
        .get(app.url("/api/v1/no/such/route"))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), 404);
    assert!(
        small.headers().get("content-encoding").is_none(),
        "{:?}",
        small.headers()
    );
    let body: serde_json::Value = small.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    // The OpenAPI document (tens of kilobytes) is compressed for a client that asks.
    let large = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(large.status(), 200);
    assert_eq!(large.headers()["content-encoding"], "gzip");
    app.stop().await;
}
