//! The queue WebSocket protocol: JSON text frames, tagged by `type`. Shared by the
//! server and `loadgen` so both sides speak exactly the same messages.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::estimate::EtaRange;
use crate::TicketId;

/// Fan → server, a JSON text frame of at most 1024 bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// Take a place in the queue (idempotent).
    Join,
    /// Give up the place in the queue.
    Leave,
}

/// Server → fan, a JSON text frame. (In the OpenAPI document each variant is a schema
/// of its own, named after its `type`: `queued` is `QueuedMessage`.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Joined before the opening; shuffled into the queue at `starts_at`.
    Prequeue {
        ticket: TicketId,
        /// The ticket's pseudonym in the opening's draw (docs/FAIRNESS.md).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(
            feature = "openapi",
            schema(nullable = false, pattern = "^[0-9a-f]{32}$")
        )]
        pseudonym: Option<String>,
        #[serde(with = "time::serde::rfc3339")]
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
        starts_at: OffsetDateTime,
        /// See [`ServerMessage::with_sold_out`].
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        #[cfg_attr(feature = "openapi", schema(schema_with = only_true))]
        sold_out: bool,
        /// See [`ServerMessage::with_waitlist`].
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        #[cfg_attr(feature = "openapi", schema(schema_with = only_true))]
        waitlist: bool,
    },
    /// In line: `ahead` people in front, about `eta_secs` to wait.
    Queued {
        ticket: TicketId,
        /// The ticket's pseudonym in the opening's draw (docs/FAIRNESS.md).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(
            feature = "openapi",
            schema(nullable = false, pattern = "^[0-9a-f]{32}$")
        )]
        pseudonym: Option<String>,
        ahead: u64,
        eta_secs: u64,
        /// `eta_low_secs`, `eta_high_secs`, `eta_basis`: see [`EtaRange`].
        #[serde(flatten)]
        range: EtaRange,
        /// See [`ServerMessage::Position`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(nullable = false))]
        ahead_about: Option<u64>,
        /// See [`ServerMessage::with_sold_out`].
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        #[cfg_attr(feature = "openapi", schema(schema_with = only_true))]
        sold_out: bool,
        /// See [`ServerMessage::with_waitlist`].
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        #[cfg_attr(feature = "openapi", schema(schema_with = only_true))]
        waitlist: bool,
    },
    /// A position update (at most once a second), sent only when what the fan is
    /// shown changes: `ahead_about`, or `ahead` where that is absent, or the wait.
    /// `ahead` is exact as of the message; deep in the line it moves between messages.
    Position {
        ahead: u64,
        eta_secs: u64,
        /// `eta_low_secs`, `eta_high_secs`, `eta_basis`: see [`EtaRange`]. The point is
        /// rounded to the step a person reads it in, the range outwards.
        #[serde(flatten)]
        range: EtaRange,
        /// People ahead as the fan is shown them, from 1,000 ahead: `ahead` rounded to
        /// two significant figures ("about 12,000"); never rises. Absent near the head,
        /// where `ahead` itself is shown (an extension to the v1 contract).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(nullable = false))]
        ahead_about: Option<u64>,
        /// When the server computed the change this message carries (Unix ms), so a
        /// client can tell how late it heard it (an extension to the v1 contract).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(nullable = false))]
        changed_at_ms: Option<i64>,
    },
    /// Admitted: present `purchase_token` to the checkout before `expires_at`.
    Admitted {
        purchase_token: String,
        #[serde(with = "time::serde::rfc3339")]
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
        expires_at: OffsetDateTime,
    },
    /// The fan's shopping session ended (extension to the v1 contract).
    Expired,
    /// The fan's shopping session ended with these confirmed orders; no purchase token
    /// any more (extension to the v1 contract).
    Purchased {
        #[cfg_attr(feature = "openapi", schema(value_type = Vec<uuid::Uuid>, min_items = 1))]
        orders: Vec<String>,
    },
    /// The fan's ticket left the queue (extension to the v1 contract).
    Left,
    /// Seats still free, for waiting fans (at most once a second, on change; an
    /// extension to the v1 contract). Sent when the number shown changes:
    /// `available_about`, or `available` where that is absent.
    Availability {
        available: u32,
        /// Seats free as a fan is shown them from 1,000 up: `available` rounded to two
        /// significant figures, as people-ahead is (`ahead_about`). Absent below 1,000,
        /// where `available` itself is shown.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(nullable = false))]
        available_about: Option<u64>,
    },
    Paused,
    Resumed,
    SoldOut,
    /// The event sold out once: the fans still in line are its waitlist, offered the
    /// seats that come back in queue order (sent to fans in line after their place;
    /// an extension to the v1 contract).
    Waitlist,
    /// The event's admission mode changed, or a socket opened while it is not `queue`
    /// (docs/ARCHITECTURE.md, "Admission modes"; an extension to the v1 contract):
    /// `queue_all` (nobody admitted for now, places kept), `reject` (maintenance: no
    /// new places, places kept), `passthrough` or `queue`. `message` is the admin's
    /// text for the fans (`null`: none; the page shows its own).
    Mode {
        mode: crate::AdmissionMode,
        #[cfg_attr(feature = "openapi", schema(required = true, max_length = 500))]
        message: Option<String>,
    },
    /// The sale is closed: admission and sales have stopped for good. The server
    /// closes the socket normally (1000) right after (an extension to the v1
    /// contract).
    Closed,
    Error {
        /// One of [`MESSAGE_ERROR_CODES`].
        #[cfg_attr(feature = "openapi", schema(schema_with = message_error_code))]
        code: String,
        message: String,
        /// With `pow_required`: the proof-of-work challenge to solve before joining
        /// again (an extension to the v1 contract).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(nullable = false))]
        challenge: Option<Box<PowChallenge>>,
    },
}

