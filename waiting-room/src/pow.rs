//! Proof of work on join: a challenge bound to an account, an event, a difficulty and a
//! short expiry, and the check of a fan's solution to it.
//!
//! A challenge is a local token ([`SigningKeys::sign_local`]: HS256 under the key every
//! replica derives from the signing key, audience [`POW_AUDIENCE`]), so any replica
//! verifies it without shared state. Solving it means finding a nonce such that
//! `SHA-256(challenge ":" nonce)` — the challenge's ASCII bytes, one colon byte, the
//! nonce's ASCII bytes — starts with at least `difficulty` zero bits. The fan presents
//! the string it hashed, `<challenge>:<nonce>`. Each challenge may create one ticket:
//! its id (`jti`) is spent in the queue store in the same atomic step as the join
//! (see [`crate::store::PowGate`]).

pub mod adaptive;

use serde::{Deserialize, Serialize};

use crate::token::{SigningKeys, TokenError, ISSUER};
use crate::{EventId, UserId};

/// `aud` of challenges, so no other local token (a session) passes for one.
pub const POW_AUDIENCE: &str = "floodgate-pow";
/// The highest difficulty an event may ask (2^28 hashes: minutes on a phone).
pub const MAX_DIFFICULTY: u8 = 28;
/// The longest a nonce may be (ASCII letters, digits, `-` or `_`).
pub const MAX_NONCE_LEN: usize = 64;
/// What the challenge's `algorithm` says, for clients.
pub const ALGORITHM: &str = "sha256-leading-zero-bits";

/// A challenge as issued: the token to hash, the zero bits it asks for, and until when
/// a solution is accepted (Unix ms).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub challenge: String,
    pub difficulty: u8,
    pub expires_at_ms: i64,
}

/// A solution that checked out: what the store spends when it creates a ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Solved {
    /// The challenge's id (`jti`), single use.
    pub id: String,
    /// When the challenge expires (Unix ms): the store forgets the id after it.
    pub expires_at_ms: i64,
}

/// Why a presented solution was not accepted. Every one answers `pow_required` with a
/// fresh challenge; the message says what was wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PowRefusal {
    #[error("this sale asks your browser to solve a small puzzle before joining; solve the challenge and join again")]
    Missing,
    #[error("the puzzle solution is not in the form <challenge>:<nonce>; solve the challenge and join again")]
    Malformed,
    #[error(
        "the puzzle was not issued by this sale's servers; solve the new challenge and join again"
    )]
    Invalid,
    #[error(
        "the puzzle was issued for another account or sale; solve the new challenge and join again"
    )]
    NotYours,
    #[error("the puzzle expired before it was used; solve the new challenge and join again")]
    Expired,
    #[error("the nonce does not solve the puzzle (too few leading zero bits); solve the challenge and join again")]
    Unsolved,
    #[error("this puzzle solution was used already; solve the new challenge and join again")]
    Used,
}

/// The claims of a challenge.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct PowClaims {
    iss: String,
    aud: String,
    sub: UserId,
    evt: EventId,
    /// Leading zero bits asked.
    d: u8,
    /// Expiry, Unix ms (`exp` is its second, rounded up, for the JWT checks).
    exp_ms: i64,
    exp: i64,
    /// The challenge's id, spent by the join it pays for.
    jti: String,
}

/// Issues a challenge for `user` joining `event`, asking `difficulty` zero bits, valid
/// `ttl_ms` from `now_ms`.
pub fn issue(
    keys: &SigningKeys,
    event: EventId,
    user: UserId,
    difficulty: u8,
    now_ms: i64,
    ttl_ms: i64,
) -> Challenge {
    let expires_at_ms = now_ms + ttl_ms;
    let jti: [u8; 12] = rand::random();
    let claims = PowClaims {
        iss: ISSUER.to_owned(),
        aud: POW_AUDIENCE.to_owned(),
        sub: user,
        evt: event,
        d: difficulty,
        exp_ms: expires_at_ms,
        exp: (expires_at_ms + 999).div_euclid(1000),
        jti: base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, jti),
    };
    Challenge {
        challenge: keys.sign_local(&claims),
        difficulty,
        expires_at_ms,
    }
}

/// Checks `solution` (`<challenge>:<nonce>`) for `user` joining `event` at `now_ms`:
/// signed by this deployment, for this account and event, unexpired, and its hash
/// starting with the zero bits the challenge asks. Whether it was used already is the
/// store's to say.
pub fn check(
    keys: &SigningKeys,
    solution: &str,
    event: EventId,
    user: UserId,
    now_ms: i64,
) -> Result<Solved, PowRefusal> {
    let (challenge, nonce) = solution.rsplit_once(':').ok_or(PowRefusal::Malformed)?;
    let nonce_ok = !nonce.is_empty()
        && nonce.len() <= MAX_NONCE_LEN
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !nonce_ok {
        return Err(PowRefusal::Malformed);
    }
    let claims: PowClaims = keys
        .verify_local(challenge, POW_AUDIENCE)
        .map_err(|e| match e {
            TokenError::Expired => PowRefusal::Expired,
            _ => PowRefusal::Invalid,
        })?;
    if claims.sub != user || claims.evt != event {
        return Err(PowRefusal::NotYours);
    }
    if claims.exp_ms <= now_ms {
        return Err(PowRefusal::Expired);
    }
    let digest = ring::digest::digest(&ring::digest::SHA256, solution.as_bytes());
    if leading_zero_bits(digest.as_ref()) < u32::from(claims.d) {
        return Err(PowRefusal::Unsolved);
    }
    Ok(Solved {
        id: claims.jti,
        expires_at_ms: claims.exp_ms,
    })
}

