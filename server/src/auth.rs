//! Accounts' secrets: argon2id password hashes and session tokens (HS256 JWTs with
//! audience `session`, under the HMAC key every replica derives from the signing key;
//! only Floodgate reads them, and a rush verifies one per queue socket, so they skip
//! Ed25519's cost. The pinned algorithm and audience keep one kind of token from
//! passing for the other).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};
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
}

/// Signs a session for `user`, valid `ttl_secs` from `now_secs`.
pub fn issue_session(
    keys: &SigningKeys,
    user: UserId,
    admin: bool,
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
    };
    (keys.sign_local(&claims), claims.exp)
}

pub fn verify_session(keys: &SigningKeys, token: &str) -> Result<SessionClaims, TokenError> {
    keys.verify_local(token, SESSION_AUDIENCE)
}

/// Argon2id with a configurable memory cost; hashing runs on the blocking pool.
#[derive(Clone)]
pub struct Passwords {
    params: Params,
}

impl Passwords {
    pub fn new(memory_kib: u32) -> anyhow::Result<Self> {
        let params = Params::new(memory_kib, 2, 1, None)
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        Ok(Self { params })
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    pub async fn hash(&self, password: String) -> anyhow::Result<String> {
        let argon = self.argon();
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
        tokio::task::spawn_blocking(move || {
            let parsed =
                PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
            Ok(argon.verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await?
    }

    /// A hash to verify against when the account does not exist, so a login for an
    /// unknown email costs the same time as a wrong password.
    pub async fn dummy_hash(&self) -> anyhow::Result<String> {
        self.hash("not a real password".to_owned()).await
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

    #[test]
    fn sessions_are_not_purchase_tokens() {
        let (keys, _) = SigningKeys::generate();
        let user = UserId::new();
        let now = waiting_room::clock::now_ms() / 1000;
        let (token, _) = issue_session(&keys, user, true, now, 60);
        let claims = verify_session(&keys, &token).unwrap();
        assert_eq!((claims.sub, claims.adm), (user, true));
        assert!(keys
            .verify_purchase(&token, waiting_room::EventId::new())
            .is_err());
    }
}
