//! Sessions end when they should, everywhere: sign-out, a password change, "sign out
//! everywhere" and a new bootstrap or demo admin password end a copied cookie or
//! bearer token on every replica (polled until refused, with a bounded wait); tossed
//! session cookies never sign anyone in; `?access_token=` opens sockets only; the
//! Origin rule compares the scheme; private answers are `no-store`.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{json, Value};
use server::config::Config;
use server::db::Db;
use server::Application;

use crate::helpers::{
    start, temp_dir, uuid_simple, Backend, Options, Shared, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD,
};

/// How long a revocation may take to reach another replica before the test fails
/// (the poll is every 250 ms; this only bounds the wait).
const PROPAGATION: Duration = Duration::from_secs(10);

/// A credential as a client presents it.
#[derive(Clone, Debug)]
enum Auth {
    Cookie(String),
    Bearer(String),
}

impl Auth {
    fn on(&self, req: RequestBuilder) -> RequestBuilder {
        match self {
            Auth::Cookie(pair) => req.header("cookie", pair),
            Auth::Bearer(token) => req.bearer_auth(token),
        }
    }
}

/// Two replicas sharing one database and one signing key (and, scaled, one Redis).
async fn two_replicas(backend: Backend, secure_cookies: bool) -> Option<(TestApp, TestApp)> {
    let mut options = Options {
        secure_cookies,
        ..Options::default()
    };
    if backend != Backend::Embedded {
        options.shared = Some(Shared::for_backend(backend).await?);
    }
    let one = start(options.clone()).await;
    if backend == Backend::Embedded {
        let dir = &one.state.config.data_dir;
        options.database_url = Some(Db::sqlite_url(dir));
        options.signing_key = Some(dir.join("signing-key.pem"));
    }
    let two = start(options).await;
    Some((one, two))
}

async fn new_fan(app: &TestApp) -> String {
    let email = format!("fan-{}@floodgate.test", uuid_simple());
    let (status, body) = app.register(&email, "fan-password").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    email
}

