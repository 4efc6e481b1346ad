//! Seats held back from sale by an admin: never sold by best-available nor by a
//! specific hold, even under a 300-buyer race; released, they sell; the counts, the
//! event's `available`, the seat maps and the audit log follow; bad input changes
//! nothing; and a store that lost its state comes back with them held back.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures_util::StreamExt;
use rand::seq::SliceRandom;
use rand::Rng;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{buyer, spawn_app, start, Backend, Options, Shared, TestApp};

crate::both_backends!(
    held_back_seats_are_never_sold_in_a_race_and_sell_once_released,
    holding_back_taken_seats_is_refused_and_changes_nothing,
    bad_held_back_requests_are_refused,
);

crate::on_cluster!(held_back_seats_are_never_sold_in_a_race_and_sell_once_released);

fn hundred_seats() -> Value {
    json!([{"name": "A", "rows": 10, "seats_per_row": 10, "price_cents": 2500}])
}

impl TestApp {
    async fn hold_back(&self, event: &str, body: Value) -> (StatusCode, Value) {
        let path = format!("/api/v1/admin/events/{event}/seats/hold-back");
        self.post(&path, Some(&self.admin_token), &body).await
    }

    async fn release_held_back(&self, event: &str, body: Value) -> (StatusCode, Value) {
        let path = format!("/api/v1/admin/events/{event}/seats/release");
        self.post(&path, Some(&self.admin_token), &body).await
    }

