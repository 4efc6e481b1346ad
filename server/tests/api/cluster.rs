//! The Redis Cluster backend beyond the shared suites: events land on several masters
//! and each sells end to end; a failover mid-sale sells no seat twice and loses no
//! confirmed order, and answers 503 `unavailable` (never 500) while it lasts.
//!
//! Needs `FLOODGATE_TEST_REDIS_CLUSTER_URL` (3 masters with a replica each, from
//! scripts/lib/services.sh) and `FLOODGATE_TEST_DATABASE_URL`, like `Backend::Cluster`.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rand::Rng;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{buyer, session_for, start, Options, Shared, TestApp};

/// One master of the cluster as a node sees it: its address, slot ranges and replicas.
#[derive(Debug)]
struct Master {
    addr: String,
    slots: Vec<(u16, u16)>,
    replicas: Vec<String>,
}

/// A plain (not cluster-aware) connection to one node, `host:port`.
async fn node(addr: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(format!("redis://{addr}"))
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| panic!("connect to cluster node {addr}: {e}"))
}

/// The first seed node (`host:port`) of a `redis+cluster://` URL.
fn seed(url: &str) -> String {
    let hosts = url.strip_prefix("redis+cluster://").expect("a cluster URL");
    hosts.split(',').next().unwrap().to_owned()
}

/// The masters as `CLUSTER NODES` on `addr` lists them.
async fn masters(addr: &str) -> Vec<Master> {
    let text: String = redis::cmd("CLUSTER")
        .arg("NODES")
        .query_async(&mut node(addr).await)
        .await
        .unwrap();
    let mut masters: HashMap<String, Master> = HashMap::new();
    let mut replicas: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (id, addr, flags, master) = (f[0], f[1].split('@').next().unwrap(), f[2], f[3]);
        if flags.contains("fail") && !flags.contains("pfail") {
            continue;
        }
        if flags.contains("master") {
            let slots = f[8..]
                .iter()
                .filter(|s| !s.starts_with('['))
                .map(|s| match s.split_once('-') {
                    Some((a, b)) => (a.parse().unwrap(), b.parse().unwrap()),
                    None => (s.parse().unwrap(), s.parse().unwrap()),
                })
                .collect();
            masters.insert(
                id.to_owned(),
                Master {
                    addr: addr.to_owned(),
                    slots,
                    replicas: Vec::new(),
                },
            );
        } else if flags.contains("slave") {
            replicas.push((master.to_owned(), addr.to_owned()));
        }
    }
    for (master, addr) in replicas {
        if let Some(m) = masters.get_mut(&master) {
            m.replicas.push(addr);
        }
    }
    masters
        .into_values()
        .filter(|m| !m.slots.is_empty())
        .collect()
}

async fn keyslot(addr: &str, key: &str) -> u16 {
    redis::cmd("CLUSTER")
        .arg("KEYSLOT")
        .arg(key)
        .query_async(&mut node(addr).await)
        .await
        .unwrap()
}

fn master_of(masters: &[Master], slot: u16) -> &Master {
    masters
        .iter()
        .find(|m| m.slots.iter().any(|(a, b)| (*a..=*b).contains(&slot)))
        .unwrap_or_else(|| panic!("no master serves slot {slot}: {masters:?}"))
}

/// The hash tag of `event`'s keys under `prefix` (waiting-room's key layout).
fn tag(prefix: &str, event: &str) -> String {
    format!("{{{prefix}:ev:{event}}}")
}

/// An app on the test cluster, with its shared state (for the key prefix).
async fn cluster_app() -> Option<(TestApp, Shared)> {
    let shared = Shared::fresh_cluster().await?;
    let app = start(Options {
        shared: Some(shared.clone()),
        ..Options::default()
    })
    .await;
    Some((app, shared))
}

