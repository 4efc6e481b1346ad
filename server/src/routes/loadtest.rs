//! `POST /admin/fans`: the bulk path for load tests. Creates up to 10,000 accounts per
//! call in a few multi-row INSERTs and answers with a session token for each, so a
//! load generator can field 100,000 fans without 100,000 argon2 hashes and without
//! tripping the per-IP sign-in limit. The accounts have no password (they cannot sign
//! in any other way) and their emails carry the caller's tag.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use waiting_room::UserId;

use super::error_docs::*;
use crate::auth::issue_session;
use crate::error::ApiError;
use crate::extract::{Admin, AppJson};
use crate::state::AppState;

/// Most accounts per call.
pub const MAX_FANS_PER_CALL: u32 = 10_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_fans))
}

/// How many load-test accounts to create, and the tag in their emails.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct FansRequest {
    #[schema(minimum = 1, maximum = 10_000)]
    count: u32,
    /// Letters, digits and dashes; emails are `<tag>-<n>@loadtest.invalid`.
    #[schema(pattern = "^[A-Za-z0-9-]{1,64}$")]
    tag: String,
}

/// A load-test account and a session token for it.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Fan {
    user_id: UserId,
    email: String,
    /// Session token (as from login).
    token: String,
}

#[utoipa::path(
    post,
    path = "/admin/fans",
    operation_id = "createFans",
    tag = "admin",
    security(("sessionCookie" = []), ("bearer" = [])),
    request_body(content = FansRequest, content_type = "application/json"),
    responses(
        (status = 201, body = Vec<Fan>, content_type = "application/json"),
        E400, E401, E403, E409,
    )
)]
async fn create_fans(
    State(state): State<AppState>,
    Admin(admin): Admin,
    AppJson(body): AppJson<FansRequest>,
) -> Result<(StatusCode, Json<Vec<Fan>>), ApiError> {
    if body.count == 0 || body.count > MAX_FANS_PER_CALL {
        return Err(ApiError::bad_request(
            "invalid_field",
            format!("count must be 1 to {MAX_FANS_PER_CALL}"),
        ));
    }
    let tag_ok = !body.tag.is_empty()
        && body.tag.len() <= 64
        && body
            .tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !tag_ok {
        return Err(ApiError::bad_request(
            "invalid_field",
            "tag: 1 to 64 letters, digits or dashes",
        ));
    }
    let emails: Vec<String> = (0..body.count)
        .map(|n| format!("{}-{n}@loadtest.invalid", body.tag.to_lowercase()))
        .collect();
    let now = state.clock().now_ms();
    let ids = match state.db.create_passwordless_users(&emails, now).await {
        Ok(ids) => ids,
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(ApiError::Conflict {
                code: "email_taken",
                message: "accounts with this tag exist; use a new tag".into(),
            })
        }
        Err(e) => return Err(e.into()),
    };
    let ttl = state.config.session_ttl_secs as i64;
    let fans = ids
        .into_iter()
        .zip(emails)
        .map(|(user_id, email)| Fan {
            token: issue_session(&state.keys, user_id, false, 0, now / 1000, ttl).0,
            user_id,
            email,
        })
        .collect();
    tracing::info!(admin = %admin.user, count = body.count, tag = %body.tag, "load-test fans created");
    Ok((StatusCode::CREATED, Json(fans)))
}
