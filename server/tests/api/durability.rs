//! `kill -9` right after a confirm answered 200: after a restart the order is in the
//! database and its seats are sold. Runs the real `floodgate` binary.

use reqwest::StatusCode;
use serde_json::json;
use waiting_room::token::{PurchaseClaims, SigningKeys};

use crate::helpers::{temp_dir, Bound, Shared};
use crate::procs::{admin_token, call, create_event, free_port, ready, spawn};

async fn kill_after_confirm(shared: Option<Shared>) {
    let http = reqwest::Client::new();
    let data = temp_dir("kill9");
    let port = free_port();
    let mut server = spawn(&data, port, shared.as_ref(), &[]);
    ready(&http, &server.base).await;
    let base = server.base.clone();
    let admin = admin_token(&http, &base).await;
    let event_id = create_event(
        &http,
        &base,
        &admin,
        0,
        json!({
            "name": "Durable",
            "sections": [{"name": "A", "rows": 5, "seats_per_row": 10, "price_cents": 700}],
            "admission": {"rate_per_minute": 600, "max_active": 100}
        }),
    )
    .await;
    let (_, fan) = call(
        http.post(format!("{base}/api/v1/auth/register"))
            .json(&json!({"email": "durable@floodgate.test", "password": "fan-password"})),
    )
    .await;
    let user = fan["user_id"].as_str().unwrap().parse().unwrap();
    let key_path = shared
        .as_ref()
        .map_or(data.join("signing-key.pem"), |s| s.signing_key.clone());
    let keys = SigningKeys::load_or_create(&key_path, false).unwrap();
    let now = waiting_room::clock::now_ms();
    let claims = PurchaseClaims::new(
        user,
        event_id.parse().unwrap(),
        &waiting_room::TicketId::new(),
        now,
        now + 600_000,
        4,
    );
    let token = keys.sign(&claims);

    let (status, held) = call(
        http.post(format!("{base}/api/v1/events/{event_id}/holds"))
            .bound_with(&keys, &token)
            .json(&json!({"seats": ["A-2-3", "A-2-4"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let hold_id = held["hold_id"].as_str().unwrap();
    let (status, order) = call(
        http.post(format!("{base}/api/v1/holds/{hold_id}/confirm"))
            .bound_with(&keys, &token),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{order}");
    server.child.kill().expect("SIGKILL"); // kill -9, right after the 200
    server.child.wait().unwrap();

    let mut again = spawn(&data, port, shared.as_ref(), &[]);
    ready(&http, &again.base).await;
    let (_, seats) = call(http.get(format!("{base}/api/v1/events/{event_id}/seats"))).await;
    assert_eq!(seats["seats"]["A-2-3"], "sold", "{seats}");
    assert_eq!(seats["seats"]["A-2-4"], "sold");
    assert_eq!(
        seats["seats"]
            .as_object()
            .unwrap()
            .values()
            .filter(|s| *s == "sold")
            .count(),
        2
    );
    let (_, login) = call(
        http.post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": "durable@floodgate.test", "password": "fan-password"})),
    )
    .await;
    let (status, orders) = call(
        http.get(format!("{base}/api/v1/orders"))
            .bearer_auth(login["token"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(orders[0]["order_id"], order["order_id"]);
    assert_eq!(orders[0]["seats"], json!(["A-2-3", "A-2-4"]));
    // The sold seats cannot be held again.
    let other = PurchaseClaims::new(
        waiting_room::UserId::new(),
        event_id.parse().unwrap(),
        &waiting_room::TicketId::new(),
        now,
        now + 600_000,
        4,
    );
    let (status, body) = call(
        http.post(format!("{base}/api/v1/events/{event_id}/holds"))
            .bound_with(&keys, &keys.sign(&other))
            .json(&json!({"seats": ["A-2-3"]})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("seats_unavailable"))
    );
    again.child.kill().unwrap();
    again.child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_dash_nine_after_confirm_loses_nothing_embedded() {
    kill_after_confirm(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_dash_nine_after_confirm_loses_nothing_on_redis_and_postgres() {
    let Some(shared) = Shared::fresh().await else {
        return;
    };
    kill_after_confirm(Some(shared)).await;
}
