//! `POST /auth/register`, `POST /auth/login` (a bearer token for API clients), and
//! the browser's cookie session: `POST /auth/session` (sign in), `GET /auth/session`
//! (who is signed in), `DELETE /auth/session` (sign out).

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waiting_room::wire::datetime_ms;

use super::error_docs::*;
use crate::auth::issue_session;
use crate::cookie;
use crate::db::{Created, UserRow};
use crate::email::Email;
use crate::error::ApiError;
use crate::extract::{AppJson, Session};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(sign_in, who_am_i, sign_out))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    password: String,
}

/// The email of a request, or 400 `invalid_email`.
fn parse_email(raw: &str) -> Result<Email, ApiError> {
    Email::parse(raw).map_err(|e| ApiError::bad_request("invalid_email", e.to_string()))
}

/// The cheap rules for a new password (length, blank, control characters); the
/// guessability rule runs with the hashing (see `Passwords::hash_new`).
fn check_password(password: &str) -> Result<(), ApiError> {
    crate::password_rules::check_shape(password)
        .map_err(|weak| ApiError::bad_request("weak_password", weak.to_string()))
}

fn rate_limit(state: &AppState, parts: &Parts) -> Result<(), ApiError> {
    super::client::rate_limit(state, &state.auth_limit, parts)
}

/// The client's address, as the per-address limits count it.
fn client(state: &AppState, parts: &Parts) -> std::net::IpAddr {
    super::client::client_ip(parts, state.config.trusted_proxy_hops)
}

#[utoipa::path(
    post,
    path = "/auth/register",
    operation_id = "register",
    tag = "auth",
    request_body(content = ref("#/components/schemas/Credentials"), content_type = "application/json"),
    responses(
        (status = 201, body = ref("#/components/schemas/RegisterAnswer"), content_type = "application/json"),
        E400, E409, E413, E429, E503, E500,
    )
)]
async fn register(
    State(state): State<AppState>,
    parts: Parts,
    AppJson(body): AppJson<Credentials>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
        Created::Ok(id) => Ok((StatusCode::CREATED, Json(json!({ "user_id": id })))),
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
    request_body(content = ref("#/components/schemas/Credentials"), content_type = "application/json"),
    responses(
        (status = 200, body = ref("#/components/schemas/LoginAnswer"), content_type = "application/json"),
        E400, E401, E413, E429, E503, E500,
    )
)]
async fn login(
    State(state): State<AppState>,
    parts: Parts,
    AppJson(body): AppJson<Credentials>,
) -> Result<Json<Value>, ApiError> {
    let user = authenticate(&state, &parts, body).await?;
    let (token, exp) = session_for(&state, &user);
    Ok(Json(
        json!({ "token": token, "expires_at": rfc3339(exp)?, "user_id": user.id }),
    ))
}

/// Signs a browser in: the session token goes into an HttpOnly cookie, never into
/// the body, so page scripts cannot read it.
#[utoipa::path(
    post,
    path = "/auth/session",
    operation_id = "signInBrowser",
    tag = "auth",
    request_body(content = ref("#/components/schemas/Credentials"), content_type = "application/json"),
    responses(
        (status = 200, body = ref("#/components/schemas/Account"), content_type = "application/json"),
        E400, E401, E403, E429, E503,
    )
)]
async fn sign_in(
    State(state): State<AppState>,
    parts: Parts,
    AppJson(body): AppJson<Credentials>,
) -> Result<Response, ApiError> {
    // A foreign page must not sign a visitor into an account of its choosing.
    cookie::check_origin(&parts, false)?;
    let user = authenticate(&state, &parts, body).await?;
    let (token, exp) = session_for(&state, &user);
    let secure =
        state.config.secure_cookies || cookie::over_https(&parts, state.config.trusted_proxy_hops);
    let max_age = exp - state.clock().now_ms() / 1000;
    let body = account(&user, exp)?;
    Ok((
        [(
            header::SET_COOKIE,
            cookie::set_session(&token, max_age, secure),
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
    security(("sessionCookie" = []), ("bearer" = [])),
    responses(
        (status = 200, body = ref("#/components/schemas/Account"), content_type = "application/json"),
        E401,
    )
)]
async fn who_am_i(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Value>, ApiError> {
    let user = state
        .db
        .user_by_id(session.user)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Json(account(&user, session.expires_at)?))
}

/// Removes the cookie. Answers 204 whether or not a session was there.
#[utoipa::path(
    delete,
    path = "/auth/session",
    operation_id = "signOutBrowser",
    tag = "auth",
    responses(
        (status = 204),
        E403,
    )
)]
async fn sign_out(State(state): State<AppState>, parts: Parts) -> Result<Response, ApiError> {
    cookie::check_origin(&parts, false)?;
    let secure =
        state.config.secure_cookies || cookie::over_https(&parts, state.config.trusted_proxy_hops);
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, cookie::clear_session(secure))],
    )
        .into_response())
}

/// The account behind valid credentials; argon2 runs once whether or not the email
/// is known, so the answer's timing does not tell.
async fn authenticate(
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

fn session_for(state: &AppState, user: &UserRow) -> (String, i64) {
    issue_session(
        &state.keys,
        user.id,
        user.is_admin,
        state.clock().now_ms() / 1000,
        state.config.session_ttl_secs as i64,
    )
}

/// What the browser learns of its session: `{user_id, email, admin, expires_at}`.
fn account(user: &UserRow, exp_secs: i64) -> Result<Value, ApiError> {
    Ok(json!({
        "user_id": user.id,
        "email": user.email,
        "admin": user.is_admin,
        "expires_at": rfc3339(exp_secs)?,
    }))
}

fn rfc3339(secs: i64) -> Result<String, ApiError> {
    datetime_ms(secs * 1000)
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| ApiError::Internal(e.into()))
}
