//! Three `floodgate` processes on one Redis and one PostgreSQL, mid-sale, lose one
//! replica: to `kill -9`, and to SIGTERM (Kubernetes' way). The fans of that replica
//! reconnect, through a stand-in for the load balancer, to the others and keep their
//! ticket and place; admission stays first in, first out; nothing admitted is lost.
//! On SIGTERM also: `/readyz` answers 503 before any socket closes, sockets close with
//! 1012 and the reason, a hold and a confirm in flight complete, and the process exits
//! within its grace period.
//!
//! Runs on every deployment of [`crate::procs::deployments`] (the single Redis, and
//! the Redis Cluster when configured); skipped without the test services.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use waiting_room::token::{PurchaseClaims, SigningKeys};

use crate::helpers::{ms, session_for, uuid_simple, Bound, Shared};
use crate::procs::{self, admin_token, call, create_event, deployments, Floodgate};

/// Fans per test, spread over the three replicas.
const FANS: usize = 45;
/// Admission: 10 fans a second, so the sale runs a few seconds.
const RATE_PER_MINUTE: u64 = 600;
const SESSION_TTL_MS: i64 = 600_000;
/// The replica that fails.
const VICTIM: usize = 2;

use crate::helpers::Ws;

/// A close frame's code and reason (`None`: the socket ended without one).
type CloseSeen = Option<(u16, String)>;

/// What one fan saw, as its page would.
#[derive(Debug, Default)]
struct FanLog {
    /// Every ticket the server named (one, if the place was kept).
    tickets: Vec<String>,
    /// Every people-ahead figure, in order.
    aheads: Vec<u64>,
    /// The purchase token and the admission time (`expires_at` less the session TTL).
    admitted: Option<(String, i64)>,
    /// Every socket end: the replica, the close frame's code and reason, when.
    closes: Vec<(usize, CloseSeen, Instant)>,
    /// The replica of every connection after the first.
    reconnected_to: Vec<usize>,
    /// The first message after each reconnect.
    resumed: Vec<Value>,
}

/// The load balancer in front of the replicas: which ones are in rotation.
#[derive(Clone)]
struct Balancer {
    ports: Arc<Vec<u16>>,
    in_rotation: Arc<Vec<AtomicBool>>,
}

impl Balancer {
    fn new(replicas: &[Floodgate]) -> Self {
        Self {
            ports: Arc::new(replicas.iter().map(|r| r.port).collect()),
            in_rotation: Arc::new(replicas.iter().map(|_| AtomicBool::new(true)).collect()),
        }
    }

    fn take_out(&self, replica: usize) {
        self.in_rotation[replica].store(false, Ordering::SeqCst);
    }

    /// The next replica in rotation after `after`.
    fn pick(&self, after: usize) -> usize {
        let n = self.ports.len();
        (1..=n)
            .map(|k| (after + k) % n)
            .find(|&r| self.in_rotation[r].load(Ordering::SeqCst))
            .expect("a replica in rotation")
    }
}

fn queue_url(port: u16, event: &str, token: &str) -> String {
    format!("ws://127.0.0.1:{port}/api/v1/events/{event}/queue/ws?access_token={token}")
}

/// Follows one fan until admitted, like the fan page: reads its messages, and when the
/// socket ends reconnects after a short jittered wait through the balancer, without
/// re-joining (the server resumes the ticket it holds for the account).
async fn follow(
    lb: Balancer,
    mut replica: usize,
    mut ws: Ws,
    event: String,
    token: String,
    log: Arc<Mutex<FanLog>>,
) {
    let mut reconnected = false;
    loop {
        loop {
            let frame = ws.next().await;
            // What to do once the log is written: go on, reconnect, or stop (admitted).
            let (ended, admitted) = {
                let mut l = log.lock().unwrap();
                match frame {
                    Some(Ok(Message::Text(text))) => {
                        let m: Value = serde_json::from_str(text.as_str()).unwrap();
                        if std::mem::take(&mut reconnected) {
                            l.resumed.push(m.clone());
                        }
                        match m["type"].as_str() {
                            Some("queued") => {
                                l.tickets.push(m["ticket"].as_str().unwrap().to_owned());
                                l.aheads.push(m["ahead"].as_u64().unwrap());
                            }
                            Some("position") => l.aheads.push(m["ahead"].as_u64().unwrap()),
                            Some("admitted") => {
                                let token = m["purchase_token"].as_str().unwrap().to_owned();
                                l.admitted = Some((token, ms(&m["expires_at"]) - SESSION_TTL_MS));
                            }
                            _ => {}
                        }
                        (false, l.admitted.is_some())
                    }
                    Some(Ok(Message::Close(frame))) => {
                        let frame = frame.map(|f| (u16::from(f.code), f.reason.to_string()));
                        l.closes.push((replica, frame, Instant::now()));
                        (true, false)
                    }
                    Some(Ok(_)) => (false, false),
                    Some(Err(_)) | None => {
                        l.closes.push((replica, None, Instant::now()));
                        (true, false)
                    }
                }
            };
            if admitted {
                let _ = ws.close(None).await;
                return;
            }
            if ended {
                break;
            }
        }
        loop {
            // Full jitter up to 300 ms, as the page's first retry (up to 500 ms).
            let jitter = u64::from(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .subsec_nanos(),
            ) % 300;
            tokio::time::sleep(Duration::from_millis(jitter)).await;
            let next = lb.pick(replica);
            if let Ok((socket, _)) =
                tokio_tungstenite::connect_async(queue_url(lb.ports[next], &event, &token)).await
            {
                ws = socket;
                replica = next;
                reconnected = true;
                log.lock().unwrap().reconnected_to.push(next);
                break;
            }
        }
    }
}

