//! What the account routes share: the credentials a request brings and the checks on
//! them (email, password shape, the per-address limit, argon2 once whether or not the
//! account exists), and the session a successful sign-in gets (token, cookie, the
//! account as the browser sees it).

use axum::http::request::Parts;
use axum::http::HeaderValue;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use waiting_room::wire::datetime_ms;

use crate::auth::issue_session;
use crate::cookie;
use crate::db::UserRow;
use crate::email::Email;
use crate::error::ApiError;
use crate::state::AppState;

/// An email and a password: the body of `register`, `login` and `signInBrowser`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Credentials {
    #[schema(max_length = 254, example = "fan@example.com")]
    pub(super) email: String,
    #[schema(min_length = 8, max_length = 128)]
    pub(super) password: String,
}

/// `register`'s answer: the new account's id.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RegisterAnswer {
    #[schema(value_type = String, format = Uuid)]
    pub(super) user_id: waiting_room::UserId,
}

/// `login`'s answer: a session token for API clients.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct LoginAnswer {
    pub(super) token: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub(super) expires_at: OffsetDateTime,
    #[schema(value_type = String, format = Uuid)]
    pub(super) user_id: waiting_room::UserId,
}

/// What the browser learns of its session.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Account {
    #[schema(value_type = String, format = Uuid)]
    user_id: waiting_room::UserId,
    email: String,
    admin: bool,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    expires_at: OffsetDateTime,
}

/// The email of a request, or 400 `invalid_email`.
pub(super) fn parse_email(raw: &str) -> Result<Email, ApiError> {
    Email::parse(raw).map_err(|e| ApiError::bad_request("invalid_email", e.to_string()))
}

/// The cheap rules for a new password (length, blank, control characters); the
/// guessability rule runs with the hashing (see `Passwords::hash_new`).
pub(super) fn check_password(password: &str) -> Result<(), ApiError> {
    crate::password_rules::check_shape(password)
        .map_err(|weak| ApiError::bad_request("weak_password", weak.to_string()))
}

pub(super) fn rate_limit(state: &AppState, parts: &Parts) -> Result<(), ApiError> {
    crate::routes::client::rate_limit(state, &state.auth_limit, parts)
}

/// The client's address, as the per-address limits count it.
pub(super) fn client(state: &AppState, parts: &Parts) -> std::net::IpAddr {
    crate::routes::client::client_ip(parts, state.config.trusted_proxy_hops)
}

/// `Set-Cookie` for a new session `token` expiring at `exp` (Unix seconds).
pub(super) fn session_cookie(state: &AppState, token: &str, exp: i64, https: bool) -> HeaderValue {
    let max_age = exp - state.clock().now_ms() / 1000;
    cookie::set_session(token, max_age, https)
}

/// The account behind valid credentials; argon2 runs once whether or not the email
/// is known, so the answer's timing does not tell.
pub(super) async fn authenticate(
    state: &AppState,
    parts: &Parts,
    body: Credentials,
) -> Result<UserRow, ApiError> {
    rate_limit(state, parts)?;
    let user = match parse_email(&body.email) {
        Ok(email) => state.db.user_by_email(email.as_str()).await?,
        Err(_) => None,
    };
    // Accounts without a password (load-test fans) verify against a dummy like
    // unknown ones: same time, same answer.
    let hash = match &user {
        Some(u) if u.password_hash != crate::db::NO_PASSWORD => u.password_hash.clone(),
        _ => state
            .passwords
            .dummy_hash()
            .await
            .map_err(ApiError::Internal)?,
    };
    let ok = state
        .passwords
        .verify_for(client(state, parts), body.password, hash)
        .await?;
    user.filter(|_| ok).ok_or(ApiError::InvalidCredentials)
}

/// A new session for `user` (admins' are shorter: `FLOODGATE_ADMIN_SESSION_TTL_SECS`).
pub(super) fn session_for(state: &AppState, user: &UserRow) -> (String, i64) {
    issue_session(
        &state.keys,
        user.id,
        user.is_admin,
        user.session_generation,
        state.clock().now_ms() / 1000,
        state.session_ttl_secs(user.is_admin),
    )
}

/// What the browser learns of its session.
pub(super) fn account(user: &UserRow, exp_secs: i64) -> Account {
    Account {
        user_id: user.id,
        email: user.email.clone(),
        admin: user.is_admin,
        expires_at: at_secs(exp_secs),
    }
}

/// Unix seconds as a UTC date-time.
pub(super) fn at_secs(secs: i64) -> OffsetDateTime {
    datetime_ms(secs.saturating_mul(1000))
}