/// Events are created until they sit on at least two masters (each lands on one of
/// three at random: 3 events miss with p = 1/9, 12 with p < 1e-5); each event's keys
/// (queue and seats) are on its master, and each sells: join, admission, hold, confirm.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_land_on_two_masters_and_each_sells() {
    let Some((app, shared)) = cluster_app().await else {
        return;
    };
    let (status, ready) = app.get("/readyz", None).await;
    assert_eq!(status, StatusCode::OK, "{ready}");
    let seed = seed(&shared.redis_url);
    let masters = masters(&seed).await;
    assert_eq!(masters.len(), 3, "{masters:?}");
    let mut events: Vec<(String, String)> = Vec::new();
    let mut used: HashSet<String> = HashSet::new();
    while events.len() < 3 || (used.len() < 2 && events.len() < 12) {
        let event = app
            .seated_event(
                json!([{"name": "A", "rows": 1, "seats_per_row": 4, "price_cents": 100}]),
                300,
                2,
            )
            .await;
        let tag = tag(&shared.redis_prefix, &event);
        let slot = keyslot(&seed, &format!("{tag}:cfg")).await;
        assert_eq!(slot, keyslot(&seed, &format!("{tag}:seat:meta")).await);
        let master = master_of(&masters, slot);
        // The keys really are on that master (a plain connection, no redirects).
        let present: u32 = redis::cmd("EXISTS")
            .arg(format!("{tag}:cfg"))
            .arg(format!("{tag}:seat:meta"))
            .arg(format!("{tag}:seat:states"))
            .query_async(&mut node(&master.addr).await)
            .await
            .unwrap();
        assert_eq!(present, 3, "{event}'s keys on {}", master.addr);
        used.insert(master.addr.clone());
        events.push((event, master.addr.clone()));
    }
    assert!(used.len() >= 2, "every event on one master: {events:?}");
    eprintln!("events by master: {events:?}");

    for (event, _) in &events {
        let session = app.fan().await;
        let mut fan = app.connect(event, &session).await;
        let first = fan.join().await;
        let admitted = if first["type"] == "admitted" {
            first
        } else {
            fan.expect("admitted", Duration::from_secs(20)).await
        };
        let token = admitted["purchase_token"].as_str().unwrap().to_owned();
        let (status, held) = app.hold(event, &token, json!({"quantity": 2})).await;
        assert_eq!(status, StatusCode::CREATED, "{held}");
        let (status, order) = app.confirm(held["hold_id"].as_str().unwrap(), &token).await;
        assert_eq!(status, StatusCode::OK, "{order}");
        assert_eq!(order["seats"], held["seats"]);
        fan.close().await;
        app.wait_until("the seats show sold", Duration::from_secs(5), || async {
            let map = app.seat_map(event).await;
            map.values().filter(|s| *s == "sold").count() == 2
        })
        .await;
        let stats = app.stats(event).await;
        assert_eq!(stats["sold"], json!(2), "{stats}");
    }
    app.stop().await;
}

/// What one buyer saw: every answer (status, error code) and, when it bought, the
/// hold and the seats of its order.
#[derive(Default)]
struct Buyer {
    answers: Vec<(u16, String)>,
    bought: Option<(String, Vec<String>)>,
}

/// POSTs until the answer is not 503 `unavailable` (retryable), for up to 60 s.
async fn until_answered(
    seen: &mut Buyer,
    mut call: impl FnMut() -> futures_util::future::BoxFuture<'static, (StatusCode, Value)>,
) -> (StatusCode, Value) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = call().await;
        let code = body["error"]["code"].as_str().unwrap_or("").to_owned();
        seen.answers.push((status.as_u16(), code.clone()));
        if status != StatusCode::SERVICE_UNAVAILABLE || code != "unavailable" {
            return (status, body);
        }
        assert!(Instant::now() < deadline, "still 503 after 60 s: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How a test breaks the event's master mid-sale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    /// `CLUSTER FAILOVER` on its replica: a coordinated hand-over.
    Failover,
    /// `kill -9` of the master: its replica takes over once the cluster notices
    /// (node timeout 2 s in the test cluster).
    KillMaster,
}

/// A sale in progress on two replicas (buyers holding and confirming concurrently),
/// then `CLUSTER FAILOVER` on a replica of the event's master. Buyers retry on 503.
/// At the end: no seat sold twice (orders, the database, the store and the seat map
/// agree), every 200 confirm has its order in the database, and every answer was a
/// success, an expected 4xx or 503 `unavailable`, never a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failover_mid_sale_sells_no_seat_twice_and_loses_no_order() {
    sale_through(Fault::Failover).await;
}

/// As above with the event's master killed (`kill -9`): while the cluster notices
/// and promotes its replica, the event's calls answer 503 `unavailable` (or succeed
/// on a retry), never 500; then the sale goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_master_killed_mid_sale_sells_no_seat_twice_and_loses_no_order() {
    sale_through(Fault::KillMaster).await;
}

/// The master process' id, from `INFO server`.
async fn pid_of(addr: &str) -> u32 {
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query_async(&mut node(addr).await)
        .await
        .unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("process_id:"))
        .expect("process_id in INFO")
        .trim()
        .parse()
        .unwrap()
}

async fn role(addr: &str) -> Option<String> {
    let mut conn = redis::Client::open(format!("redis://{addr}"))
        .ok()?
        .get_multiplexed_async_connection()
        .await
        .ok()?;
    let role: Vec<redis::Value> = redis::cmd("ROLE").query_async(&mut conn).await.ok()?;
    redis::from_redis_value(role.first()?).ok()
}