/// A proof-of-work challenge: find a nonce (ASCII letters, digits, `-` or `_`, at
/// most 64) such that `SHA-256(challenge ":" nonce)` starts with `difficulty` zero
/// bits, then join with `pow=<challenge>:<nonce>` in the query before `expires_at`.
// What clients get of a `crate::pow::Challenge` (this doc comment is published).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ChallengeBody))]
pub struct PowChallenge {
    /// The string to hash (a signed token, bound to the account, the event, the
    /// difficulty and the expiry).
    pub challenge: String,
    /// Leading zero bits the hash must start with (0: any nonce does).
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 28))]
    pub difficulty: u8,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub expires_at: OffsetDateTime,
    /// `sha256-leading-zero-bits`.
    pub algorithm: String,
    /// Hashes a solver tries on average: 2^difficulty (for a progress display).
    pub expected_hashes: u64,
}

/// Every code an `error` message may carry: `not_in_queue` only from the HTTP
/// `queue/me`, the others on the socket; `pow_required` carries `challenge`;
/// `event_rejecting` refuses a join that would take a new place in mode `reject`.
pub const MESSAGE_ERROR_CODES: &[&str] = &[
    "invalid_json",
    "unknown_type",
    "invalid_message",
    "frame_too_large",
    "rate_limited",
    "too_many_places",
    "unavailable",
    "not_in_queue",
    "pow_required",
    "event_rejecting",
];

/// `true`: a flag sent only when set.
#[cfg(feature = "openapi")]
fn only_true() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Boolean)
        .enum_values(Some([true]))
        .build()
}

/// A string, one of [`MESSAGE_ERROR_CODES`].
#[cfg(feature = "openapi")]
fn message_error_code() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(MESSAGE_ERROR_CODES.iter().copied()))
        .build()
}

impl From<&crate::pow::Challenge> for PowChallenge {
    fn from(c: &crate::pow::Challenge) -> Self {
        Self {
            challenge: c.challenge.clone(),
            difficulty: c.difficulty,
            expires_at: datetime_ms(c.expires_at_ms),
            algorithm: crate::pow::ALGORITHM.to_owned(),
            expected_hashes: 1u64 << c.difficulty,
        }
    }
}

impl ServerMessage {
    /// `availability` of `available` seats, with the number a fan is shown.
    pub fn availability(available: u32) -> Self {
        Self::Availability {
            available,
            available_about: crate::shown::about(u64::from(available)),
        }
    }

    /// A `prequeue` or `queued` message that also says no seat is free (`"sold_out":
    /// true`): an HTTP answer is one message, where the socket follows the place with
    /// a separate `sold_out`. Other messages are returned unchanged.
    pub fn with_sold_out(mut self, now: bool) -> Self {
        if let Self::Prequeue { sold_out, .. } | Self::Queued { sold_out, .. } = &mut self {
            *sold_out = now;
        }
        self
    }

