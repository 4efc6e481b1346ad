//! Purchase tokens bound to their account. The checkout (hold, confirm, release)
//! takes the purchase token (`Authorization: Bearer`) together with a session of the
//! account it was issued to (its `sub`), so a token copied out of a fan's browser, a
//! proxy log or a scalper's marketplace holds nothing by itself.
//!
//! The session comes from the [`SESSION_HEADER`] (`Floodgate-Session: <session
//! token>`, for API clients, which carry no cookie) or else from the browser's session
//! cookie, held to the origin rule of [`crate::cookie`]. No session, or one that is
//! not valid: 401 `token_account_mismatch`; another account's: 403
//! `token_account_mismatch`. The purchase token is checked first, so a bad token
//! answers `invalid_token` whatever the session.
//!
//! Cost per request: one HS256 verify of the session (about a microsecond) and one
//! read of the in-memory revocations, beside the purchase token's own verify; no I/O.

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use waiting_room::token::PurchaseClaims;

use crate::auth::SessionClaims;
use crate::error::ApiError;
use crate::extract::{cookie_session, valid_session, CookieSession, PurchaseToken};
use crate::state::AppState;

/// The header an API client sends its session token in, beside the purchase token.
pub const SESSION_HEADER: &str = "floodgate-session";

/// A verified purchase token presented with a session of its own account.
#[derive(Clone, Debug)]
pub struct BoundPurchase(pub PurchaseClaims);

impl<S> FromRequestParts<S> for BoundPurchase
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let PurchaseToken(claims) = PurchaseToken::from_request_parts(parts, state).await?;
        let state = AppState::from_ref(state);
        let session = session_of(&state, parts)?;
        bind(&claims, session.as_ref())?;
        Ok(Self(claims))
    }
}

/// Whether `session` may use the purchase token of `claims`: a session of the
/// account the token was issued to.
pub fn bind(claims: &PurchaseClaims, session: Option<&SessionClaims>) -> Result<(), ApiError> {
    match session {
        None => Err(ApiError::TokenAccountMismatch { signed_in: false }),
        Some(session) if session.sub != claims.sub => {
            tracing::warn!(
                event_id = %claims.evt,
                token_account = %claims.sub,
                session_account = %session.sub,
                "refused a purchase token presented with another account's session"
            );
            Err(ApiError::TokenAccountMismatch { signed_in: true })
        }
        Some(_) => Ok(()),
    }
}

/// The request's session: the [`SESSION_HEADER`] if sent (even an invalid one: no
/// fallback to the cookie), else the session cookie.
fn session_of(state: &AppState, parts: &Parts) -> Result<Option<SessionClaims>, ApiError> {
    if let Some(value) = parts.headers.get(SESSION_HEADER) {
        let token = value.to_str().map(str::trim).unwrap_or_default();
        return Ok(valid_session(state, token));
    }
    Ok(match cookie_session(state, parts)? {
        CookieSession::Valid(claims) => Some(claims),
        CookieSession::None | CookieSession::Invalid => None,
    })
}

#[cfg(test)]
mod tests {
    use waiting_room::token::SigningKeys;
    use waiting_room::{EventId, TicketId, UserId};

    use super::*;
    use crate::auth::{issue_session, verify_session};

    #[test]
    fn a_token_binds_to_its_own_accounts_session_only() {
        let (keys, _) = SigningKeys::generate();
        let (fan, thief) = (UserId::new(), UserId::new());
        let now_ms = waiting_room::clock::now_ms();
        let claims = PurchaseClaims::new(
            fan,
            EventId::new(),
            &TicketId::new(),
            now_ms,
            now_ms + 60_000,
            4,
        );
        let session = |user| {
            let (token, _) = issue_session(&keys, user, false, 0, now_ms / 1000, 60);
            verify_session(&keys, &token).unwrap()
        };
        assert!(bind(&claims, Some(&session(fan))).is_ok());
        let stolen = bind(&claims, Some(&session(thief))).unwrap_err();
        assert_eq!(
            (stolen.status().as_u16(), stolen.code()),
            (403, "token_account_mismatch")
        );
        let alone = bind(&claims, None).unwrap_err();
        assert_eq!(
            (alone.status().as_u16(), alone.code()),
            (401, "token_account_mismatch")
        );
        assert!(alone.to_string().contains("Floodgate-Session"), "{alone}");
    }
}
