//! One error type for the API: each variant knows its status and machine-readable
//! code, and renders the contract's `{"error":{"code","message"}}`. Internal causes
//! are logged with context and never shown to the client.
//!
//! The services answer domain errors; [`from_domain`] is where they become these.

mod body;
mod from_domain;

pub use body::{
    ErrorBody, HoldConflictError, JoinForbiddenError, PowRequiredDetail, PowRequiredError,
    SeatsUnavailableDetail, SeatsUnavailableError,
};
pub use from_domain::checkout_store_error;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("missing or invalid session token")]
    Unauthorized,
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("admins only")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 404 with a code of its own (a presale code that is unknown or revoked:
    /// `code_unknown`).
    #[error("{message}")]
    Unknown { code: &'static str, message: String },
    /// 429 `too_many_code_attempts` with `Retry-After`: too many wrong presale codes
    /// from this account or address (docs/ARCHITECTURE.md "Presale codes").
    #[error("too many wrong codes; retry in {retry_after_secs} s")]
    TooManyCodeAttempts { retry_after_secs: u64 },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// 429 `rate_limited`: `what` names the budget that is spent, in words a person
    /// reads ("requests from your address", "hold attempts on your account").
    #[error("too many {what}; retry in {retry_after_secs} s")]
    RateLimited {
        retry_after_secs: u64,
        what: &'static str,
    },
    #[error("this address already holds {max} places in this sale; retry when one frees up")]
    TooManyPlaces { max: u32 },
    #[error("this server is at capacity; retry in {RETRY_SOON_SECS} s")]
    Overloaded,
    /// Too much work waiting (new fans while the store is slow, password checks while
    /// their queue is full): 503 `overloaded` with `Retry-After`.
    #[error("this server is busy; retry in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    #[error("this endpoint is not served by this replica's role")]
    WrongRole,
    #[error("{0}")]
    InvalidToken(String),
    /// 401 with a code of its own (the gate's check: `missing_token`, `token_expired`,
    /// `wrong_event`; nginx's `auth_request` understands only 2xx, 401 and 403).
    #[error("{message}")]
    Unauthenticated { code: &'static str, message: String },
    #[error("{message}")]
    Refused { code: &'static str, message: String },
    #[error("these seats are not available")]
    SeatsUnavailable { seats: Vec<String> },
    #[error("{message}")]
    Gone { code: &'static str, message: String },
    #[error("temporarily unavailable; retry in {RETRY_SOON_SECS} s")]
    Unavailable,
    /// A purchase token presented without a session of the account it was issued to
    /// (`crate::bound_token`): 401 with no session, 403 with another account's.
    #[error("{}", mismatch_message(*signed_in))]
    TokenAccountMismatch { signed_in: bool },
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("the request headers are too large")]
    HeadersTooLarge,
    /// 403 `pow_required`: a join that would create a ticket without a valid,
    /// unspent proof of work; the body carries the challenge to solve.
    #[error("{message}")]
    PowRequired {
        message: String,
        challenge: Box<crate::proof_of_work::ChallengeBody>,
    },
    /// 503 `event_rejecting` with `Retry-After`: the event is in mode `reject`
    /// (maintenance) and takes no new place; `message` is the admin's, or ours.
    #[error("{message}")]
    Rejecting { message: String },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// How long a join refused in mode `reject` is told to wait.
pub const REJECTING_RETRY_SECS: u64 = 30;

/// What a join refused in mode `reject` is told when the admin wrote nothing.
pub const REJECTING_MESSAGE: &str =
    "this sale is paused for maintenance and takes no new places right now; retry later";

/// How long a client refused by a full server (`overloaded` at the socket cap) or a
/// store that did not answer (`unavailable`) is told to wait.
pub const RETRY_SOON_SECS: u64 = 2;

fn mismatch_message(signed_in: bool) -> &'static str {
    if signed_in {
        "this purchase token was issued to another account; it holds nothing with this \
         session. Sign in as the account that waited in line"
    } else {
        "a purchase token is used only with the signed-in session of the account it was \
         issued to (the session cookie, or a Floodgate-Session header); sign in and retry"
    }
}

/// 409 `event_closed`: the sale is over (joins, holds, confirms, edits, seat maps).
pub fn event_closed() -> ApiError {
    ApiError::Conflict {
        code: "event_closed",
        message: "this sale is closed".into(),
    }
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound(_) | Self::WrongRole | Self::Unknown { .. } => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::RateLimited { .. }
            | Self::TooManyPlaces { .. }
            | Self::TooManyCodeAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Overloaded | Self::Busy { .. } | Self::Unavailable | Self::Rejecting { .. } => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::InvalidToken(_) | Self::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
            Self::TokenAccountMismatch { signed_in: false } => StatusCode::UNAUTHORIZED,
            Self::TokenAccountMismatch { signed_in: true } => StatusCode::FORBIDDEN,
            Self::Refused { .. } | Self::PowRequired { .. } => StatusCode::FORBIDDEN,
            Self::SeatsUnavailable { .. } => StatusCode::CONFLICT,
            Self::Gone { .. } => StatusCode::GONE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. }
            | Self::Conflict { code, .. }
            | Self::Refused { code, .. }
            | Self::Gone { code, .. }
            | Self::Unknown { code, .. }
            | Self::Unauthenticated { code, .. } => code,
            Self::TooManyCodeAttempts { .. } => "too_many_code_attempts",
            Self::InvalidToken(_) => "invalid_token",
            Self::TokenAccountMismatch { .. } => "token_account_mismatch",
            Self::SeatsUnavailable { .. } => "seats_unavailable",
            Self::Unavailable => "unavailable",
            Self::Unauthorized => "unauthorized",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Forbidden => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::RateLimited { .. } => "rate_limited",
            Self::TooManyPlaces { .. } => "too_many_places",
            Self::Overloaded | Self::Busy { .. } => "overloaded",
            Self::WrongRole => "not_served_here",
            Self::PayloadTooLarge => "payload_too_large",
            Self::HeadersTooLarge => "headers_too_large",
            Self::PowRequired { .. } => "pow_required",
            Self::Rejecting { .. } => "event_rejecting",
            Self::Internal(_) => "internal",
        }
    }
}

