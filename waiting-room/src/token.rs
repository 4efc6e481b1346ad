//! Purchase tokens: short-lived JWTs (EdDSA / Ed25519) that an admitted fan presents
//! to the checkout. The signer and the verifier share [`SigningKeys`]; the public half
//! is published as a JWKS so other services can verify too.
//!
//! Tokens only Floodgate itself reads (sessions) are HS256 instead, under a key derived
//! from the same private key with HKDF: verifying one costs about a microsecond where
//! Ed25519 costs about fifty, and every queue socket of a rush presents one.
//!
//! Verification pins the algorithm (no `alg: none`, no HMAC confusion), and checks
//! issuer, audience, `nbf`/`exp` and the event. Single use of `jti` up to `max_seats`
//! is the checkout's job, counted atomically with the hold.

use std::path::Path;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::{EventId, TicketId, UserId};

/// `iss` of every token Floodgate signs.
pub const ISSUER: &str = "floodgate";
/// `aud` of purchase tokens.
pub const PURCHASE_AUDIENCE: &str = "checkout";
/// Seconds of clock skew tolerated between replicas on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 2;

/// The claims of a purchase token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseClaims {
    pub iss: String,
    pub aud: String,
    pub sub: UserId,
    pub evt: EventId,
    pub tkt: TicketId,
    pub jti: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
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

/// The Ed25519 key pair that signs purchase tokens, and the HMAC key derived from it
/// that signs the tokens only Floodgate reads (sessions).
#[derive(Clone)]
pub struct SigningKeys {
    kid: String,
    public: Vec<u8>,
    encoding: EncodingKey,
    decoding: DecodingKey,
    local_encoding: EncodingKey,
    local_decoding: DecodingKey,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKeys {
    /// A fresh key pair, and its PKCS#8 PEM to keep.
    pub fn generate() -> (Self, String) {
        let rng = ring::rand::SystemRandom::new();
        let der = Ed25519KeyPair::generate_pkcs8(&rng).expect("system RNG available");
        let pem = to_pem(der.as_ref());
        (
            Self::from_pkcs8_der(der.as_ref()).expect("ring made it"),
            pem,
        )
    }

    /// Parses a PKCS#8 PEM (`openssl genpkey -algorithm ed25519` makes one).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let body: String = pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .map(str::trim)
            .collect();
        let der = STANDARD
            .decode(body)
            .map_err(|_| KeyError::Format("(inline)".into()))?;
        Self::from_pkcs8_der(&der).ok_or_else(|| KeyError::Format("(inline)".into()))
    }

    /// Loads the PEM at `path`, or, when the file does not exist and `create` is set,
    /// generates a key and writes it there (mode 0600).
    pub fn load_or_create(path: &Path, create: bool) -> Result<Self, KeyError> {
        let io = |source| KeyError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(path) {
            Ok(pem) => {
                Self::from_pem(&pem).map_err(|_| KeyError::Format(path.display().to_string()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let (keys, pem) = Self::generate();
                write_private(path, &pem).map_err(io)?;
                Ok(keys)
            }
            Err(e) => Err(io(e)),
        }
    }

    fn from_pkcs8_der(der: &[u8]) -> Option<Self> {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).ok()?;
        let public = pair.public_key().as_ref().to_vec();
        let digest = ring::digest::digest(&ring::digest::SHA256, &public);
        let kid = URL_SAFE_NO_PAD.encode(&digest.as_ref()[..12]);
        let local = local_key(der);
        Some(Self {
            kid,
            encoding: EncodingKey::from_ed_der(der),
            decoding: DecodingKey::from_ed_der(&public),
            local_encoding: EncodingKey::from_secret(&local),
            local_decoding: DecodingKey::from_secret(&local),
            public,
        })
    }

    /// The key id carried in every token's header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JSON Web Key Set.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "OKP",
                "crv": "Ed25519",
                "alg": "EdDSA",
                "use": "sig",
                "kid": self.kid,
                "x": URL_SAFE_NO_PAD.encode(&self.public),
            }]
        })
    }

    /// Signs any claims with this key, `kid` in the header.
    pub fn sign<C: Serialize>(&self, claims: &C) -> String {
        self.sign_with(Algorithm::EdDSA, &self.encoding, claims)
    }

    /// Verifies signature (EdDSA only), issuer, audience, `exp` and `nbf`.
    pub fn verify<C: DeserializeOwned>(
        &self,
        token: &str,
        audience: &str,
    ) -> Result<C, TokenError> {
        verify_with(token, audience, Algorithm::EdDSA, &self.decoding)
    }

    /// Signs claims only Floodgate replicas will verify (HS256 under the derived key,
    /// `kid` in the header).
    pub fn sign_local<C: Serialize>(&self, claims: &C) -> String {
        self.sign_with(Algorithm::HS256, &self.local_encoding, claims)
    }

    fn sign_with<C: Serialize>(&self, alg: Algorithm, key: &EncodingKey, claims: &C) -> String {
        let mut header = Header::new(alg);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, key)
            .expect("signing serialisable claims with a valid key cannot fail")
    }

    /// Verifies a token of [`Self::sign_local`]: HS256 only, issuer, audience, times.
    pub fn verify_local<C: DeserializeOwned>(
        &self,
        token: &str,
        audience: &str,
    ) -> Result<C, TokenError> {
        verify_with(token, audience, Algorithm::HS256, &self.local_decoding)
    }

    /// Verifies a purchase token for `event`.
    pub fn verify_purchase(
        &self,
        token: &str,
        event: EventId,
    ) -> Result<PurchaseClaims, TokenError> {
        let claims: PurchaseClaims = self.verify(token, PURCHASE_AUDIENCE)?;
        if claims.evt != event {
            return Err(TokenError::WrongEvent);
        }
        Ok(claims)
    }
}

