//! Set-up chores for scripts/bench.sh, against a running floodgate (over HTTP) and its
//! signing key:
//!
//! ```text
//! bench_tool event URL SEATS                      → prints the new event's id
//! bench_tool tokens URL KEY.pem EVENT COUNT FILE  → COUNT "purchase_token session" lines
//!                                                   for bulk-created fans (real accounts;
//!                                                   a purchase token is used only with its
//!                                                   account's session)
//! bench_tool holds URL EVENT TOKENS N FILE        → holds 1 seat with each of the first N
//!                                                   lines; writes "token session hold_id"
//! bench_tool hold-command REDIS PREFIX EVENT      → the redis-benchmark words for an
//!                                                   EVALSHA of the hold script
//! ```
//! The admin signs in with FLOODGATE_ADMIN_EMAIL / FLOODGATE_ADMIN_PASSWORD.

use std::io::Write;

use anyhow::{bail, Context};
use futures_util::StreamExt;
use serde_json::{json, Value};
use waiting_room::seats::redis::RedisSeatStore;
use waiting_room::token::{PurchaseClaims, SigningKeys};
use waiting_room::{TicketId, UserId};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words[..] {
        ["event", url, seats] => event(url, seats.parse()?).await,
        ["tokens", url, key, event, count, file] => {
            tokens(url, key, event, count.parse()?, file).await
        }
        ["holds", url, event, tokens, n, file] => holds(url, event, tokens, n.parse()?, file).await,
        ["hold-command", redis, prefix, event] => {
            let store = RedisSeatStore::connect(redis, prefix).await?;
            println!("{}", store.hold_benchmark_command(event.parse()?).join(" "));
            Ok(())
        }
        _ => bail!("usage: see the comment at the top of server/examples/bench_tool.rs"),
    }
}

async fn admin(http: &reqwest::Client, url: &str) -> anyhow::Result<String> {
    let email = std::env::var("FLOODGATE_ADMIN_EMAIL").context("FLOODGATE_ADMIN_EMAIL")?;
    let password = std::env::var("FLOODGATE_ADMIN_PASSWORD").context("FLOODGATE_ADMIN_PASSWORD")?;
    let login: Value = http
        .post(format!("{url}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await?
        .json()
        .await?;
    Ok(login["token"].as_str().context("admin login")?.to_owned())
}

/// An open event of `seats` seats in sections of 1,000 rows × 20, wide-open admission.
async fn event(url: &str, seats: u32) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let token = admin(&http, url).await?;
    let per_section = 20_000;
    let sections: Vec<Value> = (0..seats.div_ceil(per_section))
        .map(|i| json!({"name": format!("S{i}"), "rows": 1000, "seats_per_row": 20, "price_cents": 4_000}))
        .collect();
    let starts_at =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?;
    let event: Value = http
        .post(format!("{url}/api/v1/admin/events"))
        .bearer_auth(&token)
        .json(&json!({"name": "Bench", "starts_at": starts_at, "sections": sections, "max_seats_per_order": 4,
                      "hold_ttl_secs": 3600, "admission": {"rate_per_minute": 6_000_000, "max_active": 10_000_000}}))
        .send()
        .await?
        .json()
        .await?;
    println!(
        "{}",
        event["id"]
            .as_str()
            .with_context(|| format!("event not created: {event}"))?
    );
    Ok(())
}

async fn tokens(url: &str, key: &str, event: &str, count: usize, file: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let admin_token = admin(&http, url).await?;
    let keys = SigningKeys::load_or_create(std::path::Path::new(key), false)?;
    let event = event.parse()?;
    let tag = format!("bench-{}", TicketId::new());
    let mut out = std::io::BufWriter::new(std::fs::File::create(file)?);
    let now = waiting_room::clock::now_ms();
    let mut made = 0;
    while made < count {
        let n = (count - made).min(10_000);
        let fans: Value = http
            .post(format!("{url}/api/v1/admin/fans"))
            .bearer_auth(&admin_token)
            .json(&json!({"count": n, "tag": format!("{tag}-{made}")}))
            .send()
            .await?
            .json()
            .await?;
        for fan in fans.as_array().context("bulk fans")? {
            let user: UserId = fan["user_id"].as_str().context("user_id")?.parse()?;
            let claims =
                PurchaseClaims::new(user, event, &TicketId::new(), now, now + 3_600_000, 4);
            let (session, _) = server::auth::issue_session(&keys, user, false, 0, now / 1000, 3600);
            writeln!(out, "{} {session}", keys.sign(&claims))?;
        }
        made += n;
    }
    out.flush()?;
    Ok(())
}

async fn holds(url: &str, event: &str, tokens: &str, n: usize, file: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let tokens: Vec<String> = std::fs::read_to_string(tokens)?
        .lines()
        .take(n)
        .map(str::to_owned)
        .collect();
    let made: Vec<Option<(String, String)>> = futures_util::stream::iter(tokens)
        .map(|line| {
            let (http, url) = (http.clone(), format!("{url}/api/v1/events/{event}/holds"));
            async move {
                let (token, session) = line.split_once(' ')?;
                let resp = http
                    .post(url)
                    .bearer_auth(token)
                    .header("floodgate-session", session)
                    .json(&json!({"quantity": 1}))
                    .send()
                    .await
                    .ok()?;
                let body: Value = resp.json().await.ok()?;
                Some((line.clone(), body["hold_id"].as_str()?.to_owned()))
            }
        })
        .buffer_unordered(64)
        .collect()
        .await;
    let mut out = std::io::BufWriter::new(std::fs::File::create(file)?);
    for (token, hold) in made.into_iter().flatten() {
        writeln!(out, "{token} {hold}")?;
    }
    out.flush()?;
    Ok(())
}
