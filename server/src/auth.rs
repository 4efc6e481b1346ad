//! Accounts' secrets: argon2id password hashes and session tokens (HS256 JWTs with
//! audience `session`, under the HMAC key every replica derives from the signing key;
//! only Floodgate reads them, and a rush verifies one per queue socket, so they skip
//! Ed25519's cost. The pinned algorithm and audience keep one kind of token from
//! passing for the other). A session names itself (`sid`) and its account's session
//! generation (`gen`), so it can be revoked: see [`crate::revocations`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use std::net::IpAddr;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;
use waiting_room::token::{SigningKeys, TokenError, ISSUER};
use waiting_room::UserId;

use crate::argon_pool::{ArgonPool, Busy, PoolSize, Requester};
use crate::limits::client_key;
use crate::password_rules::{self, Weak};

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

/// Argon2id with a configurable memory cost, run on the bounded [`ArgonPool`]: at
/// most its threads' worth of runs at once, each in its worker's reused buffer.
#[derive(Clone)]
pub struct Passwords {
    params: Params,
    pool: ArgonPool,
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

/// Why a client's password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The pool refused the run (503 `overloaded` or 429 `rate_limited`).
    #[error(transparent)]
    Busy(#[from] Busy),
    /// A new password is refused (400 `weak_password`).
    #[error(transparent)]
    Weak(#[from] Weak),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl Passwords {
    pub fn new(memory_kib: u32, pool: PoolSize) -> anyhow::Result<Self> {
        let params = Params::new(memory_kib, 2, 1, None)
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        Ok(Self {
            pool: ArgonPool::new(pool, params.block_count()),
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

    /// Hashes a password the server chose or was given (the bootstrap admin's):
    /// never refused, no rules applied.
    pub async fn hash(&self, password: String) -> anyhow::Result<String> {
        let (params, runs) = (self.params.clone(), Arc::clone(&self.runs));
        self.pool
            .run(Requester::Server, move |blocks| {
                runs.hashes.fetch_add(1, Ordering::Relaxed);
                hash_into(&params, password.as_bytes(), blocks)
            })
            .await
            .map_err(anyhow::Error::from)?
    }

    /// Hashes a new password of the account `email` for `client` (its address): the
    /// guessability rule ([`password_rules::check_guessable`]) runs on the pool too.
    pub async fn hash_new(
        &self,
        client: IpAddr,
        password: String,
        email: String,
    ) -> Result<String, PasswordError> {
        let (params, runs) = (self.params.clone(), Arc::clone(&self.runs));
        let who = Requester::Client(client_key(client));
        self.pool
            .run(who, move |blocks| {
                password_rules::check_guessable(&password, &email)?;
                runs.hashes.fetch_add(1, Ordering::Relaxed);
                Ok(hash_into(&params, password.as_bytes(), blocks)?)
            })
            .await?
    }

    /// Whether `password` matches `hash` (parameters are read from the hash itself).
    pub async fn verify(&self, password: String, hash: String) -> anyhow::Result<bool> {
        let runs = Arc::clone(&self.runs);
        self.pool
            .run(Requester::Server, move |blocks| {
                runs.verifies.fetch_add(1, Ordering::Relaxed);
                verify_into(password.as_bytes(), &hash, blocks)
            })
            .await
            .map_err(anyhow::Error::from)?
    }

    /// [`Passwords::verify`] for `client` (its address), counted against its share
    /// of the pool's queue.
    pub async fn verify_for(
        &self,
        client: IpAddr,
        password: String,
        hash: String,
    ) -> Result<bool, PasswordError> {
        let runs = Arc::clone(&self.runs);
        let who = Requester::Client(client_key(client));
        Ok(self
            .pool
            .run(who, move |blocks| {
                runs.verifies.fetch_add(1, Ordering::Relaxed);
                verify_into(password.as_bytes(), &hash, blocks)
            })
            .await??)
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

/// Argon2id of `password` under a fresh salt, in `blocks`: the PHC string.
fn hash_into(params: &Params, password: &[u8], blocks: &mut Vec<Block>) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            password,
            salt_bytes,
            &mut out,
            sized(blocks, params.block_count()),
        )
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| anyhow::anyhow!("params: {e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| anyhow::anyhow!("output: {e}"))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` gives the PHC string `hash` (its algorithm, version,
/// parameters and salt), computed in `blocks`; compared in constant time.
fn verify_into(password: &[u8], hash: &str, blocks: &mut Vec<Block>) -> anyhow::Result<bool> {
    let bad = |e: &dyn std::fmt::Display| anyhow::anyhow!("stored hash: {e}");
    let parsed = PasswordHash::new(hash).map_err(|e| bad(&e))?;
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(|e| bad(&e))?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).map_err(|e| bad(&e))?,
        None => Version::default(),
    };
    let params = Params::try_from(&parsed).map_err(|e| bad(&e))?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(bad(&"no salt or no hash"));
    };
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(|e| bad(&e))?;
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params.clone())
        .hash_password_into_with_memory(
            password,
            salt_bytes,
            &mut out,
            sized(blocks, params.block_count()),
        )
        .map_err(|e| bad(&e))?;
    // `Output`'s equality is constant-time.
    Ok(Output::new(&out).map_err(|e| bad(&e))? == expected)
}

/// The first `n` blocks of the worker's buffer, grown to them if needed. Reuse is
/// sound: argon2's first pass writes every block before reading it.
fn sized(blocks: &mut Vec<Block>, n: usize) -> &mut [Block] {
    if blocks.len() < n {
        blocks.resize(n, Block::default());
    }
    &mut blocks[..n]
}

#[cfg(test)]
mod tests;
