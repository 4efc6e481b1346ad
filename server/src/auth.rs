//! Accounts' secrets: argon2id password hashes and session tokens (HS256 JWTs with
//! audience `session`, under the HMAC key every replica derives from the signing key;
//! only Floodgate reads them, and a rush verifies one per queue socket, so they skip
//! Ed25519's cost. The pinned algorithm and audience keep one kind of token from
//! passing for the other). A session names itself (`sid`) and its account's session
//! generation (`gen`), so it can be revoked: see [`crate::revocations`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;
use waiting_room::token::{SigningKeys, TokenError, ISSUER};
use waiting_room::UserId;

pub const SESSION_AUDIENCE: &str = "session";

/// Claims of a session token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    pub iss: String,
    pub aud: String,
    pub sub: UserId,
    /// Whether the account is an admin (re-checked nowhere else: keep sessions short).
    pub adm: bool,
    pub iat: i64,
    pub exp: i64,
    /// This session's id (random), by which sign-out revokes it.
    pub sid: String,
    /// The account's session generation at sign-in: a password change or "sign out
    /// everywhere" bumps it, which ends every session below it.
    pub gen: i64,
}

/// Signs a new session (a fresh `sid`) for `user` at its session `generation`, valid
/// `ttl_secs` from `now_secs`.
pub fn issue_session(
    keys: &SigningKeys,
    user: UserId,
    admin: bool,
    generation: i64,
    now_secs: i64,
    ttl_secs: i64,
) -> (String, i64) {
    let claims = SessionClaims {
        iss: ISSUER.to_owned(),
        aud: SESSION_AUDIENCE.to_owned(),
        sub: user,
        adm: admin,
        iat: now_secs,
        exp: now_secs + ttl_secs,
        sid: uuid::Uuid::new_v4().simple().to_string(),
        gen: generation,
    };
    (keys.sign_local(&claims), claims.exp)
}

/// Verifies a session under the key its `kid` names: the signing key's derived key,
/// or a verify-only key's during a rotation, so sessions outlive the switch.
pub fn verify_session(keys: &SigningKeys, token: &str) -> Result<SessionClaims, TokenError> {
    keys.verify_local(token, SESSION_AUDIENCE)
}

/// Argon2id with a configurable memory cost; hashing runs on the blocking pool.
#[derive(Clone)]
pub struct Passwords {
    params: Params,
    runs: Arc<RunCounters>,
    /// A hash of no one's password, made once with the same parameters as real ones.
    dummy: Arc<OnceCell<String>>,
}

/// How many times argon2 ran, by kind (see [`Passwords::runs`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ArgonRuns {
    pub hashes: u64,
    pub verifies: u64,
}

#[derive(Default)]
struct RunCounters {
    hashes: AtomicU64,
    verifies: AtomicU64,
}

impl Passwords {
    pub fn new(memory_kib: u32) -> anyhow::Result<Self> {
        let params = Params::new(memory_kib, 2, 1, None)
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        Ok(Self {
            params,
            runs: Arc::default(),
            dummy: Arc::default(),
        })
    }

    /// Argon2 runs so far: a login must cost the same whether or not the email is
    /// known, and tests hold it to that by counting.
    pub fn runs(&self) -> ArgonRuns {
        ArgonRuns {
            hashes: self.runs.hashes.load(Ordering::Relaxed),
            verifies: self.runs.verifies.load(Ordering::Relaxed),
        }
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    pub async fn hash(&self, password: String) -> anyhow::Result<String> {
        let argon = self.argon();
        self.runs.hashes.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
        })
        .await?
    }

    /// Whether `password` matches `hash` (parameters are read from the hash itself).
    pub async fn verify(&self, password: String, hash: String) -> anyhow::Result<bool> {
        let argon = self.argon();
        self.runs.verifies.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let parsed =
                PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
            Ok(argon.verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await?
    }

    /// A hash to verify against when the account does not exist, so a login for an
    /// unknown email costs what a wrong password costs: one argon2 verification. Made
    /// on the first call (start-up makes it, see [`crate::Application::build`]) and
    /// kept: making it per login would run argon2 twice for unknown emails.
    pub async fn dummy_hash(&self) -> anyhow::Result<String> {
        let hash = self
            .dummy
            .get_or_try_init(|| self.hash("not a real password".to_owned()))
            .await?;
        Ok(hash.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_are_argon2id() {
        let p = Passwords::new(1024).unwrap();
        let h = p.hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(p.verify("correct horse".into(), h.clone()).await.unwrap());
        assert!(!p.verify("wrong".into(), h).await.unwrap());
    }

    #[tokio::test]
    async fn the_dummy_hash_is_made_once() {
        let p = Passwords::new(1024).unwrap();
        let first = p.dummy_hash().await.unwrap();
        assert!(first.starts_with("$argon2id$"));
        assert_eq!(p.dummy_hash().await.unwrap(), first);
        assert_eq!(
            p.runs(),
            ArgonRuns {
                hashes: 1,
                verifies: 0
            }
        );
    }

    #[test]
    fn sessions_are_not_purchase_tokens() {
        let (keys, _) = SigningKeys::generate();
        let user = UserId::new();
        let now = waiting_room::clock::now_ms() / 1000;
        let (token, _) = issue_session(&keys, user, true, 3, now, 60);
        let claims = verify_session(&keys, &token).unwrap();
        assert_eq!((claims.sub, claims.adm, claims.gen), (user, true, 3));
        assert_eq!(claims.sid.len(), 32);
        let (other, _) = issue_session(&keys, user, true, 3, now, 60);
        assert_ne!(verify_session(&keys, &other).unwrap().sid, claims.sid);
        assert!(keys
            .verify_purchase(&token, waiting_room::EventId::new())
            .is_err());
    }
}
