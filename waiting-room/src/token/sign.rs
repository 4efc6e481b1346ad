//! Signing and verifying tokens with the [`SigningKeys`]: EdDSA for purchase tokens
//! (anyone may verify them with the JWKS), HS256 for local ones; the algorithm is
//! pinned on every verify, and the key is the one the `kid` header names (signing or
//! verify-only); a token with no `kid`, or an unknown one, is refused.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::batch::{BatchStats, Check};
use super::keys::{Key, SigningKeys};
use super::{PurchaseClaims, TokenError, VerifiedTokens, ISSUER, LEEWAY_SECS, PURCHASE_AUDIENCE};
use crate::EventId;

impl SigningKeys {
    /// Signs any claims with the signing key, its `kid` in the header.
    pub fn sign<C: Serialize>(&self, claims: &C) -> String {
        self.sign_with(Algorithm::EdDSA, &self.signing().encoding, claims)
    }

    /// Verifies signature (EdDSA only, under the key of the `kid` header), issuer,
    /// audience, `exp` and `nbf`. The signature is checked with `ed25519-dalek`
    /// ([`check_ed25519`]), whose vectorised arithmetic verifies in about half the
    /// time of `jsonwebtoken`'s (`ring`'s portable code); the claims are then read and
    /// checked by `jsonwebtoken`, as for every other token.
    pub fn verify<C: DeserializeOwned>(
        &self,
        token: &str,
        audience: &str,
    ) -> Result<C, TokenError> {
        let key = self.key_of(token, Algorithm::EdDSA)?;
        check_ed25519(token, key)?;
        verify_with(token, audience, Algorithm::EdDSA, None)
    }

    /// Verifies a purchase token as [`Self::verify`] does with [`PURCHASE_AUDIENCE`],
    /// except that the signature of a token verified before under these keys, byte for
    /// byte, is not checked again (issuer, audience and times are; see
    /// [`VerifiedTokens`]).
    pub fn verify_purchase_token(&self, token: &str) -> Result<PurchaseClaims, TokenError> {
        let digest = VerifiedTokens::digest(token);
        if self.verified.contains(&digest) {
            return verify_with(token, PURCHASE_AUDIENCE, Algorithm::EdDSA, None);
        }
        let claims = self.verify(token, PURCHASE_AUDIENCE)?;
        self.verified.insert(digest);
        Ok(claims)
    }

    /// [`Self::verify_purchase_token`] for the checkout's requests: the signature of a
    /// token not verified before is checked in a batch with those of concurrent requests
    /// (see [`super::batch`]); a batch with a bad signature refuses only that one.
    pub async fn check_purchase_token(&self, token: &str) -> Result<PurchaseClaims, TokenError> {
        let digest = VerifiedTokens::digest(token);
        if !self.verified.contains(&digest) {
            let key = self.key_of(token, Algorithm::EdDSA)?;
            let (message, signature) = split_ed25519(token)?;
            let check = Check {
                key: key.verifying,
                message: message.as_bytes().to_vec(),
                signature,
            };
            match self.batcher.check(check).await {
                Some(true) => {}
                Some(false) => return Err(TokenError::Invalid("InvalidSignature".into())),
                // The batch thread died with the check: check it here.
                None => check_ed25519(token, key)?,
            }
            let claims = verify_with(token, PURCHASE_AUDIENCE, Algorithm::EdDSA, None)?;
            self.verified.insert(digest);
            return Ok(claims);
        }
        verify_with(token, PURCHASE_AUDIENCE, Algorithm::EdDSA, None)
    }

    /// What the batch checks of [`Self::check_purchase_token`] have done so far.
    pub fn signature_batches(&self) -> BatchStats {
        self.batcher.stats()
    }

    /// How many purchase tokens [`Self::verify_purchase_token`] keeps as verified.
    pub fn verified_purchase_tokens(&self) -> usize {
        self.verified.len()
    }

    /// Signs claims only Floodgate replicas will verify (HS256 under the signing
    /// key's derived key, `kid` in the header).
    pub fn sign_local<C: Serialize>(&self, claims: &C) -> String {
        self.sign_with(Algorithm::HS256, &self.signing().local_encoding, claims)
    }

    fn sign_with<C: Serialize>(&self, alg: Algorithm, key: &EncodingKey, claims: &C) -> String {
        let mut header = Header::new(alg);
        header.kid = Some(self.kid().to_owned());
        jsonwebtoken::encode(&header, claims, key)
            .expect("signing serialisable claims with a valid key cannot fail")
    }

    /// Verifies a token of [`Self::sign_local`]: HS256 only, under the key derived
    /// from the one its `kid` names, issuer, audience, times.
    pub fn verify_local<C: DeserializeOwned>(
        &self,
        token: &str,
        audience: &str,
    ) -> Result<C, TokenError> {
        let key = self.key_of(token, Algorithm::HS256)?;
        verify_with(token, audience, Algorithm::HS256, Some(&key.local_decoding))
    }

    /// Verifies a purchase token for `event`.
    pub fn verify_purchase(
        &self,
        token: &str,
        event: EventId,
    ) -> Result<PurchaseClaims, TokenError> {
        let claims = self.verify_purchase_token(token)?;
        if claims.evt != event {
            return Err(TokenError::WrongEvent);
        }
        Ok(claims)
    }

    /// The key the token's `kid` header names, for a token whose header's `alg` is
    /// `alg` (any other is refused).
    fn key_of(&self, token: &str, alg: Algorithm) -> Result<&Key, TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| TokenError::Invalid(e.to_string()))?;
        if header.alg != alg {
            return Err(TokenError::Invalid("InvalidAlgorithm".into()));
        }
        let kid = header
            .kid
            .ok_or_else(|| TokenError::Invalid("no kid in the header".into()))?;
        self.by_kid(&kid)
            .ok_or_else(|| TokenError::Invalid("unknown kid".into()))
    }
}

/// Checks the Ed25519 signature of `token` (`header.claims.signature`, its header's
/// `alg` checked by [`SigningKeys::key_of`]) under `key`, strictly: RFC 8032's
/// canonical `s`, and no small-order `R` or key.
fn check_ed25519(token: &str, key: &Key) -> Result<(), TokenError> {
    let (message, signature) = split_ed25519(token)?;
    key.verifying
        .verify_strict(message.as_bytes(), &signature)
        .map_err(|_| TokenError::Invalid("InvalidSignature".into()))
}

/// The signed part of `token` (`header.claims`) and its decoded signature.
fn split_ed25519(token: &str) -> Result<(&str, ed25519_dalek::Signature), TokenError> {
    let invalid = |what: &str| TokenError::Invalid(what.into());
    let (message, signature) = token.rsplit_once('.').ok_or_else(|| invalid("not a JWT"))?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .ok()
        .and_then(|bytes| ed25519_dalek::Signature::from_slice(&bytes).ok())
        .ok_or_else(|| invalid("bad signature encoding"))?;
    Ok((message, signature))
}

/// Verifies signature (`alg` pinned) under `key`, issuer, audience, `exp` and `nbf`;
/// without a key, all but the signature (a token whose very bytes were verified
/// before, see [`VerifiedTokens`]).
fn verify_with<C: DeserializeOwned>(
    token: &str,
    audience: &str,
    alg: Algorithm,
    key: Option<&DecodingKey>,
) -> Result<C, TokenError> {
    let mut validation = Validation::new(alg);
    let unchecked = DecodingKey::from_secret(&[]);
    let key = key.unwrap_or_else(|| {
        validation.insecure_disable_signature_validation();
        &unchecked
    });
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
