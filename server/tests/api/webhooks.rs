//! Signed webhooks, end to end against a receiver on this machine: deliveries carry
//! Standard Webhooks signatures (checked with Python's hmac, not the server's code), a
//! receiver that fails gets the delivery again, a delivery written before a stop is
//! sent by the next process on the same database, sale and refund facts are told, and
//! internal addresses are refused at registration and at delivery.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::db::{Db, EndpointRow};
use server::webhooks::EventType;

use crate::helpers::{spawn_with, start, Backend, Options, Shared, TestApp};

crate::both_backends!(
    deliveries_are_signed_and_retried_after_a_failure,
    a_delivery_written_before_a_stop_is_sent_after_the_restart,
    sale_and_refund_facts_are_told,
    internal_addresses_are_refused_at_registration_and_delivery,
    confirms_written_together_each_tell_their_order_once,
    a_delivery_still_failing_after_a_day_is_marked_failed,
);

const WAIT: Duration = Duration::from_secs(30);

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: String,
}

/// A webhook receiver on 127.0.0.1: records each request and answers the statuses
/// queued in `script` (200 once they are spent).
#[derive(Clone)]
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    async fn start(script: &[u16]) -> Self {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let script = Arc::new(Mutex::new(script.iter().copied().collect::<VecDeque<_>>()));
        let (g, s) = (Arc::clone(&got), Arc::clone(&script));
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let (g, s) = (Arc::clone(&g), Arc::clone(&s));
                async move {
                    g.lock().unwrap().push(Received { headers, body });
                    let status = s.lock().unwrap().pop_front().unwrap_or(200);
                    axum::http::StatusCode::from_u16(status).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://127.0.0.1:{}/hook",
            listener.local_addr().unwrap().port()
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, got, script }
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    fn types(&self) -> Vec<String> {
        self.got()
            .iter()
            .map(|r| payload(r)["type"].as_str().unwrap().to_owned())
            .collect()
    }
}

fn payload(r: &Received) -> Value {
    serde_json::from_str(&r.body).unwrap()
}

fn header<'a>(r: &'a Received, name: &str) -> &'a str {
    r.headers.get(name).unwrap().to_str().unwrap()
}

/// Whether `r` is signed with `secret`, as Python's hmac computes it.
fn signed_with(r: &Received, secret: &str) -> bool {
    let input = json!({
        "secret": secret,
        "id": header(r, "webhook-id"),
        "timestamp": header(r, "webhook-timestamp"),
        "body": r.body,
        "signature": header(r, "webhook-signature"),
    });
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/verify_webhook.py");
    let mut child = std::process::Command::new("python3")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    child.wait().unwrap().success()
}

fn options(allow_private: bool) -> Options {
    Options {
        webhook_allow_private: allow_private,
        webhook_retry_base_ms: 100,
        ..Options::default()
    }
}

