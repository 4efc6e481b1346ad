//! The served OpenAPI document as a contract: one realistic walk through the API per
//! backend, every answer validated (JSON Schema 2020-12, formats included) against the
//! schema the document declares for its operation, status and content type, and every
//! WebSocket frame against the message schema the document declares for it.

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::{HeaderMap, CONTENT_TYPE, COOKIE, ORIGIN, SET_COOKIE};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{
    spawn_app, uuid_simple, Backend, Bound, TestApp, ADMIN_EMAIL, ADMIN_PASSWORD,
};

crate::both_backends!(
    real_answers_match_the_documented_schemas,
    frames_of_a_slow_line_match_the_documented_messages,
);

/// A validator for `schema` (a schema of the document) whose `#/components/...`
/// references resolve: the document's `components` ride along at the schema's root,
/// where JSON Schema ignores them as an unknown keyword. Formats (`date-time`, `uuid`)
/// are checked; OpenAPI's own (`int32`, `int64`) are unknown and ignored.
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = match schema {
        Value::Object(map) => map.clone(),
        other => panic!("not an object schema: {other}"),
    };
    root.insert("components".into(), doc["components"].clone());
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&Value::Object(root))
        .unwrap_or_else(|e| panic!("invalid schema {schema}: {e}"))
}

/// Why `instance` does not fit `schema`, one line per violation.
pub(crate) fn violations(doc: &Value, schema: &Value, instance: &Value) -> Vec<String> {
    validator(doc, schema)
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

/// A named schema of the document, as a schema.
fn component(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// One answer (of the status asserted): its headers and body (JSON, or the text as a
/// string).
struct Answer {
    headers: HeaderMap,
    body: Value,
}

/// The served document, and the answers checked against it.
struct Contract {
    doc: Value,
    checked: BTreeSet<String>,
}

impl Contract {
    async fn fetch(app: &TestApp) -> Self {
        let (status, doc) = app.get("/api/v1/openapi.json", None).await;
        assert_eq!(status, StatusCode::OK);
        Self {
            doc,
            checked: BTreeSet::new(),
        }
    }

    /// The response the document declares for `method path` answering `status`.
    fn response(&self, method: &str, path: &str, status: u16) -> &Value {
        let op = &self.doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not documented");
        let mut response = &op["responses"][status.to_string()];
        assert!(
            response.is_object(),
            "{method} {path}: status {status} is not documented"
        );
        if let Some(name) = response["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/responses/"))
        {
            response = &self.doc["components"]["responses"][name];
        }
        response
    }

    /// The schema the document declares for `method path` answering `status` with
    /// `content_type`; `None` when it declares no body for that status.
    fn schema(&self, method: &str, path: &str, status: u16, content_type: &str) -> Option<Value> {
        let response = self.response(method, path, status);
        let content = response["content"].as_object()?;
        let essence = |t: &str| t.split(';').next().unwrap_or("").trim().to_owned();
        let (_, media) = content
            .iter()
            .find(|(t, _)| t.as_str() == content_type)
            .or_else(|| {
                content
                    .iter()
                    .find(|(t, _)| essence(t) == essence(content_type))
            })
            .unwrap_or_else(|| {
                panic!("{method} {path} {status}: content type {content_type} is not documented")
            });
        let schema = media.get("schema").unwrap_or_else(|| {
            panic!("{method} {path} {status} {content_type}: documented without a schema")
        });
        Some(schema.clone())
    }

    /// Sends `request` (documented as `method path`), asserts `expected`, and validates
    /// the answer against the documented schema.
    async fn op(
        &mut self,
        request: RequestBuilder,
        method: &str,
        path: &str,
        expected: StatusCode,
    ) -> Answer {
        let resp = request.send().await.expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        assert_eq!(status, expected, "{method} {path}: {text}");
        let content_type = headers
            .get(CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned());
        let body = match self.schema(
            method,
            path,
            status.as_u16(),
            content_type.as_deref().unwrap_or(""),
        ) {
            None => {
                assert!(
                    text.is_empty(),
                    "{method} {path} {status}: documented without a body, answered {text}"
                );
                Value::Null
            }
            Some(schema) => {
                let json = content_type.as_deref().is_some_and(|t| t.contains("json"));
                let body = if json {
                    serde_json::from_str(&text)
                        .unwrap_or_else(|e| panic!("{method} {path}: {e} in {text}"))
                } else {
                    Value::String(text)
                };
                if let Some(code) = body["error"]["code"].as_str() {
                    // The schema allows every code; the response must name this one
                    // (in its description or an example).
                    let words = self.response(method, path, status.as_u16()).to_string();
                    assert!(
                        words.contains(&format!("`{code}`"))
                            || words.contains(&format!("\"code\":\"{code}\"")),
                        "{method} {path} {status}: code {code} is not documented for it"
                    );
                }
                let wrong = violations(&self.doc, &schema, &body);
                assert!(
                    wrong.is_empty(),
                    "{method} {path} {status} does not match its documented schema:\n{}\nbody: {body}",
                    wrong.join("\n")
                );
                body
            }
        };
        self.checked
            .insert(format!("{method} {path} {}", status.as_u16()));
        Answer { headers, body }
    }

    /// Validates a WebSocket frame against the named message schema.
    fn frame(&mut self, schema: &str, frame: &Value) {
        let wrong = violations(&self.doc, &component(schema), frame);
        assert!(
            wrong.is_empty(),
            "frame does not match {schema}:\n{}\nframe: {frame}",
            wrong.join("\n")
        );
        let kind = frame["type"].as_str().unwrap_or("frame");
        self.checked.insert(format!("{schema} {kind}"));
    }
}

impl Contract {
    /// Validates the claims of a purchase token against `PurchaseTokenClaims`.
    fn claims(&mut self, token: &str) {
        use base64::Engine;
        let payload = token.split('.').nth(1).expect("a JWT");
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url claims");
        let claims: Value = serde_json::from_slice(&claims).unwrap();
        self.frame("PurchaseTokenClaims", &claims);
    }
}

/// The next text frame of `ws` as JSON; panics after 10 s.
async fn next_frame<S>(ws: &mut S) -> Value
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a frame within 10 s")
            .expect("socket open")
            .expect("a frame");
        if let Message::Text(t) = msg {
            return serde_json::from_str(t.as_str()).unwrap();
        }
    }
}

