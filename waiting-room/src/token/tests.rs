use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::Algorithm;

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
