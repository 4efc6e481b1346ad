//! The one place where the services' domain errors become API errors: each rule's
//! status, code and message, as the API contract states them.

use waiting_room::store::StoreError;

use super::ApiError;
use crate::argon_pool::Busy;
use crate::auth::PasswordError;
use crate::checkout::held_back::{BadSelection, HeldBackError};
use crate::checkout::holds::{BadHoldRequest, HoldError};
use crate::checkout::refunds::RefundError;
use crate::event::InvalidEvent;
use crate::event_edit::EditError;
use crate::events::EventError;
use crate::limits::Limited;

impl From<HoldError> for ApiError {
    fn from(e: HoldError) -> Self {
        let message = e.to_string();
        match e {
            HoldError::BadRequest(bad) => bad.into(),
            HoldError::WrongEvent => refused("wrong_event", message),
            HoldError::EventClosed => super::event_closed(),
            HoldError::TokenExpired => Self::InvalidToken(message),
            HoldError::TokenExhausted { .. } => refused("token_exhausted", message),
            HoldError::SessionEnded => refused("session_ended", message),
            HoldError::NotYourHold => refused("not_your_hold", message),
            HoldError::SeatsUnavailable { seats } => Self::SeatsUnavailable { seats },
            HoldError::AccountLimitReached { .. } => Self::Conflict {
                code: "account_limit_reached",
                message,
            },
            HoldError::SoldOut => Self::Gone {
                code: "sold_out",
                message,
            },
            HoldError::HoldExpired => Self::Gone {
                code: "hold_expired",
                message,
            },
            HoldError::UnknownHold => Self::NotFound("hold"),
            HoldError::Store(e) => checkout_store_error(e),
            HoldError::Database(e) => e.into(),
        }
    }
}

impl From<RefundError> for ApiError {
    fn from(e: RefundError) -> Self {
        let message = e.to_string();
        let conflict = |code, message| Self::Conflict { code, message };
        match e {
            RefundError::NotFound => Self::NotFound("order"),
            RefundError::NotOffered => conflict("refunds_not_offered", message),
            RefundError::WindowClosed { .. } => conflict("refund_window_closed", message),
            RefundError::EventClosed => conflict("event_closed", message),
            RefundError::ReasonRequired => Self::bad_request("reason_required", message),
            RefundError::ReasonTooLong => Self::bad_request("reason_too_long", message),
            RefundError::ReasonInvalid => Self::bad_request("invalid_reason", message),
            RefundError::Store(e) => checkout_store_error(e),
            RefundError::Database(e) => e.into(),
        }
    }
}

impl From<HeldBackError> for ApiError {
    fn from(e: HeldBackError) -> Self {
        match e {
            HeldBackError::BadSelection(bad) => bad.into(),
            HeldBackError::Unavailable { seats } => Self::SeatsUnavailable { seats },
            HeldBackError::Store(e) => checkout_store_error(e),
            HeldBackError::Database(e) => e.into(),
            HeldBackError::SectionsChanged => Self::Unavailable,
        }
    }
}

impl From<BadSelection> for ApiError {
    fn from(e: BadSelection) -> Self {
        let code = match e {
            BadSelection::NoSeats => "invalid_body",
            BadSelection::TooManySeats(_) => "too_many_seats",
            BadSelection::UnknownSeats(_) => "unknown_seat",
            BadSelection::UnknownSection(_) => "unknown_section",
            BadSelection::UnknownRow { .. } => "unknown_row",
        };
        Self::bad_request(code, e.to_string())
    }
}

fn refused(code: &'static str, message: String) -> ApiError {
    ApiError::Refused { code, message }
}

impl From<BadHoldRequest> for ApiError {
    fn from(e: BadHoldRequest) -> Self {
        let code = match e {
            BadHoldRequest::SectionWithSeats
            | BadHoldRequest::NoSeats
            | BadHoldRequest::SeatsOrQuantity => "invalid_body",
            BadHoldRequest::TooManySeats { .. } => "too_many_seats",
            BadHoldRequest::UnknownSeats(_) => "unknown_seat",
            BadHoldRequest::DuplicateSeat => "duplicate_seat",
            BadHoldRequest::ZeroQuantity => "invalid_quantity",
            BadHoldRequest::UnknownSection(_) => "unknown_section",
        };
        Self::bad_request(code, e.to_string())
    }
}