/// How long a join refused at its address's place cap is told to wait: places free
/// up as fans ahead are admitted, leave, or their sessions end.
pub const PLACES_RETRY_SECS: u64 = 30;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(cause) = &self {
            tracing::error!(error = ?cause, "request failed");
        }
        let (status, code, message) = (self.status(), self.code(), self.to_string());
        let retry_after = match self {
            Self::RateLimited {
                retry_after_secs, ..
            }
            | Self::Busy { retry_after_secs }
            | Self::TooManyCodeAttempts { retry_after_secs } => Some(retry_after_secs),
            Self::TooManyPlaces { .. } => Some(PLACES_RETRY_SECS),
            Self::Overloaded | Self::Unavailable => Some(RETRY_SOON_SECS),
            Self::Rejecting { .. } => Some(REJECTING_RETRY_SECS),
            _ => None,
        };
        let mut response = match self {
            Self::SeatsUnavailable { seats } => {
                let error = SeatsUnavailableDetail {
                    code,
                    message,
                    seats,
                };
                (status, Json(SeatsUnavailableError { error })).into_response()
            }
            Self::PowRequired { challenge, .. } => {
                let error = PowRequiredDetail {
                    code,
                    message,
                    challenge: *challenge,
                };
                (status, Json(PowRequiredError { error })).into_response()
            }
            _ => (status, Json(ErrorBody::new(code, message))).into_response(),
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            // Every connection busy for the whole acquire timeout: overload, not a
            // bug. The operation did nothing; the client may retry (confirm is
            // idempotent).
            sqlx::Error::PoolTimedOut => {
                tracing::warn!("database pool exhausted; answering 503");
                Self::Unavailable
            }
            // A database too busy to take the write in time: the transaction did not
            // commit, so the same answer applies.
            sqlx::Error::Database(db) if is_busy(db.as_ref()) => {
                tracing::warn!(error = %db, "database busy; answering 503");
                Self::Unavailable
            }
            e => Self::Internal(anyhow::Error::new(e).context("database")),
        }
    }
}

