//! The gate for shops Floodgate does not own (docs/OPERATIONS.md, "Putting Floodgate in
//! front of another shop"): the check a shop's proxy makes (`GET /api/v1/gate/check`)
//! and the return URL's allow-list, then the whole trip through a real nginx running
//! the shipped `deploy/nginx/gate.conf` in front of a small origin, with the real
//! `floodgate` binary: a visitor who did not wait is sent to the line, one who waited
//! (admitted through the queue socket) gets through, and an expired, forged or
//! other-event token is refused.
//!
//! nginx comes from Debian's package (scripts/lib/services.sh installs it); without
//! it the nginx test is skipped, unless `FLOODGATE_TEST_REQUIRE_SERVICES=1`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};
use waiting_room::token::{PurchaseClaims, SigningKeys};

use crate::helpers::{buyer, spawn_app, temp_dir, Backend, Fan, TestApp};
use crate::procs;

/// `GET /api/v1/gate/check` with `headers`: the status, the error code if any, and the
/// `Floodgate-User` header.
async fn check(app: &TestApp, query: &str, headers: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut req = app.http.get(app.url(&format!("/api/v1/gate/check{query}")));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let user = resp
        .headers()
        .get("floodgate-user")
        .map(|v| v.to_str().unwrap().to_owned());
    let expires = resp
        .headers()
        .get("floodgate-expires")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    (
        status,
        json!({"code": body["error"]["code"], "user": user, "expires": expires}),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_passes_only_a_valid_token_of_its_event_and_takes_nothing() {
    let app = spawn_app(Backend::Embedded).await.unwrap();
    let event = app
        .seated_event(
            json!([{"name": "A", "rows": 1, "seats_per_row": 10, "price_cents": 100}]),
            300,
            4,
        )
        .await;
    let other = app
        .seated_event(
            json!([{"name": "A", "rows": 1, "seats_per_row": 10, "price_cents": 100}]),
            300,
            4,
        )
        .await;
    let (user, token) = buyer(&app, &event, 4, 600_000).await;

    // Valid: 204 with the account and the expiry, by header or `?event=`.
    let (status, out) = check(
        &app,
        "",
        &[
            ("floodgate-event", &event),
            ("floodgate-gate-token", &token),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{out}");
    assert_eq!(out["user"], user.to_string());
    assert!(out["expires"].as_str().unwrap().parse::<i64>().unwrap() > 0);
    let (status, _) = check(
        &app,
        &format!("?event={event}"),
        &[("floodgate-gate-token", &token)],
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Refused tokens: 401 with a code for whoever tests by hand.
    let now = waiting_room::clock::now_ms();
    let claims = PurchaseClaims::new(
        user,
        event.parse().unwrap(),
        &waiting_room::TicketId::new(),
        now - 120_000,
        now - 60_000,
        4,
    );
    let expired = app.state.keys.sign(&claims);
    let mut forged = token.clone().into_bytes();
    let at = forged.len() - 5;
    forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    let (_, foreign) = buyer(&app, &other, 4, 600_000).await;
    for (what, token, code) in [
        ("expired", expired.as_str(), "token_expired"),
        ("forged", forged.as_str(), "invalid_token"),
        ("other event", foreign.as_str(), "wrong_event"),
        ("garbage", "not-a-token", "invalid_token"),
        ("empty", "", "missing_token"),
    ] {
        let (status, out) = check(
            &app,
            "",
            &[("floodgate-event", &event), ("floodgate-gate-token", token)],
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {out}");
        assert_eq!(out["code"], code, "{what}");
    }
    let (status, out) = check(&app, "", &[("floodgate-event", &event)]).await;
    assert_eq!(
        (status, out["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("missing_token"))
    );

    // The proxy's own mistakes: 400 with a code.
    let (status, out) = check(&app, "", &[("floodgate-gate-token", &token)]).await;
    assert_eq!(
        (status, out["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("missing_event"))
    );
    let (status, out) = check(&app, "?event=42", &[("floodgate-gate-token", &token)]).await;
    assert_eq!(
        (status, out["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_event"))
    );

    // Checked many times, the token still holds all of its seats.
    for _ in 0..5 {
        check(
            &app,
            "",
            &[
                ("floodgate-event", &event),
                ("floodgate-gate-token", &token),
            ],
        )
        .await;
    }
    let (status, hold) = app.hold(&event, &token, json!({"quantity": 4})).await;
    assert_eq!(status, StatusCode::CREATED, "{hold}");
}

/// A real `floodgate` process with `FLOODGATE_GATE_ORIGINS` and a signing key the test
/// holds (to sign expired and other-event tokens): the process and the keys.
async fn floodgate_for(shop_origin: &str, dir: &Path) -> (procs::Floodgate, SigningKeys) {
    let (keys, pem) = SigningKeys::generate();
    let key = dir.join("signing.pem");
    std::fs::write(&key, pem).unwrap();
    let fg = procs::spawn(
        &dir.join("data"),
        procs::free_port(),
        None,
        &[
            (
                "FLOODGATE_GATE_ORIGINS",
                &format!("https://shop.example, {shop_origin}"),
            ),
            ("FLOODGATE_SIGNING_KEY", key.to_str().unwrap()),
        ],
    );
    procs::ready(&reqwest::Client::new(), &fg.base).await;
    (fg, keys)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_return_url_must_be_on_an_allowed_origin() {
    let dir = temp_dir("gate-return");
    let (fg, _) = floodgate_for("http://127.0.0.1:9", &dir).await;
    let http = reqwest::Client::new();
    let admin = procs::admin_token(&http, &fg.base).await;
    let event = procs::create_event(&http, &fg.base, &admin, -1, sale("Gate")).await;
    let ask = |return_to: &str| {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/api/v1/events/{event}/gate/return", fg.base),
            [("return_to", return_to)],
        )
        .unwrap();
        procs::call(http.get(url))
    };
    let (status, out) = ask("https://shop.example/tickets/1?seat=A&floodgate_token=old#map").await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(
        out,
        json!({"return_to": "https://shop.example/tickets/1?seat=A#map", "origin": "https://shop.example", "token_param": "floodgate_token"})
    );
    let (status, out) = ask("http://127.0.0.1:9/x").await;
    assert_eq!(status, StatusCode::OK, "{out}");
    for (bad, code) in [
        ("https://evil.example/", "return_url_not_allowed"),
        (
            "https://shop.example.evil.example/",
            "return_url_not_allowed",
        ),
        ("http://shop.example/", "return_url_not_allowed"),
        ("//evil.example/", "invalid_return_url"),
        ("javascript:alert(1)", "invalid_return_url"),
        ("https://a:b@shop.example/", "invalid_return_url"),
        ("", "invalid_return_url"),
    ] {
        let (status, out) = ask(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {out}");
        assert_eq!(out["error"]["code"], code, "{bad}");
        assert!(out["error"]["message"].as_str().unwrap().len() > 10);
    }
    let (status, out) =
        procs::call(http.get(format!("{}/api/v1/events/{event}/gate/return", fg.base))).await;
    assert_eq!(
        (status, out["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_return_url"))
    );
    let unknown = waiting_room::EventId::new();
    let (status, out) = procs::call(http.get(format!(
        "{}/api/v1/events/{unknown}/gate/return?return_to=https://shop.example/",
        fg.base
    )))
    .await;
    assert_eq!(
        (status, out["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

fn sale(name: &str) -> Value {
    json!({"name": name, "sections": [{"name": "A", "rows": 1, "seats_per_row": 10, "price_cents": 100}],
           "max_seats_per_order": 2, "hold_ttl_secs": 300,
           "admission": {"rate_per_minute": 6000, "max_active": 100, "session_ttl_secs": 600}})
}

/// The nginx binary, or `None` (the test is then skipped, or fails in CI).
fn nginx() -> Option<PathBuf> {
    let found = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        assert!(
            std::env::var("FLOODGATE_TEST_REQUIRE_SERVICES").as_deref() != Ok("1"),
            "nginx is not installed (scripts/lib/services.sh installs Debian's package)"
        );
        eprintln!("skipping the nginx gate test: nginx is not installed");
    }
    found
}

/// A running nginx; stopped when dropped: SIGTERM, so the master stops its workers
/// (a SIGKILLed master leaves them running, holding the test's stderr open).
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `deploy/nginx/gate.conf` with this test's ports, origins and event: each line the
/// file says to change must be there exactly once, so the shipped file is what runs.
fn gate_conf(port: u16, origin: u16, floodgate: &str, event: &str, dir: &Path) -> String {
    let shipped = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/nginx/gate.conf"),
    )
    .unwrap();
    let floodgate_port = floodgate.rsplit(':').next().unwrap();
    let access_log = format!("access_log {} gate;", dir.join("access.log").display());
    let replacements = [
        ("listen 8090;", format!("listen 127.0.0.1:{port};")),
        (
            "server 127.0.0.1:8081;",
            format!("server 127.0.0.1:{origin};"),
        ),
        (
            "server 127.0.0.1:8080;",
            format!("server 127.0.0.1:{floodgate_port};"),
        ),
        ("\"https://floodgate.example\"", format!("\"{floodgate}\"")),
        (
            "\"https://shop.example\"",
            format!("\"http://127.0.0.1:{port}\""),
        ),
        ("00000000-0000-0000-0000-000000000000", event.to_owned()),
        ("access_log /dev/stdout gate;", access_log),
    ];
    let mut conf = shipped;
    for (from, to) in replacements {
        assert_eq!(conf.matches(from).count(), 1, "gate.conf has {from:?} once");
        conf = conf.replace(from, &to);
    }
    conf
}

/// A tiny shop: answers every path with what it saw (path, query, the user nginx
/// passed on, whether a cookie reached it).
async fn shop_origin() -> u16 {
    use axum::http::{HeaderMap, Uri};
    let app = axum::Router::new().fallback(|uri: Uri, headers: HeaderMap| async move {
        let header = |name: &str| {
            headers
                .get(name)
                .map(|v| v.to_str().unwrap_or("?").to_owned())
                .unwrap_or_default()
        };
        format!(
            "shop page {uri} user={} cookie={}",
            header("floodgate-user"),
            header("cookie")
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

async fn start_nginx(bin: &Path, conf: &str, dir: &Path, port: u16) -> Nginx {
    let path = dir.join("gate.conf");
    std::fs::write(&path, conf).unwrap();
    let pid = format!("daemon off; pid {};", dir.join("nginx.pid").display());
    let child = Command::new(bin)
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg("stderr")
        .arg("-c")
        .arg(&path)
        .args(["-g", &pid])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("nginx starts");
    let mut nginx = Nginx(child);
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = nginx.0.try_wait().unwrap() {
            panic!(
                "nginx exited with {status} (its config: {})",
                path.display()
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "nginx never listened"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    nginx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_sends_visitors_to_the_line_and_lets_the_admitted_through() {
    let Some(bin) = nginx() else { return };
    let dir = temp_dir("gate-nginx");
    let port = procs::free_port();
    let shop = format!("http://127.0.0.1:{port}");
    let origin = shop_origin().await;
    let (fg, keys) = floodgate_for(&shop, &dir).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let admin = procs::admin_token(&http, &fg.base).await;
    let event = procs::create_event(&http, &fg.base, &admin, -1, sale("Gated")).await;
    let other = procs::create_event(&http, &fg.base, &admin, -1, sale("Elsewhere")).await;
    let _nginx = start_nginx(
        &bin,
        &gate_conf(port, origin, &fg.base, &event, &dir),
        &dir,
        port,
    )
    .await;

    // Open pages need no line.
    let page = http.get(format!("{shop}/about")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().starts_with("shop page /about"));

    // 1. A visitor who did not wait goes to the line, with where to come back.
    let protected = format!("{shop}/tickets/show?seat=A-1&n=2");
    let to_line = http.get(&protected).send().await.unwrap();
    assert_eq!(to_line.status(), StatusCode::FOUND);
    let line = to_line.headers()[LOCATION].to_str().unwrap().to_owned();
    assert_eq!(
        line,
        format!("{}/events/{event}?return_to={protected}", fg.base)
    );

    // 2. The fan waits: signed in, joined over the queue socket, admitted.
    let session = procs::fan_session(&http, &fg.base).await;
    let (_, me) = procs::call(
        http.get(format!("{}/api/v1/auth/session", fg.base))
            .bearer_auth(&session),
    )
    .await;
    let ws_url = format!(
        "ws://127.0.0.1:{}/api/v1/events/{event}/queue/ws?access_token={session}",
        fg.port
    );
    let (ws, _) = tokio_tungstenite::connect_async(ws_url).await.unwrap();
    let mut fan = Fan { ws };
    fan.send(json!({"type": "join"})).await;
    let admitted = fan.expect("admitted", Duration::from_secs(30)).await;
    let token = admitted["purchase_token"].as_str().unwrap().to_owned();
    // The fan page asks where to go (the return URL as the line got it: the raw tail).
    let return_to = line.split_once("return_to=").unwrap().1;
    let url = reqwest::Url::parse_with_params(
        &format!("{}/api/v1/events/{event}/gate/return", fg.base),
        [("return_to", return_to)],
    )
    .unwrap();
    let (status, back) = procs::call(http.get(url)).await;
    assert_eq!(status, StatusCode::OK, "{back}");
    let landing = format!(
        "{}&{}={token}",
        back["return_to"].as_str().unwrap(),
        back["token_param"].as_str().unwrap()
    );

    // 3. Back at the shop with the token: it goes into a cookie and out of the URL.
    let landed = http.get(&landing).send().await.unwrap();
    assert_eq!(landed.status(), StatusCode::FOUND);
    assert_eq!(landed.headers()[LOCATION].to_str().unwrap(), protected);
    let cookie = landed.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert_eq!(
        cookie,
        format!("floodgate_gate={token}; Path=/; Secure; HttpOnly; SameSite=Lax")
    );

    // 4. With the cookie, the shop's page; the shop hears who waited, not the token.
    let through = |token: &str| {
        http.get(&protected)
            .header(COOKIE, format!("other=1; floodgate_gate={token}"))
            .send()
    };
    let page = through(&token).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let body = page.text().await.unwrap();
    assert_eq!(
        body,
        format!(
            "shop page /tickets/show?seat=A-1&n=2 user={} cookie=",
            me["user_id"].as_str().unwrap()
        )
    );

    // Refused: expired, forged, another sale's, not a token. Each goes to the line.
    let user = me["user_id"].as_str().unwrap().parse().unwrap();
    let now = waiting_room::clock::now_ms();
    let ticket = waiting_room::TicketId::new();
    let expired = keys.sign(&PurchaseClaims::new(
        user,
        event.parse().unwrap(),
        &ticket,
        now - 120_000,
        now - 60_000,
        2,
    ));
    let elsewhere = keys.sign(&PurchaseClaims::new(
        user,
        other.parse().unwrap(),
        &ticket,
        now,
        now + 600_000,
        2,
    ));
    let (impostor, _) = SigningKeys::generate();
    let forged = impostor.sign(&PurchaseClaims::new(
        user,
        event.parse().unwrap(),
        &ticket,
        now,
        now + 600_000,
        2,
    ));
    for (what, bad) in [
        ("expired", &expired),
        ("forged", &forged),
        ("other event", &elsewhere),
        ("garbage", &"x.y.z".to_owned()),
    ] {
        let resp = through(bad).await.unwrap();
        assert_eq!(resp.status(), StatusCode::FOUND, "{what}");
        assert_eq!(resp.headers()[LOCATION].to_str().unwrap(), line, "{what}");
    }
    // The real token still passes after all that (nothing was spent).
    assert_eq!(through(&token).await.unwrap().status(), StatusCode::OK);

    // A token parameter that is not a token sets no cookie attribute of its own.
    let smuggled = http
        .get(format!(
            "{shop}/tickets/x?floodgate_token=a;Domain=evil.example"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(smuggled.status(), StatusCode::FOUND);
    assert_eq!(
        smuggled.headers()[LOCATION].to_str().unwrap(),
        format!("{shop}/tickets/x")
    );
    let cookie = smuggled.headers()[SET_COOKIE].to_str().unwrap();
    assert!(!cookie.contains("evil"), "{cookie}");

    // The token was in a URL once; nginx's log has paths only.
    let log = std::fs::read_to_string(dir.join("access.log")).unwrap();
    assert!(log.contains("/tickets/show"), "{log}");
    assert!(!log.contains(&token), "the token is in nginx's access log");
    drop(fg);
}