impl TestApp {
    /// Registers `url` for `events`: the answer (with the secret).
    async fn register_webhook(&self, url: &str, events: Value) -> Value {
        let (status, body) = self
            .post(
                "/api/v1/admin/webhooks",
                Some(&self.admin_token),
                &json!({"url": url, "events": events, "description": "test receiver"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    async fn deliveries(&self, webhook: &str) -> Vec<Value> {
        let (status, body) = self
            .get(
                &format!("/api/v1/admin/webhooks/{webhook}/deliveries"),
                Some(&self.admin_token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["deliveries"].as_array().unwrap().clone()
    }

    /// A new account buys `seats` of `event`: the confirm's answer.
    async fn buy_seats(&self, event: &str, seats: &[&str]) -> Value {
        let (_, token) = crate::helpers::buyer(self, event, 4, 600_000).await;
        let (status, hold) = self.hold(event, &token, json!({ "seats": seats })).await;
        assert_eq!(status, StatusCode::CREATED, "{hold}");
        let (status, order) = self
            .confirm(hold["hold_id"].as_str().unwrap(), &token)
            .await;
        assert_eq!(status, StatusCode::OK, "{order}");
        order
    }
}

async fn deliveries_are_signed_and_retried_after_a_failure(backend: Backend) {
    let Some(app) = spawn_with(backend, options(true)).await else {
        return;
    };
    let receiver = Receiver::start(&[500]).await;
    let hook = app
        .register_webhook(&receiver.url, json!(["order.confirmed"]))
        .await;
    let secret = hook["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{hook}");
    let event = app
        .seated_event(
            json!([{"name": "A", "rows": 1, "seats_per_row": 4, "price_cents": 1000}]),
            300,
            4,
        )
        .await;
    let order = app.buy_seats(&event, &["A-1-1", "A-1-2"]).await;

    app.wait_until("the retry after the 500", WAIT, || async {
        receiver.got().len() >= 2
    })
    .await;
    let got = receiver.got();
    assert_eq!(
        got.len(),
        2,
        "delivered once the receiver said 200: {got:?}"
    );
    for r in &got {
        assert!(signed_with(r, secret), "a valid signature: {r:?}");
        assert!(
            !signed_with(r, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
            "not any key's"
        );
        assert_eq!(header(r, "content-type"), "application/json");
    }
    assert_eq!(
        header(&got[0], "webhook-id"),
        header(&got[1], "webhook-id"),
        "a retry carries the same message id"
    );
    let body = payload(&got[1]);
    assert_eq!(body["type"], "order.confirmed");
    assert_eq!(body["data"]["order_id"], order["order_id"]);
    assert_eq!(body["data"]["event_id"], event.as_str());
    assert_eq!(body["data"]["seats"], json!(["A-1-1", "A-1-2"]));
    assert_eq!(body["data"]["total_cents"], 2000);
    // A tampered body fails the same check.
    let mut forged = got[1].clone();
    forged.body = forged.body.replace("2000", "1");
    assert!(!signed_with(&forged, secret));

    let id = hook["id"].as_str().unwrap();
    app.wait_until("the second attempt recorded", WAIT, || async {
        let log = app.deliveries(id).await;
        log.len() == 1 && log[0]["status"] == "delivered"
    })
    .await;
    let log = app.deliveries(id).await;
    let d = &log[0];
    assert_eq!(d["attempts"], 2, "{d}");
    assert_eq!(d["type"], "order.confirmed");
    let attempts = d["attempt_log"].as_array().unwrap();
    assert_eq!(attempts[0]["status_code"], 500, "{d}");
    assert_eq!(attempts[1]["status_code"], 200, "{d}");
    assert!(d["next_attempt_at"].is_null());

    // "Send again" delivers it once more, same message id.
    let (status, again) = app
        .post(
            &format!(
                "/api/v1/admin/webhooks/{id}/deliveries/{}/retry",
                d["id"].as_str().unwrap()
            ),
            Some(&app.admin_token),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{again}");
    assert_eq!(again["status"], "pending");
    app.wait_until("the delivery sent again", WAIT, || async {
        receiver.got().len() >= 3
    })
    .await;
    let third = &receiver.got()[2];
    assert_eq!(header(third, "webhook-id"), header(&got[0], "webhook-id"));
    assert!(signed_with(third, secret));
    assert!(receiver.script.lock().unwrap().is_empty());

    let (status, audit) = app
        .get("/api/v1/admin/webhooks/audit", Some(&app.admin_token))
        .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["webhook_delivery_retried", "webhook_created"],
        "{audit}"
    );
    assert_eq!(audit["entries"][1]["detail"]["url"], receiver.url.as_str());
    assert_eq!(
        audit["entries"][1]["actor_email"],
        crate::helpers::ADMIN_EMAIL
    );
}

async fn a_delivery_written_before_a_stop_is_sent_after_the_restart(backend: Backend) {
    let mut opts = options(true);
    if backend != Backend::Embedded {
        let Some(shared) = Shared::for_backend(backend).await else {
            return;
        };
        opts.shared = Some(shared);
    }
    let one = start(opts.clone()).await;
    let receiver = Receiver::start(&[]).await;
    let hook = one.register_webhook(&receiver.url, json!(["*"])).await;
    let state = one.state.clone();
    if backend == Backend::Embedded {
        let dir = &one.state.config.data_dir;
        opts.database_url = Some(Db::sqlite_url(dir));
        opts.signing_key = Some(dir.join("signing-key.pem"));
    }
    one.stop().await;
    // The outbox row is written as a stopped process would leave it: committed, never
    // sent (its worker is gone).
    state
        .webhooks
        .emit(EventType::SaleModeChanged, || json!({"mode": "queue_all"}))
        .await;
    assert!(receiver.got().is_empty(), "nothing sent by the stopped app");

    let two = start(opts).await;
    two.wait_until("the new process delivers it", WAIT, || async {
        !receiver.got().is_empty()
    })
    .await;
    let got = receiver.got();
    assert_eq!(payload(&got[0])["type"], "sale.mode_changed");
    assert_eq!(payload(&got[0])["data"]["mode"], "queue_all");
    assert!(signed_with(&got[0], hook["secret"].as_str().unwrap()));
    let id = hook["id"].as_str().unwrap();
    two.wait_until("recorded as delivered", WAIT, || async {
        two.deliveries(id).await[0]["status"] == "delivered"
    })
    .await;
}

async fn sale_and_refund_facts_are_told(backend: Backend) {
    let Some(app) = spawn_with(backend, options(true)).await else {
        return;
    };
    let receiver = Receiver::start(&[]).await;
    let hook = app.register_webhook(&receiver.url, json!(["*"])).await;
    let event = app
        .seated_event(
            json!([{"name": "A", "rows": 1, "seats_per_row": 2, "price_cents": 500}]),
            300,
            2,
        )
        .await;
    let id: waiting_room::EventId = event.parse().unwrap();
    // The poller's first look is the baseline (nothing is told for it).
    app.wait_until("the sale watched", WAIT, || async {
        app.state.db.webhook_sale_state(id).await.unwrap().is_some()
    })
    .await;
    let order = app.buy_seats(&event, &["A-1-1", "A-1-2"]).await;
    app.wait_until("sold out told", WAIT, || async {
        receiver.types().contains(&"sale.sold_out".to_owned())
    })
    .await;
    app.patch_admission(&event, json!({"paused": true})).await;
    app.wait_until("the pause told", WAIT, || async {
        receiver.types().contains(&"sale.paused".to_owned())
    })
    .await;
    let (status, refunded) = app
        .post(
            &format!(
                "/api/v1/orders/{}/refund",
                order["order_id"].as_str().unwrap()
            ),
            Some(&app.admin_token),
            &json!({"reason": "test refund"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{refunded}");
    app.patch_admission(&event, json!({"paused": false})).await;
    // A rate change is no mode change; a switch to queue_all and back is two.
    app.patch_admission(&event, json!({"rate_per_minute": 120}))
        .await;
    app.patch_admission(&event, json!({"mode": "queue_all", "message": "Back soon"}))
        .await;
    app.patch_admission(&event, json!({"mode": "queue"})).await;
    // The event's own edit may switch the mode too: told the same way.
    let (status, edited) = app
        .patch(
            &format!("/api/v1/admin/events/{event}"),
            Some(&app.admin_token),
            &json!({"admission": {"mode": "reject"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    app.wait_until("the refund and the resume told", WAIT, || async {
        let types = receiver.types();
        types.contains(&"order.refunded".to_owned())
            && types.contains(&"sale.resumed".to_owned())
            && types.iter().filter(|t| *t == "sale.mode_changed").count() >= 3
    })
    .await;
    let got = receiver.got();
    let secret = hook["secret"].as_str().unwrap();
    assert!(got.iter().all(|r| signed_with(r, secret)));
    let types = receiver.types();
    for t in [
        "order.confirmed",
        "sale.sold_out",
        "sale.paused",
        "order.refunded",
        "sale.resumed",
    ] {
        assert_eq!(
            types.iter().filter(|x| *x == t).count(),
            1,
            "{t} once: {types:?}"
        );
    }
    assert!(
        !types.contains(&"sale.opened".to_owned()),
        "it opened before it was watched"
    );
    let refund = got
        .iter()
        .map(payload)
        .find(|p| p["type"] == "order.refunded")
        .unwrap();
    assert_eq!(refund["data"]["order_id"], order["order_id"]);
    assert_eq!(refund["data"]["reason"], "test refund");
    assert_eq!(refund["data"]["refunded_cents"], 1000);
    let modes: Vec<_> = got
        .iter()
        .map(payload)
        .filter(|p| p["type"] == "sale.mode_changed")
        .map(|p| {
            assert_eq!(p["data"]["event_id"], event.as_str());
            (
                p["data"]["previous_mode"].clone(),
                p["data"]["mode"].clone(),
                p["data"]["message"].clone(),
            )
        })
        .collect();
    assert_eq!(
        modes,
        [
            (json!("queue"), json!("queue_all"), json!("Back soon")),
            (json!("queue_all"), json!("queue"), json!("Back soon")),
            (json!("queue"), json!("reject"), json!("Back soon")),
        ],
        "{types:?}"
    );
    let paused = got
        .iter()
        .map(payload)
        .find(|p| p["type"] == "sale.paused")
        .unwrap();
    assert_eq!(paused["data"]["event_id"], event.as_str());
    assert!(
        paused["timestamp"].as_str().unwrap().ends_with('Z'),
        "{paused}"
    );
}

async fn internal_addresses_are_refused_at_registration_and_delivery(backend: Backend) {
    let Some(app) = spawn_with(backend, options(false)).await else {
        return;
    };
    let receiver = Receiver::start(&[]).await;
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let admin = Some(app.admin_token.as_str());
    for (url, events, code) in [
        (receiver.url.clone(), json!(["*"]), "forbidden_webhook_url"),
        (
            format!("http://localhost:{port}/hook"),
            json!(["*"]),
            "forbidden_webhook_url",
        ),
        (
            "http://[::1]/hook".to_owned(),
            json!(["*"]),
            "forbidden_webhook_url",
        ),
        (
            "http://169.254.169.254/latest".to_owned(),
            json!(["*"]),
            "forbidden_webhook_url",
        ),
        (
            "http://10.0.0.8/hook".to_owned(),
            json!(["*"]),
            "forbidden_webhook_url",
        ),
        (
            "ftp://example.com/hook".to_owned(),
            json!(["*"]),
            "invalid_webhook_url",
        ),
        ("not a url".to_owned(), json!(["*"]), "invalid_webhook_url"),
        (
            "https://example.com/hook".to_owned(),
            json!(["order.shipped"]),
            "unknown_event_type",
        ),
        (
            "https://example.com/hook".to_owned(),
            json!([]),
            "unknown_event_type",
        ),
    ] {
        let (status, body) = app
            .post(
                "/api/v1/admin/webhooks",
                admin,
                &json!({"url": url, "events": events}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {body}");
        assert_eq!(body["error"]["code"], code, "{url}: {body}");
    }
    let (status, body) = app
        .post(
            "/api/v1/admin/webhooks",
            admin,
            &json!({"url": "https://example.com/", "events": ["*"], "extra": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let fan = app.fan().await;
    let (status, _) = app
        .post(
            "/api/v1/admin/webhooks",
            Some(&fan),
            &json!({"url": "https://example.com/", "events": ["*"]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, list) = app.get("/api/v1/admin/webhooks", admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["endpoints"], json!([]), "nothing registered: {list}");

    // An endpoint whose name resolves to an internal address later (DNS rebinding), or
    // one stored before the operator withdrew the flag: refused at delivery.
    let actor = server::db::Actor::system();
    for url in [
        format!("http://localhost:{port}/hook"),
        receiver.url.clone(),
    ] {
        let row = EndpointRow {
            id: uuid::Uuid::now_v7().to_string(),
            url,
            events: vec!["*".into()],
            secret: server::webhooks::signing::new_secret(),
            description: None,
            created_at_ms: 0,
        };
        app.state
            .db
            .insert_webhook_endpoint(&row, &actor)
            .await
            .unwrap();
    }
    app.state.webhooks.reload().await.unwrap();
    app.state
        .webhooks
        .emit(EventType::SaleModeChanged, || json!({"mode": "reject"}))
        .await;
    let (_, list) = app.get("/api/v1/admin/webhooks", admin).await;
    let ids: Vec<String> = list["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2);
    for id in &ids {
        app.wait_until("the refused attempt recorded", WAIT, || async {
            let log = app.deliveries(id).await;
            log.first()
                .is_some_and(|d| d["attempts"].as_u64() >= Some(1))
        })
        .await;
        let log = app.deliveries(id).await;
        let d = &log[0];
        assert!(d["last_status_code"].is_null(), "{d}");
        let error = d["last_error"].as_str().unwrap();
        assert!(error.contains("internal address"), "{error}");
        assert_eq!(d["status"], "pending", "retried later: {d}");
    }
    assert!(
        receiver.got().is_empty(),
        "nothing reached the internal receiver"
    );

    // Deleting an endpoint stops its deliveries and is answered 404 after.
    let (status, _) = app
        .http
        .delete(app.url(&format!("/api/v1/admin/webhooks/{}", ids[0])))
        .bearer_auth(&app.admin_token)
        .send()
        .await
        .map(|r| (r.status(), ()))
        .unwrap();
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app
        .get(&format!("/api/v1/admin/webhooks/{}", ids[0]), admin)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // A rotation is audited; one of a deleted endpoint changes nothing and says 404.
    for (id, want) in [(&ids[1], StatusCode::OK), (&ids[0], StatusCode::NOT_FOUND)] {
        let path = format!("/api/v1/admin/webhooks/{id}/rotate-secret");
        let (status, body) = app.post(&path, admin, &json!({})).await;
        assert_eq!(status, want, "{body}");
    }
    let (_, audit) = app.get("/api/v1/admin/webhooks/audit", admin).await;
    let actions: Vec<(&str, &str)> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["webhook_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions[..2],
        [
            ("webhook_secret_rotated", ids[1].as_str()),
            ("webhook_deleted", ids[0].as_str())
        ],
        "{audit}"
    );
}

/// Confirms that arrive together (PostgreSQL's group commit writes them in one
/// transaction, with their deliveries by one more statement): every order is told
/// once, with its own id.
async fn confirms_written_together_each_tell_their_order_once(backend: Backend) {
    let Some(app) = spawn_with(backend, options(true)).await else {
        return;
    };
    let receiver = Receiver::start(&[]).await;
    let hook = app
        .register_webhook(&receiver.url, json!(["order.confirmed"]))
        .await;
    let event = app
        .seated_event(
            json!([{"name": "A", "rows": 1, "seats_per_row": 24, "price_cents": 100}]),
            300,
            1,
        )
        .await;
    let mut holds = Vec::new();
    for seat in 1..=24 {
        let (_, token) = crate::helpers::buyer(&app, &event, 1, 600_000).await;
        let (status, hold) = app
            .hold(&event, &token, json!({ "seats": [format!("A-1-{seat}")] }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{hold}");
        holds.push((hold["hold_id"].as_str().unwrap().to_owned(), token));
    }
    let confirms = holds.iter().map(|(hold, token)| app.confirm(hold, token));
    let mut ordered: Vec<String> = futures_util::future::join_all(confirms)
        .await
        .into_iter()
        .map(|(status, order)| {
            assert_eq!(status, StatusCode::OK, "{order}");
            order["order_id"].as_str().unwrap().to_owned()
        })
        .collect();
    app.wait_until("every order told", WAIT, || async {
        receiver.got().len() >= 24
    })
    .await;
    let secret = hook["secret"].as_str().unwrap();
    let mut told: Vec<String> = receiver
        .got()
        .iter()
        .map(|r| {
            assert!(signed_with(r, secret));
            payload(r)["data"]["order_id"].as_str().unwrap().to_owned()
        })
        .collect();
    ordered.sort();
    told.sort();
    assert_eq!(told, ordered, "each order told once");
}

/// Retries stop a day after a delivery was written: the attempt after that marks it
/// `failed` (and "send again" gives it a new day).
async fn a_delivery_still_failing_after_a_day_is_marked_failed(backend: Backend) {
    let Some(app) = spawn_with(backend, options(true)).await else {
        return;
    };
    let receiver = Receiver::start(&[503, 503]).await;
    let hook = app.register_webhook(&receiver.url, json!(["*"])).await;
    let id = hook["id"].as_str().unwrap();
    // Written 25 hours ago (as if the receiver had failed all that time).
    let day_ago = waiting_room::clock::now_ms() - 25 * 3600 * 1000;
    let row = server::db::NewDelivery {
        id: uuid::Uuid::now_v7().to_string(),
        endpoint_id: id.to_owned(),
        message_id: "msg_old".into(),
        event_type: "sale.paused".into(),
        payload: r#"{"type":"sale.paused","timestamp":"2026-01-01T00:00:00Z","data":{}}"#.into(),
        created_at_ms: day_ago,
    };
    app.state
        .db
        .insert_webhook_deliveries(std::slice::from_ref(&row))
        .await
        .unwrap();
    app.state.webhooks.written();
    app.wait_until("the delivery given up", WAIT, || async {
        app.deliveries(id).await[0]["status"] == "failed"
    })
    .await;
    let d = &app.deliveries(id).await[0];
    assert_eq!(d["attempts"], 1, "{d}");
    assert_eq!(d["last_status_code"], 503);
    assert!(d["next_attempt_at"].is_null());
    assert_eq!(receiver.got().len(), 1, "not retried after giving up");

    let (status, again) = app
        .post(
            &format!("/api/v1/admin/webhooks/{id}/deliveries/{}/retry", row.id),
            Some(&app.admin_token),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{again}");
    app.wait_until("sent again, then retried", WAIT, || async {
        app.deliveries(id).await[0]["status"] == "delivered"
    })
    .await;
    assert_eq!(receiver.got().len(), 3, "503 once more, then 200");
    let (status, _) = app
        .post(
            &format!(
                "/api/v1/admin/webhooks/{id}/deliveries/{}/retry",
                uuid::Uuid::now_v7()
            ),
            Some(&app.admin_token),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
