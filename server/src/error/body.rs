//! The contract's error bodies as types: what [`super::ApiError`] renders, and what
//! the OpenAPI document's error schemas derive from (`openapi/prose.json` adds their
//! words and the list of codes).

use serde::Serialize;
use utoipa::openapi::{ArrayBuilder, Ref};
use utoipa::ToSchema;

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
    pub code: &'static str,
    pub message: String,
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
    pub code: &'static str,
    pub message: String,
    #[schema(schema_with = seat_ids)]
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

/// A list of `SeatId`s (the hand-written seat id schema, with its pattern).
pub(crate) fn seat_ids() -> ArrayBuilder {
    ArrayBuilder::new().items(Ref::from_schema_name("SeatId"))
}
