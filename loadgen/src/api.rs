//! HTTP client helpers for the Floodgate API: one pooled client per worker with a cap
//! on requests in flight (each is an open file), the error shape of the contract, and
//! the admin calls (login, bulk fans, events, stats) and the compact seat snapshot.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rand::Rng;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::sync::Semaphore;

/// A pooled HTTP client.
pub struct Http {
    client: reqwest::Client,
    permits: Semaphore,
}

/// A server answer (any status).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub elapsed: Duration,
}

impl Reply {
    /// The contract's error code, or `http_<status>` when the body has none.
    pub fn code(&self) -> String {
        self.body["error"]["code"]
            .as_str()
            .map_or_else(|| format!("http_{}", self.status), str::to_owned)
    }

    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A request that got no answer.
#[derive(Debug)]
pub enum Failure {
    Transport(String),
    Timeout,
}

impl Failure {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Transport(_) => "transport",
            Self::Timeout => "timeout",
        }
    }
}

impl Http {
    /// A client bound to `local` (if given) with at most `in_flight` requests at once.
    pub fn new(local: Option<IpAddr>, in_flight: usize) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .local_address(local)
            .pool_max_idle_per_host(in_flight)
            .tcp_nodelay(true)
            .build()?;
        Ok(Self {
            client,
            permits: Semaphore::new(in_flight.max(1)),
        })
    }

    pub async fn send(
        &self,
        method: Method,
        url: &str,
        bearer: Option<&str>,
        body: Option<&Value>,
        timeout: Duration,
    ) -> Result<Reply, Failure> {
        self.send_with_session(method, url, bearer, None, body, timeout)
            .await
    }

    /// [`Http::send`] with the fan's session in `Floodgate-Session` as well: the
    /// checkout takes a purchase token only with a session of its own account.
    pub async fn send_with_session(
        &self,
        method: Method,
        url: &str,
        bearer: Option<&str>,
        session: Option<&str>,
        body: Option<&Value>,
        timeout: Duration,
    ) -> Result<Reply, Failure> {
        let _permit = self.permits.acquire().await.expect("never closed");
        let mut req = self.client.request(method, url).timeout(timeout);
        if let Some(token) = bearer {
            req = req.bearer_auth(token);
        }
        if let Some(session) = session {
            req = req.header("floodgate-session", session);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        let start = Instant::now();
        let resp = req.send().await.map_err(failure)?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(failure)?;
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Ok(Reply {
            status,
            body,
            elapsed: start.elapsed(),
        })
    }

    /// `send` for admin calls: a failure or non-2xx answer is an error.
    async fn admin(
        &self,
        method: Method,
        url: &str,
        bearer: Option<&str>,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let reply = self
            .send(method.clone(), url, bearer, body, Duration::from_secs(120))
            .await
            .map_err(|e| anyhow::anyhow!("{method} {url}: {e:?}"))?;
        if !reply.ok() {
            bail!("{method} {url}: HTTP {} {}", reply.status, reply.body);
        }
        Ok(reply.body)
    }
}

fn failure(e: reqwest::Error) -> Failure {
    if e.is_timeout() {
        Failure::Timeout
    } else {
        Failure::Transport(e.to_string())
    }
}