/// Signs a browser in with `origin`; answers the `Set-Cookie` header's first pair.
async fn sign_in_from(app: &TestApp, origin: &str, email: &str, password: &str) -> String {
    let resp = app
        .http
        .post(app.url("/api/v1/auth/session"))
        .header("origin", origin)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    set_cookie.split(';').next().unwrap().to_owned()
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> Auth {
    Auth::Cookie(sign_in_from(app, &app.base, email, password).await)
}

/// `GET /auth/session` with `auth`: the status and the body (`Null` without one).
async fn who(app: &TestApp, auth: &Auth) -> (StatusCode, Value) {
    let resp = auth
        .on(app.http.get(app.url("/api/v1/auth/session")))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Polls `GET /auth/session` until `auth` is no longer a session there.
async fn until_refused(app: &TestApp, auth: &Auth, what: &str) {
    let start = Instant::now();
    loop {
        let (status, body) = who(app, auth).await;
        if status != StatusCode::OK {
            eprintln!("{what}: refused after {:?}", start.elapsed());
            return;
        }
        assert!(
            start.elapsed() < PROPAGATION,
            "{what}: still signed in as {} after {PROPAGATION:?}",
            body["email"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Sockets outlive the request that opened them: a fan's queue socket and an admin's
/// stats socket, open on one replica, close (1008) when their session ends on the
/// other; the fan keeps its place in line (a ticket is the account's, not the
/// session's).
async fn open_sockets_close_when_their_session_ends(backend: Backend) {
    let Some((one, two)) = two_replicas(backend, false).await else {
        return;
    };
    let event = one
        .open_event(json!({"rate_per_minute": 1, "max_active": 1}))
        .await;
    // Someone ahead takes the one admission the bucket holds, so our fan waits.
    let mut ahead = two.connect(&event, &two.fan().await).await;
    ahead.join().await;
    let email = new_fan(&one).await;
    let first = one.login(&email, "fan-password").await;
    let mut other_tab = two
        .connect(&event, &one.login(&email, "fan-password").await)
        .await;
    let mut fan = two.connect(&event, &first).await;
    let place = fan.join().await;
    assert_eq!(place["type"], "queued", "{place}");
    sign_out(&one, &Auth::Bearer(first.clone())).await;
    assert_eq!(
        fan.closed_within(PROPAGATION).await,
        Some(1008),
        "the signed-out session's socket on the other replica"
    );
    // The account's other session keeps its socket and the same place.
    other_tab.send(json!({"type": "join"})).await;
    let again = other_tab.expect("queued", Duration::from_secs(10)).await;
    assert_eq!(again["ticket"], place["ticket"], "{again}");

    // An admin's dashboard socket ends when the admin signs out everywhere.
    let admin = one.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let url = format!(
        "ws://127.0.0.1:{}/api/v1/admin/events/{event}/stats/ws?access_token={admin}",
        two.port
    );
    let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut dashboard = crate::helpers::Fan { ws };
    assert!(dashboard
        .next_within(Duration::from_secs(5))
        .await
        .is_some());
    let resp = one
        .http
        .delete(one.url("/api/v1/auth/sessions"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    assert_eq!(dashboard.closed_within(PROPAGATION).await, Some(1008));
    one.stop().await;
    two.stop().await;
}

async fn sign_out(app: &TestApp, auth: &Auth) {
    let resp = auth
        .on(app.http.delete(app.url("/api/v1/auth/session")))
        .header("origin", &app.base)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
}

async fn a_copied_session_ends_at_sign_out_on_every_replica(backend: Backend) {
    let Some((one, two)) = two_replicas(backend, false).await else {
        return;
    };
    let email = new_fan(&one).await;
    let browser = sign_in(&one, &email, "fan-password").await;
    assert_eq!(who(&two, &browser).await.0, StatusCode::OK);
    sign_out(&one, &browser).await;
    // The copy is refused where it was signed out, and on the other replica.
    assert_ne!(who(&one, &browser).await.0, StatusCode::OK);
    until_refused(&two, &browser, "a signed-out cookie on the other replica").await;
    // An API client's bearer token, signed out on the other replica.
    let bearer = Auth::Bearer(one.login(&email, "fan-password").await);
    assert_eq!(who(&one, &bearer).await.0, StatusCode::OK);
    sign_out(&two, &bearer).await;
    until_refused(&one, &bearer, "a signed-out bearer token").await;
    // Other sessions of the account, and the admin's (unchanged by the second
    // replica's start with the same password), are untouched.
    let again = sign_in(&two, &email, "fan-password").await;
    assert_eq!(who(&one, &again).await.0, StatusCode::OK);
    let admin = Auth::Bearer(one.admin_token.clone());
    assert_eq!(who(&one, &admin).await.0, StatusCode::OK);

    // An admin's copied cookie can change nothing once signed out.
    let event = one
        .create_event(60_000, json!({"rate_per_minute": 60, "max_active": 10}))
        .await;
    let admin_cookie = sign_in(&one, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let path = format!("/api/v1/admin/events/{event}/admission");
    let patch = |rate: u32| {
        admin_cookie
            .on(two.http.patch(two.url(&path)))
            .header("origin", &two.base)
            .json(&json!({"rate_per_minute": rate}))
            .send()
    };
    assert_eq!(patch(61).await.unwrap().status(), StatusCode::OK);
    sign_out(&one, &admin_cookie).await;
    until_refused(&two, &admin_cookie, "a signed-out admin cookie").await;
    let resp = patch(999).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["code"],
        "unauthorized"
    );
    assert_eq!(two.stats(&event).await["rate_per_minute"], 61);
    one.stop().await;
    two.stop().await;
}

async fn a_password_change_ends_every_session_but_the_browsers_new_one(backend: Backend) {
    let Some((one, two)) = two_replicas(backend, false).await else {
        return;
    };
    let email = new_fan(&one).await;
    let browser = sign_in(&one, &email, "fan-password").await;
    let bearer = Auth::Bearer(two.login(&email, "fan-password").await);
    let change = |auth: &Auth, current: &str, new: &str| {
        auth.on(one.http.post(one.url("/api/v1/auth/password")))
            .header("origin", &one.base)
            .json(&json!({"current_password": current, "new_password": new}))
            .send()
    };
    // A wrong current password, a weak new one, or no session: nothing changes.
    let resp = change(&browser, "not-the-password", "new-password-1")
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["code"],
        "wrong_password"
    );
    let resp = change(&browser, "fan-password", "short").await.unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let resp = change(
        &Auth::Bearer("x.y.z".into()),
        "fan-password",
        "new-password-1",
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(who(&two, &bearer).await.0, StatusCode::OK);

    let resp = change(&browser, "fan-password", "new-password-1")
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let renewed = Auth::Cookie(
        resp.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned(),
    );
    until_refused(&two, &bearer, "a bearer token after a password change").await;
    until_refused(&two, &browser, "the old cookie after a password change").await;
    // The browser that changed it stays signed in, on every replica.
    assert_eq!(who(&two, &renewed).await.0, StatusCode::OK);
    assert_eq!(who(&one, &renewed).await.0, StatusCode::OK);
    let (status, _) = two
        .post(
            "/api/v1/auth/login",
            None,
            &json!({"email": email, "password": "fan-password"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    two.login(&email, "new-password-1").await;
    one.stop().await;
    two.stop().await;
}

async fn signing_out_everywhere_ends_every_session(backend: Backend) {
    let Some((one, two)) = two_replicas(backend, false).await else {
        return;
    };
    let email = new_fan(&one).await;
    let first = Auth::Bearer(one.login(&email, "fan-password").await);
    let second = Auth::Bearer(two.login(&email, "fan-password").await);
    let browser = sign_in(&two, &email, "fan-password").await;
    let other_fan = Auth::Bearer(one.fan().await);
    let resp = first
        .on(one.http.delete(one.url("/api/v1/auth/sessions")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_ne!(who(&one, &first).await.0, StatusCode::OK);
    until_refused(&two, &second, "a bearer token after signing out everywhere").await;
    until_refused(&two, &browser, "a cookie after signing out everywhere").await;
    until_refused(&two, &first, "the token that signed out everywhere").await;
    // A later sign-in works; another account was never touched.
    let later = Auth::Bearer(one.login(&email, "fan-password").await);
    assert_eq!(who(&two, &later).await.0, StatusCode::OK);
    assert_eq!(who(&two, &other_fan).await.0, StatusCode::OK);
    // Without a session, or with the cookie from another site, nothing happens.
    let resp = two
        .http
        .delete(two.url("/api/v1/auth/sessions"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let cookie = sign_in(&two, &email, "fan-password").await;
    let resp = cookie
        .on(two.http.delete(two.url("/api/v1/auth/sessions")))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(who(&one, &later).await.0, StatusCode::OK);
    one.stop().await;
    two.stop().await;
}

crate::both_backends!(
    a_copied_session_ends_at_sign_out_on_every_replica,
    a_password_change_ends_every_session_but_the_browsers_new_one,
    signing_out_everywhere_ends_every_session,
    open_sockets_close_when_their_session_ends,
);

/// Builds (and drops) another replica of `app`'s deployment, as a restart would: its
/// start-up chores run against the shared database.
async fn restart_beside(app: &TestApp, edit: impl FnOnce(&mut Config)) {
    let mut config = Config::for_tests(temp_dir("restart"));
    config.database_url = Some(Db::sqlite_url(&app.state.config.data_dir));
    config.signing_key = Some(app.state.config.data_dir.join("signing-key.pem"));
    config.argon2_memory_kib = 1024;
    edit(&mut config);
    let other = Application::build(config)
        .await
        .expect("the replica builds");
    drop(other);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_admin_password_at_start_ends_the_admins_sessions() {
    let one = start(Options::default()).await;
    let old = Auth::Bearer(one.admin_token.clone());
    // The same password (a restart, another replica): nobody is signed out. Checked
    // once a later revocation has been seen, so the poll has run since.
    restart_beside(&one, |c| {
        c.admin_email = Some(ADMIN_EMAIL.into());
        c.admin_password = Some(ADMIN_PASSWORD.into());
    })
    .await;
    let marker = Auth::Bearer(one.fan().await);
    sign_out(&one, &marker).await;
    until_refused(&one, &marker, "the marker").await;
    assert_eq!(who(&one, &old).await.0, StatusCode::OK);
    // A new FLOODGATE_ADMIN_PASSWORD ends the admin's sessions.
    restart_beside(&one, |c| {
        c.admin_email = Some(ADMIN_EMAIL.into());
        c.admin_password = Some("a-new-admin-password".into());
    })
    .await;
    until_refused(&one, &old, "an admin session after a new admin password").await;
    one.login(ADMIN_EMAIL, "a-new-admin-password").await;

    // `--demo` with no configured admin: each start's one-time password ends the
    // demo admin's sessions.
    restart_beside(&one, |c| c.demo = true).await;
    let demo = one
        .state
        .db
        .user_by_email("admin@demo.floodgate.dev")
        .await
        .unwrap()
        .expect("the demo admin exists");
    let now = waiting_room::clock::now_ms() / 1000;
    let (token, _) = server::auth::issue_session(
        &one.state.keys,
        demo.id,
        true,
        demo.session_generation,
        now,
        3600,
    );
    let demo_session = Auth::Bearer(token);
    assert_eq!(who(&one, &demo_session).await.0, StatusCode::OK);
    restart_beside(&one, |c| c.demo = true).await;
    until_refused(
        &one,
        &demo_session,
        "a demo admin session after a new one-time password",
    )
    .await;
    one.stop().await;
}

#[tokio::test]
async fn admin_sessions_are_shorter_than_fans() {
    let one = start(Options::default()).await;
    let email = new_fan(&one).await;
    let fan = sign_in(&one, &email, "fan-password").await;
    let admin = sign_in(&one, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let left =
        |body: Value| crate::helpers::ms(&body["expires_at"]) - waiting_room::clock::now_ms();
    let fan_left = left(who(&one, &fan).await.1);
    let admin_left = left(who(&one, &admin).await.1);
    assert!(fan_left > 23 * 3600 * 1000, "{fan_left}");
    assert!(
        admin_left <= 8 * 3600 * 1000 && admin_left > 7 * 3600 * 1000,
        "{admin_left}"
    );
    one.stop().await;
}

#[tokio::test]
async fn a_query_token_opens_sockets_only_and_origins_need_the_scheme() {
    let one = start(Options::default()).await;
    let event = one
        .create_event(60_000, json!({"rate_per_minute": 60, "max_active": 10}))
        .await;
    let path = format!("/api/v1/admin/events/{event}/admission");
    let resp = one
        .http
        .patch(one.url(&format!("{path}?access_token={}", one.admin_token)))
        .json(&json!({"rate_per_minute": 999}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let fan = one.fan().await;
    let (status, _) = one
        .get(&format!("/api/v1/orders?access_token={fan}"), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = one
        .get(&format!("/api/v1/auth/session?access_token={fan}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "no one is signed in");
    // The socket still takes it (a browser cannot give a socket a header).
    one.connect(&event, &fan).await.close().await;

    // An https page is not this plain-HTTP site, even on the same host and port.
    let cookie = sign_in(&one, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    for origin in [
        format!("https://127.0.0.1:{}", one.port),
        "http://127.0.0.1".into(),
    ] {
        let resp = cookie
            .on(one.http.patch(one.url(&path)))
            .header("origin", &origin)
            .json(&json!({"rate_per_minute": 999}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{origin}");
        assert_eq!(
            resp.json::<Value>().await.unwrap()["error"]["code"],
            "bad_origin"
        );
    }
    let resp = one
        .http
        .post(one.url("/api/v1/auth/session"))
        .header("origin", format!("https://127.0.0.1:{}", one.port))
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.headers().get("set-cookie").is_none());
    assert_eq!(one.stats(&event).await["rate_per_minute"], 60);
    one.stop().await;
}

fn cookies(pairs: &[&str]) -> Auth {
    Auth::Cookie(pairs.join("; "))
}

#[tokio::test]
async fn a_tossed_session_cookie_never_signs_anyone_in() {
    // Over HTTPS (FLOODGATE_SECURE_COOKIES): the cookie is `__Host-` prefixed, and
    // a plain-named one (all a sibling subdomain can set) is never read.
    let https = start(Options {
        secure_cookies: true,
        ..Options::default()
    })
    .await;
    let origin = format!("https://127.0.0.1:{}", https.port);
    let victim = new_fan(&https).await;
    let attacker = new_fan(&https).await;
    let mine = sign_in_from(&https, &origin, &victim, "fan-password").await;
    assert!(mine.starts_with("__Host-floodgate_session="), "{mine}");
    let theirs = https.login(&attacker, "fan-password").await;
    let tossed = format!("floodgate_session={theirs}");
    // A signed-out visitor with only the tossed cookie: no one is signed in.
    assert_eq!(
        who(&https, &cookies(&[&tossed])).await.0,
        StatusCode::NO_CONTENT
    );
    // A signed-in visitor stays themselves, whatever the order.
    for jar in [
        [tossed.as_str(), mine.as_str()],
        [mine.as_str(), tossed.as_str()],
    ] {
        let (status, body) = who(&https, &cookies(&jar)).await;
        assert_eq!(
            (status, body["email"].as_str()),
            (StatusCode::OK, Some(victim.as_str()))
        );
    }
    // Two host cookies (cannot happen in a browser) are ambiguous: refused.
    let theirs_host = format!("__Host-floodgate_session={theirs}");
    assert_eq!(
        who(&https, &cookies(&[&theirs_host, &mine])).await.0,
        StatusCode::NO_CONTENT
    );
    https.stop().await;

    // Over plain HTTP the prefix is unavailable: two valid cookies of the name are
    // refused, never the attacker's; a broken extra one does not matter.
    let http = start(Options::default()).await;
    let victim = new_fan(&http).await;
    let attacker = new_fan(&http).await;
    let mine = sign_in(&http, &victim, "fan-password").await;
    let Auth::Cookie(mine) = mine else {
        unreachable!()
    };
    let tossed = format!(
        "floodgate_session={}",
        http.login(&attacker, "fan-password").await
    );
    for jar in [
        [tossed.as_str(), mine.as_str()],
        [mine.as_str(), tossed.as_str()],
    ] {
        let (status, body) = who(&http, &cookies(&jar)).await;
        assert_eq!(
            status,
            StatusCode::NO_CONTENT,
            "signed in as {}",
            body["email"]
        );
    }
    let (status, body) = who(&http, &cookies(&["floodgate_session=garbage", &mine])).await;
    assert_eq!(
        (status, body["email"].as_str()),
        (StatusCode::OK, Some(victim.as_str()))
    );
    http.stop().await;
}

#[tokio::test]
async fn private_answers_are_not_stored_and_pages_isolate_themselves() {
    let http = start(Options::default()).await;
    let fan = http.fan().await;
    let get = |app: &TestApp, path: &str, token: Option<&str>| {
        let mut req = app.http.get(app.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    let headers = |r: reqwest::Response| -> HeaderMap { r.headers().clone() };
    for (path, token) in [
        ("/api/v1/auth/session", None),
        ("/api/v1/auth/session", Some(fan.as_str())),
        ("/api/v1/orders", Some(fan.as_str())),
        (
            "/api/v1/admin/events/0190c1e2-0000-7000-8000-000000000000/stats",
            Some(http.admin_token.as_str()),
        ),
    ] {
        let h = headers(get(&http, path, token).await.unwrap());
        assert_eq!(h["cache-control"], "no-store", "{path}");
    }
    let h = headers(get(&http, "/", None).await.unwrap());
    assert_eq!(h["cross-origin-opener-policy"], "same-origin");
    let pp = h["permissions-policy"].to_str().unwrap();
    assert!(
        pp.contains("camera=()") && pp.contains("geolocation=()"),
        "{pp}"
    );
    assert!(
        h.get("strict-transport-security").is_none(),
        "not over plain HTTP"
    );
    assert_eq!(h["cache-control"], "no-cache");
    http.stop().await;
    let https = start(Options {
        secure_cookies: true,
        ..Options::default()
    })
    .await;
    let h = headers(get(&https, "/", None).await.unwrap());
    assert_eq!(
        h["strict-transport-security"],
        HeaderValue::from_static("max-age=31536000")
    );
    https.stop().await;
}