    /// A `prequeue` or `queued` message that also says the line is the event's
    /// waitlist (`"waitlist": true`), as [`Self::with_sold_out`] does for `sold_out`.
    pub fn with_waitlist(mut self, now: bool) -> Self {
        if let Self::Prequeue { waitlist, .. } | Self::Queued { waitlist, .. } = &mut self {
            *waitlist = now;
        }
        self
    }

    pub fn error(code: &str, message: impl Into<String>) -> Self {
        Self::Error {
            code: code.to_owned(),
            message: message.into(),
            challenge: None,
        }
    }

    /// `pow_required`: why the join was refused, and the challenge to solve.
    pub fn pow_required(message: impl Into<String>, challenge: &crate::pow::Challenge) -> Self {
        Self::Error {
            code: "pow_required".to_owned(),
            message: message.into(),
            challenge: Some(Box::new(challenge.into())),
        }
    }
}

/// Unix milliseconds as a UTC date-time (saturating at the representable range).
pub fn datetime_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_the_contract() {
        let join: ClientMessage = serde_json::from_str(r#"{"type":"join"}"#).unwrap();
        assert_eq!(join, ClientMessage::Join);
        assert!(serde_json::from_str::<ClientMessage>(r#"{"type":"dance"}"#).is_err());
        let msg = ServerMessage::Position {
            ahead: 3,
            eta_secs: 9,
            range: EtaRange::default(),
            ahead_about: None,
            changed_at_ms: None,
        };
        assert_eq!(
            serde_json::to_string(&msg).unwrap(),
            r#"{"type":"position","ahead":3,"eta_secs":9}"#
        );
        let adm = ServerMessage::Admitted {
            purchase_token: "t".into(),
            expires_at: datetime_ms(1_700_000_000_000),
        };
        assert_eq!(
            serde_json::to_string(&adm).unwrap(),
            r#"{"type":"admitted","purchase_token":"t","expires_at":"2023-11-14T22:13:20Z"}"#
        );
        assert_eq!(
            serde_json::to_string(&ServerMessage::SoldOut).unwrap(),
            r#"{"type":"sold_out"}"#
        );
        let queued = ServerMessage::Queued {
            ticket: TicketId("t".into()),
            pseudonym: None,
            ahead: 0,
            eta_secs: 0,
            range: EtaRange::default(),
            ahead_about: None,
            sold_out: false,
            waitlist: false,
        };
        assert_eq!(
            serde_json::to_string(&queued).unwrap(),
            r#"{"type":"queued","ticket":"t","ahead":0,"eta_secs":0}"#
        );
        assert_eq!(
            serde_json::to_string(&queued.with_sold_out(true)).unwrap(),
            r#"{"type":"queued","ticket":"t","ahead":0,"eta_secs":0,"sold_out":true}"#
        );
        assert_eq!(ServerMessage::Left.with_sold_out(true), ServerMessage::Left);
        assert_eq!(
            serde_json::to_string(&ServerMessage::Closed).unwrap(),
            r#"{"type":"closed"}"#
        );
    }

    #[test]
    fn places_carry_the_estimate_range_and_older_messages_still_parse() {
        use crate::estimate::EtaBasis;
        let msg = ServerMessage::Position {
            ahead: 1_614,
            eta_secs: 108,
            range: EtaRange {
                eta_low_secs: Some(100),
                eta_high_secs: Some(112),
                eta_basis: Some(EtaBasis::Rate),
            },
            ahead_about: Some(1_600),
            changed_at_ms: Some(1_764_923_456_789),
        };
        let text = serde_json::to_string(&msg).unwrap();
        assert_eq!(
            text,
            r#"{"type":"position","ahead":1614,"eta_secs":108,"eta_low_secs":100,"eta_high_secs":112,"eta_basis":"rate","ahead_about":1600,"changed_at_ms":1764923456789}"#
        );
        assert_eq!(serde_json::from_str::<ServerMessage>(&text).unwrap(), msg);
        let old: ServerMessage =
            serde_json::from_str(r#"{"type":"queued","ticket":"t","ahead":2,"eta_secs":3}"#)
                .unwrap();
        assert!(matches!(old, ServerMessage::Queued { range, .. } if range == EtaRange::default()));
        let old: ServerMessage =
            serde_json::from_str(r#"{"type":"position","ahead":2,"eta_secs":3}"#).unwrap();
        assert!(matches!(
            old,
            ServerMessage::Position {
                ahead_about: None,
                changed_at_ms: None,
                ..
            }
        ));
    }
}
