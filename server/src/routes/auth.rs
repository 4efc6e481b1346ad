//! `POST /auth/register`, `POST /auth/login` (a bearer token for API clients), the
//! browser's cookie session: `POST /auth/session` (sign in), `GET /auth/session`
//! (who is signed in), `DELETE /auth/session` (sign out, which ends the session on
//! every replica), and `DELETE /auth/sessions` (sign out everywhere) and
//! `POST /auth/password` (change it; ends every session).

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error_docs::*;
use crate::cookie;
use crate::db::{Created, UserRow};
use crate::error::ApiError;
use crate::extract::{bearer, site_is_https, valid_session, AppJson, Session, SessionSource};
use crate::state::AppState;

mod credentials;

use credentials::{
    account, at_secs, authenticate, check_password, client, parse_email, rate_limit,
    session_cookie, session_for, Account, Credentials, LoginAnswer, RegisterAnswer,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(sign_in, who_am_i, sign_out))
        .routes(routes!(sign_out_everywhere))
        .routes(routes!(change_password))
}

/// `POST /auth/password`'s body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    /// The account's password now (re-checked).
    current_password: String,
    /// The new password; the rules of `register`.
    #[schema(min_length = 8, max_length = 128)]
    new_password: String,
}

#[utoipa::path(
    post,
    path = "/auth/register",
    operation_id = "register",
    tag = "auth",
    request_body(content = Credentials, content_type = "application/json"),
    responses(
        (status = 201, body = RegisterAnswer, content_type = "application/json"),
        E400, E409, E413, E429, E503, E500,
    )
)]
async fn register(
    State(state): State<AppState>,
    parts: Parts,
    AppJson(body): AppJson<Credentials>,
) -> Result<(StatusCode, Json<RegisterAnswer>), ApiError> {
    rate_limit(&state, &parts)?;
    let email = parse_email(&body.email)?;
    check_password(&body.password)?;
    // Counted once the request is well-formed, so a typo costs no sign-up.
    super::client::rate_limit(&state, &state.signup_limit, &parts)?;
    let hash = state
        .passwords
        .hash_new(client(&state, &parts), body.password, email.to_string())
        .await?;
    match state
        .db
        .create_user(email.as_str(), &hash, false, state.clock().now_ms())
        .await?
    {
        Created::Ok(user_id) => Ok((StatusCode::CREATED, Json(RegisterAnswer { user_id }))),
        Created::EmailTaken => Err(ApiError::Conflict {
            code: "email_taken",
            message: "an account with this email exists".into(),
        }),
    }
}

#[utoipa::path(
    post,
    path = "/auth/login",
    operation_id = "login",
    tag = "auth",
    request_body(content = Credentials, content_type = "application/json"),
    responses(
        (status = 200, body = LoginAnswer, content_type = "application/json"),
        E400, E401, E413, E429, E503, E500,
    )
)]
async fn login(
    State(state): State<AppState>,
    parts: Parts,
    AppJson(body): AppJson<Credentials>,
) -> Result<Json<LoginAnswer>, ApiError> {
    let user = authenticate(&state, &parts, body).await?;
    let (token, exp) = session_for(&state, &user);
    Ok(Json(LoginAnswer {
        token,
        expires_at: at_secs(exp),
        user_id: user.id,
    }))
}

/// Signs a browser in: the session token goes into an HttpOnly cookie, never into
/// the body, so page scripts cannot read it.
#[utoipa::path(
    post,
    path = "/auth/session",
    operation_id = "signInBrowser",
    tag = "auth",
    request_body(content = Credentials, content_type = "application/json"),
    responses(
        (status = 200, body = Account, content_type = "application/json"),
        E400, E401, E403, E429, E503,
    )
)]
async fn sign_in(
    State(state): State<AppState>,
    parts: Parts,
    AppJson(body): AppJson<Credentials>,
) -> Result<Response, ApiError> {
    // A foreign page must not sign a visitor into an account of its choosing.
    let https = site_is_https(&state, &parts);
    cookie::check_origin(&parts, https, false)?;
    let user = authenticate(&state, &parts, body).await?;
    let (token, exp) = session_for(&state, &user);
    let body = account(&user, exp);
    Ok((
        [(
            header::SET_COOKIE,
            session_cookie(&state, &token, exp, https),
        )],
        Json(body),
    )
        .into_response())
}

