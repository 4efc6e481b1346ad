//! Purchase tokens: short-lived JWTs (EdDSA / Ed25519) that an admitted fan presents
//! to the checkout. The signer and the verifier share [`SigningKeys`]; the public half
//! is published as a JWKS so other services can verify too.
//!
//! Tokens only Floodgate itself reads (sessions) are HS256 instead, under a key derived
//! from the same private key with HKDF: verifying one costs about a microsecond where
//! Ed25519 costs about fifty, and every queue socket of a rush presents one.
//!
//! The checkout checks a new purchase token's signature in a batch with those of
//! concurrent requests ([`batch`]); a token verified before is not checked again
//! ([`VerifiedTokens`]).
//!
//! Verification pins the algorithm (no `alg: none`, no HMAC confusion), and checks
//! issuer, audience, `nbf`/`exp` and the event. Single use of `jti` up to `max_seats`
//! is the checkout's job, counted atomically with the hold.

pub mod batch;
mod keys;
mod sign;
#[cfg(test)]
mod tests;
mod verified;

use serde::{Deserialize, Serialize};

pub use keys::{Jwk, Jwks, SigningKeys};
pub use verified::VerifiedTokens;

use crate::{EventId, TicketId, UserId};

/// `iss` of every token Floodgate signs.
pub const ISSUER: &str = "floodgate";
/// `aud` of purchase tokens.
pub const PURCHASE_AUDIENCE: &str = "checkout";
/// Seconds of clock skew tolerated between replicas on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 2;

/// The claims of a purchase token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = PurchaseTokenClaims))]
pub struct PurchaseClaims {
    #[cfg_attr(feature = "openapi", schema(pattern = "^floodgate$"))]
    pub iss: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^checkout$"))]
    pub aud: String,
    pub sub: UserId,
    pub evt: EventId,
    pub tkt: TicketId,
    #[cfg_attr(
        feature = "openapi",
        schema(example = "0190f5d2-8c1e-7a3b-9f00-1234567890ab.5f0c9d3e2b7a4c1e8d6f0a9b8c7d6e5f")
    )]
    pub jti: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub max_seats: u32,
}

impl PurchaseClaims {
    /// Claims for a fan admitted at `admitted_at_ms` whose session ends at
    /// `expires_at_ms`. Deterministic, so re-signing after a reconnect yields the very
    /// same token (Ed25519 signatures are deterministic too).
    pub fn new(
        user: UserId,
        event: EventId,
        ticket: &TicketId,
        admitted_at_ms: i64,
        expires_at_ms: i64,
        max_seats: u32,
    ) -> Self {
        Self {
            iss: ISSUER.to_owned(),
            aud: PURCHASE_AUDIENCE.to_owned(),
            sub: user,
            evt: event,
            tkt: ticket.clone(),
            jti: format!("{event}.{ticket}"),
            iat: admitted_at_ms / 1000,
            nbf: admitted_at_ms / 1000,
            exp: (expires_at_ms + 999).div_euclid(1000),
            max_seats,
        }
    }
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("token expired")]
    Expired,
    #[error("token is for another event")]
    WrongEvent,
    #[error("invalid token: {0}")]
    Invalid(String),
}

/// Errors loading or creating the signing key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("reading signing key {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("signing key {0} is not an Ed25519 PKCS#8 PEM")]
    Format(String),
}
