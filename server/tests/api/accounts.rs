//! Accounts: register, login, the bootstrap admin.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_with, Backend, Options, ADMIN_EMAIL, ADMIN_PASSWORD};

crate::both_backends!(
    register_login_and_roles,
    bulk_load_test_fans,
    login_runs_argon2_once_whether_or_not_the_email_exists,
    look_alike_and_invisible_emails_are_refused,
    full_width_look_alikes_are_the_same_account,
    common_blank_and_control_passwords_are_refused,
    sign_ups_are_throttled_per_address
);

async fn bulk_load_test_fans(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let admin = Some(app.admin_token.as_str());
    let (status, fans) = app
        .post(
            "/api/v1/admin/fans",
            admin,
            &json!({"count": 2500, "tag": "run-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{fans}");
    let fans = fans.as_array().unwrap();
    assert_eq!(fans.len(), 2500);
    // Their sessions work: a fan joins the queue with one.
    let event = app
        .open_event(json!({"rate_per_minute": 60, "max_active": 10}))
        .await;
    let mut fan = app
        .connect(&event, fans[7]["token"].as_str().unwrap())
        .await;
    assert_eq!(fan.join().await["type"], "queued");
    // They have no password: signing in fails whatever is tried.
    for password in ["", "!no-password", "fan-password"] {
        let (status, _) = app
            .post(
                "/api/v1/auth/login",
                None,
                &json!({"email": fans[0]["email"], "password": password}),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Bad input and non-admins are refused; a tag is used once.
    let fan_token = app.fan().await;
    let (status, _) = app
        .post(
            "/api/v1/admin/fans",
            Some(&fan_token),
            &json!({"count": 1, "tag": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for bad in [
        json!({"count": 0, "tag": "x"}),
        json!({"count": 10_001, "tag": "x"}),
        json!({"count": 1, "tag": "a b"}),
    ] {
        let (status, body) = app.post("/api/v1/admin/fans", admin, &bad).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_field")),
            "{bad}"
        );
    }
    let (status, body) = app
        .post(
            "/api/v1/admin/fans",
            admin,
            &json!({"count": 3, "tag": "run-1"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("email_taken"))
    );
    app.stop().await;
}

async fn register_login_and_roles(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (status, body) = app.register("Fan@Floodgate.test", "fan-password").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["user_id"].as_str().is_some());
    let (status, body) = app.register("fan@floodgate.test", "other-password").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("email_taken"))
    );

    let (status, body) = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": "fan@floodgate.test", "password": "fan-password"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["token"].as_str().is_some() && body["expires_at"].as_str().is_some());
    for (email, password) in [
        ("fan@floodgate.test", "wrong-password"),
        ("ghost@floodgate.test", "fan-password"),
    ] {
        let (status, body) = app
            .post(
                "/api/v1/auth/login",
                None,
                &json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
        );
    }

    // The bootstrap admin can create events; /time and /events are public.
    let event = app
        .create_event(60_000, json!({"rate_per_minute": 60, "max_active": 10}))
        .await;
    let (status, body) = app.get(&format!("/api/v1/events/{event}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["state"], "scheduled");
    assert_eq!(body["capacity"], json!(100));
    let (status, body) = app.get("/api/v1/time", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["now_ms"].as_i64().unwrap() > 1_700_000_000_000);
    let _ = ADMIN_EMAIL;
    app.stop().await;
}

async fn login_runs_argon2_once_whether_or_not_the_email_exists(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let (status, _) = app.register("known@floodgate.test", "fan-password").await;
    assert_eq!(status, StatusCode::CREATED);
    let cases = [
        ("known@floodgate.test", "fan-password", StatusCode::OK),
        (
            "known@floodgate.test",
            "wrong-password",
            StatusCode::UNAUTHORIZED,
        ),
        (
            "nobody@floodgate.test",
            "fan-password",
            StatusCode::UNAUTHORIZED,
        ),
        ("not an email", "fan-password", StatusCode::UNAUTHORIZED),
    ];
    for (email, password, expected) in cases {
        let before = app.state.passwords.runs();
        let (status, body) = app
            .post(
                "/api/v1/auth/login",
                None,
                &json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(status, expected, "{email}: {body}");
        let after = app.state.passwords.runs();
        assert_eq!(
            (
                after.hashes - before.hashes,
                after.verifies - before.verifies
            ),
            (0, 1),
            "argon2 runs (hashes, verifies) for a login as {email:?}"
        );
    }
    app.stop().await;
}

async fn look_alike_and_invisible_emails_are_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    for email in [
        "nul\u{0}@floodgate.test",
        "c1\u{85}@floodgate.test",
        "evil\u{202E}moc.x@floodgate.test",
        "lrm\u{200E}@floodgate.test",
        "iso\u{2066}@floodgate.test",
        "zero\u{200B}width@floodgate.test",
        "bom\u{FEFF}@floodgate.test",
        "fan@p\u{0430}ypal.com",       // Cyrillic а in a Latin label
        "\u{0430}dmin@floodgate.test", // Cyrillic а in a Latin local part
        "fan@\u{03BF}penai.com",       // Greek ο
    ] {
        let (status, body) = app.register(email, "fan-password").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{email:?}: {body}");
        assert_eq!(body["error"]["code"], "invalid_email", "{email:?}: {body}");
        if email.contains('\0') {
            continue; // PostgreSQL cannot even hold one, so there is nothing to look up
        }
        let stored = app
            .state
            .db
            .user_by_email(&email.to_lowercase())
            .await
            .unwrap();
        assert!(stored.is_none(), "{email:?} was stored");
    }
    // One script per label is fine, and composed and decomposed forms are one account.
    let (status, body) = app
        .register(
            "jos\u{E9}@\u{043F}\u{0440}\u{0438}\u{043C}\u{0435}\u{0440}.\u{0440}\u{0444}",
            "fan-password",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app
        .register(
            "JOSE\u{301}@\u{043F}\u{0440}\u{0438}\u{043C}\u{0435}\u{0440}.\u{0440}\u{0444}",
            "fan-password",
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "email_taken");
    app.stop().await;
}

async fn full_width_look_alikes_are_the_same_account(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    // ＡＤＭＩＮ＠ｆｌｏｏｄｇａｔｅ．ｔｅｓｔ, and with a mathematical bold a.
    let full_width = "\u{FF21}\u{FF24}\u{FF2D}\u{FF29}\u{FF2E}\u{FF20}\u{FF46}\u{FF4C}\u{FF4F}\u{FF4F}\u{FF44}\u{FF47}\u{FF41}\u{FF54}\u{FF45}\u{FF0E}\u{FF54}\u{FF45}\u{FF53}\u{FF54}";
    for email in [full_width, "\u{1D41A}dmin@floodgate.test"] {
        let (status, body) = app.register(email, "a brand new passphrase").await;
        assert_eq!(status, StatusCode::CONFLICT, "{email}: {body}");
        assert_eq!(body["error"]["code"], "email_taken", "{email}: {body}");
    }
    // Signing in with the look-alike reaches the one account it names.
    let (status, body) = app
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": full_width, "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, me) = app
        .get("/api/v1/auth/session", body["token"].as_str())
        .await;
    assert_eq!(me["email"], ADMIN_EMAIL);
    app.stop().await;
}

async fn common_blank_and_control_passwords_are_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let cases = [
        ("12345678", "too common or too easy to guess"),
        ("password", "too common or too easy to guess"),
        ("P@ssw0rd1", "too common or too easy to guess"),
        ("qwertyuiop", "too common or too easy to guess"),
        ("        ", "cannot be only spaces"),
        ("\0\0\0\0\0\0\0\0", "cannot contain control characters"),
        (
            "correct\u{1B}horse battery",
            "cannot contain control characters",
        ),
    ];
    for (i, (password, message)) in cases.into_iter().enumerate() {
        let email = format!("weak{i}@floodgate.test");
        let (status, body) = app.register(&email, password).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{password:?}: {body}");
        assert_eq!(
            body["error"]["code"], "weak_password",
            "{password:?}: {body}"
        );
        let said = body["error"]["message"].as_str().unwrap();
        assert!(said.contains(message), "{password:?}: {said}");
        let stored = app.state.db.user_by_email(&email).await.unwrap();
        assert!(stored.is_none(), "{password:?} made an account");
    }
    // A passphrase with spaces and any Unicode is fine.
    let (status, body) = app
        .register("strong@floodgate.test", "  mein Hund heißt Bello  ")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.stop().await;
}

async fn sign_ups_are_throttled_per_address(backend: Backend) {
    let options = Options {
        signup_per_minute: 1,
        signup_burst: 2,
        ..Options::default()
    };
    let Some(app) = spawn_with(backend, options).await else {
        return;
    };
    for i in 0..2 {
        let (status, body) = app
            .register(&format!("burst{i}@floodgate.test"), "fan-password")
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // A malformed sign-up is refused for what it is, and costs nothing.
    let (status, body) = app.register("third@floodgate.test", "short").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("weak_password"))
    );
    let resp = app
        .http
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({"email": "third@floodgate.test", "password": "fan-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=60).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    assert!(app
        .state
        .db
        .user_by_email("third@floodgate.test")
        .await
        .unwrap()
        .is_none());
    // Logins are not sign-ups, and another address has its own budget.
    app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let other = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 3]))
        .build()
        .unwrap();
    let resp = other
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({"email": "third@floodgate.test", "password": "fan-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    app.stop().await;
}
