//! Measures a 50,000-seat event end to end over HTTP against an in-process server:
//! event creation time, seat snapshot sizes (contract map and compact), and hold
//! latency (sequential, and with 64 holds in flight).
//!
//! ```sh
//! cargo run --release -p server --example seat_bench                      # embedded
//! cargo run --release -p server --example seat_bench -- REDIS_URL PG_URL  # scaled
//! ```
//! Prints one JSON object. Run by scripts/bench.sh, which writes BENCHMARKS.md.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use server::config::Config;
use server::Application;
use waiting_room::token::PurchaseClaims;
use waiting_room::{TicketId, UserId};

const HOLDS: usize = 5_000;
const IN_FLIGHT: usize = 64;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = std::env::temp_dir().join(format!("floodgate-seat-bench-{}", TicketId::new()));
    let mut config = Config::for_tests(dir.clone());
    config.admin_email = Some("bench@floodgate.test".into());
    config.admin_password = Some("bench-password".into());
    config.auth_rate_per_sec = 100_000;
    if let [redis, pg] = &args[..] {
        config.redis_url = Some(redis.clone());
        config.redis_prefix = format!("bench{}", TicketId::new());
        config.database_url = Some(pg.clone());
    }
    let backend = if config.redis_url.is_some() {
        "redis+postgres"
    } else {
        "memory+sqlite"
    };
    let app = Application::build(config).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    let keys = app.state().keys.clone();
    let stop = tokio_util::sync::CancellationToken::new();
    let token = stop.clone();
    let server = tokio::spawn(app.run_until_stopped(async move { token.cancelled().await }));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(IN_FLIGHT)
        .build()?;

    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": "bench@floodgate.test", "password": "bench-password"}))
        .send()
        .await?
        .json()
        .await?;
    let admin = login["token"].as_str().unwrap_or_default().to_owned();
    let starts_at =
        time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?;
    // 50,000 seats: 10 sections × 100 rows × 50 seats.
    let sections: Vec<Value> = (0..10)
        .map(|i| json!({"name": format!("S{i}"), "rows": 100, "seats_per_row": 50, "price_cents": 5_000 + i * 100}))
        .collect();
    let started = Instant::now();
    let event: Value = http
        .post(format!("{base}/api/v1/admin/events"))
        .bearer_auth(&admin)
        .json(&json!({"name": "Stadium", "starts_at": starts_at, "sections": sections, "max_seats_per_order": 4,
                      "admission": {"rate_per_minute": 60_000, "max_active": 100_000}}))
        .send()
        .await?
        .json()
        .await?;
    let create_ms = started.elapsed().as_secs_f64() * 1e3;
    let id = event["id"].as_str().unwrap_or_default().to_owned();
    anyhow::ensure!(
        event["capacity"] == json!(50_000),
        "event not created: {event}"
    );

    let started = Instant::now();
    let full = http
        .get(format!("{base}/api/v1/events/{id}/seats"))
        .send()
        .await?
        .bytes()
        .await?;
    let full_ms = started.elapsed().as_secs_f64() * 1e3;
    let compact = http
        .get(format!("{base}/api/v1/events/{id}/seats?format=compact"))
        .send()
        .await?
        .bytes()
        .await?;

    let now = waiting_room::clock::now_ms();
    let tokens: Vec<String> = (0..2 * HOLDS)
        .map(|_| {
            let claims = PurchaseClaims::new(
                UserId::new(),
                id.parse().unwrap(),
                &TicketId::new(),
                now,
                now + 3_600_000,
                4,
            );
            keys.sign(&claims)
        })
        .collect();
    let hold = |token: String| {
        let (http, url) = (http.clone(), format!("{base}/api/v1/events/{id}/holds"));
        async move {
            let t = Instant::now();
            let status = http
                .post(url)
                .bearer_auth(token)
                .json(&json!({"quantity": 1}))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            (status, t.elapsed())
        }
    };
    let mut sequential = Vec::with_capacity(HOLDS);
    for token in tokens[..HOLDS].iter().cloned() {
        sequential.push(hold(token).await);
    }
    let started = Instant::now();
    let concurrent: Vec<(u16, Duration)> =
        futures_util::stream::iter(tokens[HOLDS..].iter().cloned().map(hold))
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
    let concurrent_secs = started.elapsed().as_secs_f64();
    let ok = |v: &[(u16, Duration)]| v.iter().filter(|(s, _)| *s == 201).count();
    let statuses = |v: &[(u16, Duration)]| {
        let mut m = std::collections::BTreeMap::new();
        for (s, _) in v {
            *m.entry(s.to_string()).or_insert(0u32) += 1;
        }
        m
    };

    let report = json!({
        "backend": backend,
        "seats": 50_000,
        "create_event_ms": round(create_ms),
        "snapshot_bytes": full.len(),
        "snapshot_ms": round(full_ms),
        "compact_snapshot_bytes": compact.len(),
        "holds_sequential": {"n": HOLDS, "created": ok(&sequential), "statuses": statuses(&sequential), "latency_ms": percentiles(&sequential)},
        "holds_concurrent": {"n": HOLDS, "in_flight": IN_FLIGHT, "created": ok(&concurrent), "statuses": statuses(&concurrent),
                             "per_sec": round(HOLDS as f64 / concurrent_secs), "latency_ms": percentiles(&concurrent)},
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    stop.cancel();
    server.await??;
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn percentiles(samples: &[(u16, Duration)]) -> Value {
    let mut ms: Vec<f64> = samples.iter().map(|(_, d)| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| round(ms[((ms.len() as f64 - 1.0) * q).round() as usize]);
    json!({"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": at(1.0)})
}
