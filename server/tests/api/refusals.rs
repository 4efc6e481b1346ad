//! Every refusal says why: each limit a fan or a client can run into, provoked one by
//! one (a table), answers its code, a sentence a person can read, and when to retry
//! (`Retry-After`, and the same number in the sentence), or, for a refusal that
//! waiting does not cure, what to do instead. Socket refusals come at the handshake,
//! as HTTP answers of the same shape.

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite;

use crate::helpers::{purchase_token, spawn_with, Backend, Options, TestApp};

/// The limits, each provoked on an app of its own.
#[derive(Clone, Copy, Debug)]
enum Limit {
    SignIns,
    SignUps,
    QueueSocketsOpened,
    SocketsPerAddress,
    SocketsOnTheServer,
    HoldAttempts,
    PlacesPerAddress,
    QueuePolls,
    SeatMapReads,
    StolenToken,
    TokenWithoutSession,
}

/// What a refusal must carry: status, code, and `Some(words)` the sentence names if
/// retrying later helps (then `Retry-After` is required), or `None` if it does not
/// (then the sentence must say what to do).
struct Expected {
    status: u16,
    code: &'static str,
    retry: Option<&'static str>,
}

impl Limit {
    const ALL: [Limit; 11] = [
        Limit::SignIns,
        Limit::SignUps,
        Limit::QueueSocketsOpened,
        Limit::SocketsPerAddress,
        Limit::SocketsOnTheServer,
        Limit::HoldAttempts,
        Limit::PlacesPerAddress,
        Limit::QueuePolls,
        Limit::SeatMapReads,
        Limit::StolenToken,
        Limit::TokenWithoutSession,
    ];

    fn options(self) -> Options {
        let mut o = Options::default();
        match self {
            Limit::SignIns => o.auth_rate_per_sec = 1,
            Limit::SignUps => (o.signup_per_minute, o.signup_burst) = (1, 1),
            Limit::QueueSocketsOpened => o.join_rate_per_sec = 1,
            Limit::SocketsPerAddress => o.max_sockets_per_ip = 1,
            Limit::SocketsOnTheServer => o.max_sockets = 1,
            Limit::HoldAttempts => (o.hold_attempts_per_minute, o.hold_attempts_burst) = (1, 1),
            Limit::PlacesPerAddress => o.max_places_per_ip = 1,
            Limit::QueuePolls => o.poll_ip_rate_per_sec = 1,
            Limit::SeatMapReads => o.seat_map_rate_per_sec = 1,
            Limit::StolenToken | Limit::TokenWithoutSession => {}
        }
        o
    }

    fn expected(self) -> Expected {
        let (status, code, retry) = match self {
            Limit::SignIns | Limit::SignUps => (429, "rate_limited", Some("requests")),
            Limit::QueueSocketsOpened | Limit::QueuePolls | Limit::SeatMapReads => {
                (429, "rate_limited", Some("requests"))
            }
            Limit::SocketsPerAddress => (429, "rate_limited", Some("connections open")),
            Limit::SocketsOnTheServer => (503, "overloaded", Some("capacity")),
            Limit::HoldAttempts => (429, "rate_limited", Some("hold attempts")),
            Limit::PlacesPerAddress => (429, "too_many_places", Some("places")),
            Limit::StolenToken => (403, "token_account_mismatch", None),
            Limit::TokenWithoutSession => (401, "token_account_mismatch", None),
        };
        Expected {
            status,
            code,
            retry,
        }
    }
}

