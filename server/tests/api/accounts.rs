//! Accounts: register, login, the bootstrap admin.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{spawn_app, Backend, ADMIN_EMAIL};

crate::both_backends!(
    register_login_and_roles,
    bulk_load_test_fans,
    login_runs_argon2_once_whether_or_not_the_email_exists,
    look_alike_and_invisible_emails_are_refused
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
