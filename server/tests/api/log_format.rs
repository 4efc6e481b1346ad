//! `FLOODGATE_LOG_FORMAT=json`: the real binary writes one JSON object per line, and a
//! request's lines carry its span (method, path, request id).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::temp_dir;

#[tokio::test]
async fn json_logs_are_lines_of_json_with_the_request_span() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_floodgate"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("FLOODGATE_DATA_DIR", temp_dir("logs"))
        .env("FLOODGATE_LISTEN", format!("127.0.0.1:{port}"))
        .env("FLOODGATE_ARGON2_MEMORY_KIB", "1024")
        .env("FLOODGATE_LOG_FORMAT", "json")
        // The request layer's own lines are at DEBUG.
        .env("RUST_LOG", "info,tower_http=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("floodgate starts");
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            if r.status() == StatusCode::OK {
                break;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(30), "never ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let resp = http
        .get(format!("{base}/api/v1/time"))
        .header("x-request-id", "log-format-test-1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["x-request-id"], "log-format-test-1");
    // Let the response's line be written, then stop the process and read it all.
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();

    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "floodgate listening" && l["level"] == "INFO"),
        "{out}"
    );
    let request: Vec<&Value> = lines
        .iter()
        .filter(|l| l["span"]["request_id"] == "log-format-test-1")
        .collect();
    assert!(!request.is_empty(), "no line of the request in {out}");
    for line in request {
        assert_eq!(line["span"]["name"], "request", "{line}");
        assert_eq!(line["span"]["method"], "GET", "{line}");
        assert_eq!(line["span"]["path"], "/api/v1/time", "{line}");
        assert!(line["timestamp"].is_string(), "{line}");
    }
}
