use super::*;
use proptest::prelude::*;

const POOL: PoolSize = PoolSize {
    threads: 1,
    queue: 8,
    per_client: 8,
};

#[tokio::test]
async fn hashes_verify_and_are_argon2id() {
    let p = Passwords::new(1024, POOL).unwrap();
    let h = p.hash("correct horse".into()).await.unwrap();
    assert!(h.starts_with("$argon2id$v=19$m=1024,t=2,p=1$"), "{h}");
    assert!(p.verify("correct horse".into(), h.clone()).await.unwrap());
    assert!(!p.verify("wrong".into(), h).await.unwrap());
}

#[tokio::test]
async fn hashes_agree_with_the_argon2_crates_own() {
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};
    let p = Passwords::new(1024, POOL).unwrap();
    let ours = p.hash("correct horse".into()).await.unwrap();
    let argon = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(1024, 2, 1, None).unwrap(),
    );
    let parsed = PasswordHash::new(&ours).unwrap();
    assert!(argon.verify_password(b"correct horse", &parsed).is_ok());
    assert!(argon.verify_password(b"correct horsf", &parsed).is_err());
    // A hash the crate made (with other parameters) verifies here.
    let salt = SaltString::generate(&mut OsRng);
    let theirs = Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        Params::new(2048, 1, 1, None).unwrap(),
    )
    .hash_password(b"battery staple", &salt)
    .unwrap()
    .to_string();
    assert!(p
        .verify("battery staple".into(), theirs.clone())
        .await
        .unwrap());
    assert!(!p.verify("battery stapl".into(), theirs).await.unwrap());
}

#[tokio::test]
async fn a_new_password_is_checked_on_the_pool() {
    let p = Passwords::new(1024, POOL).unwrap();
    let ip: IpAddr = [127, 0, 0, 1].into();
    let weak = p.hash_new(ip, "12345678".into(), "fan@x.com".into()).await;
    assert!(
        matches!(weak, Err(PasswordError::Weak(Weak::Guessable))),
        "{weak:?}"
    );
    assert_eq!(p.runs().hashes, 0, "no argon2 run for a refused password");
    let h = p
        .hash_new(ip, "correct horse battery".into(), "fan@x.com".into())
        .await
        .unwrap();
    assert!(p
        .verify_for(ip, "correct horse battery".into(), h)
        .await
        .unwrap());
    assert_eq!(
        p.runs(),
        ArgonRuns {
            hashes: 1,
            verifies: 1
        }
    );
}

#[tokio::test]
async fn the_dummy_hash_is_made_once() {
    let p = Passwords::new(1024, POOL).unwrap();
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Any text that is not a token Floodgate signed is refused, and so is a signed
    /// session with any one character changed: no panic, no forgery by
    /// re-encoding.
    #[test]
    fn only_the_signed_session_verifies(
        junk in ".{0,200}",
        at in any::<prop::sample::Index>(),
        with in "[A-Za-z0-9_.=-]",
    ) {
        let (keys, _) = SigningKeys::generate();
        let now = waiting_room::clock::now_ms() / 1000;
        let (token, _) = issue_session(&keys, UserId::new(), false, 1, now, 60);
        prop_assert!(verify_session(&keys, &junk).is_err());
        let i = at.index(token.len());
        let mut tampered = token.clone();
        tampered.replace_range(i..=i, &with);
        if tampered != token {
            prop_assert!(verify_session(&keys, &tampered).is_err(), "{tampered}");
        }
    }
}
