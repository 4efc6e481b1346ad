//! Purchase tokens verify with the published JWKS; forged ones do not. Rotating the
//! signing key keeps the old key's tokens and sessions valid while it is verify-only.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::StatusCode;
use serde_json::{json, Value};
use waiting_room::token::{PurchaseClaims, SigningKeys, TokenError};
use waiting_room::EventId;

use crate::helpers::{buyer, spawn_app, start, temp_dir, Backend, Options, Shared, TestApp};

crate::both_backends!(
    purchase_tokens_verify_with_the_jwks_and_forgeries_fail,
    a_rotation_keeps_the_old_keys_tokens_until_it_is_removed,
);

fn validation() -> Validation {
    let mut v = Validation::new(Algorithm::EdDSA);
    v.set_audience(&["checkout"]);
    v.set_issuer(&["floodgate"]);
    v.leeway = 0;
    v
}

async fn purchase_tokens_verify_with_the_jwks_and_forgeries_fail(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let fan_token = app.fan().await;
    let event = app
        .open_event(json!({"rate_per_minute": 6_000, "max_active": 100, "session_ttl_secs": 60}))
        .await;
    let mut fan = app.connect(&event, &fan_token).await;
    fan.join().await;
    let admitted = fan.expect("admitted", Duration::from_secs(10)).await;
    let token = admitted["purchase_token"].as_str().unwrap();

    let (status, jwks) = app.get("/.well-known/jwks.json", None).await;
    assert_eq!(status, StatusCode::OK);
    let jwk = &jwks["keys"][0];
    assert_eq!(
        (jwk["kty"].as_str(), jwk["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );
    let key = DecodingKey::from_ed_components(jwk["x"].as_str().unwrap()).unwrap();

    // The real token: EdDSA, the JWKS kid, the contract's claims.
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.kid.as_deref(), jwk["kid"].as_str());
    let claims = jsonwebtoken::decode::<Value>(token, &key, &validation())
        .unwrap()
        .claims;
    for claim in [
        "iss",
        "aud",
        "sub",
        "evt",
        "tkt",
        "jti",
        "iat",
        "nbf",
        "exp",
        "max_seats",
    ] {
        assert!(claims.get(claim).is_some(), "missing claim {claim}");
    }
    assert_eq!(claims["evt"], json!(event));
    assert_eq!(claims["max_seats"], json!(4));
    let event_id: EventId = event.parse().unwrap();
    let keys = &app.state.keys;
    assert!(keys.verify_purchase(token, event_id).is_ok());
    assert_eq!(
        keys.verify_purchase(token, EventId::new()),
        Err(TokenError::WrongEvent)
    );

    // Tampered payload (another fan's id), same signature.
    let parts: Vec<&str> = token.split('.').collect();
    let mut forged: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    forged["sub"] = json!(waiting_room::UserId::new());
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(forged.to_string()),
        parts[2]
    );
    assert!(jsonwebtoken::decode::<Value>(&tampered, &key, &validation()).is_err());
    assert!(keys.verify_purchase(&tampered, event_id).is_err());

    // `alg: none` with no signature.
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{none_header}.{}.", parts[1]);
    assert!(jsonwebtoken::decode::<Value>(&unsigned, &key, &validation()).is_err());
    assert!(keys.verify_purchase(&unsigned, event_id).is_err());

    // Expired, and wrong audience: signed with the real key, still refused.
    let c: PurchaseClaims = serde_json::from_value(claims.clone()).unwrap();
    let now = waiting_room::clock::now_ms();
    let expired = PurchaseClaims::new(
        c.sub,
        c.evt,
        &c.tkt,
        now - 120_000,
        now - 60_000,
        c.max_seats,
    );
    let expired = keys.sign(&expired);
    let err = jsonwebtoken::decode::<Value>(&expired, &key, &validation()).unwrap_err();
    assert_eq!(
        *err.kind(),
        jsonwebtoken::errors::ErrorKind::ExpiredSignature
    );
    assert_eq!(
        keys.verify_purchase(&expired, event_id),
        Err(TokenError::Expired)
    );
    let mut other_aud = c.clone();
    other_aud.aud = "session".into();
    let other_aud = keys.sign(&other_aud);
    assert!(jsonwebtoken::decode::<Value>(&other_aud, &key, &validation()).is_err());
    assert!(keys.verify_purchase(&other_aud, event_id).is_err());

    // A session token is not a purchase token, and vice versa.
    assert!(keys.verify_purchase(&fan_token, event_id).is_err());
    let (status, _) = app.get("/api/v1/orders", Some(token)).await;
    assert_ne!(status, StatusCode::OK);
    let (status, body) = app
        .get(&format!("/api/v1/events/{event}/queue/me"), Some(token))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // Reconnecting gives the same token back.
    fan.close().await;
    let mut again = app.connect(&event, &fan_token).await;
    let m = again.expect("admitted", Duration::from_secs(5)).await;
    assert_eq!(m["purchase_token"].as_str(), Some(token));
    app.stop().await;
}

fn kid(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

/// A purchase token for a fresh buyer of a fresh seated event on `app`, signed by
/// `keys`, and the event.
async fn purchase_under(app: &TestApp, keys: &SigningKeys) -> (String, String) {
    let event = app
        .seated_event(
            json!([{"name": "A", "rows": 2, "seats_per_row": 5, "price_cents": 500}]),
            300,
            4,
        )
        .await;
    let (user, _) = buyer(app, &event, 4, 60_000).await;
    let now = waiting_room::clock::now_ms();
    let claims = PurchaseClaims::new(
        user,
        event.parse().unwrap(),
        &waiting_room::TicketId::new(),
        now,
        now + 60_000,
        4,
    );
    (event, keys.sign(&claims))
}

/// Signing key A; then B signs with A verify-only (a directory of PEMs, as a mounted
/// Secret); then A is removed.
async fn a_rotation_keeps_the_old_keys_tokens_until_it_is_removed(backend: Backend) {
    let shared = match backend {
        Backend::Embedded => None,
        Backend::Scaled | Backend::Cluster => match Shared::for_backend(backend).await {
            Some(s) => Some(s),
            None => return,
        },
    };
    let dir = temp_dir("rotation");
    let (a, pem_a) = SigningKeys::generate();
    let (b, pem_b) = SigningKeys::generate();
    let verify_dir = dir.join("verify-only");
    std::fs::create_dir_all(&verify_dir).unwrap();
    std::fs::write(verify_dir.join("a.pem"), &pem_a).unwrap();
    std::fs::write(dir.join("a.pem"), &pem_a).unwrap();
    std::fs::write(dir.join("b.pem"), &pem_b).unwrap();
    let options = |signing: &str, verify: Vec<std::path::PathBuf>| Options {
        shared: shared.clone(),
        signing_key: Some(dir.join(signing)),
        verify_keys: verify,
        ..Options::default()
    };
    let jwks_kids = |jwks: &Value| -> Vec<String> {
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    };

    // Before: A signs; a fan signs in under A.
    let app = start(options("a.pem", vec![])).await;
    let fan_a = app.fan().await;
    assert_eq!(kid(&fan_a), a.kid());
    let (status, _) = app.get("/api/v1/orders", Some(&fan_a)).await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;

    // During: B signs, A verify-only. Both in the JWKS, each kid with its own key.
    let app = start(options("b.pem", vec![verify_dir.clone()])).await;
    let (status, jwks) = app.get("/.well-known/jwks.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(jwks_kids(&jwks), [b.kid(), a.kid()]);
    for (jwk, keys) in jwks["keys"].as_array().unwrap().iter().zip([&b, &a]) {
        assert_eq!(jwk, &keys.jwks()["keys"][0], "the JWK of {}", keys.kid());
    }
    // The session minted under A still works; new ones are B's.
    let (status, body) = app.get("/api/v1/orders", Some(&fan_a)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let fan_b = app.fan().await;
    assert_eq!(kid(&fan_b), b.kid());
    // A purchase token of A's still holds seats; the app's own are B's.
    let (event, token_a) = purchase_under(&app, &a).await;
    let (status, body) = app.hold(&event, &token_a, json!({"quantity": 1})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, token_b) = buyer(&app, &event, 4, 60_000).await;
    assert_eq!(kid(&token_b), b.kid());
    app.stop().await;

    // After: A removed. Its session and its purchase tokens are refused as today's
    // forgeries are; B's still pass.
    let app = start(options("b.pem", vec![])).await;
    let (_, jwks) = app.get("/.well-known/jwks.json", None).await;
    assert_eq!(jwks_kids(&jwks), [b.kid()]);
    let (status, body) = app.get("/api/v1/orders", Some(&fan_a)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized")),
        "{body}"
    );
    let (status, body) = app.get("/api/v1/orders", Some(&fan_b)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (event, token_a) = purchase_under(&app, &a).await;
    let (status, body) = app.hold(&event, &token_a, json!({"quantity": 1})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_token")),
        "{body}"
    );
    let (event, token_b) = purchase_under(&app, &b).await;
    let (status, body) = app.hold(&event, &token_b, json!({"quantity": 1})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.stop().await;
}
