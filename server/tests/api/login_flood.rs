//! A login and sign-up flood from many addresses, against the real binary with the
//! default argon2 memory cost (19 MiB a run): its resident memory stays under a bound,
//! comes back afterwards, and a real fan's login keeps an answer to act on (200, or
//! 503 `overloaded` with `Retry-After`).
//!
//! Before the bounded argon2 pool, argon2 ran on tokio's blocking pool: this flood
//! crossed the bound within its first 50 ms, and the 320 requests already in flight
//! took a release build from 72 MiB to 5,626 MiB (a debug build from 85 to 4,103),
//! still held 10 s later. With the pool: 61 → 74 MiB at peak, and 74 after.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{temp_dir, uuid_simple};
use crate::procs::{free_port, ready, spawn};

const ADDRESSES: u8 = 16;
const PER_ADDRESS: usize = 20;
const FLOOD: Duration = Duration::from_secs(8);
const MIB: u64 = 1024 * 1024;
/// Argon2 threads in the flooded process (fixed, so the bound does not depend on the
/// machine's cores).
const THREADS: u64 = 2;
/// The default memory cost, 19,456 KiB.
const ARGON_RUN: u64 = 19 * MIB;
/// Above the RSS at start: the argon2 workers' buffers (`THREADS` × 19 MiB; one is
/// there from start-up's dummy hash already) and 320 connections' worth of buffers.
/// The unbounded blocking pool went past it within the first second.
const PEAK_ABOVE_START: u64 = THREADS * ARGON_RUN + 96 * MIB;
/// Above the RSS at start, once the flood is over: the workers' buffers, kept for
/// reuse, and what the allocator keeps of the connections'.
const AFTER_ABOVE_START: u64 = THREADS * ARGON_RUN + 48 * MIB;

