use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Algorithm;
use proptest::prelude::*;

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

/// A rotation: B signs, A is verify-only.
#[test]
fn a_verified_purchase_token_is_not_checked_again_but_still_expires() {
    let (keys, _) = SigningKeys::generate();
    let event = EventId::new();
    let c = claims(event, now_ms(), 60_000);
    let token = keys.sign(&c);
    assert_eq!(keys.verified_purchase_tokens(), 0);
    assert_eq!(keys.verify_purchase_token(&token).unwrap(), c);
    assert_eq!(keys.verified_purchase_tokens(), 1, "kept once verified");
    assert_eq!(
        keys.verify_purchase_token(&token).unwrap(),
        c,
        "from the cache"
    );
    assert_eq!(keys.verify_purchase(&token, event).unwrap(), c);
    assert_eq!(
        keys.verify_purchase(&token, EventId::new()),
        Err(TokenError::WrongEvent)
    );
    assert_eq!(keys.verified_purchase_tokens(), 1);
    // Refused tokens are not kept.
    let expired = keys.sign(&claims(event, now_ms() - 120_000, 60_000));
    assert_eq!(
        keys.verify_purchase_token(&expired),
        Err(TokenError::Expired)
    );
    assert_eq!(keys.verified_purchase_tokens(), 1);
    // One kept (as if verified before it expired) is still held to its `exp`.
    keys.verified.insert(VerifiedTokens::digest(&expired));
    assert_eq!(
        keys.verify_purchase_token(&expired),
        Err(TokenError::Expired)
    );
    // A session token (another audience) kept by mistake is still refused.
    let session = keys.sign_local(&serde_json::json!({
        "iss": ISSUER, "aud": "session", "sub": "u", "exp": now_ms() / 1000 + 60,
    }));
    keys.verified.insert(VerifiedTokens::digest(&session));
    assert!(keys.verify_purchase_token(&session).is_err());
    // Another key set (a rotation) starts with none kept.
    let rotated = keys.clone().with_verify_only([]);
    assert_eq!(rotated.verified_purchase_tokens(), 0);
}

fn rotated() -> (SigningKeys, SigningKeys, SigningKeys) {
    let (a, _) = SigningKeys::generate();
    let (b, _) = SigningKeys::generate();
    let both = b.clone().with_verify_only([a.clone()]);
    (a, b, both)
}

#[test]
fn tokens_of_a_verify_only_key_verify_until_it_is_removed() {
    let (a, b, both) = rotated();
    let event = EventId::new();
    let c = claims(event, now_ms(), 60_000);
    let by_a = a.sign(&c);
    // B signs now, A's tokens still pass (under A, named by their kid).
    assert_eq!(both.kid(), b.kid());
    let by_both = both.sign(&c);
    assert_eq!(
        jsonwebtoken::decode_header(&by_both)
            .unwrap()
            .kid
            .as_deref(),
        Some(b.kid())
    );
    assert_eq!(by_both, b.sign(&c), "signed by B alone");
    assert_eq!(both.verify_purchase(&by_a, event).unwrap(), c);
    assert_eq!(both.verify_purchase(&by_both, event).unwrap(), c);
    // A removed: refused, as an unknown kid.
    assert!(matches!(
        b.verify_purchase(&by_a, event),
        Err(TokenError::Invalid(_))
    ));
    // The kid picks the key: A's signature under B's kid is refused.
    let mut header = jsonwebtoken::Header::new(Algorithm::EdDSA);
    header.kid = Some(b.kid().to_owned());
    let parts: Vec<&str> = by_a.split('.').collect();
    let relabelled = format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap()),
        parts[1],
        parts[2]
    );
    assert!(both.verify_purchase(&relabelled, event).is_err());
    // No kid at all: refused even by the key that signed it.
    let no_kid = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::EdDSA),
        &c,
        &both.signing().encoding,
    )
    .unwrap();
    assert!(matches!(
        both.verify_purchase(&no_kid, event),
        Err(TokenError::Invalid(_))
    ));
}

#[test]
fn local_tokens_of_a_verify_only_key_verify_until_it_is_removed() {
    let (a, b, both) = rotated();
    let c = claims(EventId::new(), now_ms(), 60_000);
    let by_a = a.sign_local(&c);
    let back: PurchaseClaims = both.verify_local(&by_a, PURCHASE_AUDIENCE).unwrap();
    assert_eq!(back, c);
    let by_both = both.sign_local(&c);
    assert_eq!(
        jsonwebtoken::decode_header(&by_both)
            .unwrap()
            .kid
            .as_deref(),
        Some(b.kid())
    );
    assert!(b
        .verify_local::<PurchaseClaims>(&by_both, PURCHASE_AUDIENCE)
        .is_ok());
    assert!(a
        .verify_local::<PurchaseClaims>(&by_both, PURCHASE_AUDIENCE)
        .is_err());
    assert!(matches!(
        b.verify_local::<PurchaseClaims>(&by_a, PURCHASE_AUDIENCE),
        Err(TokenError::Invalid(_))
    ));
}