/// Whether a database error means "busy, retry": SQLite's SQLITE_BUSY (5) and
/// SQLITE_LOCKED (6), with any extended code (the primary code is the low byte);
/// PostgreSQL's serialization failure, deadlock and lock timeout. The numeric test
/// is SQLite's only: PostgreSQL's SQLSTATEs are digits too (`22021`, a NUL byte in
/// text, has 5 as its low byte), and are matched by name.
fn is_busy(e: &dyn sqlx::error::DatabaseError) -> bool {
    let Some(code) = e.code() else {
        return false;
    };
    if e.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        return code.parse::<i32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6));
    }
    matches!(code.as_ref(), "40001" | "40P01" | "55P03")
}

impl From<waiting_room::store::StoreError> for ApiError {
    fn from(e: waiting_room::store::StoreError) -> Self {
        match e {
            waiting_room::store::StoreError::UnknownEvent => Self::NotFound("event"),
            waiting_room::store::StoreError::TooManyPlaces { max } => Self::TooManyPlaces { max },
            waiting_room::store::StoreError::Rejecting => Self::Rejecting {
                message: REJECTING_MESSAGE.into(),
            },
            waiting_room::store::StoreError::Unavailable(error) => {
                tracing::warn!(%error, "store unavailable; answering 503");
                Self::Unavailable
            }
            other => Self::Internal(anyhow::Error::new(other).context("queue store")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exhausted_pool_is_a_503_to_retry() {
        let e = ApiError::from(sqlx::Error::PoolTimedOut);
        assert_eq!(
            (e.status(), e.code()),
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        );
        let e = ApiError::from(sqlx::Error::RowNotFound);
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    /// PostgreSQL's SQLSTATEs are digits too: `22021` (a NUL byte in text) is a
    /// fault to report, not "busy" (its low byte is SQLite's SQLITE_BUSY, 5).
    #[tokio::test]
    async fn a_postgres_error_whose_code_looks_like_sqlite_busy_is_not_a_503() {
        use sqlx::{Connection, Executor};
        let Ok(url) = std::env::var("FLOODGATE_TEST_DATABASE_URL") else {
            assert!(
                std::env::var("FLOODGATE_TEST_REQUIRE_SERVICES").as_deref() != Ok("1"),
                "FLOODGATE_TEST_DATABASE_URL is required"
            );
            eprintln!("skipping: no test PostgreSQL configured");
            return;
        };
        let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
        let nul = sqlx::query("SELECT $1::text")
            .bind("a\0b")
            .execute(&mut conn)
            .await
            .unwrap_err();
        let code = nul.as_database_error().and_then(|e| e.code());
        assert_eq!(code.as_deref(), Some("22021"));
        assert_eq!(
            ApiError::from(nul).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        // A real lock timeout still is.
        sqlx::query("SET lock_timeout = '1ms'")
            .execute(&mut conn)
            .await
            .unwrap();
        let mut holder = sqlx::PgConnection::connect(&url).await.unwrap();
        let table = format!("fg_busy_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE TABLE {table} (x INT)"))
            .execute(&mut holder)
            .await
            .unwrap();
        holder
            .execute(format!("BEGIN; LOCK TABLE {table}").as_str())
            .await
            .unwrap();
        let locked = sqlx::query(&format!("SELECT * FROM {table}"))
            .execute(&mut conn)
            .await
            .unwrap_err();
        let e = ApiError::from(locked);
        assert_eq!(
            (e.status(), e.code()),
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        );
        holder
            .execute(format!("ROLLBACK; DROP TABLE {table}").as_str())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_locked_sqlite_database_is_a_503_to_retry() {
        use sqlx::{Connection, Executor};
        let dir = std::env::temp_dir().join(format!("fg-busy-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("db").display());
        let mut holder = sqlx::SqliteConnection::connect(&url).await.unwrap();
        // The waiter through the `Any` driver, as `Db` connects: its errors must
        // still be told apart as SQLite's.
        sqlx::any::install_default_drivers();
        let mut waiter = sqlx::AnyConnection::connect(&url).await.unwrap();
        holder
            .execute("CREATE TABLE t (x INTEGER); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);")
            .await
            .unwrap();
        waiter.execute("PRAGMA busy_timeout = 0").await.unwrap();
        let busy = waiter
            .execute("INSERT INTO t VALUES (2)")
            .await
            .unwrap_err();
        let e = ApiError::from(busy);
        assert_eq!(
            (e.status(), e.code()),
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