async fn sale_through(fault: Fault) {
    const BUYERS: usize = 300;
    // Either fault moves the slots of every event on that master: no other cluster
    // test runs meanwhile.
    let Some(shared) = Shared::fresh_cluster_alone().await else {
        return;
    };
    let options = Options {
        shared: Some(shared.clone()),
        ..Options::default()
    };
    let one = start(options.clone()).await;
    let two = start(options).await;
    let apps = [&one, &two];
    let event = one
        .seated_event(
            json!([{"name": "A", "rows": 10, "seats_per_row": 20, "price_cents": 100}]),
            300,
            2,
        )
        .await;
    let seed = seed(&shared.redis_url);
    let before = masters(&seed).await;
    let slot = keyslot(&seed, &format!("{}:cfg", tag(&shared.redis_prefix, &event))).await;
    let master = master_of(&before, slot);
    let old_master = master.addr.clone();
    let replica = master.replicas.first().expect("a replica").clone();
    // Ask a node that stays up about the cluster afterwards.
    let seed = before
        .iter()
        .find(|m| m.addr != old_master)
        .unwrap()
        .addr
        .clone();

    let mut tokens = Vec::new();
    for _ in 0..BUYERS {
        tokens.push(buyer(&one, &event, 2, 600_000).await.1);
    }
    let confirmed = Arc::new(AtomicUsize::new(0));
    let failover = {
        let confirmed = Arc::clone(&confirmed);
        let replica = replica.clone();
        let old_master = old_master.clone();
        tokio::spawn(async move {
            while confirmed.load(Ordering::Relaxed) < 30 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let at = confirmed.load(Ordering::Relaxed);
            let started = Instant::now();
            let mut restart = None;
            match fault {
                Fault::Failover => {
                    let ok: String = redis::cmd("CLUSTER")
                        .arg("FAILOVER")
                        .query_async(&mut node(&replica).await)
                        .await
                        .unwrap();
                    assert_eq!(ok, "OK");
                }
                Fault::KillMaster => {
                    let pid = pid_of(&old_master).await;
                    restart = Some(restart_command(&old_master).await);
                    let killed = std::process::Command::new("kill")
                        .arg("-9")
                        .arg(pid.to_string())
                        .status()
                        .unwrap();
                    assert!(killed.success());
                }
            }
            // Done when the replica is master (and a surviving old master follows it).
            loop {
                let promoted = role(&replica).await.as_deref() == Some("master");
                let old = role(&old_master).await;
                if promoted && old.as_deref() != Some("master") {
                    break;
                }
                assert!(started.elapsed() < Duration::from_secs(30), "no failover");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (at, started.elapsed(), restart)
        })
    };

    let seen: Arc<Mutex<Vec<Buyer>>> = Arc::default();
    let tasks = tokens.into_iter().enumerate().map(|(i, token)| {
        let app = apps[i % apps.len()];
        let event = event.clone();
        let confirmed = Arc::clone(&confirmed);
        let seen = Arc::clone(&seen);
        let quantity = rand::thread_rng().gen_range(1..=2u32);
        async move {
            // Arrivals spread over about three seconds, so the sale spans the failover.
            tokio::time::sleep(Duration::from_millis((i % 60) as u64 * 50)).await;
            let mut me = Buyer::default();
            let (base, http) = (app.base.clone(), app.http.clone());
            let session = session_for(&app.state.keys, &token).expect("a buyer's token");
            let post = move |path: String, token: String, body: Value| {
                let (base, http, session) = (base.clone(), http.clone(), session.clone());
                move || -> futures_util::future::BoxFuture<'static, (StatusCode, Value)> {
                    let (url, http, token, body, session) = (
                        format!("{base}{path}"),
                        http.clone(),
                        token.clone(),
                        body.clone(),
                        session.clone(),
                    );
                    Box::pin(async move {
                        let resp = http
                            .post(url)
                            .bearer_auth(token)
                            .header("floodgate-session", session)
                            .json(&body)
                            .send()
                            .await;
                        let resp = resp.expect("the server answers");
                        let status = resp.status();
                        (status, resp.json().await.unwrap_or(Value::Null))
                    })
                }
            };
            let (status, held) = until_answered(
                &mut me,
                post(
                    format!("/api/v1/events/{event}/holds"),
                    token.clone(),
                    json!({"quantity": quantity}),
                ),
            )
            .await;
            if status == StatusCode::CREATED {
                let hold = held["hold_id"].as_str().unwrap().to_owned();
                let (status, order) = until_answered(
                    &mut me,
                    post(format!("/api/v1/holds/{hold}/confirm"), token, json!({})),
                )
                .await;
                if status == StatusCode::OK {
                    confirmed.fetch_add(1, Ordering::Relaxed);
                    let seats = order["seats"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| s.as_str().unwrap().to_owned())
                        .collect();
                    me.bought = Some((hold, seats));
                }
            }
            seen.lock().unwrap().push(me);
        }
    });
    futures_util::stream::iter(tasks)
        .buffer_unordered(64)
        .collect::<Vec<()>>()
        .await;
    let (failed_over_at, took, restart) = failover.await.unwrap();
    let buyers = std::mem::take(&mut *seen.lock().unwrap());

    // Every answer: a success, an expected refusal, or 503 unavailable. Never a 500.
    let mut outcomes: HashMap<(u16, String), usize> = HashMap::new();
    for b in &buyers {
        for (status, code) in &b.answers {
            *outcomes.entry((*status, code.clone())).or_default() += 1;
            let expected = matches!(*status, 200 | 201)
                || (*status == 503 && code == "unavailable")
                || (matches!(*status, 409 | 410)
                    && ["seats_unavailable", "sold_out", "hold_expired"].contains(&code.as_str()));
            assert!(expected, "unexpected answer {status} {code}: {outcomes:?}");
        }
    }
    eprintln!("{fault:?} after {failed_over_at} confirms took {took:?}; answers: {outcomes:?}");
    let after = masters(&seed).await;
    assert_eq!(
        master_of(&after, slot).addr,
        replica,
        "the replica serves the slot"
    );

    // No seat sold twice; every 200 confirm has its order in the database.
    let id = event.parse().unwrap();
    let db = &one.state.db;
    let mut sold_names: HashSet<String> = HashSet::new();
    let mut bought = 0;
    for (hold, seats) in buyers.iter().filter_map(|b| b.bought.as_ref()) {
        bought += 1;
        for seat in seats {
            assert!(sold_names.insert(seat.clone()), "{seat} sold twice");
        }
        let order = db.order_by_hold(hold).await.unwrap();
        let order = order.unwrap_or_else(|| panic!("confirmed hold {hold} has no order"));
        assert_eq!(order.seats.len(), seats.len(), "{hold}");
    }
    assert!(
        bought > failed_over_at,
        "the sale went on after the failover"
    );
    let in_db = db.sold_seats(id).await.unwrap();
    let distinct: HashSet<u32> = in_db.iter().copied().collect();
    assert_eq!(distinct.len(), in_db.len(), "a seat in two orders");
    assert_eq!(in_db.len(), sold_names.len(), "orders nobody was told of");
    // The store (now on the promoted replica) agrees with the database.
    let store = one.state.checkout.seats();
    let states = store.seat_snapshot(id).await.unwrap().states;
    let store_sold: HashSet<u32> = (0..states.len() as u32)
        .filter(|i| states[*i as usize] == 2)
        .collect();
    assert_eq!(
        store_sold, distinct,
        "store and database disagree on sold seats"
    );
    for app in apps {
        app.wait_until("seat maps catch up", Duration::from_secs(10), || async {
            let map = app.seat_map(&event).await;
            let sold: HashSet<String> = map
                .iter()
                .filter(|(_, s)| *s == "sold")
                .map(|(k, _)| k.clone())
                .collect();
            sold == sold_names
        })
        .await;
    }
    one.stop().await;
    two.stop().await;
    if let Some(mut restart) = restart {
        // The killed node comes back as a replica of its successor, so the cluster
        // has a replica per master again for the tests after this one.
        assert!(restart.status().unwrap().success(), "{restart:?}");
        let started = Instant::now();
        while role(&old_master).await.as_deref() != Some("slave") {
            assert!(started.elapsed() < Duration::from_secs(30), "no rejoin");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The command that starts the node at `addr` again as it runs now (the test
/// cluster's settings, scripts/lib/services.sh), on the same port and node file.
async fn restart_command(addr: &str) -> std::process::Command {
    let conn = node(addr).await;
    let setting = |name: &'static str| {
        let mut conn = conn.clone();
        async move {
            let pair: Vec<String> = redis::cmd("CONFIG")
                .arg("GET")
                .arg(name)
                .query_async(&mut conn)
                .await
                .unwrap();
            pair[1].clone()
        }
    };
    let (dir, nodes, log, timeout) = (
        setting("dir").await,
        setting("cluster-config-file").await,
        setting("logfile").await,
        setting("cluster-node-timeout").await,
    );
    let (host, port) = addr.rsplit_once(':').unwrap();
    let mut cmd = std::process::Command::new("redis-server");
    cmd.args([
        "--port",
        port,
        "--bind",
        host,
        "--save",
        "",
        "--appendonly",
        "no",
    ])
    .args(["--cluster-enabled", "yes", "--cluster-config-file", &nodes])
    .args(["--cluster-node-timeout", &timeout, "--dir", &dir])
    .args(["--daemonize", "yes", "--logfile", &log]);
    cmd
}
