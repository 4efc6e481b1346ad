//! The web pages: the fan page (`index.html`, for `/`, `/events/{id}`, `/orders`,
//! `/signin`, `/signup`) and the admin console (`admin.html`, for `/admin` and below),
//! with their content-hashed assets under `/assets/`. The pages are built from `web/`
//! by `build.rs` and embedded in the binary; `FLOODGATE_WEB_DIR` serves a folder from
//! disk instead (for working on the pages without rebuilding the server).
//!
//! HTML is `no-cache` (revalidated by ETag, so a deploy is seen at once) and assets are
//! immutable for a year (their names change with their content). The security headers
//! (CSP and friends) are set for every response in [`security_headers`].

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::error::ApiError;
use crate::state::AppState;

/// The pages' Content-Security-Policy: only our own scripts, styles and sockets; no
/// inline code; never framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const HTML_CACHE: &str = "no-cache";
const ASSET_CACHE: &str = "public, max-age=31536000, immutable";

#[derive(rust_embed::Embed)]
#[folder = "$OUT_DIR/web"]
struct Embedded;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(fan_page))
        .route("/events/{id}", get(fan_page))
        .route("/orders", get(fan_page))
        .route("/signin", get(fan_page))
        .route("/signup", get(fan_page))
        .route("/admin", get(admin_page))
        .route("/admin/", get(admin_page))
        .route("/admin/{*rest}", get(admin_page))
        .route("/assets/{*file}", get(asset))
}

/// One file of the built pages.
struct File {
    bytes: Cow<'static, [u8]>,
    mime: String,
    /// A strong validator: the content's SHA-256, hex.
    etag: String,
}

/// Where the built pages come from.
fn load(state: &AppState, name: &str) -> Option<File> {
    match &state.config.web_dir {
        Some(dir) => from_dir(dir, name),
        None => Embedded::get(name).map(|f| File {
            mime: f.metadata.mimetype().to_owned(),
            etag: hex(&f.metadata.sha256_hash()),
            bytes: f.data,
        }),
    }
}

fn from_dir(dir: &Path, name: &str) -> Option<File> {
    // Only plain relative components: `..`, roots and prefixes never leave `dir`.
    let relative = PathBuf::from(name);
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let bytes = std::fs::read(dir.join(&relative)).ok()?;
    let mime = mime_guess::from_path(&relative)
        .first_or_octet_stream()
        .to_string();
    let etag = hex(&sha256(&bytes));
    Some(File {
        bytes: Cow::Owned(bytes),
        mime,
        etag,
    })
}

async fn fan_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(&state, "index.html", StatusCode::OK, &headers)
}

async fn admin_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(&state, "admin.html", StatusCode::OK, &headers)
}

/// A page for a browser that asked for a path no route knows: the fan page with 404
/// (it renders its own "not found"). `None` for API clients, who get the JSON error.
pub fn not_found_page(state: &AppState, headers: &HeaderMap, path: &str) -> Option<Response> {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    (wants_html && !path.starts_with("/api/"))
        .then(|| page(state, "index.html", StatusCode::NOT_FOUND, headers))
}

fn page(state: &AppState, name: &str, status: StatusCode, headers: &HeaderMap) -> Response {
    let Some(file) = load(state, name) else {
        return ApiError::NotFound("page").into_response();
    };
    respond(file, HTML_CACHE, status, headers)
}

async fn asset(
    State(state): State<AppState>,
    UrlPath(file): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    match load(&state, &format!("assets/{file}")) {
        Some(f) => respond(f, ASSET_CACHE, StatusCode::OK, &headers),
        None => ApiError::NotFound("asset").into_response(),
    }
}

fn respond(file: File, cache: &'static str, status: StatusCode, headers: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", file.etag);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh && status == StatusCode::OK {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mime = if file.mime.starts_with("text/") || file.mime.contains("javascript") {
            format!("{}; charset=utf-8", file.mime)
        } else {
            file.mime
        };
        (
            status,
            [(header::CONTENT_TYPE, mime)],
            file.bytes.into_owned(),
        )
            .into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    response
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_outside_the_web_dir_are_never_read() {
        let dir = std::env::temp_dir().join(format!("fg-web-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("assets")).unwrap();
        std::fs::write(dir.join("assets/app-1.js"), "x").unwrap();
        assert!(from_dir(&dir, "assets/app-1.js").is_some());
        for bad in [
            "../Cargo.toml",
            "/etc/passwd",
            "assets/../../x",
            "assets/missing.js",
        ] {
            assert!(from_dir(&dir, bad).is_none(), "{bad}");
        }
        let f = from_dir(&dir, "assets/app-1.js").unwrap();
        assert_eq!(f.mime, "text/javascript");
        assert_eq!(f.etag.len(), 64);
        let _ = std::fs::remove_dir_all(dir);
    }
}
