//! Extractors that speak the contract's error shape: JSON bodies, sessions (Bearer
//! header, `?access_token=` for WebSockets, or the browser's session cookie, held to
//! the origin rule of [`crate::cookie`]) and admin sessions.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use waiting_room::token::{PurchaseClaims, TokenError, PURCHASE_AUDIENCE};
use waiting_room::UserId;

use crate::auth::verify_session;
use crate::cookie;
use crate::error::ApiError;
use crate::state::AppState;

/// `Json<T>` whose rejections are contract errors (`invalid_json`).
pub struct AppJson<T>(pub T);

impl<T, S> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_error(rejection)),
        }
    }
}

fn json_error(rejection: JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::bad_request("invalid_json", "expected Content-Type: application/json")
        }
        JsonRejection::JsonSyntaxError(e) => ApiError::bad_request("invalid_json", e.body_text()),
        JsonRejection::JsonDataError(e) => ApiError::bad_request("invalid_body", e.body_text()),
        other => ApiError::bad_request("invalid_json", other.body_text()),
    }
}

/// A signed-in account.
#[derive(Clone, Copy, Debug)]
pub struct Session {
    pub user: UserId,
    pub admin: bool,
    /// When the session token expires, Unix seconds.
    pub expires_at: i64,
}

impl<S> FromRequestParts<S> for Session
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = match bearer(parts).or_else(|| query_token(parts)) {
            Some(token) => token,
            None => {
                let token = cookie::session_token(&parts.headers).ok_or(ApiError::Unauthorized)?;
                if cookie::needs_origin_check(parts) {
                    cookie::check_origin(parts, true)?;
                }
                token
            }
        };
        let claims = verify_session(&state.keys, &token).map_err(|_| ApiError::Unauthorized)?;
        Ok(Self {
            user: claims.sub,
            admin: claims.adm,
            expires_at: claims.exp,
        })
    }
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
/// `checkout`, `nbf`/`exp`). The event and single use of `jti` are checked by the
/// operation against the store.
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
        match state
            .keys
            .verify::<PurchaseClaims>(&token, PURCHASE_AUDIENCE)
        {
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

fn query_token(parts: &Parts) -> Option<String> {
    parts.uri.query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == "access_token").then(|| v.to_owned())
    })
}
