//! The contract's error bodies as types: what [`super::ApiError`] renders, and what
//! the OpenAPI document's error schemas derive from (`openapi/prose.json` adds their
//! words).

use serde::Serialize;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::ToSchema;

use crate::checkout::seat_messages::SeatId;

/// `{"error":{"code","message"}}`: every API error but `seats_unavailable`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    #[schema(inline)]
    pub error: ErrorDetail,
}

impl ErrorBody {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                code,
                message: message.into(),
            },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorDetail {
    /// snake_case machine-readable code.
    #[schema(schema_with = error_code)]
    pub code: &'static str,
    pub message: String,
}

/// Every code an `Error` body may carry (a test holds it to the codes the server
/// answers).
pub const ERROR_CODES: &[&str] = &[
    "invalid_json",
    "invalid_body",
    "invalid_field",
    "invalid_email",
    "weak_password",
    "wrong_password",
    "too_many_seats",
    "invalid_quantity",
    "duplicate_seat",
    "unknown_seat",
    "unknown_section",
    "unknown_row",
    "unauthorized",
    "invalid_credentials",
    "invalid_token",
    "token_account_mismatch",
    "forbidden",
    "wrong_event",
    "token_exhausted",
    "session_ended",
    "not_your_hold",
    "not_found",
    "email_taken",
    "event_closed",
    "account_limit_reached",
    "refunds_not_offered",
    "refund_window_closed",
    "reason_required",
    "reason_too_long",
    "invalid_reason",
    "sold_out",
    "hold_expired",
    "rate_limited",
    "too_many_places",
    "overloaded",
    "unavailable",
    "internal",
    "bad_request",
    "invalid_path",
    "invalid_query",
    "websocket_required",
    "bad_origin",
    "method_not_allowed",
    "timeout",
    "payload_too_large",
    "headers_too_large",
    "uri_too_long",
    "unsupported_media_type",
    "already_closed",
    "sale_opened",
    "seats_in_use",
    "draw_not_published",
    "pow_required",
    "invalid_webhook_url",
    "forbidden_webhook_url",
    "unknown_event_type",
    "missing_token",
    "token_expired",
    "missing_event",
    "invalid_event",
    "invalid_return_url",
    "return_url_not_allowed",
    "unknown_staff_email",
    "invalid_presale_group",
    "presale_groups_full",
    "presale_started",
    "presale_group_in_use",
    "invalid_csv",
    "code_unknown",
    "code_used_up",
    "code_other_group",
    "presale_over",
    "too_many_code_attempts",
];

/// A string, one of [`ERROR_CODES`].
fn error_code() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(ERROR_CODES.iter().copied()))
        .build()
}

/// 409 `seats_unavailable`: the error shape plus `seats`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatsUnavailableError {
    #[schema(inline)]
    pub error: SeatsUnavailableDetail,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatsUnavailableDetail {
    #[schema(pattern = "^seats_unavailable$")]
    pub code: &'static str,
    pub message: String,
    /// The conflicting seats.
    #[schema(value_type = Vec<SeatId>)]
    pub seats: Vec<String>,
}

/// 403 `pow_required`: the error shape plus the proof-of-work `challenge` to solve
/// before joining again.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PowRequiredError {
    #[schema(inline)]
    pub error: PowRequiredDetail,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PowRequiredDetail {
    /// `pow_required`.
    pub code: &'static str,
    pub message: String,
    pub challenge: crate::proof_of_work::ChallengeBody,
}

/// 403 on a join: `pow_required` (`PowRequiredError`, with `challenge`) or the plain
/// `Error` shape (`bad_origin`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum JoinForbiddenError {
    PowRequired(PowRequiredError),
    Other(ErrorBody),
}

/// 409 on a hold or a confirm: `seats_unavailable` (`SeatsUnavailableError`, with
/// `seats`), or the plain `Error` shape: `account_limit_reached` (the account's cap) or
/// `event_closed` (the sale is closed).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum HoldConflictError {
    SeatsUnavailable(SeatsUnavailableError),
    Other(ErrorBody),
}