/// Store errors on the checkout path: a store that lost the event (a flush) is
/// rebuilding; tell the client to retry rather than that the event does not exist.
pub fn checkout_store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::UnknownEvent => ApiError::Unavailable,
        other => other.into(),
    }
}

impl From<EventError> for ApiError {
    fn from(e: EventError) -> Self {
        match e {
            EventError::UnknownEvent => Self::NotFound("event"),
            EventError::InvalidEvent(e) => e.into(),
            EventError::Database(e) => e.into(),
            EventError::Store(e) => e.into(),
            EventError::AuditSummary(e) => Self::Internal(e.into()),
            EventError::Task(e) => Self::Internal(e.into()),
            EventError::AlreadyClosed => Self::Conflict {
                code: "already_closed",
                message: "this sale is closed already".into(),
            },
        }
    }
}

impl From<EditError> for ApiError {
    fn from(e: EditError) -> Self {
        match e {
            EditError::Invalid(e) => e.into(),
            EditError::Opened { .. } | EditError::CapSwitched => Self::Conflict {
                code: "sale_opened",
                message: e.to_string(),
            },
            EditError::Closed => super::event_closed(),
        }
    }
}

/// Sections that can no longer change (`PATCH /admin/events/{id}`).
fn seats_in_use(message: String) -> ApiError {
    ApiError::Conflict {
        code: "seats_in_use",
        message,
    }
}

impl From<crate::db::SeatsInUse> for ApiError {
    fn from(e: crate::db::SeatsInUse) -> Self {
        seats_in_use(e.to_string())
    }
}

impl From<crate::checkout::new_layout::ReseatError> for ApiError {
    fn from(e: crate::checkout::new_layout::ReseatError) -> Self {
        use crate::checkout::new_layout::ReseatError;
        match e {
            ReseatError::InUse => seats_in_use(e.to_string()),
            ReseatError::Store(e) => checkout_store_error(e),
        }
    }
}

impl From<InvalidEvent> for ApiError {
    fn from(e: InvalidEvent) -> Self {
        Self::bad_request("invalid_field", e.0)
    }
}

impl From<Limited> for ApiError {
    fn from(e: Limited) -> Self {
        match e {
            Limited::RateLimited { retry_after_secs } => Self::RateLimited {
                retry_after_secs,
                what: "requests from your address",
            },
            Limited::TooManySockets { retry_after_secs } => Self::RateLimited {
                retry_after_secs,
                what: "connections open from your address (queue, seat map and stats \
                       sockets together; close one)",
            },
            Limited::Overloaded => Self::Overloaded,
        }
    }
}

impl From<crate::backpressure::Shedding> for ApiError {
    fn from(s: crate::backpressure::Shedding) -> Self {
        Self::Busy {
            retry_after_secs: s.retry_after_secs,
        }
    }
}

/// How long a client refused by the argon2 pool is told to wait: its queue drains in
/// well under a second.
const PASSWORDS_RETRY_SECS: u64 = 1;