/// Three replicas with a paused sale and `FANS` fans in line, fan `i` on replica
/// `i % 3`, joined in order (fan `i` has `i` people ahead).
struct Sale {
    http: reqwest::Client,
    replicas: Vec<Floodgate>,
    lb: Balancer,
    admin: String,
    event: String,
    shared: Shared,
    fans: Vec<Arc<Mutex<FanLog>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Sale {
    async fn start(shared: Shared, env: &[(&str, &str)]) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let replicas = procs::replicas(&http, "replica", 3, &shared, env).await;
        let base = replicas[0].base.clone();
        let admin = admin_token(&http, &base).await;
        let event = create_event(
            &http,
            &base,
            &admin,
            -1,
            json!({
                "name": "Replica faults",
                "sections": [{"name": "A", "rows": 10, "seats_per_row": 10, "price_cents": 5000}],
                "max_seats_per_order": 4, "hold_ttl_secs": 300,
                "admission": {"rate_per_minute": RATE_PER_MINUTE, "max_active": 10_000,
                              "session_ttl_secs": SESSION_TTL_MS / 1000, "paused": true}
            }),
        )
        .await;
        let lb = Balancer::new(&replicas);
        let mut sale = Self {
            http,
            replicas,
            lb,
            admin,
            event,
            shared,
            fans: Vec::new(),
            tasks: Vec::new(),
        };
        sale.wait_until(
            "every replica sees the sale open",
            Duration::from_secs(20),
            |s| {
                let stats: Vec<_> = (0..3).map(|r| s.stats_on(r)).collect();
                async move {
                    let mut open = true;
                    for stats in stats {
                        open &= stats.await["opened"] == json!(true);
                    }
                    open
                }
            },
        )
        .await;
        let tokens: Vec<String> = futures_util::stream::iter(0..FANS)
            .map(|i| sale.fan_session(i % 3))
            .buffered(8)
            .collect()
            .await;
        for (i, token) in tokens.into_iter().enumerate() {
            let replica = i % 3;
            let url = queue_url(sale.replicas[replica].port, &sale.event, &token);
            let (mut ws, _) = tokio_tungstenite::connect_async(url)
                .await
                .expect("queue socket opens");
            ws.send(Message::Text(json!({"type": "join"}).to_string().into()))
                .await
                .unwrap();
            let log = Arc::new(Mutex::new(FanLog::default()));
            // The first answer, read here so that the fans join one after another.
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                let frame = tokio::time::timeout(left, ws.next())
                    .await
                    .expect("an answer to join")
                    .expect("the socket stays open")
                    .expect("a frame");
                let Message::Text(text) = frame else { continue };
                let m: Value = serde_json::from_str(text.as_str()).unwrap();
                if m["type"] == "queued" {
                    assert_eq!(m["ahead"], json!(i), "fan {i} joins behind the others: {m}");
                    let mut l = log.lock().unwrap();
                    l.tickets.push(m["ticket"].as_str().unwrap().to_owned());
                    l.aheads.push(i as u64);
                    break;
                }
            }
            let follow = follow(
                sale.lb.clone(),
                replica,
                ws,
                sale.event.clone(),
                token,
                log.clone(),
            );
            sale.tasks.push(tokio::spawn(follow));
            sale.fans.push(log);
        }
        sale
    }

    fn stats_on(&self, replica: usize) -> impl std::future::Future<Output = Value> + 'static {
        let req = self
            .http
            .get(format!(
                "{}/api/v1/admin/events/{}/stats",
                self.replicas[replica].base, self.event
            ))
            .bearer_auth(&self.admin);
        async move {
            let (status, body) = call(req).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body
        }
    }

    /// A new fan account registered and signed in on `replica`: its session token.
    async fn fan_session(&self, replica: usize) -> String {
        crate::procs::fan_session(&self.http, &self.replicas[replica].base).await
    }

    async fn set_paused(&self, paused: bool) {
        let (status, out) = call(
            self.http
                .patch(format!(
                    "{}/api/v1/admin/events/{}/admission",
                    self.replicas[0].base, self.event
                ))
                .bearer_auth(&self.admin)
                .json(&json!({"paused": paused})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{out}");
    }

    /// Polls `check` every 50 ms; panics after `limit`.
    async fn wait_until<F, Fut>(&self, what: &str, limit: Duration, check: F)
    where
        F: Fn(&Self) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let start = Instant::now();
        while !check(self).await {
            assert!(start.elapsed() < limit, "timed out waiting for: {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn admitted_fans(&self) -> Vec<usize> {
        (0..FANS)
            .filter(|&i| self.fans[i].lock().unwrap().admitted.is_some())
            .collect()
    }

    /// Starts admission and waits until `n` fans are in.
    async fn run_until_admitted(&self, n: usize) {
        self.set_paused(false).await;
        self.wait_until("fans admitted", Duration::from_secs(30), |s| {
            let admitted = s.admitted_fans().len();
            async move { admitted >= n }
        })
        .await;
    }

    /// Waits for every fan to be admitted, then checks what a fan who lost its replica
    /// must never see, and that nothing admitted was lost: one ticket per fan, never
    /// more people ahead than before, admission in the order of joining, every purchase
    /// token good for a hold on a surviving replica, and the admitted count of the
    /// stats API (on each survivor) equal to the fans admitted.
    async fn finish_and_check(&self, admitted_before: &[usize]) {
        self.wait_until("every fan admitted", Duration::from_secs(60), |s| {
            let n = s.admitted_fans().len();
            async move { n == FANS }
        })
        .await;
        let mut moved = 0;
        let mut at = Vec::new();
        for (i, fan) in self.fans.iter().enumerate() {
            let fan = fan.lock().unwrap();
            assert!(
                fan.tickets.windows(2).all(|w| w[0] == w[1]),
                "fan {i} kept its ticket: {fan:?}"
            );
            assert!(
                fan.aheads.windows(2).all(|w| w[0] >= w[1]),
                "fan {i}'s place never went back: {fan:?}"
            );
            assert!(
                !fan.reconnected_to.contains(&VICTIM),
                "the balancer sent fan {i} back to the lost replica: {fan:?}"
            );
            for m in &fan.resumed {
                assert!(
                    m["type"] == "queued" || m["type"] == "admitted",
                    "fan {i} resumed with its state: {m}"
                );
            }
            if i % 3 != VICTIM || admitted_before.contains(&i) {
                assert!(fan.closes.is_empty(), "fan {i}'s socket stayed: {fan:?}");
            } else if !fan.closes.is_empty() {
                // A fan of the lost replica still waiting then: it moved once.
                assert_eq!(fan.closes.len(), 1, "fan {i}: {fan:?}");
                assert_eq!(fan.reconnected_to.len(), 1, "fan {i} moved: {fan:?}");
                moved += 1;
            }
            at.push(fan.admitted.as_ref().unwrap().1);
        }
        assert!(
            moved > 0,
            "some fans of the lost replica were still waiting"
        );
        assert!(
            at.windows(2).all(|w| w[0] <= w[1]),
            "admitted first in, first out (admission times in joining order): {at:?}"
        );
        // Every purchase token buys, on a survivor: none was lost with the replica.
        let keys = SigningKeys::load_or_create(&self.shared.signing_key, false).unwrap();
        for (i, fan) in self.fans.iter().enumerate() {
            let token = fan.lock().unwrap().admitted.clone().unwrap().0;
            let replica = &self.replicas[(VICTIM + 1 + i % 2) % 3];
            let seat = format!("A-{}-{}", i / 10 + 1, i % 10 + 1);
            let (status, body) = call(
                self.http
                    .post(format!(
                        "{}/api/v1/events/{}/holds",
                        replica.base, self.event
                    ))
                    .bound_with(&keys, &token)
                    .json(&json!({"seats": [seat]})),
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "fan {i}'s hold: {body}");
        }
        for r in (0..3).filter(|&r| r != VICTIM) {
            let stats = self.stats_on(r).await;
            assert_eq!(stats["admitted_total"], json!(FANS), "replica {r}: {stats}");
            assert_eq!(stats["waiting"], json!(0), "replica {r}: {stats}");
        }
    }
}

impl Drop for Sale {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

async fn kill_nine_mid_sale(shared: Shared) {
    let mut sale = Sale::start(shared, &[]).await;
    // Past the first burst (a tenth of a minute's rate), into the steady pace.
    sale.run_until_admitted(FANS / 3).await;
    let admitted_before = sale.admitted_fans();
    // The balancer's health check notices at once; the fans do when their sockets end.
    sale.lb.take_out(VICTIM);
    sale.replicas[VICTIM].kill();
    sale.finish_and_check(&admitted_before).await;
}

/// A request whose head is sent now and whose body only when asked: in flight (the
/// server waits for the body) for as long as the test likes.
struct SlowRequest {
    stream: tokio::net::TcpStream,
    body: String,
}

impl SlowRequest {
    async fn open(port: u16, path: &str, bearer: &str, session: &str, body: Value) -> Self {
        let body = body.to_string();
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {bearer}\r\n\
             Floodgate-Session: {session}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        Self { stream, body }
    }

    /// Sends the body and reads the answer: its status code and JSON.
    async fn finish(mut self) -> (u16, Value) {
        self.stream.write_all(self.body.as_bytes()).await.unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(
            Duration::from_secs(10),
            self.stream.read_to_end(&mut answer),
        )
        .await
        .expect("an answer within 10 s")
        .unwrap();
        let answer = String::from_utf8_lossy(&answer);
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("an HTTP answer: {answer:?}"));
        let json = match (answer.find('{'), answer.rfind('}')) {
            (Some(a), Some(b)) => serde_json::from_str(&answer[a..=b]).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        (status, json)
    }
}

/// Pre-drain delay and grace period of the SIGTERM test.
const DELAY_SECS: u64 = 2;
const GRACE_SECS: u64 = 8;

async fn sigterm_mid_sale(shared: Shared) {
    let delay = DELAY_SECS.to_string();
    let grace = GRACE_SECS.to_string();
    let env = [
        ("FLOODGATE_SHUTDOWN_DELAY_SECS", delay.as_str()),
        ("FLOODGATE_SHUTDOWN_GRACE_SECS", grace.as_str()),
    ];
    let mut sale = Sale::start(shared, &env).await;
    // A buyer on the replica that will stop: an account, and purchase tokens signed
    // with the deployment's key (as an admitted fan holds).
    let victim = sale.replicas[VICTIM].base.clone();
    let email = format!("buyer-{}@floodgate.test", uuid_simple());
    let account = json!({"email": email, "password": "buyer-password"});
    let (status, out) = call(
        sale.http
            .post(format!("{victim}/api/v1/auth/register"))
            .json(&account),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{out}");
    let user = out["user_id"].as_str().unwrap().parse().unwrap();
    let keys = SigningKeys::load_or_create(&sale.shared.signing_key, false).unwrap();
    let purchase = |seats: u32| {
        let now = waiting_room::clock::now_ms();
        keys.sign(&PurchaseClaims::new(
            user,
            sale.event.parse().unwrap(),
            &waiting_room::TicketId::new(),
            now,
            now + 600_000,
            seats,
        ))
    };
    let (first, second) = (purchase(2), purchase(2));
    let (status, held) = call(
        sale.http
            .post(format!("{victim}/api/v1/events/{}/holds", sale.event))
            .bound_with(&keys, &first)
            .json(&json!({"seats": ["A-10-1", "A-10-2"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{held}");
    let hold_id = held["hold_id"].as_str().unwrap().to_owned();
    // A hold whose body the victim is still waiting for when the signal comes.
    let slow_hold = SlowRequest::open(
        sale.replicas[VICTIM].port,
        &format!("/api/v1/events/{}/holds", sale.event),
        &second,
        &session_for(&keys, &second).unwrap(),
        json!({"seats": ["A-10-5", "A-10-6"]}),
    )
    .await;

    // Right after the first burst: most are still waiting at the drain, a delay later.
    sale.run_until_admitted(FANS / 5).await;
    let admitted_before = sale.admitted_fans();
    let waiting_there: Vec<usize> = (0..FANS)
        .filter(|i| i % 3 == VICTIM && !admitted_before.contains(i))
        .collect();
    let signal = Instant::now();
    sale.replicas[VICTIM].terminate();
    // A confirm sent at the signal, on the victim.
    let confirm = tokio::spawn(call(
        sale.http
            .post(format!("{victim}/api/v1/holds/{hold_id}/confirm"))
            .bound_with(&keys, &first),
    ));
    // /readyz turns 503 (and the balancer takes the replica out)...
    let not_ready = loop {
        let (status, body) = call(sale.http.get(format!("{victim}/readyz"))).await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(body["status"], "shutting_down", "{body}");
            break Instant::now();
        }
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            signal.elapsed() < Duration::from_secs(DELAY_SECS),
            "/readyz still 200 {:?} after SIGTERM",
            signal.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    sale.lb.take_out(VICTIM);
    // ...while the replica still serves: the confirm is answered.
    let (status, order) = tokio::time::timeout(Duration::from_secs(10), confirm)
        .await
        .expect("the confirm answered within 10 s")
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{order}");
    // Then the sockets close with 1012 and the reason, after /readyz turned.
    sale.wait_until(
        "the victim's waiting fans see their sockets closed",
        Duration::from_secs(GRACE_SECS + 5),
        |s| {
            let closed = waiting_there.iter().all(|&i| {
                let fan = s.fans[i].lock().unwrap();
                !fan.closes.is_empty() || fan.admitted.is_some()
            });
            async move { closed }
        },
    )
    .await;
    let reason = server::ws::restart_frame().reason.to_string();
    let mut closed = 0;
    for &i in &waiting_there {
        let fan = sale.fans[i].lock().unwrap();
        let Some((replica, frame, at)) = fan.closes.first() else {
            continue; // admitted before the drain began
        };
        assert_eq!(*replica, VICTIM);
        assert_eq!(
            frame.as_ref(),
            Some(&(1012, reason.clone())),
            "fan {i}: 1012 with the reason: {fan:?}"
        );
        assert!(
            *at > not_ready,
            "fan {i}'s socket closed before /readyz turned 503"
        );
        closed += 1;
    }
    assert!(
        closed > 0,
        "some fans of the victim were still waiting at the drain"
    );
    // The hold in flight since before the signal completes once its body arrives,
    // the drain under way.
    let (status, held) = slow_hold.finish().await;
    assert_eq!(status, 201, "the hold in flight at the signal: {held}");
    // The process exits within its grace period (a little slack for the exit itself).
    let exit = sale.replicas[VICTIM]
        .exited_within(Duration::from_secs(GRACE_SECS + 2))
        .await
        .expect("the replica exits within its grace period");
    assert!(exit.success(), "{exit:?}");
    assert!(
        signal.elapsed() < Duration::from_secs(GRACE_SECS) + Duration::from_millis(1500),
        "exited {:?} after SIGTERM (grace {GRACE_SECS} s)",
        signal.elapsed()
    );
    // The second hold is confirmed on a survivor; both orders are in the database.
    let survivor = sale.replicas[0].base.clone();
    let second_hold = held["hold_id"].as_str().unwrap();
    let (status, second_order) = call(
        sale.http
            .post(format!("{survivor}/api/v1/holds/{second_hold}/confirm"))
            .bound_with(&keys, &second),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{second_order}");
    let (status, login) = call(
        sale.http
            .post(format!("{survivor}/api/v1/auth/login"))
            .json(&account),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{login}");
    let (status, orders) = call(
        sale.http
            .get(format!("{survivor}/api/v1/orders"))
            .bearer_auth(login["token"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{orders}");
    let mut ids: Vec<&str> = orders
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let mut want = vec![
        order["order_id"].as_str().unwrap(),
        second_order["order_id"].as_str().unwrap(),
    ];
    want.sort_unstable();
    assert_eq!(ids, want, "{orders}");

    sale.finish_and_check(&admitted_before).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_dash_nine_of_one_replica_mid_sale_loses_no_place_and_no_admission() {
    for (name, shared) in deployments().await {
        eprintln!("kill -9 mid-sale on {name}");
        kill_nine_mid_sale(shared).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_of_one_replica_mid_sale_drains_in_order() {
    for (name, shared) in deployments().await {
        eprintln!("SIGTERM mid-sale on {name}");
        sigterm_mid_sale(shared).await;
    }
}