async fn real_answers_match_the_documented_schemas(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut c = Contract::fetch(&app).await;
    let http = app.http.clone();
    let url = |p: &str| app.url(p);
    const OK: StatusCode = StatusCode::OK;
    let missing = "00000000-0000-4000-8000-000000000000";
    let openapi = "/api/v1/openapi.json";
    c.op(http.get(url(openapi)), "get", openapi, OK).await;

    // Operations.
    c.op(http.get(url("/api/v1/time")), "get", "/api/v1/time", OK)
        .await;
    c.op(http.get(url("/healthz")), "get", "/healthz", OK).await;
    c.op(http.get(url("/readyz")), "get", "/readyz", OK).await;
    c.op(app.metrics(), "get", "/metrics", OK).await;
    let anonymous = StatusCode::UNAUTHORIZED;
    c.op(http.get(url("/metrics")), "get", "/metrics", anonymous)
        .await;
    c.op(
        http.get(url("/.well-known/jwks.json")),
        "get",
        "/.well-known/jwks.json",
        OK,
    )
    .await;

    // Accounts.
    let email = format!("contract-{}@floodgate.test", uuid_simple());
    let creds = json!({"email": email, "password": "fan-password"});
    let (register, login) = ("/api/v1/auth/register", "/api/v1/auth/login");
    c.op(
        http.post(url(register)).json(&creds),
        "post",
        register,
        StatusCode::CREATED,
    )
    .await;
    c.op(
        http.post(url(register)).json(&creds),
        "post",
        register,
        StatusCode::CONFLICT,
    )
    .await;
    let bad = json!({"email": "not-an-email", "password": "fan-password"});
    c.op(
        http.post(url(register)).json(&bad),
        "post",
        register,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let fan = c
        .op(http.post(url(login)).json(&creds), "post", login, OK)
        .await;
    let fan = fan.body["token"].as_str().unwrap().to_owned();
    let wrong = json!({"email": email, "password": "wrong-password"});
    c.op(
        http.post(url(login)).json(&wrong),
        "post",
        login,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let admin = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD});
    c.op(http.post(url(login)).json(&admin), "post", login, OK)
        .await;

    // The browser session (cookie).
    let session = "/api/v1/auth/session";
    let signed_in = c
        .op(http.post(url(session)).json(&creds), "post", session, OK)
        .await;
    let cookie = signed_in.headers[SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let foreign = http
        .post(url(session))
        .header(ORIGIN, "https://elsewhere.example")
        .json(&creds);
    c.op(foreign, "post", session, StatusCode::FORBIDDEN).await;
    c.op(
        http.get(url(session)).header(COOKIE, &cookie),
        "get",
        session,
        OK,
    )
    .await;
    // No one signed in: 204 for a browser; a bearer token that is no session, 401.
    c.op(
        http.get(url(session)),
        "get",
        session,
        StatusCode::NO_CONTENT,
    )
    .await;
    c.op(
        http.get(url(session)).bearer_auth("not.a.token"),
        "get",
        session,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    c.op(
        http.delete(url(session)).header(COOKIE, &cookie),
        "delete",
        session,
        StatusCode::NO_CONTENT,
    )
    .await;

    // A password change and signing out everywhere, on an account of their own.
    let other = json!({"email": "schemas-other@floodgate.test", "password": "fan-password"});
    c.op(
        http.post(url(register)).json(&other),
        "post",
        register,
        StatusCode::CREATED,
    )
    .await;
    let token = c
        .op(http.post(url(login)).json(&other), "post", login, OK)
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let password = "/api/v1/auth/password";
    for (body, status) in [
        (
            json!({"current_password": "wrong-password", "new_password": "new-password-1"}),
            StatusCode::FORBIDDEN,
        ),
        (
            json!({"current_password": "fan-password", "new_password": "short"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            json!({"current_password": "fan-password", "new_password": "new-password-1"}),
            StatusCode::NO_CONTENT,
        ),
    ] {
        c.op(
            http.post(url(password)).bearer_auth(&token).json(&body),
            "post",
            password,
            status,
        )
        .await;
    }
    let renewed = json!({"email": "schemas-other@floodgate.test", "password": "new-password-1"});
    let token = c
        .op(http.post(url(login)).json(&renewed), "post", login, OK)
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let everywhere = "/api/v1/auth/sessions";
    c.op(
        http.delete(url(everywhere)).bearer_auth(&token),
        "delete",
        everywhere,
        StatusCode::NO_CONTENT,
    )
    .await;
    c.op(
        http.delete(url(everywhere)).bearer_auth(&token),
        "delete",
        everywhere,
        StatusCode::UNAUTHORIZED,
    )
    .await;

    // Events, as admin and as anyone.
    let create = "/api/v1/admin/events";
    let starts_at = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    let new_event = json!({
        "name": "Contract sale",
        "starts_at": starts_at.format(&time::format_description::well_known::Rfc3339).unwrap(),
        "sections": [{"name": "A", "rows": 2, "seats_per_row": 5, "price_cents": 5000}],
        "max_seats_per_order": 4,
        "hold_ttl_secs": 300,
        "admission": {"rate_per_minute": 60_000, "max_active": 1_000, "session_ttl_secs": 600},
    });
    let admin = app.admin_token.clone();
    let event = c
        .op(
            http.post(url(create)).bearer_auth(&admin).json(&new_event),
            "post",
            create,
            StatusCode::CREATED,
        )
        .await;
    let event = event.body["id"].as_str().unwrap().to_owned();
    c.op(
        http.post(url(create)).bearer_auth(&fan).json(&new_event),
        "post",
        create,
        StatusCode::FORBIDDEN,
    )
    .await;
    c.op(
        http.post(url(create)).json(&new_event),
        "post",
        create,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    c.op(
        http.post(url(create))
            .bearer_auth(&admin)
            .json(&json!({"name": ""})),
        "post",
        create,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let fans = "/api/v1/admin/fans";
    let bulk = json!({"count": 2, "tag": format!("contract-{}", uuid_simple())});
    c.op(
        http.post(url(fans)).bearer_auth(&admin).json(&bulk),
        "post",
        fans,
        StatusCode::CREATED,
    )
    .await;
    c.op(
        http.post(url(fans)).bearer_auth(&admin).json(&bulk),
        "post",
        fans,
        StatusCode::CONFLICT,
    )
    .await;
    c.op(http.get(url("/api/v1/events")), "get", "/api/v1/events", OK)
        .await;
    let one = "/api/v1/events/{id}";
    c.op(
        http.get(url(&format!("/api/v1/events/{event}"))),
        "get",
        one,
        OK,
    )
    .await;
    c.op(
        http.get(url(&format!("/api/v1/events/{missing}"))),
        "get",
        one,
        StatusCode::NOT_FOUND,
    )
    .await;
    let admission = "/api/v1/admin/events/{id}/admission";
    c.op(
        http.patch(url(&format!("/api/v1/admin/events/{event}/admission")))
            .bearer_auth(&admin)
            .json(&json!({"rate_per_minute": 30_000})),
        "patch",
        admission,
        OK,
    )
    .await;
    app.wait_until("sale opens", Duration::from_secs(10), || async {
        app.stats(&event).await["opened"] == json!(true)
    })
    .await;

    // The queue: a socket fan is admitted; another fan joins and leaves over HTTP.
    let mut ws = app.connect(&event, &fan).await;
    ws.send(json!({"type": "join"})).await;
    let purchase = loop {
        let frame = next_frame(&mut ws.ws).await;
        c.frame("ServerMessage", &frame);
        if frame["type"] == "admitted" {
            break frame["purchase_token"].as_str().unwrap().to_owned();
        }
    };
    c.claims(&purchase);
    ws.send(json!({"type": "wave"})).await;
    let frame = next_frame(&mut ws.ws).await;
    assert_eq!(frame["type"], "error", "{frame}");
    c.frame("ServerMessage", &frame);
    let me = "/api/v1/events/{id}/queue/me";
    let me_url = url(&format!("/api/v1/events/{event}/queue/me"));
    c.op(http.get(&me_url).bearer_auth(&fan), "get", me, OK)
        .await;
    let other = app.fan().await;
    let (join, leave) = (
        "/api/v1/events/{id}/queue/join",
        "/api/v1/events/{id}/queue/leave",
    );
    c.op(
        http.post(url(&format!("/api/v1/events/{event}/queue/join")))
            .bearer_auth(&other),
        "post",
        join,
        OK,
    )
    .await;
    c.op(
        http.post(url(&format!("/api/v1/events/{event}/queue/leave")))
            .bearer_auth(&other),
        "post",
        leave,
        OK,
    )
    .await;
    c.op(http.get(&me_url), "get", me, StatusCode::UNAUTHORIZED)
        .await;
    let stranger = app.fan().await;
    let never = c
        .op(http.get(&me_url).bearer_auth(&stranger), "get", me, OK)
        .await;
    assert_eq!(never.body["code"], "not_in_queue", "{}", never.body);
    let socket = "/api/v1/events/{id}/queue/ws";
    c.op(
        http.get(url(&format!("/api/v1/events/{event}/queue/ws")))
            .bearer_auth(&fan),
        "get",
        socket,
        StatusCode::BAD_REQUEST,
    )
    .await;
    // Proof of work: the challenge, a join refused without a solution (HTTP and
    // socket), one with it.
    let hard = app
        .create_event_with(
            3_600_000,
            json!({"rate_per_minute": 60, "max_active": 10}),
            json!({"pow_difficulty": 4}),
        )
        .await;
    let challenge = "/api/v1/events/{id}/challenge";
    let challenge_url = url(&format!("/api/v1/events/{hard}/challenge"));
    let issued = c
        .op(
            http.post(&challenge_url).bearer_auth(&other),
            "post",
            challenge,
            OK,
        )
        .await;
    c.op(
        http.post(&challenge_url),
        "post",
        challenge,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let hard_join = url(&format!("/api/v1/events/{hard}/queue/join"));
    let refused = c
        .op(
            http.post(&hard_join).bearer_auth(&other),
            "post",
            join,
            StatusCode::FORBIDDEN,
        )
        .await;
    assert_eq!(refused.body["error"]["code"], "pow_required");
    let mut pow_ws = app.connect(&hard, &stranger).await;
    pow_ws.send(json!({"type": "join"})).await;
    let frame = pow_ws
        .expect("error", std::time::Duration::from_secs(10))
        .await;
    c.frame("ServerMessage", &frame);
    pow_ws.close().await;
    let text = issued.body["challenge"].as_str().unwrap();
    let (solution, _) = waiting_room::pow::solve(text, 4);
    c.op(
        http.post(format!("{hard_join}?pow={solution}"))
            .bearer_auth(&other),
        "post",
        join,
        OK,
    )
    .await;
    let later = app
        .create_event(3_600_000, json!({"rate_per_minute": 60, "max_active": 10}))
        .await;
    let early = c
        .op(
            http.post(url(&format!("/api/v1/events/{later}/queue/join")))
                .bearer_auth(&other),
            "post",
            join,
            OK,
        )
        .await;
    assert_eq!(early.body["type"], "prequeue", "{}", early.body);

    // A third fan waits out a pause on the socket: `paused`, then `resumed` and
    // `admitted` (and `availability` on the way).
    let patch_url = url(&format!("/api/v1/admin/events/{event}/admission"));
    let pause = |paused: bool| {
        http.patch(&patch_url)
            .bearer_auth(&admin)
            .json(&json!({"paused": paused}))
    };
    c.op(pause(true), "patch", admission, OK).await;
    let third = app.fan().await;
    let mut waiting = app.connect(&event, &third).await;
    waiting.send(json!({"type": "join"})).await;
    let mut resumed = false;
    let second = loop {
        let frame = next_frame(&mut waiting.ws).await;
        c.frame("ServerMessage", &frame);
        match frame["type"].as_str() {
            Some("paused") if !resumed => {
                resumed = true;
                c.op(pause(false), "patch", admission, OK).await;
            }
            Some("admitted") => break frame["purchase_token"].as_str().unwrap().to_owned(),
            _ => {}
        }
    };
    assert!(resumed, "the waiting fan was never told of the pause");
    waiting.close().await;

    // The checkout: hold, confirm, a conflicting hold, a released hold.
    let holds = "/api/v1/events/{id}/holds";
    let holds_url = url(&format!("/api/v1/events/{event}/holds"));
    let hold = c
        .op(
            http.post(&holds_url)
                .bearer_auth(&purchase)
                .header("floodgate-session", &fan)
                .json(&json!({"seats": ["A-1-1", "A-1-2"]})),
            "post",
            holds,
            StatusCode::CREATED,
        )
        .await;
    let hold_id = hold.body["hold_id"].as_str().unwrap().to_owned();
    c.op(
        http.post(&holds_url)
            .bearer_auth(&second)
            .header("floodgate-session", &third)
            .json(&json!({"seats": ["A-1-2", "A-1-3"]})),
        "post",
        holds,
        StatusCode::CONFLICT,
    )
    .await;
    c.op(
        http.post(&holds_url)
            .bearer_auth(&second)
            .header("floodgate-session", &third)
            .json(&json!({"seats": []})),
        "post",
        holds,
        StatusCode::BAD_REQUEST,
    )
    .await;
    c.op(
        http.post(&holds_url).json(&json!({"quantity": 1})),
        "post",
        holds,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // A purchase token with another account's session, or with none.
    c.op(
        http.post(&holds_url)
            .bearer_auth(&purchase)
            .header("floodgate-session", &third)
            .json(&json!({"quantity": 1})),
        "post",
        holds,
        StatusCode::FORBIDDEN,
    )
    .await;
    c.op(
        http.post(&holds_url)
            .bearer_auth(&purchase)
            .json(&json!({"quantity": 1})),
        "post",
        holds,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let confirm = "/api/v1/holds/{hold_id}/confirm";
    let order = c
        .op(
            http.post(url(&format!("/api/v1/holds/{hold_id}/confirm")))
                .bearer_auth(&purchase)
                .header("floodgate-session", &fan)
                .json(&json!({})),
            "post",
            confirm,
            OK,
        )
        .await;
    let order_id = order.body["order_id"].as_str().unwrap().to_owned();
    c.op(
        http.post(url(
            "/api/v1/holds/0123456789abcdef0123456789abcdef/confirm",
        ))
        .bearer_auth(&purchase)
        .header("floodgate-session", &fan)
        .json(&json!({})),
        "post",
        confirm,
        StatusCode::GONE,
    )
    .await;
    let released = c
        .op(
            http.post(&holds_url)
                .bearer_auth(&second)
                .header("floodgate-session", &third)
                .json(&json!({"quantity": 2, "section": "A"})),
            "post",
            holds,
            StatusCode::CREATED,
        )
        .await;
    let released = released.body["hold_id"].as_str().unwrap().to_owned();
    c.op(
        http.delete(url(&format!("/api/v1/holds/{released}")))
            .bearer_auth(&second)
            .header("floodgate-session", &third),
        "delete",
        "/api/v1/holds/{hold_id}",
        StatusCode::NO_CONTENT,
    )
    .await;
    c.op(
        http.get(url("/api/v1/orders")).bearer_auth(&fan),
        "get",
        "/api/v1/orders",
        OK,
    )
    .await;

    // Refunds: this event offers fans none; an admin refunds with a reason.
    let refund = "/api/v1/orders/{order_id}/refund";
    let refund_url = url(&format!("/api/v1/orders/{order_id}/refund"));
    c.op(
        http.post(&refund_url).bearer_auth(&fan).json(&json!({})),
        "post",
        refund,
        StatusCode::CONFLICT,
    )
    .await;
    c.op(
        http.post(url(&format!(
            "/api/v1/orders/{}/refund",
            uuid::Uuid::now_v7()
        )))
        .bearer_auth(&fan)
        .json(&json!({})),
        "post",
        refund,
        StatusCode::NOT_FOUND,
    )
    .await;
    c.op(
        http.post(&refund_url).bearer_auth(&admin).json(&json!({})),
        "post",
        refund,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let seats = "/api/v1/events/{id}/seats";
    let seats_url = url(&format!("/api/v1/events/{event}/seats"));
    c.op(http.get(&seats_url), "get", seats, OK).await;
    c.op(
        http.get(format!("{seats_url}?format=compact")),
        "get",
        seats,
        OK,
    )
    .await;
    c.op(
        http.get(url(&format!("/api/v1/events/{missing}/seats"))),
        "get",
        seats,
        StatusCode::NOT_FOUND,
    )
    .await;

    // The seat stream, in both formats.
    for query in ["", "?format=compact"] {
        let (mut stream, _) = tokio_tungstenite::connect_async(format!(
            "ws://127.0.0.1:{}/api/v1/events/{event}/seats/ws{query}",
            app.port
        ))
        .await
        .expect("seat stream opens");
        let frame = next_frame(&mut stream).await;
        c.frame("SeatStreamMessage", &frame);
    }

    // The admin's view.
    let admin_get = |path: &str| {
        http.get(url(&path.replace("{id}", &event)))
            .bearer_auth(&admin)
    };
    for path in [
        "/api/v1/admin/events/{id}/stats",
        "/api/v1/admin/events/{id}/stats/history",
        "/api/v1/admin/events/{id}/audit",
    ] {
        c.op(admin_get(path), "get", path, OK).await;
    }
    // Held-back seats: the admins' map, a hold-back and a release of a free seat, a
    // hold-back of a sold one, a bad body.
    let seats_path = "/api/v1/admin/events/{id}/seats";
    let map = c.op(admin_get(seats_path), "get", seats_path, OK).await;
    let free = map.body["states"]
        .as_str()
        .unwrap()
        .find('f')
        .expect("a free seat");
    let free_id = format!("A-{}-{}", free / 5 + 1, free % 5 + 1);
    for (path, body, status) in [
        ("hold-back", json!({"seats": [free_id]}), OK),
        ("release", json!({"seats": [free_id]}), OK),
        (
            "hold-back",
            json!({"seats": ["A-1-1"]}),
            StatusCode::CONFLICT,
        ),
        ("hold-back", json!({}), StatusCode::BAD_REQUEST),
    ] {
        let documented = format!("/api/v1/admin/events/{{id}}/seats/{path}");
        let request = http
            .post(url(&format!("/api/v1/admin/events/{event}/seats/{path}")))
            .bearer_auth(&admin)
            .json(&body);
        c.op(request, "post", &documented, status).await;
    }
    // The admin's refund, after the hold-back of a sold seat above (it frees A-1-1).
    c.op(
        http.post(&refund_url)
            .bearer_auth(&admin)
            .json(&json!({"reason": "contract test"})),
        "post",
        refund,
        OK,
    )
    .await;
    c.op(
        http.post(&refund_url).json(&json!({})),
        "post",
        refund,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let (mut stats, _) = tokio_tungstenite::connect_async(format!(
        "ws://127.0.0.1:{}/api/v1/admin/events/{event}/stats/ws?access_token={admin}",
        app.port
    ))
    .await
    .expect("stats socket opens");
    let frame = next_frame(&mut stats).await;
    c.frame("Stats", &frame);

    ws.close().await;
    let errors = c
        .checked
        .iter()
        .filter(|k| k.rsplit(' ').next().is_some_and(|s| s.starts_with('4')));
    assert!(
        errors.count() >= 5,
        "too few error answers: {:?}",
        c.checked
    );
    eprintln!(
        "checked against the document:\n{}",
        c.checked.iter().cloned().collect::<Vec<_>>().join("\n")
    );
    app.stop().await;
}

/// The frames a fan in line sees while someone else shops (`position`, `sold_out`,
/// `availability`, `resumed`), and the seat stream's deltas, against their schemas.
async fn frames_of_a_slow_line_match_the_documented_messages(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let mut c = Contract::fetch(&app).await;
    // Two seats; one shopper at a time; admission paused until both are in line.
    let starts_at = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    let (status, event) = app
        .post(
            "/api/v1/admin/events",
            Some(&app.admin_token),
            &json!({
                "name": "Slow line",
                "starts_at": starts_at.format(&time::format_description::well_known::Rfc3339).unwrap(),
                "sections": [{"name": "A", "rows": 1, "seats_per_row": 2, "price_cents": 100}],
                "max_seats_per_order": 2,
                "admission": {"rate_per_minute": 60, "max_active": 1, "paused": true},
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{event}");
    let event = event["id"].as_str().unwrap().to_owned();
    app.wait_until("sale opens", Duration::from_secs(10), || async {
        app.stats(&event).await["opened"] == json!(true)
    })
    .await;
    let (first, second) = (app.fan().await, app.fan().await);
    let mut shopper = app.connect(&event, &first).await;
    let mut waiter = app.connect(&event, &second).await;
    shopper.send(json!({"type": "join"})).await;
    let frame = next_frame(&mut shopper.ws).await;
    c.frame("ServerMessage", &frame);
    waiter.send(json!({"type": "join"})).await;
    let frame = next_frame(&mut waiter.ws).await;
    c.frame("ServerMessage", &frame);
    assert_eq!(frame["type"], "queued", "{frame}");
    app.patch_admission(&event, json!({"paused": false})).await;
    let token = loop {
        let frame = next_frame(&mut shopper.ws).await;
        c.frame("ServerMessage", &frame);
        if frame["type"] == "admitted" {
            break frame["purchase_token"].as_str().unwrap().to_owned();
        }
    };
    let (mut seats, _) = tokio_tungstenite::connect_async(format!(
        "ws://127.0.0.1:{}/api/v1/events/{event}/seats/ws",
        app.port
    ))
    .await
    .expect("seat stream opens");
    let frame = next_frame(&mut seats).await;
    c.frame("SeatStreamMessage", &frame);
    let (status, hold) = app.hold(&event, &token, json!({"quantity": 2})).await;
    assert_eq!(status, StatusCode::CREATED, "{hold}");
    let frame = loop {
        let frame = next_frame(&mut seats).await;
        c.frame("SeatStreamMessage", &frame);
        if frame["type"] == "delta" {
            break frame;
        }
    };
    assert_eq!(frame["changes"].as_array().unwrap().len(), 2, "{frame}");
    // The waiter moves up, then hears the seats are gone, then that they are back.
    let mut seen = BTreeSet::new();
    let mut released = false;
    loop {
        let frame = next_frame(&mut waiter.ws).await;
        c.frame("ServerMessage", &frame);
        let kind = frame["type"].as_str().unwrap().to_owned();
        if released && kind == "resumed" {
            break;
        }
        seen.insert(kind);
        if !released && seen.contains("position") && seen.contains("sold_out") {
            let hold_id = hold["hold_id"].as_str().unwrap();
            let resp = app
                .http
                .delete(app.url(&format!("/api/v1/holds/{hold_id}")))
                .bound(&app, &token)
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::NO_CONTENT);
            released = true;
        }
    }
    shopper.close().await;
    waiter.close().await;
    eprintln!("frames checked: {:?}", c.checked);
    app.stop().await;
}

/// The validator is not a rubber stamp: answers that drift from the document fail.
/// (The data schemas are derived from the types; this is the document as served.)
#[test]
fn drifted_bodies_are_refused() {
    let doc: Value = serde_json::from_str(server::routes::openapi_document()).unwrap();
    let hold = json!({
        "hold_id": "9b2f4c6d8e0a41b3a5c7d9e1f3a5b7c9",
        "seats": ["A-1-5"],
        "expires_at": "2026-01-01T00:00:00Z",
        "total_cents": 5000,
    });
    assert!(violations(&doc, &component("HoldAnswer"), &hold).is_empty());
    let mut missing = hold.clone();
    missing.as_object_mut().unwrap().remove("total_cents");
    assert!(!violations(&doc, &component("HoldAnswer"), &missing).is_empty());
    let mut retyped = hold.clone();
    retyped["total_cents"] = json!("5000");
    assert!(!violations(&doc, &component("HoldAnswer"), &retyped).is_empty());
    let mut bad_seat = hold.clone();
    bad_seat["seats"] = json!(["A-0-5"]);
    assert!(!violations(&doc, &component("HoldAnswer"), &bad_seat).is_empty());
    let mut bad_time = hold.clone();
    bad_time["expires_at"] = json!("tomorrow");
    assert!(!violations(&doc, &component("HoldAnswer"), &bad_time).is_empty());
    let mut extra = hold;
    extra["order_id"] = json!("not documented");
    assert!(!violations(&doc, &component("HoldAnswer"), &extra).is_empty());
    // An audit entry's `after` follows its action.
    let settings = json!({"rate_per_minute": 60, "max_active": 10, "session_ttl_secs": 600,
        "paused": false, "mode": "queue_all", "message": "Hold on.",
        "safety_net": {"max_shoppers": 100, "max_arrivals_per_minute": 600}});
    let entry = json!({
        "id": 1, "at": "2026-01-01T00:00:00.000Z",
        "actor": {"id": "0190f5d2-8c1e-7a3b-9f00-1234567890ab", "email": "admin@example.com"},
        "action": "admission_changed", "before": settings, "after": settings,
    });
    assert!(violations(&doc, &component("AuditEntry"), &entry).is_empty());
    let mut half = entry;
    half["after"] = json!({"paused": true});
    assert!(!violations(&doc, &component("AuditEntry"), &half).is_empty());
    // An error with an extra field, and a frame of an undocumented type.
    let error = json!({"error": {"code": "not_found", "message": "no such event", "x": 1}});
    assert!(!violations(&doc, &component("Error"), &error).is_empty());
    let frame = json!({"type": "teleported"});
    assert!(!violations(&doc, &component("ServerMessage"), &frame).is_empty());
}