/// Unix ms as RFC 3339, as the API takes times.
pub fn rfc3339(ms: i64) -> String {
    let t = waiting_room::wire::datetime_ms(ms);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Signs in; returns the session token.
pub async fn login(http: &Http, base: &str, email: &str, password: &str) -> anyhow::Result<String> {
    let body = json!({"email": email, "password": password});
    let url = format!("{base}/api/v1/auth/login");
    // A server that is still starting refuses connections: retry for a while.
    for _ in 0..30 {
        let timeout = Duration::from_secs(30);
        match http
            .send(Method::POST, &url, None, Some(&body), timeout)
            .await
        {
            Err(Failure::Transport(_)) => {}
            Ok(reply) if reply.status == 429 || reply.status == 503 => {}
            Ok(reply) if reply.ok() => {
                if let Some(token) = reply.body["token"].as_str() {
                    return Ok(token.to_owned());
                }
                break;
            }
            _ => break,
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let answer = http
        .admin(Method::POST, &url, None, Some(&body))
        .await
        .context("admin login (set FLOODGATE_ADMIN_EMAIL / FLOODGATE_ADMIN_PASSWORD)")?;
    answer["token"]
        .as_str()
        .map(str::to_owned)
        .context("login answer without a token")
}

/// Creates `count` fans through the bulk path (10,000 per call); their session tokens.
pub async fn create_fans(
    http: &Http,
    base: &str,
    admin: &str,
    count: u32,
    tag: &str,
) -> anyhow::Result<Vec<String>> {
    let mut tokens = Vec::with_capacity(count as usize);
    let mut part = 0;
    while (tokens.len() as u32) < count {
        let n = (count - tokens.len() as u32).min(10_000);
        let body = json!({"count": n, "tag": format!("{tag}-{part}")});
        let answer = http
            .admin(
                Method::POST,
                &format!("{base}/api/v1/admin/fans"),
                Some(admin),
                Some(&body),
            )
            .await
            .context("creating fans")?;
        let fans = answer.as_array().context("fans answer is not a list")?;
        for fan in fans {
            tokens.push(
                fan["token"]
                    .as_str()
                    .context("fan without token")?
                    .to_owned(),
            );
        }
        part += 1;
    }
    Ok(tokens)
}

/// Creates an event; returns its JSON.
pub async fn create_event(
    http: &Http,
    base: &str,
    admin: &str,
    body: &Value,
) -> anyhow::Result<Value> {
    http.admin(
        Method::POST,
        &format!("{base}/api/v1/admin/events"),
        Some(admin),
        Some(body),
    )
    .await
    .context("creating the event")
}

/// Changes an event's admission settings (`PATCH …/admission`).
pub async fn patch_admission(
    http: &Http,
    base: &str,
    admin: &str,
    event: &str,
    body: &Value,
) -> anyhow::Result<Value> {
    http.admin(
        Method::PATCH,
        &format!("{base}/api/v1/admin/events/{event}/admission"),
        Some(admin),
        Some(body),
    )
    .await
}

/// Admin stats of an event.
pub async fn stats(http: &Http, base: &str, admin: &str, event: &str) -> anyhow::Result<Value> {
    http.admin(
        Method::GET,
        &format!("{base}/api/v1/admin/events/{event}/stats"),
        Some(admin),
        None,
    )
    .await
}

/// The compact seat snapshot: sections in order, one state byte per seat.
#[derive(Clone, Debug, Default)]
pub struct SeatMap {
    pub sections: Vec<(String, u32, u32)>,
    pub states: Vec<u8>,
}

impl SeatMap {
    pub async fn fetch(http: &Http, base: &str, event: &str) -> anyhow::Result<Self> {
        let body = http
            .admin(
                Method::GET,
                &format!("{base}/api/v1/events/{event}/seats?format=compact"),
                None,
                None,
            )
            .await?;
        Self::parse(&body)
    }

    pub fn parse(body: &Value) -> anyhow::Result<Self> {
        let sections = body["sections"]
            .as_array()
            .context("seat snapshot without sections")?
            .iter()
            .map(|s| {
                let n = |k: &str| s[k].as_u64().map(|v| v as u32);
                Some((
                    s["name"].as_str()?.to_owned(),
                    n("rows")?,
                    n("seats_per_row")?,
                ))
            })
            .collect::<Option<Vec<_>>>()
            .context("malformed section")?;
        let states = body["states"]
            .as_str()
            .context("seat snapshot without states")?
            .bytes()
            .collect();
        Ok(Self { sections, states })
    }

    /// Every seat id with its state (`f`, `h` or `s`).
    pub fn seats(&self) -> impl Iterator<Item = (String, u8)> + '_ {
        let ids = self.sections.iter().flat_map(|(name, rows, per_row)| {
            (1..=*rows).flat_map(move |r| (1..=*per_row).map(move |s| format!("{name}-{r}-{s}")))
        });
        ids.zip(self.states.iter().copied())
    }

    /// Free seats, and those of them no buyer of `k` adjacent seats can use (in runs
    /// of fewer than `k` free seats in their row): the stranded seats at a sale's end.
    pub fn stranded(&self, k: u32) -> (u64, u64) {
        let (mut free, mut stranded) = (0u64, 0u64);
        let mut offset = 0usize;
        for (_, rows, per_row) in &self.sections {
            let per_row = *per_row as usize;
            for r in 0..*rows as usize {
                let at = offset + r * per_row;
                let row = self.states.get(at..at + per_row).unwrap_or_default();
                for run in row.split(|st| *st != b'f').filter(|run| !run.is_empty()) {
                    free += run.len() as u64;
                    if run.len() < k as usize {
                        stranded += run.len() as u64;
                    }
                }
            }
            offset += *rows as usize * per_row;
        }
        (free, stranded)
    }

    /// `k` adjacent free seats in a random row that has them.
    pub fn pick_block(&self, k: u32, rng: &mut impl Rng) -> Option<Vec<String>> {
        let mut rows = Vec::new();
        let mut offset = 0usize;
        for (name, nrows, per_row) in &self.sections {
            for r in 0..*nrows {
                rows.push((
                    name.as_str(),
                    r + 1,
                    offset + (r * per_row) as usize,
                    *per_row,
                ));
            }
            offset += (*nrows * *per_row) as usize;
        }
        let start = rng.gen_range(0..rows.len().max(1));
        for i in 0..rows.len() {
            let (name, row, at, per_row) = rows[(start + i) % rows.len()];
            let states = self.states.get(at..at + per_row as usize)?;
            let mut run = 0;
            for (s, st) in states.iter().enumerate() {
                run = if *st == b'f' { run + 1 } else { 0 };
                if run == k {
                    let first = s as u32 + 2 - k;
                    return Some(
                        (first..first + k)
                            .map(|n| format!("{name}-{row}-{n}"))
                            .collect(),
                    );
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_snapshot_names_seats_and_finds_blocks() {
        let body = json!({"format": "compact",
            "sections": [{"name": "A", "rows": 2, "seats_per_row": 3}, {"name": "B", "rows": 1, "seats_per_row": 2}],
            "states": "sfhffsfs"});
        let map = SeatMap::parse(&body).unwrap();
        let seats: Vec<_> = map.seats().collect();
        assert_eq!(seats[0], ("A-1-1".to_owned(), b's'));
        assert_eq!(seats[4], ("A-2-2".to_owned(), b'f'));
        assert_eq!(seats[7], ("B-1-2".to_owned(), b's'));
        let mut rng = rand::rngs::mock::StepRng::new(0, 1);
        assert_eq!(map.pick_block(2, &mut rng).unwrap(), vec!["A-2-1", "A-2-2"]);
        assert_eq!(map.pick_block(3, &mut rng), None);
        // Free: A-1-2, A-2-2, A-2-3 (a pair), B-1-1; pairs cannot use A-1-2 or B-1-1.
        assert_eq!(map.stranded(2), (4, 2));
        assert_eq!(map.stranded(1), (4, 0));
        assert_eq!(map.stranded(3), (4, 4));
    }
}