    /// The admins' compact seat map's states (`f`, `h`, `s`, `b`).
    async fn admin_states(&self, event: &str) -> String {
        let path = format!("/api/v1/admin/events/{event}/seats");
        let (status, body) = self.get(&path, Some(&self.admin_token)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["states"].as_str().unwrap().to_owned()
    }

    /// The event's audit entries after its creation's.
    async fn audit_actions(&self, event: &str) -> Vec<Value> {
        let mut entries = self.audit_entries(event).await;
        entries.retain(|e| e["action"] != "event_created");
        entries
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

/// 300 buyers, half asking for specific seats (held-back ones among them), half for
/// best-available, race for an event whose front-centre pair and third row are held
/// back: none of those is ever held or sold. Released, they sell.
async fn held_back_seats_are_never_sold_in_a_race_and_sell_once_released(backend: Backend) {
    const BUYERS: usize = 300;
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app.seated_event(hundred_seats(), 300, 2).await;
    // Best-available's first choice (front row, centre) and a whole row.
    let (status, body) = app
        .hold_back(
            &event,
            json!({"seats": ["A-1-5", "A-1-6"], "row": {"section": "A", "row": 3}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut held_back: Vec<String> = (1..=10).map(|s| format!("A-3-{s}")).collect();
    held_back.extend(["A-1-5".to_owned(), "A-1-6".to_owned()]);
    let changed: HashSet<String> = strings(&body["changed"]).into_iter().collect();
    assert_eq!(changed, held_back.iter().cloned().collect::<HashSet<_>>());
    assert_eq!(
        body["counts"],
        json!({"capacity": 100, "available": 88, "held": 0, "sold": 0, "held_back": 12})
    );
    let (_, e) = app.get(&format!("/api/v1/events/{event}"), None).await;
    assert_eq!(e["available"], 88, "{e}");
    // Fans see them as not for sale, on every format.
    app.wait_until(
        "fans' map shows the hold-back",
        Duration::from_secs(5),
        || async {
            let map = app.seat_map(&event).await;
            held_back.iter().all(|s| map[s] == "sold")
        },
    )
    .await;

    let mut buyers = Vec::new();
    for _ in 0..BUYERS {
        buyers.push(buyer(&app, &event, 2, 600_000).await);
    }
    let seat_ids: Vec<String> = (1..=10)
        .flat_map(|r| (1..=10).map(move |s| format!("A-{r}-{s}")))
        .collect();
    let tasks = buyers.into_iter().enumerate().map(|(i, (_, token))| {
        let (app, event) = (&app, event.clone());
        let mut rng = rand::thread_rng();
        let quantity = rng.gen_range(1..=2usize);
        let body = if i % 2 == 0 {
            // Every fourth buyer asks for a held-back seat on purpose.
            let mut seats: Vec<&String> = seat_ids.choose_multiple(&mut rng, quantity).collect();
            if i % 4 == 0 {
                seats[0] = held_back.choose(&mut rng).unwrap();
                seats.dedup();
            }
            json!({ "seats": seats })
        } else {
            json!({ "quantity": quantity })
        };
        async move {
            let (status, held) = app.hold(&event, &token, body).await;
            if status != StatusCode::CREATED {
                return (status, held);
            }
            app.confirm(held["hold_id"].as_str().unwrap(), &token).await
        }
    });
    let results: Vec<(StatusCode, Value)> = futures_util::stream::iter(tasks)
        .buffer_unordered(BUYERS)
        .collect()
        .await;
    let mut sold: Vec<String> = Vec::new();
    let mut outcomes: HashMap<u16, usize> = HashMap::new();
    for (status, body) in &results {
        *outcomes.entry(status.as_u16()).or_default() += 1;
        match status.as_u16() {
            200 => sold.extend(strings(&body["seats"])),
            409 | 410 => {
                let code = body["error"]["code"].as_str().unwrap();
                assert!(["seats_unavailable", "sold_out"].contains(&code), "{body}");
            }
            _ => panic!("unexpected outcome {status}: {body}"),
        }
    }
    let sold_set: HashSet<&String> = sold.iter().collect();
    assert_eq!(sold_set.len(), sold.len(), "a seat was sold twice");
    for seat in &held_back {
        assert!(
            !sold_set.contains(seat),
            "held-back {seat} was sold: {outcomes:?}"
        );
    }
    assert!(
        sold.len() >= 40,
        "the sale went on around them: {outcomes:?}"
    );
    let id = event.parse().unwrap();
    let counts = app.state.checkout.seats().seat_counts(id).await.unwrap();
    assert_eq!(
        (counts.sold as usize, counts.held, counts.held_back),
        (sold.len(), 0, 12)
    );
    let (_, e) = app.get(&format!("/api/v1/events/{event}"), None).await;
    assert_eq!(e["available"], 88 - sold.len(), "{e}");
    let states = app.admin_states(&event).await;
    assert_eq!(states.matches('b').count(), 12, "{states}");
    assert_eq!(&states[20..30], "bbbbbbbbbb", "row 3: {states}");

    // Released, the row sells: to a specific hold and to best-available.
    let (status, body) = app
        .release_held_back(&event, json!({"row": {"section": "A", "row": 3}}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(strings(&body["changed"]).len(), 10, "{body}");
    assert_eq!(body["counts"]["held_back"], 2);
    assert_eq!(body["counts"]["available"], 98 - sold.len());
    let (_, token) = buyer(&app, &event, 2, 600_000).await;
    let (status, held) = app.hold(&event, &token, json!({"seats": ["A-3-1"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let (status, order) = app.confirm(held["hold_id"].as_str().unwrap(), &token).await;
    assert_eq!(
        (status, strings(&order["seats"])),
        (StatusCode::OK, vec!["A-3-1".to_owned()])
    );
    let (mut bought, mut retries) = (1, 0);
    loop {
        let (_, token) = buyer(&app, &event, 1, 600_000).await;
        let (status, held) = app.hold(&event, &token, json!({"quantity": 1})).await;
        if status != StatusCode::CREATED {
            // Best-available picks from this replica's view, up to a tick behind the
            // store (the released row may not be in it yet): retry until sold out.
            if held["error"]["code"] == "seats_unavailable" && retries < 100 {
                retries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            assert_eq!(held["error"]["code"], "sold_out", "{held}");
            break;
        }
        let seat = strings(&held["seats"]).remove(0);
        assert!(!["A-1-5", "A-1-6"].contains(&seat.as_str()), "{seat}");
        let (status, _) = app.confirm(held["hold_id"].as_str().unwrap(), &token).await;
        assert_eq!(status, StatusCode::OK);
        bought += 1;
    }
    assert_eq!(
        sold.len() + bought,
        98,
        "every seat but the two still held back"
    );
    let counts = app.state.checkout.seats().seat_counts(id).await.unwrap();
    assert_eq!((counts.sold, counts.held_back, counts.free()), (98, 2, 0));
    let (_, e) = app.get(&format!("/api/v1/events/{event}"), None).await;
    assert_eq!(
        (e["available"].as_u64(), e["state"].as_str()),
        (Some(0), Some("sold_out"))
    );
    let stats = app.stats(&event).await;
    assert_eq!(
        (&stats["sold"], &stats["held_back"]),
        (&json!(98), &json!(2)),
        "{stats}"
    );

    // The audit log has both changes, with the admin and the seats before and after.
    let audit = app.audit_actions(&event).await;
    let actions: Vec<&str> = audit
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["seats_released", "seats_held_back"]);
    assert_eq!(audit[1]["actor"]["email"], crate::helpers::ADMIN_EMAIL);
    assert_eq!(audit[1]["before"]["seats"]["A-3-4"], "free");
    assert_eq!(audit[1]["after"]["seats"]["A-3-4"], "held_back");
    assert_eq!(
        (
            audit[1]["before"]["held_back"].as_u64(),
            audit[1]["after"]["held_back"].as_u64()
        ),
        (Some(0), Some(12))
    );
    assert_eq!(audit[0]["before"]["seats"]["A-3-10"], "held_back");
    assert_eq!(audit[0]["after"]["seats"]["A-3-10"], "free");
    assert_eq!(
        (
            audit[0]["before"]["held_back"].as_u64(),
            audit[0]["after"]["held_back"].as_u64()
        ),
        (Some(12), Some(2))
    );
}

/// Holding back a held or sold seat is refused with the seats named, and nothing
/// changes (not even the free seats of the same request); repeating a hold-back or a
/// release changes nothing more.
async fn holding_back_taken_seats_is_refused_and_changes_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app.seated_event(hundred_seats(), 300, 2).await;
    let (_, token) = buyer(&app, &event, 2, 600_000).await;
    let (_, sold) = app.hold(&event, &token, json!({"seats": ["A-1-1"]})).await;
    let (status, _) = app.confirm(sold["hold_id"].as_str().unwrap(), &token).await;
    assert_eq!(status, StatusCode::OK);
    let (_, other) = buyer(&app, &event, 2, 600_000).await;
    let (status, _) = app.hold(&event, &other, json!({"seats": ["A-1-2"]})).await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, body) = app
        .hold_back(&event, json!({"seats": ["A-1-3", "A-1-2", "A-1-1"]}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "seats_unavailable");
    assert_eq!(strings(&body["error"]["seats"]), ["A-1-1", "A-1-2"]);
    assert_eq!(
        &app.admin_states(&event).await[..4],
        "shff",
        "nothing changed"
    );
    let (status, body) = app
        .hold_back(&event, json!({"row": {"section": "A", "row": 1}}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(app.audit_actions(&event).await.is_empty());

    let (status, body) = app.hold_back(&event, json!({"seats": ["A-1-3"]})).await;
    assert_eq!(
        (status, strings(&body["changed"])),
        (StatusCode::OK, vec!["A-1-3".to_owned()])
    );
    let (status, body) = app.hold_back(&event, json!({"seats": ["A-1-3"]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(strings(&body["changed"]).is_empty(), "idempotent: {body}");
    assert_eq!(body["counts"]["held_back"], 1);
    assert_eq!(
        app.audit_actions(&event).await.len(),
        1,
        "a repeat is no change"
    );

    // Releasing seats that are not held back (free, held, sold) leaves them alone.
    let (status, body) = app
        .release_held_back(&event, json!({"seats": ["A-1-1", "A-1-2", "A-1-4"]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(strings(&body["changed"]).is_empty(), "{body}");
    assert_eq!(&app.admin_states(&event).await[..4], "shbf");
    let (status, body) = app
        .release_held_back(&event, json!({"seats": ["A-1-3"]}))
        .await;
    assert_eq!(
        (status, strings(&body["changed"])),
        (StatusCode::OK, vec!["A-1-3".to_owned()])
    );
    let (status, body) = app
        .release_held_back(&event, json!({"seats": ["A-1-3"]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(strings(&body["changed"]).is_empty(), "{body}");
    assert_eq!(&app.admin_states(&event).await[..4], "shff");
    assert_eq!(app.audit_actions(&event).await.len(), 2);
}

/// Bad input and the wrong caller: a clear 4xx each, and nothing changes.
async fn bad_held_back_requests_are_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let event = app.seated_event(hundred_seats(), 300, 2).await;
    let too_many: Vec<String> = (0..2_001).map(|_| "A-1-1".to_owned()).collect();
    let cases = [
        (json!({"seats": ["A-1-1", "Z-1-1"]}), "unknown_seat"),
        (json!({"seats": ["A-11-1"]}), "unknown_seat"),
        (json!({"seats": []}), "invalid_body"),
        (json!({}), "invalid_body"),
        (json!({"seats": too_many}), "too_many_seats"),
        (
            json!({"row": {"section": "B", "row": 1}}),
            "unknown_section",
        ),
        (json!({"row": {"section": "A", "row": 11}}), "unknown_row"),
        (json!({"row": {"section": "A", "row": 0}}), "unknown_row"),
        (json!({"seats": ["A-1-1"], "extra": 1}), "invalid_body"),
        (json!({"seats": "A-1-1"}), "invalid_body"),
    ];
    for (body, code) in &cases {
        for release in [false, true] {
            let (status, answer) = if release {
                app.release_held_back(&event, body.clone()).await
            } else {
                app.hold_back(&event, body.clone()).await
            };
            assert_eq!(
                (status, answer["error"]["code"].as_str()),
                (StatusCode::BAD_REQUEST, Some(*code)),
                "{body}: {answer}"
            );
        }
    }
    let good = json!({"seats": ["A-1-1"]});
    for path in ["hold-back", "release"] {
        let url = format!("/api/v1/admin/events/{event}/seats/{path}");
        let (status, body) = app.post(&url, None, &good).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthorized"))
        );
        let fan = app.fan().await;
        let (status, body) = app.post(&url, Some(&fan), &good).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden"))
        );
        for missing in [uuid::Uuid::new_v4().to_string(), "not-a-uuid".to_owned()] {
            let url = format!("/api/v1/admin/events/{missing}/seats/{path}");
            let (status, body) = app.post(&url, Some(&app.admin_token), &good).await;
            assert_eq!(
                (status, body["error"]["code"].as_str()),
                (StatusCode::NOT_FOUND, Some("not_found"))
            );
        }
    }
    let fan = app.fan().await;
    let (status, _) = app
        .get(&format!("/api/v1/admin/events/{event}/seats"), Some(&fan))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.admin_states(&event).await,
        "f".repeat(100),
        "nothing changed"
    );
    assert!(app.audit_actions(&event).await.is_empty());
}

/// A Redis flush: the seat state is rebuilt from the database with the held-back
/// seats still held back (and a release after it sticks).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_back_seats_survive_a_redis_flush() {
    let Some(shared) = Shared::fresh().await else {
        return;
    };
    let (redis_url, prefix) = (shared.redis_url.clone(), shared.redis_prefix.clone());
    let app = start(Options {
        shared: Some(shared),
        ..Options::default()
    })
    .await;
    let event = app.seated_event(hundred_seats(), 300, 2).await;
    let (status, body) = app
        .hold_back(&event, json!({"row": {"section": "A", "row": 1}}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = app
        .release_held_back(&event, json!({"seats": ["A-1-10"]}))
        .await;
    assert_eq!(status, StatusCode::OK);

    let client = redis::Client::open(redis_url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{{{prefix}:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    let _: () = redis::cmd("DEL")
        .arg(&keys)
        .query_async(&mut conn)
        .await
        .unwrap();

    let id = event.parse().unwrap();
    app.wait_until("seat state rebuilt", Duration::from_secs(10), || async {
        app.state.checkout.seats().seat_counts(id).await.is_ok()
    })
    .await;
    assert_eq!(&app.admin_states(&event).await[..11], "bbbbbbbbbff");
    let counts = app.state.checkout.seats().seat_counts(id).await.unwrap();
    assert_eq!((counts.held_back, counts.free()), (9, 91));
    let (_, token) = buyer(&app, &event, 2, 600_000).await;
    let (status, body) = app.hold(&event, &token, json!({"seats": ["A-1-1"]})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("seats_unavailable"))
    );
    app.stop().await;
}

/// The write order when the database fails (embedded only: the table is renamed away
/// under the app, which a shared PostgreSQL cannot afford): a hold-back is undone in
/// the store; a release, database first, leaves the seat held back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_failure_leaves_seats_as_they_were() {
    let app = spawn_app(Backend::Embedded).await.unwrap();
    let event = app.seated_event(hundred_seats(), 300, 2).await;
    let (status, _) = app.hold_back(&event, json!({"seats": ["A-1-1"]})).await;
    assert_eq!(status, StatusCode::OK);
    let rename = |from: &str, to: &str| format!("ALTER TABLE {from} RENAME TO {to}");
    sqlx::query(&rename("held_back_seats", "held_back_gone"))
        .execute(app.state.db.pool())
        .await
        .unwrap();

    let (status, body) = app.hold_back(&event, json!({"seats": ["A-1-2"]})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, Some("internal"))
    );
    assert_eq!(
        &app.admin_states(&event).await[..3],
        "bff",
        "the store change was undone"
    );
    let (status, _) = app
        .release_held_back(&event, json!({"seats": ["A-1-1"]}))
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        &app.admin_states(&event).await[..3],
        "bff",
        "still held back"
    );

    sqlx::query(&rename("held_back_gone", "held_back_seats"))
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let (status, body) = app
        .release_held_back(&event, json!({"seats": ["A-1-1"]}))
        .await;
    assert_eq!(
        (status, strings(&body["changed"])),
        (StatusCode::OK, vec!["A-1-1".to_owned()])
    );
    assert_eq!(&app.admin_states(&event).await[..3], "fff");
    app.stop().await;
}
