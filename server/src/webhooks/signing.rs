//! Standard Webhooks signing: secrets are `whsec_` + base64 of 32 random bytes; a
//! delivery carries `webhook-id`, `webhook-timestamp` (Unix seconds) and
//! `webhook-signature: v1,<base64 HMAC-SHA256 over "{id}.{timestamp}.{body}">`, keyed
//! with the secret's decoded bytes. HMAC is `ring`'s (already in the tree for the
//! token keys).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;

/// The prefix the specification gives secrets.
const PREFIX: &str = "whsec_";

/// A new random signing secret.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{PREFIX}{}", STANDARD.encode(bytes))
}

/// The key bytes of a `whsec_…` secret (`None`: not one of ours).
pub fn decode_secret(secret: &str) -> Option<Vec<u8>> {
    let b64 = secret.strip_prefix(PREFIX)?;
    STANDARD.decode(b64).ok().filter(|k| k.len() >= 24)
}

/// The `webhook-signature` header value for one message, signed with `secret`
/// (`None`: not a secret of ours).
pub fn sign(secret: &str, message_id: &str, timestamp_secs: i64, body: &str) -> Option<String> {
    decode_secret(secret)?;
    standardwebhooks::Webhook::new(secret)
        .ok()?
        .sign(message_id, timestamp_secs, body.as_bytes())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The specification's published test vector (standard-webhooks' libraries test
    /// against the same values).
    #[test]
    fn signs_the_specifications_test_vector() {
        assert_eq!(
            sign(
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                r#"{"test": 2432232314}"#
            )
            .as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
        assert_eq!(
            sign("whsec_c2hvcnQ=", "msg_1", 1, "{}"),
            None,
            "too short a key"
        );
    }

    #[test]
    fn new_secrets_decode_to_32_random_bytes() {
        let a = new_secret();
        assert!(a.starts_with("whsec_"));
        assert_eq!(decode_secret(&a).unwrap().len(), 32);
        assert_ne!(a, new_secret());
        assert!(decode_secret("whsec_c2hvcnQ=").is_none(), "too short");
        assert!(decode_secret("nope").is_none());
    }
}