/// A refused answer: status, headers, JSON body.
struct Refusal {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Refusal {
    async fn of(resp: reqwest::Response) -> Self {
        let (status, headers) = (resp.status(), resp.headers().clone());
        let body = resp.json().await.unwrap_or(Value::Null);
        Self {
            status,
            headers,
            body,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refusal_says_why_and_when_to_retry() {
    for limit in Limit::ALL {
        let app = spawn_with(Backend::Embedded, limit.options())
            .await
            .expect("the embedded backend is always there");
        let refusal = provoke(limit, &app).await;
        says_why(limit, &refusal);
        app.stop().await;
    }
}

fn says_why(limit: Limit, r: &Refusal) {
    let want = limit.expected();
    let what = format!("{limit:?}: {} {}", r.status, r.body);
    assert_eq!(r.status.as_u16(), want.status, "{what}");
    assert_eq!(r.body["error"]["code"], want.code, "{what}");
    let message = r.body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.len() >= 20 && message.contains(' '),
        "a sentence: {what}"
    );
    match want.retry {
        Some(words) => {
            let secs: u64 = r
                .headers
                .get("retry-after")
                .unwrap_or_else(|| panic!("Retry-After: {what}"))
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(secs >= 1, "{what}");
            assert!(message.contains(words), "names what is limited: {what}");
            assert!(
                message.contains(&format!("{secs} s")) || message.contains("retry when"),
                "the sentence says when: {what}"
            );
        }
        None => {
            assert!(r.headers.get("retry-after").is_none(), "{what}");
            assert!(
                message.to_lowercase().contains("sign in"),
                "says what to do: {what}"
            );
        }
    }
}

/// Sends requests of `limit`'s kind until one is refused (at most 20).
async fn provoke(limit: Limit, app: &TestApp) -> Refusal {
    let mut keep = Vec::new(); // sockets that opened, kept open
    match limit {
        Limit::SignIns => {
            let login = json!({"email": "nobody@floodgate.test", "password": "wrong-password"});
            until_refused(|| app.http.post(app.url("/api/v1/auth/login")).json(&login)).await
        }
        Limit::SignUps => {
            let mut n = 0;
            until_refused(|| {
                n += 1;
                let body =
                    json!({"email": format!("s{n}@floodgate.test"), "password": "fan-password"});
                app.http.post(app.url("/api/v1/auth/register")).json(&body)
            })
            .await
        }
        Limit::QueueSocketsOpened => {
            let event = app
                .open_event(json!({"rate_per_minute": 60, "max_active": 10}))
                .await;
            let fan = app.fan().await;
            let url = app.queue_url(&event, &fan);
            ws_until_refused(&url, &mut keep).await
        }
        Limit::SocketsPerAddress | Limit::SocketsOnTheServer => {
            let event = app
                .seated_event(
                    json!([{"name": "A", "rows": 1, "seats_per_row": 2, "price_cents": 100}]),
                    300,
                    2,
                )
                .await;
            let url = format!("ws://127.0.0.1:{}/api/v1/events/{event}/seats/ws", app.port);
            ws_until_refused(&url, &mut keep).await
        }
        Limit::HoldAttempts | Limit::StolenToken | Limit::TokenWithoutSession => {
            let event = app
                .seated_event(
                    json!([{"name": "A", "rows": 1, "seats_per_row": 4, "price_cents": 100}]),
                    300,
                    4,
                )
                .await;
            let owner = app.fan().await;
            let (_, me) = app.get("/api/v1/auth/session", Some(&owner)).await;
            let token = purchase_token(
                app,
                &event,
                me["user_id"].as_str().unwrap().parse().unwrap(),
                4,
                600_000,
            );
            let session = match limit {
                Limit::HoldAttempts => Some(owner),
                Limit::StolenToken => Some(app.fan().await),
                _ => None,
            };
            let url = app.url(&format!("/api/v1/events/{event}/holds"));
            until_refused(|| {
                let req = app
                    .http
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"quantity": 1}));
                match &session {
                    Some(s) => req.header("floodgate-session", s),
                    None => req,
                }
            })
            .await
        }
        Limit::PlacesPerAddress => {
            let event = app
                .open_event(json!({"rate_per_minute": 1, "max_active": 1}))
                .await;
            let fans = app.fans(3).await;
            let url = app.url(&format!("/api/v1/events/{event}/queue/join"));
            let mut next = fans.iter();
            until_refused(|| {
                let fan = next.next().expect("a fan left");
                app.http.post(&url).bearer_auth(fan).json(&json!({}))
            })
            .await
        }
        Limit::QueuePolls => {
            let event = app
                .open_event(json!({"rate_per_minute": 60, "max_active": 10}))
                .await;
            let fan = app.fan().await;
            let url = app.url(&format!("/api/v1/events/{event}/queue/me"));
            until_refused(|| app.http.get(&url).bearer_auth(&fan)).await
        }
        Limit::SeatMapReads => {
            let event = app
                .seated_event(
                    json!([{"name": "A", "rows": 1, "seats_per_row": 2, "price_cents": 100}]),
                    300,
                    2,
                )
                .await;
            let url = app.url(&format!("/api/v1/events/{event}/seats"));
            until_refused(|| app.http.get(&url)).await
        }
    }
}

/// Sends `request` until it is refused (at most 20 times): the first answer that is
/// neither a success nor a wrong password (what the sign-ins are made of).
async fn until_refused(mut request: impl FnMut() -> reqwest::RequestBuilder) -> Refusal {
    for _ in 0..20 {
        let resp = request().send().await.unwrap();
        if resp.status().is_success() {
            continue;
        }
        let refusal = Refusal::of(resp).await;
        if refusal.body["error"]["code"] != "invalid_credentials" {
            return refusal;
        }
    }
    panic!("never refused");
}

/// Opens sockets at `url` until a handshake is refused; keeps the ones that opened.
async fn ws_until_refused(url: &str, keep: &mut Vec<crate::helpers::Ws>) -> Refusal {
    for _ in 0..20 {
        match tokio_tungstenite::connect_async(url).await {
            Ok((ws, _)) => keep.push(ws),
            Err(tungstenite::Error::Http(resp)) => {
                let (parts, body) = resp.into_parts();
                let body = body
                    .and_then(|b| serde_json::from_slice(&b).ok())
                    .unwrap_or(Value::Null);
                let mut headers = HeaderMap::new();
                for (name, value) in &parts.headers {
                    headers.insert(
                        name.as_str()
                            .parse::<reqwest::header::HeaderName>()
                            .unwrap(),
                        value.to_str().unwrap().parse().unwrap(),
                    );
                }
                return Refusal {
                    status: StatusCode::from_u16(parts.status.as_u16()).unwrap(),
                    headers,
                    body,
                };
            }
            Err(other) => panic!("{url}: {other}"),
        }
    }
    panic!("no socket refused at {url}");
}