#[tokio::test]
async fn a_login_and_sign_up_flood_keeps_memory_bounded() {
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let dir = temp_dir("login-flood");
    let port = free_port();
    let threads = THREADS.to_string();
    let mut fg = spawn(
        &dir,
        port,
        None,
        &[
            ("FLOODGATE_ARGON2_MEMORY_KIB", "19456"),
            ("FLOODGATE_ARGON2_THREADS", &threads),
            // The defaults for the pool's queue; requests are not rate limited, so
            // the pool is what stands in front of argon2.
            ("FLOODGATE_ARGON2_QUEUE", "16"),
            ("FLOODGATE_ARGON2_PER_IP", "4"),
        ],
    );
    let pid = fg.child.id();
    let http = client([127, 0, 0, 2].into());
    ready(&http, &fg.base).await;

    // A real fan, signed up before the rush.
    let (email, password) = (
        format!("real-{}@floodgate.test", uuid_simple()),
        "a real fan's passphrase",
    );
    let (status, body) = post(&http, &fg.base, "register", &email, password).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = post(&http, &fg.base, "login", &email, password).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let start = rss(pid);

    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(start));
    let sampler = {
        let (stop, peak) = (Arc::clone(&stop), Arc::clone(&peak));
        tokio::spawn(async move {
            let deadline = Instant::now() + FLOOD;
            while Instant::now() < deadline && !stop.load(Ordering::Relaxed) {
                let now = rss(pid);
                peak.fetch_max(now, Ordering::Relaxed);
                if now > start + PEAK_ABOVE_START {
                    break; // over the bound: stop the flood before it takes the machine
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            stop.store(true, Ordering::Relaxed);
        })
    };

    let statuses = Arc::new(Mutex::new(std::collections::BTreeMap::<u16, u64>::new()));
    let mut flooders = Vec::new();
    for a in 0..ADDRESSES {
        let http = client([127, 0, 1, 10 + a].into());
        for n in 0..PER_ADDRESS {
            let (http, base, stop, statuses) = (
                http.clone(),
                fg.base.clone(),
                Arc::clone(&stop),
                Arc::clone(&statuses),
            );
            flooders.push(tokio::spawn(async move {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    // Half sign up (fresh accounts), half log in as nobody.
                    let email = format!("flood-{a}-{n}-{i}-{}@floodgate.test", uuid_simple());
                    let kind = if n % 2 == 0 { "register" } else { "login" };
                    let status = match http
                        .post(format!("{base}/api/v1/auth/{kind}"))
                        .json(&json!({"email": email, "password": "flood pass phrase"}))
                        .send()
                        .await
                    {
                        Ok(r) => r.status().as_u16(),
                        Err(_) => 0,
                    };
                    *statuses.lock().unwrap().entry(status).or_default() += 1;
                }
            }));
        }
    }

    // The real fan tries to log in twice a second through the flood; what it gets is
    // checked once the memory is.
    let real = client_with_timeout([127, 0, 0, 2].into(), Duration::from_secs(20));
    let mut answers = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let answer = match real
            .post(format!("{}/api/v1/auth/login", fg.base))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
        {
            Ok(resp) => {
                let status = resp.status();
                let retry_after = resp.headers().get("retry-after").is_some();
                let body: Value = resp.json().await.unwrap_or(Value::Null);
                (status.as_u16(), retry_after, body)
            }
            Err(e) => (0, false, json!(e.to_string())),
        };
        answers.push(answer);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    sampler.await.unwrap();
    for f in flooders {
        f.await.unwrap();
    }
    let peak = peak.load(Ordering::Relaxed);

    // Memory comes back once the flood is over.
    let settled = Instant::now();
    let mut after = rss(pid);
    while after > start + AFTER_ABOVE_START && settled.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(200)).await;
        after = rss(pid);
    }
    let statuses = statuses.lock().unwrap().clone();
    let ok = answers.iter().filter(|a| a.0 == 200).count();
    eprintln!(
        "login flood: RSS start {} MiB, peak {} MiB, after {} MiB; flood answers {statuses:?}; \
         real logins {ok} of {} answered 200 (the rest 503 with Retry-After)",
        start / MIB,
        peak / MIB,
        after / MIB,
        answers.len()
    );
    assert!(
        peak <= start + PEAK_ABOVE_START,
        "RSS peaked at {} MiB, over {} MiB at start + {} MiB",
        peak / MIB,
        start / MIB,
        PEAK_ABOVE_START / MIB
    );
    assert!(
        after <= start + AFTER_ABOVE_START,
        "RSS stayed at {} MiB after the flood ({} MiB at start)",
        after / MIB,
        start / MIB
    );
    assert!(
        !statuses.contains_key(&500),
        "the flood got internal errors: {statuses:?}"
    );
    assert!(
        statuses.get(&503).copied().unwrap_or(0) > 0,
        "the flood was never refused, so it did not fill the pool: {statuses:?}"
    );
    for (status, retry_after, body) in &answers {
        match status {
            200 => {}
            503 => {
                assert_eq!(body["error"]["code"], "overloaded", "{body}");
                assert!(retry_after, "a 503 without Retry-After: {body}");
            }
            _ => panic!("a real login during the flood answered {status}: {body}"),
        }
    }
    // And once it is over, the real fan logs in.
    let (status, body) = post(&http, &fg.base, "login", &email, password).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    fg.kill();
}

/// A client whose connections come from `local` (a loopback address: the server
/// sees each as its own client).
fn client(local: IpAddr) -> reqwest::Client {
    client_with_timeout(local, Duration::from_secs(30))
}

fn client_with_timeout(local: IpAddr, timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(local)
        .timeout(timeout)
        .build()
        .unwrap()
}

async fn post(
    http: &reqwest::Client,
    base: &str,
    kind: &str,
    email: &str,
    password: &str,
) -> (StatusCode, Value) {
    let resp = http
        .post(format!("{base}/api/v1/auth/{kind}"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .expect("request");
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The process's resident memory, bytes.
fn rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the process runs");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS in /proc/<pid>/status");
    kib * 1024
}
