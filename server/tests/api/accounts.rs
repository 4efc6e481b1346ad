//! Accounts: register, login, the bootstrap admin.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{spawn_app, Backend, ADMIN_EMAIL};

crate::both_backends!(register_login_and_roles);

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