/// Verifies signature (`alg` pinned), issuer, audience, `exp` and `nbf`.
fn verify_with<C: DeserializeOwned>(
    token: &str,
    audience: &str,
    alg: Algorithm,
    key: &DecodingKey,
) -> Result<C, TokenError> {
    let mut validation = Validation::new(alg);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[ISSUER]);
    validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    validation.validate_nbf = true;
    validation.leeway = LEEWAY_SECS;
    jsonwebtoken::decode::<C>(token, key, &validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
            _ => TokenError::Invalid(e.to_string()),
        })
}

/// The HMAC key for local tokens: HKDF-SHA256 of the private key's PKCS#8 bytes, so
/// every replica sharing the signing key derives the same one, and it reveals nothing
/// about the Ed25519 key.
fn local_key(der: &[u8]) -> [u8; 32] {
    struct Len;
    impl ring::hkdf::KeyType for Len {
        fn len(&self) -> usize {
            32
        }
    }
    let prk = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"floodgate").extract(der);
    let mut key = [0u8; 32];
    prk.expand(&[b"local-token-hs256-v1"], Len)
        .and_then(|okm| okm.fill(&mut key))
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    key
}

fn to_pem(der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(chunk).expect("base64 is ascii"));
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    pem
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::now_ms;

    fn claims(event: EventId, admitted_at_ms: i64, ttl_ms: i64) -> PurchaseClaims {
        PurchaseClaims::new(
            UserId::new(),
            event,
            &TicketId::new(),
            admitted_at_ms,
            admitted_at_ms + ttl_ms,
            4,
        )
    }

    #[test]
    fn round_trip_and_deterministic() {
        let (keys, _) = SigningKeys::generate();
        let event = EventId::new();
        let c = claims(event, now_ms(), 60_000);
        let token = keys.sign(&c);
        assert_eq!(token, keys.sign(&c), "same claims, same token");
        assert_eq!(keys.verify_purchase(&token, event).unwrap(), c);
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.alg, Algorithm::EdDSA);
        assert_eq!(header.kid.as_deref(), Some(keys.kid()));
    }

    #[test]
    fn refuses_expired_wrong_event_wrong_audience_and_other_keys() {
        let (keys, _) = SigningKeys::generate();
        let event = EventId::new();
        let expired = keys.sign(&claims(event, now_ms() - 120_000, 60_000));
        assert_eq!(
            keys.verify_purchase(&expired, event),
            Err(TokenError::Expired)
        );
        let good = keys.sign(&claims(event, now_ms(), 60_000));
        assert_eq!(
            keys.verify_purchase(&good, EventId::new()),
            Err(TokenError::WrongEvent)
        );
        assert!(matches!(
            keys.verify::<PurchaseClaims>(&good, "session"),
            Err(TokenError::Invalid(_))
        ));
        let (other, _) = SigningKeys::generate();
        assert!(other.verify_purchase(&good, event).is_err());
    }

    #[test]
    fn local_tokens_are_hs256_under_a_key_only_the_signer_derives() {
        let (keys, pem) = SigningKeys::generate();
        let event = EventId::new();
        let c = claims(event, now_ms(), 60_000);
        let local = keys.sign_local(&c);
        assert_eq!(
            jsonwebtoken::decode_header(&local).unwrap().alg,
            Algorithm::HS256
        );
        let back: PurchaseClaims = keys.verify_local(&local, PURCHASE_AUDIENCE).unwrap();
        assert_eq!(back, c);
        // A replica loading the same PEM derives the same key.
        let twin = SigningKeys::from_pem(&pem).unwrap();
        assert!(twin
            .verify_local::<PurchaseClaims>(&local, PURCHASE_AUDIENCE)
            .is_ok());
        // Neither kind passes for the other: the algorithm is pinned both ways.
        assert!(keys.verify_purchase(&local, event).is_err());
        let signed = keys.sign(&c);
        assert!(keys
            .verify_local::<PurchaseClaims>(&signed, PURCHASE_AUDIENCE)
            .is_err());
        // Another key, a tampered payload, the wrong audience, an expired token.
        let (other, _) = SigningKeys::generate();
        assert!(other
            .verify_local::<PurchaseClaims>(&local, PURCHASE_AUDIENCE)
            .is_err());
        let mut parts: Vec<String> = local.split('.').map(str::to_owned).collect();
        let mut forged = c.clone();
        forged.max_seats = 40;
        parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        assert!(keys
            .verify_local::<PurchaseClaims>(&parts.join("."), PURCHASE_AUDIENCE)
            .is_err());
        assert!(keys
            .verify_local::<PurchaseClaims>(&local, "session")
            .is_err());
        let old = claims(event, now_ms() - 600_000, 60_000);
        assert!(matches!(
            keys.verify_local::<PurchaseClaims>(&keys.sign_local(&old), PURCHASE_AUDIENCE),
            Err(TokenError::Expired)
        ));
    }

    #[test]
    fn pem_round_trip_and_file_kept() {
        let dir = std::env::temp_dir().join(format!("fg-key-{}", TicketId::new()));
        let path = dir.join("signing.pem");
        let a = SigningKeys::load_or_create(&path, true).unwrap();
        let b = SigningKeys::load_or_create(&path, true).unwrap();
        assert_eq!(a.kid(), b.kid(), "generated once, then kept");
        assert!(SigningKeys::load_or_create(&dir.join("missing.pem"), false).is_err());
        std::fs::write(dir.join("bad.pem"), "not a key").unwrap();
        assert!(matches!(
            SigningKeys::load_or_create(&dir.join("bad.pem"), false),
            Err(KeyError::Format(_))
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