#[test]
fn the_jwks_lists_every_key_signing_first() {
    let (a, b, both) = rotated();
    let kids = |keys: &SigningKeys| -> Vec<String> {
        keys.jwks()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(kids(&both), [b.kid(), a.kid()]);
    assert_eq!(kids(&b), [b.kid()]);
    assert_eq!(both.verify_only_kids().collect::<Vec<_>>(), [a.kid()]);
    // Each JWK verifies the tokens of its kid, and only those.
    let event = EventId::new();
    let c = claims(event, now_ms(), 60_000);
    let mut validation = jsonwebtoken::Validation::new(Algorithm::EdDSA);
    validation.set_audience(&[PURCHASE_AUDIENCE]);
    for (signer, other) in [(&a, &b), (&b, &a)] {
        let token = signer.sign(&c);
        let jwks = both.jwks();
        let jwk = |kid: &str| {
            let k = jwks["keys"]
                .as_array()
                .unwrap()
                .iter()
                .find(|k| k["kid"] == kid)
                .unwrap()
                .clone();
            jsonwebtoken::DecodingKey::from_ed_components(k["x"].as_str().unwrap()).unwrap()
        };
        assert!(
            jsonwebtoken::decode::<PurchaseClaims>(&token, &jwk(signer.kid()), &validation).is_ok()
        );
        assert!(
            jsonwebtoken::decode::<PurchaseClaims>(&token, &jwk(other.kid()), &validation).is_err()
        );
    }
    // The signing key listed again as verify-only is not listed twice.
    assert_eq!(
        kids(&both.clone().with_verify_only([b.clone()])),
        kids(&both)
    );
}

#[test]
fn verify_only_keys_load_from_files_and_directories() {
    let dir = std::env::temp_dir().join(format!("fg-keys-{}", TicketId::new()));
    let secret = dir.join("secret");
    std::fs::create_dir_all(secret.join("..data")).unwrap();
    let (a, pem_a) = SigningKeys::generate();
    let (b, pem_b) = SigningKeys::generate();
    let (c, pem_c) = SigningKeys::generate();
    std::fs::write(secret.join("a.pem"), pem_a).unwrap();
    std::fs::write(secret.join("b.pem"), pem_b).unwrap();
    std::fs::write(secret.join("README"), "not a key").unwrap();
    std::fs::write(secret.join(".hidden.pem"), "not a key").unwrap();
    std::fs::write(dir.join("c.pem"), pem_c).unwrap();
    let loaded = SigningKeys::load_verify_only(&[secret.clone(), dir.join("c.pem")]).unwrap();
    let kids: Vec<&str> = loaded.iter().map(SigningKeys::kid).collect();
    assert_eq!(kids, [a.kid(), b.kid(), c.kid()]);
    assert!(SigningKeys::load_verify_only(&[]).unwrap().is_empty());
    assert!(SigningKeys::load_verify_only(&[dir.join("missing.pem")]).is_err());
    std::fs::write(secret.join("bad.pem"), "not a key").unwrap();
    assert!(matches!(
        SigningKeys::load_verify_only(&[secret]),
        Err(KeyError::Format(_))
    ));
    std::fs::remove_dir_all(dir).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    /// Any text that is not a token Floodgate signed is refused, and so is a signed
    /// purchase token with any one character changed (header, claims or signature,
    /// the base64 padding bits included): no panic, no forgery by re-encoding.
    #[test]
    fn only_the_signed_purchase_token_verifies(
        junk in ".{0,300}",
        at in any::<prop::sample::Index>(),
        with in "[A-Za-z0-9_.=-]",
    ) {
        let (keys, _) = SigningKeys::generate();
        let event = EventId::new();
        let token = keys.sign(&claims(event, now_ms(), 60_000));
        prop_assert!(keys.verify_purchase(&junk, event).is_err());
        // Verified once, so its signature is not checked again: the tampered copy must
        // still be refused.
        prop_assert!(keys.verify_purchase(&token, event).is_ok());
        let i = at.index(token.len());
        let mut tampered = token.clone();
        tampered.replace_range(i..=i, &with);
        if tampered != token {
            prop_assert!(keys.verify_purchase(&tampered, event).is_err(), "{}", tampered);
        }
    }
}

/// The signed part and signature of `token`, as a batch check of `keys`' signing key.
fn check_of(keys: &SigningKeys, token: &str) -> batch::Check {
    let (message, signature) = token.rsplit_once('.').unwrap();
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    batch::Check {
        key: keys.signing().verifying,
        message: message.as_bytes().to_vec(),
        signature: ed25519_dalek::Signature::from_slice(&signature).unwrap(),
    }
}

#[test]
fn a_batch_with_forged_signatures_refuses_only_those() {
    let (keys, _) = SigningKeys::generate();
    let (other, _) = SigningKeys::generate();
    let event = EventId::new();
    let tokens: Vec<String> = (0..8)
        .map(|_| keys.sign(&claims(event, now_ms(), 60_000)))
        .collect();
    let mut checks: Vec<batch::Check> = tokens.iter().map(|t| check_of(&keys, t)).collect();
    let all: Vec<&batch::Check> = checks.iter().collect();
    assert_eq!(
        batch::check_batch(&all),
        (vec![true; 8], batch::Outcome::Passed)
    );
    // Claims changed under a valid signature, a signature of another key, and a
    // signature with one bit of `s` flipped.
    checks[1].message = checks[2].message.clone();
    checks[4].signature = check_of(&other, &other.sign(&claims(event, now_ms(), 60_000))).signature;
    let mut bytes = checks[6].signature.to_bytes();
    bytes[40] ^= 1;
    checks[6].signature = ed25519_dalek::Signature::from_bytes(&bytes);
    let all: Vec<&batch::Check> = checks.iter().collect();
    let (valid, outcome) = batch::check_batch(&all);
    assert_eq!(outcome, batch::Outcome::Failed);
    assert_eq!(
        valid,
        [true, false, true, true, false, true, false, true],
        "only the forged ones are refused"
    );
    // One alone is checked strictly, without a batch.
    assert_eq!(
        batch::check_batch(&all[1..2]),
        (vec![false], batch::Outcome::Single)
    );
    assert_eq!(
        batch::check_batch(&all[2..3]),
        (vec![true], batch::Outcome::Single)
    );
}

/// Concurrent checks through the batch thread: each answer is the token's own, a
/// forged token among valid ones refuses only itself, and claims are still checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_purchase_tokens_are_checked_each_on_its_own_merits() {
    let (keys, _) = SigningKeys::generate();
    let (other, _) = SigningKeys::generate();
    let event = EventId::new();
    let mut tokens: Vec<(String, bool)> = (0..40)
        .map(|_| (keys.sign(&claims(event, now_ms(), 60_000)), true))
        .collect();
    // Signed by another key under this one's `kid`: the header names the key, the
    // signature is not its own.
    let foreign = other.sign(&claims(event, now_ms(), 60_000));
    let (_, foreign_signature) = foreign.rsplit_once('.').unwrap();
    let (genuine, _) = tokens[0].0.rsplit_once('.').unwrap();
    tokens[7] = (format!("{genuine}.{foreign_signature}"), false);
    // Valid claims of one token under the signature of another.
    let (_, signature_of_3) = tokens[3].0.rsplit_once('.').unwrap();
    let (claims_of_9, _) = tokens[9].0.rsplit_once('.').unwrap();
    tokens[21] = (format!("{claims_of_9}.{signature_of_3}"), false);
    let answers = futures_join_all(&keys, &tokens).await;
    for (i, ((token, good), answer)) in tokens.iter().zip(&answers).enumerate() {
        if *good {
            assert_eq!(
                answer.as_ref().map(|c| c.evt),
                Ok(event),
                "token {i}: {token}"
            );
        } else {
            assert_eq!(
                answer,
                &Err(TokenError::Invalid("InvalidSignature".into())),
                "token {i}"
            );
        }
    }
    assert_eq!(keys.verified_purchase_tokens(), 38, "only valid ones kept");
    let stats = keys.signature_batches();
    assert!(stats.batches + stats.single > 0, "{stats:?}");
    // Still held to the claims: an expired token with a valid signature.
    let expired = keys.sign(&claims(event, now_ms() - 120_000, 60_000));
    assert_eq!(
        keys.check_purchase_token(&expired).await,
        Err(TokenError::Expired)
    );
    // And to the algorithm: a session (HS256) token is refused before any batch.
    let local = keys.sign_local(&claims(event, now_ms(), 60_000));
    assert!(keys.check_purchase_token(&local).await.is_err());
}

async fn futures_join_all(
    keys: &SigningKeys,
    tokens: &[(String, bool)],
) -> Vec<Result<PurchaseClaims, TokenError>> {
    let tasks: Vec<_> = tokens
        .iter()
        .map(|(token, _)| {
            let (keys, token) = (keys.clone(), token.clone());
            tokio::spawn(async move { keys.check_purchase_token(&token).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}
