//! Extractors that speak the contract's error shape: JSON bodies, path parameters and
//! query strings (the last two derived, axum's with our rejections; the WebSocket
//! handshake's is `crate::ws::WsUpgrade`), sessions (Bearer header, `?access_token=` on
//! WebSocket handshakes only, or the browser's session cookie, held to the origin rule
//! of [`crate::cookie`]; a session ended by sign-out or "sign out everywhere" is
//! refused, see [`crate::revocations`]) and admin sessions.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use waiting_room::token::{PurchaseClaims, TokenError};
use waiting_room::{EventId, UserId};

use crate::auth::{verify_session, SessionClaims};
use crate::cookie;
use crate::error::ApiError;
use crate::state::AppState;

mod json;

pub use json::AppJson;

/// The event of an `/events/{id}` path: 400 `invalid_path` for a parameter that does
/// not decode (as [`AppPath`]), 404 `not_found` for one that is no event id (an id that
/// cannot name an event names none).
pub struct EventPath(pub EventId);

impl<S: Send + Sync> FromRequestParts<S> for EventPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let AppPath(raw) = AppPath::<String>::from_request_parts(parts, state).await?;
        raw.parse()
            .map(Self)
            .map_err(|_| ApiError::NotFound("event"))
    }
}

/// `Path<T>` whose rejections are contract errors: 400 `invalid_path` (a parameter
/// that does not decode, such as invalid UTF-8).
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct AppPath<T>(pub T);

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        if rejection.status().is_server_error() {
            // A route declared without the parameter: our bug, not the client's.
            return ApiError::Internal(anyhow::anyhow!(rejection.body_text()));
        }
        ApiError::bad_request("invalid_path", rejection.body_text())
    }
}

/// `Query<T>` whose rejections are contract errors: 400 `invalid_query`.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct AppQuery<T>(pub T);

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::bad_request("invalid_query", rejection.body_text())
    }
}

/// A signed-in account.
#[derive(Clone, Copy, Debug)]
pub struct Session {
    pub user: UserId,
    pub admin: bool,
    /// When the session token expires, Unix seconds.
    pub expires_at: i64,
    /// Where the token came from.
    pub source: SessionSource,
    /// The session's id and generation (a socket watches them: `crate::revocations`).
    pub key: crate::revocations::SessionKey,
}

/// How a request presented its session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionSource {
    Bearer,
    /// `?access_token=`, on a WebSocket handshake only.
    Query,
    Cookie,
}

impl<S> FromRequestParts<S> for Session
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let (claims, source) = if let Some(token) = bearer(parts) {
            (valid_session(&state, &token), SessionSource::Bearer)
        } else if let Some(token) = query_token(parts) {
            (valid_session(&state, &token), SessionSource::Query)
        } else {
            match cookie_session(&state, parts)? {
                CookieSession::None => return Err(ApiError::Unauthorized),
                CookieSession::Invalid => (None, SessionSource::Cookie),
                CookieSession::Valid(claims) => (Some(claims), SessionSource::Cookie),
            }
        };
        let claims = claims.ok_or(ApiError::Unauthorized)?;
        Ok(Self {
            user: claims.sub,
            admin: claims.adm,
            expires_at: claims.exp,
            source,
            key: crate::revocations::SessionKey::of(&claims),
        })
    }
}

/// What the session cookie of a request says.
pub enum CookieSession {
    /// No session cookie.
    None,
    /// Cookies that are no valid session (expired, ended, forged, or several valid).
    Invalid,
    Valid(SessionClaims),
}

/// The session of the request's cookie, held to the origin rule of [`crate::cookie`]
/// (403 `bad_origin` for a state-changing request or a handshake from elsewhere).
pub fn cookie_session(state: &AppState, parts: &Parts) -> Result<CookieSession, ApiError> {
    let https = site_is_https(state, parts);
    let tokens = cookie::session_tokens(&parts.headers, https);
    if tokens.is_empty() {
        return Ok(CookieSession::None);
    }
    if cookie::needs_origin_check(parts) {
        cookie::check_origin(parts, https, true)?;
    }
    // Several cookies of the name: only a tossed one can be the extra (see
    // `crate::cookie`), and `Cookie`'s order says nothing about which. Accept only
    // when exactly one is a valid session.
    let mut valid = tokens.iter().filter_map(|t| valid_session(state, t));
    Ok(match (valid.next(), valid.next()) {
        (Some(claims), None) => CookieSession::Valid(claims),
        (Some(_), Some(_)) => {
            tracing::info!(
                cookies = tokens.len(),
                "refused a request with several valid session cookies (a tossed cookie?)"
            );
            CookieSession::Invalid
        }
        _ => CookieSession::Invalid,
    })
}