#[utoipa::path(
    get,
    path = "/auth/session",
    operation_id = "whoAmI",
    tag = "auth",
    security((), ("sessionCookie" = []), ("bearer" = [])),
    responses(
        (status = 200, body = Account, content_type = "application/json"),
        (status = 204),
        E401,
    )
)]
async fn who_am_i(State(state): State<AppState>, mut parts: Parts) -> Result<Response, ApiError> {
    // No one signed in is an answer, not an error, for a browser (an anonymous page
    // load logs no error); a bearer token that is not valid is still 401.
    let session = match Session::from_request_parts(&mut parts, &state).await {
        Ok(session) => Some(session),
        Err(ApiError::Unauthorized) if bearer(&parts).is_none() => None,
        Err(e) => return Err(e),
    };
    let user = match session {
        Some(s) => state.db.user_by_id(s.user).await?.map(|u| (u, s)),
        None => None,
    };
    let signed_in = user.is_some();
    let mut response = match user {
        Some((user, session)) => Json(account(&user, session.expires_at)).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    };
    let https = site_is_https(&state, &parts);
    if !signed_in && !cookie::session_tokens(&parts.headers, https).is_empty() {
        // A cookie that is no session (ended, expired): the browser can drop it.
        response
            .headers_mut()
            .insert(header::SET_COOKIE, cookie::clear_session(https));
    }
    Ok(response)
}

/// Ends the session the request presents (its cookie, or a bearer token), on every
/// replica, and removes the cookie. Answers 204 whether or not a session was there.
#[utoipa::path(
    delete,
    path = "/auth/session",
    operation_id = "signOutBrowser",
    tag = "auth",
    responses(
        (status = 204),
        E403, E500,
    )
)]
async fn sign_out(State(state): State<AppState>, parts: Parts) -> Result<Response, ApiError> {
    let https = site_is_https(&state, &parts);
    cookie::check_origin(&parts, https, false)?;
    let mut tokens = cookie::session_tokens(&parts.headers, https);
    tokens.extend(bearer(&parts));
    for token in tokens {
        if let Some(claims) = valid_session(&state, &token) {
            state.revocations.revoke(&state.db, &claims).await?;
            tracing::info!(user_id = %claims.sub, "signed out");
        }
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, cookie::clear_session(https))],
    )
        .into_response())
}

/// Signs the account out everywhere: every session it has, on every replica (this
/// one included: a browser's cookie is cleared).
#[utoipa::path(
    delete,
    path = "/auth/sessions",
    operation_id = "signOutEverywhere",
    tag = "auth",
    security(("sessionCookie" = []), ("bearer" = [])),
    responses(
        (status = 204),
        E401, E403, E500,
    )
)]
async fn sign_out_everywhere(
    State(state): State<AppState>,
    session: Session,
    parts: Parts,
) -> Result<Response, ApiError> {
    let expires = state.sessions_signed_now_expire_ms();
    state
        .revocations
        .end_all(&state.db, session.user, None, expires)
        .await?;
    tracing::info!(user_id = %session.user, "signed out everywhere");
    let https = site_is_https(&state, &parts);
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, cookie::clear_session(https))],
    )
        .into_response())
}

/// Changes the account's password (the current one re-checked) and ends every
/// session it has; a browser that asked gets a new session cookie, an API client
/// signs in again.
#[utoipa::path(
    post,
    path = "/auth/password",
    operation_id = "changePassword",
    tag = "auth",
    security(("sessionCookie" = []), ("bearer" = [])),
    request_body(content = PasswordChange, content_type = "application/json"),
    responses(
        (status = 204),
        E400, E401, E403, E413, E429, E503, E500,
    )
)]
async fn change_password(
    State(state): State<AppState>,
    session: Session,
    parts: Parts,
    AppJson(body): AppJson<PasswordChange>,
) -> Result<Response, ApiError> {
    rate_limit(&state, &parts)?;
    check_password(&body.new_password)?;
    let user = state
        .db
        .user_by_id(session.user)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let stored = if user.password_hash == crate::db::NO_PASSWORD {
        state
            .passwords
            .dummy_hash()
            .await
            .map_err(ApiError::Internal)?
    } else {
        user.password_hash.clone()
    };
    let ok = state
        .passwords
        .verify_for(client(&state, &parts), body.current_password, stored)
        .await?;
    if !ok || user.password_hash == crate::db::NO_PASSWORD {
        return Err(ApiError::Refused {
            code: "wrong_password",
            message: "the current password is not right".into(),
        });
    }
    // The same rules (common passwords, the email as context) and per-address share
    // of the argon2 pool as a sign-up.
    let hash = state
        .passwords
        .hash_new(
            client(&state, &parts),
            body.new_password,
            user.email.clone(),
        )
        .await?;
    let expires = state.sessions_signed_now_expire_ms();
    let generation = state
        .revocations
        .end_all(&state.db, user.id, Some(&hash), expires)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    tracing::info!(user_id = %user.id, "password changed; every session ended");
    let mut response = StatusCode::NO_CONTENT.into_response();
    if session.source == SessionSource::Cookie {
        let renewed = UserRow {
            session_generation: generation,
            ..user
        };
        let (token, exp) = session_for(&state, &renewed);
        let https = site_is_https(&state, &parts);
        response.headers_mut().insert(
            header::SET_COOKIE,
            session_cookie(&state, &token, exp, https),
        );
    }
    Ok(response)
}
