//! `POST /auth/register`, `POST /auth/login`.

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use waiting_room::clock::now_ms;
use waiting_room::wire::datetime_ms;

use crate::auth::issue_session;
use crate::db::Created;
use crate::error::ApiError;
use crate::extract::AppJson;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    password: String,
}

/// An email, normalised to lower case and checked for a plausible shape.
pub fn parse_email(raw: &str) -> Result<String, ApiError> {
    let email = raw.trim().to_lowercase();
    let plausible = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if !plausible {
        return Err(ApiError::bad_request(
            "invalid_email",
            "that is not an email address",
        ));
    }
    Ok(email)
}

fn check_password(password: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    if !(8..=128).contains(&n) {
        return Err(ApiError::bad_request(
            "weak_password",
            "passwords are 8 to 128 characters",
        ));
    }
    Ok(())
}

fn rate_limit(state: &AppState, parts: &Parts) -> Result<(), ApiError> {
    super::rate_limit(state, &state.auth_limit, parts)
}

async fn register(
    State(state): State<AppState>,
    parts: Parts,
    AppJson(body): AppJson<Credentials>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    rate_limit(&state, &parts)?;
    let email = parse_email(&body.email)?;
    check_password(&body.password)?;
    let hash = state
        .passwords
        .hash(body.password)
        .await
        .map_err(ApiError::Internal)?;
    match state.db.create_user(&email, &hash, false, now_ms()).await? {
        Created::Ok(id) => Ok((StatusCode::CREATED, Json(json!({ "user_id": id })))),
        Created::EmailTaken => Err(ApiError::Conflict {
            code: "email_taken",
            message: "an account with this email exists".into(),
        }),
    }
}

async fn login(
    State(state): State<AppState>,
    parts: Parts,
    AppJson(body): AppJson<Credentials>,
) -> Result<Json<Value>, ApiError> {
    rate_limit(&state, &parts)?;
    let user = match parse_email(&body.email) {
        Ok(email) => state.db.user_by_email(&email).await?,
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
        .verify(body.password, hash)
        .await
        .map_err(ApiError::Internal)?;
    let Some(user) = user.filter(|_| ok) else {
        return Err(ApiError::InvalidCredentials);
    };
    let (token, exp) = issue_session(
        &state.keys,
        user.id,
        user.is_admin,
        now_ms() / 1000,
        state.config.session_ttl_secs as i64,
    );
    let expires_at = datetime_ms(exp * 1000)
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Json(
        json!({ "token": token, "expires_at": expires_at, "user_id": user.id }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(parse_email(" Fan@Example.COM ").unwrap(), "fan@example.com");
        for bad in [
            "",
            "fan",
            "@x.com",
            "fan@",
            "fan@com",
            "a b@x.com",
            "fan@.com",
        ] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
    }
}
