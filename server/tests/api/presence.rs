//! Presence per replica with real processes (docs/ARCHITECTURE.md, "Presence per
//! replica"): three replicas on one Redis (and on the Redis Cluster when configured),
//! fans with sockets on each; `kill -9` of one. Its fans, who do not come back, lose
//! their places once its lease (three heartbeats) and then the grace period have run
//! out; every other fan keeps its place, though no replica renews anything per fan.
//! Skipped without the test services.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{next_json, Shared};
use crate::procs::{self, admin_token, call, create_event, deployments, fan_session};

/// The reconnect grace: heartbeats every 0.5 s, a lease of 1.5 s.
const GRACE_SECS: &str = "2";
/// Fans with a socket on each replica.
const PER_REPLICA: usize = 3;
/// The replica killed.
const VICTIM: usize = 2;

/// The event's waiting count, as replica `base` reads it from the store.
async fn waiting(http: &reqwest::Client, base: &str, admin: &str, event: &str) -> u64 {
    let (status, body) = call(
        http.get(format!("{base}/api/v1/admin/events/{event}/stats"))
            .bearer_auth(admin),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["waiting"].as_u64().expect("a waiting count")
}

async fn a_killed_replicas_fans_lose_their_places_and_no_one_else(shared: Shared) {
    let http = reqwest::Client::new();
    let env = [("FLOODGATE_RECONNECT_GRACE_SECS", GRACE_SECS)];
    let mut replicas = procs::replicas(&http, "presence", 3, &shared, &env).await;
    let base = replicas[0].base.clone();
    let admin = admin_token(&http, &base).await;
    let event = create_event(
        &http,
        &base,
        &admin,
        -1,
        json!({
            "name": "Presence",
            "sections": [{"name": "A", "rows": 2, "seats_per_row": 10, "price_cents": 5000}],
            "max_seats_per_order": 4, "hold_ttl_secs": 300,
            "admission": {"rate_per_minute": 60, "max_active": 100,
                          "session_ttl_secs": 600, "paused": true}
        }),
    )
    .await;

    // Fans join over sockets on each replica; a task per socket keeps reading (and so
    // answers pings) until the test ends.
    let mut readers = Vec::new();
    for (r, replica) in replicas.iter().enumerate() {
        for _ in 0..PER_REPLICA {
            let token = fan_session(&http, &replica.base).await;
            let url = format!(
                "ws://127.0.0.1:{}/api/v1/events/{event}/queue/ws?access_token={token}",
                replica.port
            );
            let (mut ws, _) = tokio_tungstenite::connect_async(url)
                .await
                .expect("queue socket opens");
            ws.send(Message::Text(json!({"type": "join"}).to_string().into()))
                .await
                .unwrap();
            let first: Value = loop {
                let m = next_json(&mut ws).await;
                if m["type"] == "queued" || m["type"] == "prequeue" {
                    break m;
                }
            };
            assert!(first["ticket"].is_string(), "{first}");
            readers.push((
                r,
                tokio::spawn(async move { while let Some(Ok(_)) = ws.next().await {} }),
            ));
        }
    }
    let all = (3 * PER_REPLICA) as u64;
    let start = Instant::now();
    while waiting(&http, &base, &admin, &event).await != all {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the sale never opened"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    replicas[VICTIM].kill();
    let killed = Instant::now();
    // Its lease runs out within 1.5 s and its fans' grace 2 s after: within about
    // 4 s (admission steps every 250 ms); allow for a loaded machine.
    let survivors = all - PER_REPLICA as u64;
    loop {
        let now = waiting(&http, &base, &admin, &event).await;
        assert!(now >= survivors, "someone else's place went: {now} waiting");
        if now == survivors {
            break;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(30),
            "the killed replica's fans kept their places: {now} waiting"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        killed.elapsed() >= Duration::from_millis(2_000),
        "not before the grace period: {:?}",
        killed.elapsed()
    );
    // Three more grace periods: the fans with sockets on the live replicas stay.
    tokio::time::sleep(Duration::from_secs(6)).await;
    for replica in [0, 1] {
        let base = &replicas[replica].base;
        assert_eq!(waiting(&http, base, &admin, &event).await, survivors);
    }
    for (r, reader) in &readers {
        assert_eq!(reader.is_finished(), *r == VICTIM, "replica {r}'s socket");
    }
    for (_, reader) in readers {
        reader.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_dash_nine_frees_only_the_killed_replicas_places_after_its_lease_and_grace() {
    for (name, shared) in deployments().await {
        eprintln!("presence, kill -9 of one replica, on {name}");
        a_killed_replicas_fans_lose_their_places_and_no_one_else(shared).await;
    }
}