impl From<PasswordError> for ApiError {
    fn from(e: PasswordError) -> Self {
        match e {
            PasswordError::Busy(Busy::Full) => {
                tracing::warn!("argon2 queue full; answering 503");
                Self::Busy {
                    retry_after_secs: PASSWORDS_RETRY_SECS,
                }
            }
            PasswordError::Busy(Busy::TooManyFromClient) => Self::RateLimited {
                retry_after_secs: PASSWORDS_RETRY_SECS,
                what: "password checks at once from your address",
            },
            PasswordError::Weak(weak) => Self::bad_request("weak_password", weak.to_string()),
            PasswordError::Failed(e) => Self::Internal(e.context("password hashing")),
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;

    fn shape(e: impl Into<ApiError>) -> (StatusCode, &'static str, String) {
        let e = e.into();
        (e.status(), e.code(), e.to_string())
    }

    #[test]
    fn hold_errors_keep_their_status_code_and_message() {
        let cases: Vec<(HoldError, StatusCode, &str, &str)> = vec![
            (
                HoldError::WrongEvent,
                StatusCode::FORBIDDEN,
                "wrong_event",
                "this purchase token is for another event",
            ),
            (
                HoldError::TokenExpired,
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "the purchase token expired",
            ),
            (
                HoldError::TokenExhausted { used: 3, max: 4 },
                StatusCode::FORBIDDEN,
                "token_exhausted",
                "this purchase token already held 3 of its 4 seats",
            ),
            (
                HoldError::SessionEnded,
                StatusCode::FORBIDDEN,
                "session_ended",
                "this purchase token's shopping session ended with a confirmed order",
            ),
            (
                HoldError::NotYourHold,
                StatusCode::FORBIDDEN,
                "not_your_hold",
                "this hold belongs to another purchase token",
            ),
            (
                HoldError::SoldOut,
                StatusCode::GONE,
                "sold_out",
                "every seat is sold or held",
            ),
            (
                HoldError::HoldExpired,
                StatusCode::GONE,
                "hold_expired",
                "this hold expired or was released",
            ),
            (
                HoldError::UnknownHold,
                StatusCode::NOT_FOUND,
                "not_found",
                "hold not found",
            ),
            (
                HoldError::SeatsUnavailable {
                    seats: vec!["A-1-1".into()],
                },
                StatusCode::CONFLICT,
                "seats_unavailable",
                "these seats are not available",
            ),
            (
                HoldError::Store(StoreError::UnknownEvent),
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "temporarily unavailable; retry in 2 s",
            ),
            (
                BadHoldRequest::TooManySeats {
                    requested: 5,
                    max: 4,
                }
                .into(),
                StatusCode::BAD_REQUEST,
                "too_many_seats",
                "5 seats requested; this token allows at most 4",
            ),
            (
                BadHoldRequest::UnknownSeats(vec!["Z-9-9".into()]).into(),
                StatusCode::BAD_REQUEST,
                "unknown_seat",
                "no such seats: [\"Z-9-9\"]",
            ),
            (
                BadHoldRequest::UnknownSection("Q".into()).into(),
                StatusCode::BAD_REQUEST,
                "unknown_section",
                "no section \"Q\"",
            ),
        ];
        for (e, status, code, message) in cases {
            assert_eq!(shape(e), (status, code, message.to_owned()));
        }
    }

    #[test]
    fn state_and_limit_errors_keep_their_status_and_code() {
        assert_eq!(
            shape(EventError::UnknownEvent),
            (StatusCode::NOT_FOUND, "not_found", "event not found".into())
        );
        assert_eq!(
            shape(EventError::Store(StoreError::UnknownEvent)),
            (StatusCode::NOT_FOUND, "not_found", "event not found".into())
        );
        assert_eq!(
            shape(InvalidEvent("name must be 1 to 200 characters".into())),
            (
                StatusCode::BAD_REQUEST,
                "invalid_field",
                "name must be 1 to 200 characters".into()
            )
        );
        assert_eq!(shape(Limited::Overloaded).1, "overloaded");
        assert_eq!(
            shape(Limited::RateLimited {
                retry_after_secs: 5
            })
            .0,
            StatusCode::TOO_MANY_REQUESTS
        );
    }

    #[test]
    fn a_busy_password_pool_is_a_503_or_429_to_retry() {
        use axum::response::IntoResponse;
        let cases = [
            (Busy::Full, StatusCode::SERVICE_UNAVAILABLE, "overloaded"),
            (
                Busy::TooManyFromClient,
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
            ),
        ];
        for (busy, status, code) in cases {
            let e = ApiError::from(PasswordError::Busy(busy));
            assert_eq!((e.status(), e.code()), (status, code));
            let response = e.into_response();
            assert_eq!(response.headers()["retry-after"], "1", "{busy:?}");
        }
        let weak = shape(PasswordError::Weak(crate::password_rules::Weak::Blank));
        assert_eq!(
            weak,
            (
                StatusCode::BAD_REQUEST,
                "weak_password",
                "a password cannot be only spaces".into()
            )
        );
    }
}
