//! The commit-reveal pre-queue draw (docs/FAIRNESS.md), through the API: the
//! commitment from the creation, nothing of the seed before the draw (event, list,
//! admin answers), then the seed, the record, the fans' places in the drawn order,
//! and `floodgate verify-shuffle` and the Python reimplementation confirming it, and
//! rejecting tampered copies.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{json, Value};
use waiting_room::shuffle::{shuffled, ShuffleSeed};

use crate::helpers::{spawn_app, Backend};

crate::both_backends!(the_draw_is_committed_hidden_then_revealed_and_checkable);
crate::on_cluster!(the_draw_is_committed_hidden_then_revealed_and_checkable);

mod after_opening {
    use super::buyers_after_the_opening_count_in_join_order;
    crate::both_backends!(buyers_after_the_opening_count_in_join_order);
}

const FANS: usize = 12;

async fn the_draw_is_committed_hidden_then_revealed_and_checkable(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let tokens = app.fans(FANS).await;
    // Paused: nobody is admitted, so every fan's place shows the drawn order.
    let starts_at = time::OffsetDateTime::now_utc() + time::Duration::milliseconds(2_500);
    let (status, created) = app
        .post(
            "/api/v1/admin/events",
            Some(&app.admin_token),
            &json!({
                "name": "Draw",
                "starts_at": starts_at.format(&time::format_description::well_known::Rfc3339).unwrap(),
                "sections": [{"name": "A", "rows": 2, "seats_per_row": 10, "price_cents": 100}],
                "admission": {"rate_per_minute": 600, "max_active": 100, "paused": true},
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let event = created["id"].as_str().unwrap().to_owned();
    let mut seen_before = vec![created.to_string()];
    let (status, e) = app.get(&format!("/api/v1/events/{event}"), None).await;
    assert_eq!(status, StatusCode::OK);
    let commitment = e["shuffle_commitment"]
        .as_str()
        .expect("a commitment")
        .to_owned();
    assert!(is_hex(&commitment, 64), "{commitment}");
    assert_eq!(e["shuffle_seed"], Value::Null, "hidden before the opening");
    seen_before.push(e.to_string());

    let mut fans = Vec::new();
    let mut joined = Vec::new();
    for token in &tokens {
        let mut fan = app.connect(&event, token).await;
        let first = fan.join().await;
        assert_eq!(first["type"], "prequeue", "{first}");
        let ticket = first["ticket"].as_str().unwrap();
        let pseudonym = first["pseudonym"].as_str().expect("a pseudonym");
        assert_eq!(
            pseudonym,
            waiting_room::shuffle::pseudonym(&waiting_room::TicketId(ticket.into()))
        );
        assert!(is_hex(pseudonym, 32));
        joined.push(pseudonym.to_owned());
        fans.push(fan);
    }
    let (status, early) = app
        .get(&format!("/api/v1/events/{event}/prequeue"), None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{early}");
    assert_eq!(early["error"]["code"], "draw_not_published");
    assert!(early["error"]["message"]
        .as_str()
        .unwrap()
        .contains("when the sale opens"));
    for path in [
        "/api/v1/events".to_string(),
        format!("/api/v1/admin/events/{event}/audit"),
        format!("/api/v1/admin/events/{event}/stats"),
        format!("/api/v1/admin/events/{event}/report"),
        format!("/api/v1/admin/events/{event}/orders"),
    ] {
        let (_, body) = app.get(&path, Some(&app.admin_token)).await;
        seen_before.push(body.to_string());
    }
    let (_, me) = app
        .get(
            &format!("/api/v1/events/{event}/queue/me"),
            Some(&tokens[0]),
        )
        .await;
    assert_eq!(me["pseudonym"], json!(joined[0]), "queue/me shows it too");
    seen_before.push(me.to_string());

    app.wait_until("sale opens", Duration::from_secs(15), || async {
        app.stats(&event).await["opened"] == json!(true)
    })
    .await;
    let (_, e) = app.get(&format!("/api/v1/events/{event}"), None).await;
    let seed_hex = e["shuffle_seed"]
        .as_str()
        .expect("revealed after the draw")
        .to_owned();
    assert_eq!(
        e["shuffle_commitment"],
        json!(commitment),
        "the commitment never changes"
    );
    let seed = ShuffleSeed::from_hex(&seed_hex).expect("64 hex digits");
    assert_eq!(seed.to_hex(), seed_hex, "lowercase");
    assert_eq!(
        seed.commitment(),
        commitment,
        "sha256(seed) is the commitment"
    );
    for text in &seen_before {
        assert!(
            !text.contains(&seed_hex),
            "the seed leaked before the opening: {text}"
        );
    }

    // The record, in pages of 5.
    let (mut got_joined, mut got_order, mut offset) = (Vec::new(), Vec::new(), Some(0));
    while let Some(at) = offset {
        let (status, page) = app
            .get(
                &format!("/api/v1/events/{event}/prequeue?offset={at}&limit=5"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(
            (page["total"].as_u64(), page["offset"].as_u64()),
            (Some(FANS as u64), Some(at))
        );
        assert_eq!(page["shuffle_seed"], json!(seed_hex));
        got_joined.extend(strings(&page["joined"]));
        got_order.extend(strings(&page["order"]));
        offset = page["next_offset"].as_u64();
    }
    assert_eq!(got_joined, joined, "join order");
    let expected: Vec<String> = shuffled(&seed, joined.iter().map(|p| (p.clone(), ())).collect())
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(got_order, expected, "the seed's draw");
    // Each fan's place is its pseudonym's place in the draw.
    for (i, token) in tokens.iter().enumerate() {
        let (_, me) = app
            .get(&format!("/api/v1/events/{event}/queue/me"), Some(token))
            .await;
        assert_eq!(me["type"], "queued", "{me}");
        let place = expected.iter().position(|p| *p == joined[i]).unwrap();
        assert_eq!(me["ahead"], json!(place), "{me}");
    }
    // The stats' fairness figures count the draw's inversions.
    let ranks: Vec<u64> = expected
        .iter()
        .map(|p| joined.iter().position(|j| j == p).unwrap() as u64)
        .collect();
    let inversions = waiting_room::fairness::inversions(&ranks);
    let fairness = &app.stats(&event).await["fairness"];
    assert_eq!(fairness["prequeue"]["fans"], json!(FANS), "{fairness}");
    assert_eq!(
        fairness["prequeue"]["inversions"],
        json!(inversions),
        "{fairness}"
    );
    assert_eq!(fairness["after_opening"]["fans"], json!(0), "{fairness}");
    let (status, bad) = app
        .get(&format!("/api/v1/events/{event}/prequeue?limit=0"), None)
        .await;
    assert_eq!(
        (status, &bad["error"]["code"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_field"))
    );

    // The checkers confirm the real draw and reject tampered copies.
    assert_eq!(verify(&app.url(""), &event).await, (0, 0));
    let mut order = expected.clone();
    order.swap(0, FANS - 1);
    let swapped = tampered(&e, &seed_hex, &joined, &order).await;
    assert_eq!(verify(&swapped, &event).await, (1, 1), "swapped ids");
    let other = ShuffleSeed::from_bytes([7; 32]).to_hex();
    let wrong_seed = tampered(&e, &other, &joined, &expected).await;
    assert_eq!(verify(&wrong_seed, &event).await, (1, 1), "another seed");
    for fan in fans {
        fan.close().await;
    }
    app.stop().await;
}

/// Exit codes of `floodgate verify-shuffle` and of `scripts/lib/verify_draw.py`.
async fn verify(url: &str, event: &str) -> (i32, i32) {
    let url = url.trim_end_matches('/');
    let rust = tokio::process::Command::new(env!("CARGO_BIN_EXE_floodgate"))
        .args(["verify-shuffle", "--url", url, "--event", event])
        .output()
        .await
        .expect("run floodgate verify-shuffle");
    let stdout = String::from_utf8_lossy(&rust.stdout);
    let code = rust.status.code().unwrap_or(-1);
    assert!(
        (code == 0 && stdout.contains("CONFIRMED")) || (code == 1 && stdout.contains("MISMATCH")),
        "verify-shuffle: {code} {stdout} {}",
        String::from_utf8_lossy(&rust.stderr)
    );
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/lib/verify_draw.py");
    let python = tokio::process::Command::new("python3")
        .args([script, "--url", url, "--event", event])
        .output()
        .await
        .expect("run python3 verify_draw.py");
    (code, python.status.code().unwrap_or(-1))
}

/// A server that answers the event and a one-page draw with these values.
async fn tampered(event: &Value, seed: &str, joined: &[String], order: &[String]) -> String {
    let mut e = event.clone();
    e["shuffle_seed"] = json!(seed);
    let id = e["id"].as_str().unwrap().to_owned();
    let page = json!({
        "event_id": id, "algorithm": "x", "shuffle_seed": seed,
        "shuffle_commitment": e["shuffle_commitment"], "total": joined.len(), "offset": 0,
        "joined": joined, "order": order, "next_offset": null,
    });
    let app = axum::Router::new()
        .route(
            &format!("/api/v1/events/{id}"),
            axum::routing::get(move || async move { axum::Json(e) }),
        )
        .route(
            &format!("/api/v1/events/{id}/prequeue"),
            axum::routing::get(move || async move { axum::Json(page) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|s| s.as_str().expect("a string").to_owned())
        .collect()
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Fans who join after the opening and buy count in the stats' `after_opening`
/// figures, from their orders' queue times: first come, first served is 0.
async fn buyers_after_the_opening_count_in_join_order(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app
        .create_event(
            -1_000,
            json!({"rate_per_minute": 60_000, "max_active": 1_000, "session_ttl_secs": 600}),
        )
        .await;
    let mut sockets = Vec::new();
    for i in 1..=4 {
        let mut fan = app.connect(&event, &app.fan().await).await;
        fan.join().await;
        let admitted = fan.expect("admitted", Duration::from_secs(10)).await;
        let token = admitted["purchase_token"].as_str().unwrap();
        let (status, hold) = app
            .hold(&event, token, json!({"seats": [format!("A-1-{i}")]}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{hold}");
        let (status, order) = app.confirm(hold["hold_id"].as_str().unwrap(), token).await;
        assert_eq!(status, StatusCode::OK, "{order}");
        sockets.push(fan);
    }
    let fairness = &app.stats(&event).await["fairness"];
    assert_eq!(
        fairness["after_opening"],
        json!({"fans": 4, "inversions": 0, "kendall_tau": 0.0}),
        "{fairness}"
    );
    assert_eq!(fairness["prequeue"]["fans"], json!(0), "{fairness}");
    for fan in sockets {
        fan.close().await;
    }
    app.stop().await;
}