/// The claims of `token` if it is a session that was not ended.
pub fn valid_session(state: &AppState, token: &str) -> Option<SessionClaims> {
    let claims = verify_session(&state.keys, token).ok()?;
    (!state.revocations.is_revoked(&claims)).then_some(claims)
}

/// Whether the site is served over HTTPS, as this replica is configured to tell.
pub fn site_is_https(state: &AppState, parts: &Parts) -> bool {
    cookie::site_is_https(
        parts,
        state.config.secure_cookies,
        state.config.trusted_proxy_hops,
    )
}

/// A signed-in admin; anyone else gets 403 (or 401 without a session).
#[derive(Clone, Copy, Debug)]
pub struct Admin(pub Session);

impl<S> FromRequestParts<S> for Admin
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        if !session.admin {
            return Err(ApiError::Forbidden);
        }
        Ok(Self(session))
    }
}

/// A verified purchase token (signature with EdDSA pinned, issuer, audience
/// `checkout`, `nbf`/`exp`; the signature once per token and key set, see
/// [`waiting_room::token::VerifiedTokens`], in a batch with concurrent requests', see
/// [`waiting_room::token::batch`]). The event and single use of `jti` are
/// checked by the operation against the store.
#[derive(Clone, Debug)]
pub struct PurchaseToken(pub PurchaseClaims);

impl<S> FromRequestParts<S> for PurchaseToken
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = bearer(parts)
            .ok_or_else(|| ApiError::InvalidToken("a purchase token is required".into()))?;
        match state.keys.check_purchase_token(&token).await {
            Ok(claims) => Ok(Self(claims)),
            Err(TokenError::Expired) => {
                Err(ApiError::InvalidToken("the purchase token expired".into()))
            }
            Err(_) => Err(ApiError::InvalidToken(
                "the purchase token is not valid".into(),
            )),
        }
    }
}

/// The token of `Authorization: Bearer <token>` (the scheme is case-insensitive, as
/// RFC 9110 says).
pub fn bearer(parts: &Parts) -> Option<String> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim_start().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    (!token.is_empty()).then(|| token.to_owned())
}

/// `?access_token=`, read on a WebSocket handshake only: a browser cannot give a
/// socket a header, but anywhere else a token in the URL (logged by proxies, kept in
/// history) is refused by being ignored.
fn query_token(parts: &Parts) -> Option<String> {
    if !cookie::is_websocket_upgrade(parts) {
        return None;
    }
    parts.uri.query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == "access_token").then(|| v.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::extract::Request;
    use axum::http::StatusCode;
    use axum::routing::get;
    use axum::Router;
    use serde::Deserialize;
    use tower::ServiceExt;

    use super::*;

    #[derive(Deserialize)]
    struct Limit {
        #[allow(dead_code)]
        limit: u32,
    }

    async fn code_of(router: Router, uri: &str) -> (StatusCode, String) {
        let response = router
            .oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        (status, body["error"]["code"].as_str().unwrap().to_owned())
    }

    #[tokio::test]
    async fn rejections_are_contract_errors() {
        let router = Router::new()
            .route("/q", get(|AppQuery(_): AppQuery<Limit>| async { "ok" }))
            .route("/p/{id}", get(|AppPath(_): AppPath<String>| async { "ok" }))
            .route(
                "/ws",
                get(|crate::ws::WsUpgrade(_): crate::ws::WsUpgrade| async { "ok" }),
            );
        assert_eq!(
            code_of(router.clone(), "/q?limit=many").await,
            (StatusCode::BAD_REQUEST, "invalid_query".into())
        );
        assert_eq!(
            code_of(router.clone(), "/p/%FF").await,
            (StatusCode::BAD_REQUEST, "invalid_path".into())
        );
        assert_eq!(
            code_of(router, "/ws").await,
            (StatusCode::BAD_REQUEST, "websocket_required".into())
        );
    }

    /// An event path: undecodable is 400 `invalid_path` (as any path parameter), not
    /// an event id is 404 `not_found` (it names no event); an id is handed over.
    #[tokio::test]
    async fn event_paths_are_parsed_once() {
        let router = Router::new().route(
            "/events/{id}",
            get(|EventPath(id): EventPath| async move { id.to_string() }),
        );
        assert_eq!(
            code_of(router.clone(), "/events/%FF").await,
            (StatusCode::BAD_REQUEST, "invalid_path".into())
        );
        for malformed in ["not-a-uuid", "1", "0190f5e1-3b7a-7c2d-8e4f"] {
            assert_eq!(
                code_of(router.clone(), &format!("/events/{malformed}")).await,
                (StatusCode::NOT_FOUND, "not_found".into()),
                "{malformed}"
            );
        }
        let id = EventId::new();
        let response = router
            .oneshot(
                Request::builder()
                    .uri(format!("/events/{id}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body = axum::body::to_bytes(response.into_body(), 4096)
            .await
            .unwrap();
        assert_eq!(body, id.to_string().as_bytes());
    }
}