/// Finds the first decimal nonce solving `challenge` at `difficulty`; returns the
/// solution to present (`<challenge>:<nonce>`) and how many hashes it took.
pub fn solve(challenge: &str, difficulty: u8) -> (String, u64) {
    let mut prefix = ring::digest::Context::new(&ring::digest::SHA256);
    prefix.update(challenge.as_bytes());
    prefix.update(b":");
    let mut buf = itoa_buf();
    for nonce in 0u64.. {
        let digits = itoa(nonce, &mut buf);
        let mut ctx = prefix.clone();
        ctx.update(digits);
        if leading_zero_bits(ctx.finish().as_ref()) >= u32::from(difficulty) {
            return (format!("{challenge}:{nonce}"), nonce + 1);
        }
    }
    unreachable!("some nonce below 2^64 solves any difficulty up to {MAX_DIFFICULTY}")
}

/// The number of zero bits `bytes` starts with.
pub fn leading_zero_bits(bytes: &[u8]) -> u32 {
    let mut bits = 0;
    for b in bytes {
        if *b == 0 {
            bits += 8;
        } else {
            return bits + b.leading_zeros();
        }
    }
    bits
}

fn itoa_buf() -> [u8; 20] {
    [0; 20]
}

/// `n` in decimal ASCII, written at the end of `buf`.
fn itoa(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (SigningKeys, EventId, UserId) {
        (SigningKeys::generate().0, EventId::new(), UserId::new())
    }

    #[test]
    fn zero_bits_are_counted_from_the_first_byte() {
        assert_eq!(leading_zero_bits(&[0xff]), 0);
        assert_eq!(leading_zero_bits(&[0x00, 0x10]), 11);
        assert_eq!(leading_zero_bits(&[0x00, 0x00]), 16);
        assert_eq!(itoa(0, &mut itoa_buf()), b"0");
        assert_eq!(itoa(1234567, &mut itoa_buf()), b"1234567");
    }

    #[test]
    fn a_solution_checks_out_for_its_account_and_event_only() {
        let (keys, event, user) = ids();
        let now = crate::clock::now_ms();
        let c = issue(&keys, event, user, 8, now, 120_000);
        let (solution, _) = solve(&c.challenge, 8);
        let digest = ring::digest::digest(&ring::digest::SHA256, solution.as_bytes());
        assert!(leading_zero_bits(digest.as_ref()) >= 8);
        let ok = check(&keys, &solution, event, user, now + 1).unwrap();
        assert_eq!(ok.expires_at_ms, now + 120_000);
        let other = UserId::new();
        assert_eq!(
            check(&keys, &solution, event, other, now),
            Err(PowRefusal::NotYours)
        );
        assert_eq!(
            check(&keys, &solution, EventId::new(), user, now),
            Err(PowRefusal::NotYours)
        );
        assert_eq!(
            check(&keys, &solution, event, user, now + 120_000),
            Err(PowRefusal::Expired)
        );
        let stale = issue(&keys, event, user, 0, now - 600_000, 120_000);
        assert_eq!(
            check(&keys, &format!("{}:0", stale.challenge), event, user, now),
            Err(PowRefusal::Expired)
        );
        let other_keys = SigningKeys::generate().0;
        assert_eq!(
            check(&other_keys, &solution, event, user, now),
            Err(PowRefusal::Invalid)
        );
    }

    #[test]
    fn a_wrong_nonce_or_form_is_refused() {
        let (keys, event, user) = ids();
        let now = crate::clock::now_ms();
        let c = issue(&keys, event, user, 20, now, 120_000);
        // Find a nonce that does NOT reach 20 bits (almost all do not).
        let bad = (0..100)
            .map(|n| format!("{}:{n}", c.challenge))
            .find(|s| {
                let d = ring::digest::digest(&ring::digest::SHA256, s.as_bytes());
                leading_zero_bits(d.as_ref()) < 20
            })
            .unwrap();
        assert_eq!(
            check(&keys, &bad, event, user, now),
            Err(PowRefusal::Unsolved)
        );
        for malformed in ["", "nocolon", "x:", "x:a b", &format!("{}:é", c.challenge)] {
            assert_eq!(
                check(&keys, malformed, event, user, now),
                Err(PowRefusal::Malformed),
                "{malformed}"
            );
        }
        assert_eq!(
            check(&keys, "not.a.token:1", event, user, now),
            Err(PowRefusal::Invalid)
        );
    }
}
